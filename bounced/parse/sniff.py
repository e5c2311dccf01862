"""Cheaper equivalents of the format modules' case-insensitive searches.

A module that looks for one of a few phrases with an ``re.I`` pattern pays a regex attempt at
every position of the notice, match or not, and most notices are not its format. In ASCII text
``re.I`` compares lower-cased characters, so

* a phrase can only match where its lower-cased literal occurs in ``text.lower()``: one
  C-speed substring search rules the text out (:func:`may_match`);
* a pattern written in lower case, compiled *without* ``re.I``, matches ``text.lower()`` at
  exactly the places where the ``re.I`` pattern matches ``text`` (:class:`Caseless`), several
  times faster: the engine compares characters instead of folding the case of each, and a
  literal first character lets it skip ahead.

Unicode case folding has exceptions (the long s, the Kelvin sign, the dotted and dotless i):
text holding one of them always goes to the ``re.I`` pattern, and so does any non-ASCII text
for a pattern with non-ASCII characters of its own (``re.I`` knows equivalences such as the
micro sign and mu that lower-casing does not).
"""
from __future__ import annotations

import re
import sys

__all__ = ["Caseless", "may_match"]


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


# The characters ``re.I`` takes for ASCII ones, or whose lower case is not one character of the
# same kind (word, space, digit) as themselves: outside them, lower-casing a text keeps every
# position and changes no non-ASCII character into an ASCII one or out of its class, so a pattern
# of ASCII characters matches the lower-cased text where re.I matches the text. (İ ı ſ K; the
# tests recompute the set over all of Unicode.)
_UNFOLDABLE = re.compile("[\u0130\u0131\u017f\u212a]")


class Caseless:
    """``re.compile(source, flags | re.I)``, searched as ``source`` without ``re.I`` in the
    lower-cased text when that gives the same answer (ASCII text; non-ASCII text without
    :data:`_UNFOLDABLE` characters when ``source`` is ASCII).

    Only positions are answered alike: the groups of a folded match are lower-cased.
    ``source`` must pass :func:`foldable` (checked here, so a pattern that does not is an import
    error, not a wrong answer)."""

    __slots__ = ("pattern", "_folded", "_ascii")

    def __init__(self, source: str, flags: int = 0) -> None:
        if not foldable(source):
            raise ValueError(f"not a lower-case pattern that folds exactly: {source!r}")
        self.pattern = re.compile(source, flags | re.I)
        self._folded = re.compile(source, flags & ~re.I)
        self._ascii = source.isascii()

    def _folds(self, text: str) -> bool:
        return text.isascii() or (self._ascii and _UNFOLDABLE.search(text) is None)

    def search(self, text: str, pos: int = 0, endpos: int = sys.maxsize, *,
               lowered: str | None = None) -> re.Match[str] | None:
        """``lowered``: ``text.lower()``, when the caller has it (several patterns read one text)."""
        if self._folds(text):
            return self._folded.search(text.lower() if lowered is None else lowered, pos, endpos)
        return self.pattern.search(text, pos, endpos)

    def match(self, text: str, pos: int = 0, endpos: int = sys.maxsize) -> re.Match[str] | None:
        if self._folds(text):
            return self._folded.match(text.lower(), pos, endpos)
        return self.pattern.match(text, pos, endpos)


_SAFE_ESCAPES = frozenset("dDsSwWbBAZntrfva")  # classes, anchors and control characters: no case to fold
_CODE_ESCAPES = {"x": 2, "u": 4, "U": 8}  # hex digits of \\xHH, \\uHHHH, \\UHHHHHHHH
_CASE_PAIRS = {c: c.lower() for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ"}


def foldable(source: str) -> bool:
    """Whether ``source`` without ``re.I`` matches lower-cased text exactly where it matches the
    text with ``re.I``: no upper-case letter (``(?P<`` aside), no non-ASCII character that
    ``re.I`` takes for an ASCII one (the Kelvin sign for k), no character with a case written by
    its number (``\\x41`` is A; ``\\u2022`` is fine; octal and named escapes are refused), and no
    class range holding upper-case letters without their lower-case ones (``[ -_]`` holds A-Z
    only) or non-ASCII characters."""
    i, n = 0, len(source)
    in_class = False
    members: list[str | None] = []  # the current class's members (None: an escape like \\w)
    while i < n:
        ch = source[i]
        if ch == "\\":
            nxt = source[i + 1:i + 2]
            width = _CODE_ESCAPES.get(nxt)
            if width is not None:  # a character by its number: as if written out
                digits = source[i + 2:i + 2 + width]
                if len(digits) != width or not all(c in "0123456789abcdefABCDEF" for c in digits):
                    return False
                member = chr(int(digits, 16))
                if member.isascii() and member.isupper() or not member.isascii() and member.lower() != member.upper():
                    return False  # a non-ASCII one only without a case: the source counts as ASCII (Caseless)
                i += 2 + width
            elif not nxt or nxt.isdigit() or (nxt.isalpha() and nxt not in _SAFE_ESCAPES):
                return False
            else:
                member = None if nxt.isalpha() else nxt
                i += 2
        elif in_class and ch == "]" and members:
            in_class = False
            i += 1
            continue
        elif not in_class and ch == "[":
            in_class, members = True, []
            i += 1
            if source.startswith("^", i):
                i += 1
            continue
        elif ch == "P" and source[i - 2:i] == "(?" and source.startswith("<", i + 1):
            end = source.find(">", i)
            if end < 0 or not source[i + 2:end].islower():
                return False
            i = end + 1
            continue
        else:
            if (ch.isascii() and ch.isupper()) or _UNFOLDABLE.match(ch):  # (holds what re.I takes for ASCII)
                return False
            member = ch
            i += 1
        if in_class:
            if len(members) >= 2 and members[-1] == "-" and members[-2] is not None and member is not None \
                    and not _range_folds(members[-2], member):
                return False
            members.append(member)
    return True


def _range_folds(lo: str, hi: str) -> bool:
    """A class range ``lo-hi`` is ASCII and holds the lower-case letter of every upper-case one it
    holds."""
    if lo > hi:
        return True  # not a range the engine accepts: compiling fails either way
    for upper, lower in _CASE_PAIRS.items():
        if lo <= upper <= hi and not lo <= lower <= hi:
            return False
    return hi <= "\x7f"  # a non-ASCII range is not looked into
