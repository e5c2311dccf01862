"""bounced.parse.sniff: the pre-filters never hide a match of the pattern they guard."""
from __future__ import annotations

import functools
import random
from pathlib import Path

import pytest

from bounced import mime
from bounced.parse import smtp
from bounced.parse.lhost import _common, exchange, exim, generic, postfix
from bounced.parse.lhost.providers import office365
from bounced.parse.sniff import Caseless, foldable, may_match

GUARDED = {
    "office365-start": (office365._START, office365._START_NEEDLES),
    "exim-marker": (exim._MARKER, exim._MARKER_NEEDLES),
    "postfix-marker": (postfix._MARKER, postfix._MARKER_NEEDLES),
    "exchange-start": (exchange._START, exchange._START_NEEDLES),
    "generic-delay": (generic._DELAY, generic._DELAY_NEEDLES),
    **{f"smtp-{p.pattern.pattern[:12]}": (p, n) for p, n in smtp._PHRASED},
    "common-attached": (_common._ATTACHED, ("rfc822",)),
}
_DATA = Path(__file__).parent / "data"
_CORPUS = Path(__file__).parents[1] / ".." / "shared" / "corpus"


@functools.cache
def _all_texts() -> tuple[str, ...]:
    texts = []
    for root in (_DATA, _CORPUS):
        for path in sorted(root.rglob("*")) if root.is_dir() else []:
            if path.is_file() and path.suffix in (".eml", ".txt"):
                msg = mime.load(path.read_bytes())
                texts += [mime.part_text(p) for p, _d in mime.walk(msg) if mime.content_type(p).startswith("text/")]
    rnd = random.Random(5)
    # the same texts with letters' case scrambled: re.I must still be caught by the lower-cased test
    texts += ["".join(ch.upper() if rnd.random() < 0.5 else ch for ch in t) for t in texts]
    return tuple(texts)


def _texts() -> list[str]:
    """Text parts of every sample, and each again with its letters' case scrambled (built once)."""
    return list(_all_texts())


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


def _caseless_patterns() -> dict[str, Caseless]:
    """Every Caseless pattern the parser modules define (module-level names)."""
    import sys

    import bounced.parse

    bounced.parse.format_modules()  # imports every format module
    return {f"{mod_name}.{name}": value for mod_name, mod in sorted(sys.modules.items())
            if mod_name.startswith("bounced.") for name, value in sorted(vars(mod).items())
            if isinstance(value, Caseless)}


def test_the_parser_uses_caseless_patterns() -> None:
    assert len(_caseless_patterns()) >= 20


@pytest.mark.parametrize("name", sorted(_caseless_patterns()))
def test_caseless_matches_where_the_re_i_pattern_does(name: str) -> None:
    """The folded search answers the same spans, of the match and of each group, as the
    case-insensitive pattern: in every sample's text parts (ASCII and not, case scrambled too),
    their lines, and texts holding the characters re.I folds into ASCII ones."""
    caseless = _caseless_patterns()[name]
    texts = _texts()
    texts += [line for text in texts[:400] for line in text.split("\n")]
    texts += [t.replace("s", "\u017f").replace("k", "\u212a").replace("i", "\u0131") for t in texts[:200]]
    texts += ["Undelivered mail returned to sender \u0130", "mailer-daemon@example.com \udce9", "\u212a"]
    for text in texts:
        for got, want in ((caseless.search(text), caseless.pattern.search(text)),
                          (caseless.match(text), caseless.pattern.match(text))):
            assert (got is None) == (want is None), (name, text[:200])
            if got is not None:
                assert got.regs == want.regs, (name, text[:200])


@pytest.mark.parametrize("source", [
    r"mail delivery|postmaster", r"[a-z]+\.[a-z]{2,}", r"\s*(?:from|to)\b:", r"[!-~]+", r"(?P<addr>\S+@\S+)",
    r"[ \t\-=*|_>]*+(?:this\ is)", r"[-a]", r"[]a]", r"[^a-z]", r"未達|エラー", r"n[aã]o", r"[\u2022]", r"\x61",
])
def test_foldable(source: str) -> None:
    assert foldable(source)


@pytest.mark.parametrize("source", [
    pytest.param(r"Mail delivery", id="upper-case-letter"),
    pytest.param(r"[A-Z]", id="upper-case-range"),
    pytest.param(r"[ -_]", id="range-with-upper-case-only"),
    pytest.param(r"\x41", id="A-by-number"),
    pytest.param(r"\101", id="octal"),
    pytest.param(r"\N{LATIN SMALL LETTER A}", id="named"),
    pytest.param(r"(?P<Addr>x)", id="group-name"),
    pytest.param("\u212a", id="kelvin-sign"),
    pytest.param("\u017f", id="long-s"),
    pytest.param("[\u0100-\u0200]", id="non-ascii-range"),
    pytest.param(r"\u03bc", id="mu-by-number"),  # re.I also takes the micro sign for it
])
def test_not_foldable(source: str) -> None:
    """Each of these would miss, in lower-cased ASCII text, a match of the re.I pattern."""
    assert not foldable(source)
    with pytest.raises(ValueError):
        Caseless(source)


def test_unfoldable_characters_are_all_that_lower_casing_misrepresents() -> None:
    """Every other character, lower-cased, is one character, of the same kind (word, space,
    digit) as itself, not an ASCII one unless it is one, and re.I takes it for no ASCII one:
    what Caseless relies on to search non-ASCII text lower-cased. Over all of Unicode (lone
    surrogates included: undecodable bytes arrive as such)."""
    import re
    import sys

    from bounced.parse import sniff

    word, space, digit = re.compile(r"\w"), re.compile(r"\s"), re.compile(r"\d")
    ascii_alike = re.compile("[\x00-\x7f]", re.I)
    found = set()
    for cp in range(0x80, sys.maxunicode + 1):
        c = chr(cp)
        low = c.lower()
        if (len(low) != 1 or low.isascii() or ascii_alike.match(c)
                or any(bool(p.match(c)) != bool(p.match(low)) for p in (word, space, digit))):
            found.add(c)
    assert found == {c for c in map(chr, range(sys.maxunicode + 1)) if sniff._UNFOLDABLE.match(c)}


def test_cut_markers_first_letter_lookahead_hides_no_marker() -> None:
    """_CUT_MARKERS' lookahead lists the first letter of every alternative: the pattern without it
    finds the same markers (an alternative added with another first letter fails here)."""
    import re

    pattern = _common._CUT_MARKERS.pattern
    plain = re.compile(pattern.pattern.replace("(?=[abcehimorstuy])", "", 1), pattern.flags)
    assert plain.pattern != pattern.pattern
    markers = ["This is a copy of the message", "Below this line is a copy", "original message follows",
               "Message headers follow", "header of the original", "Copy of the message below",
               "included is a copy", "enclosed is a copy", "attachment is a copy", "start of returned message",
               "your message reads", "the first 20 lines of", "a summary of the undelivered", "mensaje original",
               "unsent message below", "message body suppressed", "Returned mail"]
    for text in _texts() + [f"x\n--- {m} ---\n" for m in markers]:
        text = "\n" + text
        got, want = pattern.search(text), plain.search(text)
        assert (got and got.span()) == (want and want.span()), text[:200]
