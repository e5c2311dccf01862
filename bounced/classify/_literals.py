"""Which of many literals occur in a text, found in one regex pass.

The classifier rules a phrase run out when none of the literals every match of it contains
occurs in the text. With some 600 literals, testing them one by one with ``in`` cost more than
the rest of classification. Here the literals become one trie-shaped pattern tried at every
position of the text inside a zero-width lookahead (so overlapping literals are all seen): at
each position the engine finds the longest literal starting there, and the shorter ones that
start there are exactly its prefixes in the set. Same answer as the ``in`` tests, in C.
"""
from __future__ import annotations

import re
from collections.abc import Sequence

__all__ = ["LiteralIndex"]

def _trie_pattern(words: Sequence[str]) -> str:
    """A regex matching, at one position, the longest of ``words`` that starts there."""
    trie: dict = {}
    for word in words:
        node = trie
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = True

    def emit(node: dict) -> str:
        kids = sorted(ch for ch in node if ch)
        if not kids:
            return ""
        alts = [re.escape(ch) + emit(node[ch]) for ch in kids]
        body = alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"
        # a word may end here: the longer continuation is tried first, this ending if it fails
        return f"(?:{body})?" if "" in node else body

    return emit(trie)


class LiteralIndex:
    """Maps a text to the indices of the groups (of literals) that have a literal in it; several
    tables of groups may share one index (one pass over a text serves them all)."""

    __slots__ = ("_finder", "_groups_of")

    def __init__(self, *tables: Sequence[Sequence[str]]) -> None:
        words = sorted({w for groups in tables for g in groups for w in g})
        if not words or min(map(len, words)) == 0:
            raise ValueError("literals must be non-empty")
        self._finder = re.compile(f"(?=({_trie_pattern(words)}))")
        self._groups_of: list[dict[str, frozenset[int]]] = []
        for groups in tables:
            holders: dict[str, set[int]] = {}
            for i, g in enumerate(groups):
                for w in g:
                    holders.setdefault(w, set()).add(i)
            # a found literal proves present every group holding it or one of its prefixes
            self._groups_of.append({w: frozenset().union(*(holders.get(w[:k], ()) for k in range(1, len(w) + 1)))
                                    for w in words})

    def literals_in(self, text: str) -> list[str]:
        """The longest literal at each position of ``text`` where one starts (what
        :meth:`groups_in` reads)."""
        return self._finder.findall(text)

    def groups_in(self, text: str, table: int = 0, literals: list[str] | None = None) -> frozenset[int]:
        """Indices of the groups of ``table`` with at least one literal occurring in ``text``.

        ``literals``: :meth:`literals_in` of ``text``, when known."""
        found = self._finder.findall(text) if literals is None else literals
        if not found:
            return frozenset()
        groups_of = self._groups_of[table]
        return frozenset().union(*[groups_of[w] for w in set(found)])
