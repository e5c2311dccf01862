"""Exact pre-filters for the format modules' case-insensitive phrase searches.

A module that looks for one of a few phrases with an ``re.I`` pattern pays a regex attempt at
every position of the notice, match or not, and most notices are not its format. In ASCII text
``re.I`` compares lower-cased characters, so a phrase can only match where its lower-cased
literal occurs in ``text.lower()``: one C-speed substring search rules the text out. Non-ASCII
text (where Unicode case folding has exceptions such as the long s) always goes to the pattern.
"""
from __future__ import annotations

__all__ = ["may_match"]


def may_match(text: str, needles: tuple[str, ...]) -> bool:
    """False only when ``text`` is ASCII and holds none of ``needles`` case-insensitively.

    ``needles`` are lower-case ASCII literals chosen so that every match of the pattern being
    guarded contains at least one of them."""
    if not text.isascii():
        return True
    low = text.lower()
    for needle in needles:
        if needle in low:
            return True
    return False
