"""bounced.parse.sniff: the pre-filters never hide a match of the pattern they guard."""
from __future__ import annotations

import random
from pathlib import Path

import pytest

from bounced import mime
from bounced.parse import smtp
from bounced.parse.lhost import _common, exchange, exim, generic, postfix
from bounced.parse.lhost.providers import office365
from bounced.parse.sniff import may_match

GUARDED = {
    "office365-start": (office365._START, office365._START_NEEDLES),
    "exim-marker": (exim._MARKER, exim._MARKER_NEEDLES),
    "postfix-marker": (postfix._MARKER, postfix._MARKER_NEEDLES),
    "exchange-start": (exchange._START, exchange._START_NEEDLES),
    "generic-delay": (generic._DELAY, generic._DELAY_NEEDLES),
    **{f"smtp-{p.pattern[:12]}": (p, n) for p, n in smtp._PHRASED},
    "common-attached": (_common._ATTACHED, ("rfc822",)),
}
_DATA = Path(__file__).parent / "data"
_CORPUS = Path(__file__).parents[1] / ".." / "shared" / "corpus"


def _texts() -> list[str]:
    texts = []
    for root in (_DATA, _CORPUS):
        for path in sorted(root.rglob("*")) if root.is_dir() else []:
            if path.is_file() and path.suffix in (".eml", ".txt"):
                msg = mime.load(path.read_bytes())
                texts += [mime.part_text(p) for p, _d in mime.walk(msg) if mime.content_type(p).startswith("text/")]
    rnd = random.Random(5)
    # the same texts with letters' case scrambled: re.I must still be caught by the lower-cased test
    texts += ["".join(ch.upper() if rnd.random() < 0.5 else ch for ch in t) for t in texts]
    return texts


@pytest.mark.parametrize("name", sorted(GUARDED))
def test_needles_are_in_every_match(name: str) -> None:
    pattern, needles = GUARDED[name]
    assert all(n.isascii() and n == n.lower() for n in needles)
    for text in _texts():
        if pattern.search(text):
            assert may_match(text, needles), (name, text[:200])


def test_may_match() -> None:
    assert may_match("Delivery HAS failed", ("has failed",))
    assert not may_match("all is well", ("has failed",))
    assert may_match("ſtill", ("zzz",))  # non-ASCII text always goes to the pattern


def test_generic_error_line_prefilter_is_exact() -> None:
    lines = [ln for text in _texts() for ln in text.split("\n")]
    lines += ["550", "x 4", "TIMEOUT", "Time out", "isn't", "ſpam", "2.0.0", "ok"]
    for line in lines:
        assert generic._is_error_line(line) == bool(generic._ERR_LINE.search(line)), line


def test_cut_original_header_names_are_needed() -> None:
    for text in _texts():
        if _common._HEADER_START.search(text, 1):
            assert any(name in text for name in _common._HEADER_NAMES), text[:200]
