"""No regex of the package may cost more than linear work on hostile text (issue 12, item 2).

bench/redos.py collects every compiled pattern of the package (module tables, literals in
functions, patterns compiled at run time while the fixtures parse) and scans each with runs of its
own literal characters. The criterion is growth between two sizes, not time: a quadratic pattern
grows about 256x for 16x the text, a linear one about 16x, and the checker reports only what grows
more than 64x in two rounds of best-of-five measurements.
"""
from __future__ import annotations

import re
from pathlib import Path

from bench import redos

DATA = Path(__file__).parent / "data"


def test_checker_catches_a_known_quadratic_pattern() -> None:
    """The checker's criterion detects the tag stripper of issue 12 and passes its fix."""
    found = redos.check_pattern(re.compile(r"<[^>]*>"), "example")
    assert any(f.family == "'<'*n" for f in found)
    assert redos.check_pattern(re.compile(r"<[^<>]*>"), "example") == []


def test_checker_sees_anchored_use() -> None:
    uses = redos.pattern_uses(redos.package_modules())
    assert redos.anchored_only("bounced.mimetree._FIELD", uses)  # used with .match only
    assert not redos.anchored_only("bounced.parse.lhost.providers.gmail._END", uses)


def test_collects_patterns_from_tables_literals_and_run_time() -> None:
    samples = [p.read_bytes() for p in sorted(DATA.rglob("*.eml"))[:20]]
    found = redos.all_patterns(samples)
    wheres = " ".join(found.values())
    assert "bounced.classify." in wheres and "bounced.parse.lhost." in wheres
    assert " re." in wheres  # literals inside functions
    assert len(found) > 500


def test_no_pattern_of_the_package_grows_quadratically() -> None:
    samples = [p.read_bytes() for p in sorted(DATA.rglob("*.eml"))]
    findings = redos.check_all(samples)
    assert not findings, "\n".join(f"{f.where}: {f.pattern[:80]!r} on {f.family}: x{f.ratio}" for f in findings)
