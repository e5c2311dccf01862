"""Domain typo detection for address lists: popular mailbox domains and near misses of them.

A general rule rather than a list of known typos: a domain within Damerau-Levenshtein distance 1
(2 for domains of 9 characters or more) of a popular mailbox domain, or a popular name with a
misspelled TLD (.con, .cmo, .comm), is flagged with the popular domain as the suggestion. Short
names (aol, cox, web) are matched only through TLD typos: one letter from them is another domain.
"""
from __future__ import annotations

from functools import lru_cache

# (domain, note): large consumer mailbox providers by audience; a typo of one of these is far more
# likely than a real domain one letter away.
POPULAR_DOMAINS: tuple[tuple[str, str], ...] = (
    ("gmail.com", "Google"),
    ("googlemail.com", "Google (DE/UK legacy)"),
    ("yahoo.com", "Yahoo"),
    ("yahoo.co.uk", "Yahoo UK"),
    ("yahoo.fr", "Yahoo France"),
    ("ymail.com", "Yahoo"),
    ("hotmail.com", "Microsoft"),
    ("hotmail.co.uk", "Microsoft UK"),
    ("hotmail.fr", "Microsoft France"),
    ("outlook.com", "Microsoft"),
    ("live.com", "Microsoft"),
    ("msn.com", "Microsoft"),
    ("aol.com", "Yahoo/AOL"),
    ("icloud.com", "Apple"),
    ("me.com", "Apple"),
    ("mac.com", "Apple"),
    ("protonmail.com", "Proton"),
    ("proton.me", "Proton"),
    ("gmx.de", "GMX"),
    ("gmx.net", "GMX"),
    ("web.de", "1&1"),
    ("t-online.de", "Deutsche Telekom"),
    ("orange.fr", "Orange"),
    ("free.fr", "Free"),
    ("laposte.net", "La Poste"),
    ("libero.it", "Italiaonline"),
    ("mail.ru", "VK"),
    ("yandex.ru", "Yandex"),
    ("comcast.net", "Comcast"),
    ("verizon.net", "Verizon"),
    ("att.net", "AT&T"),
    ("sbcglobal.net", "AT&T"),
    ("cox.net", "Cox"),
    ("qq.com", "Tencent"),
    ("163.com", "NetEase"),
    ("naver.com", "Naver"),
    ("zoho.com", "Zoho"),
    ("fastmail.com", "Fastmail"),
)
POPULAR: frozenset[str] = frozenset(d for d, _ in POPULAR_DOMAINS)

# misspelled top-level domains seen in sign-up forms -> the intended one
TLD_TYPOS: dict[str, str] = {
    "con": "com", "cmo": "com", "comm": "com", "cm": "com", "co": "com", "om": "com", "vom": "com",
    "xom": "com", "ocm": "com", "nte": "net", "ne": "net", "nett": "net", "og": "org", "ogr": "org",
}


def distance(a: str, b: str, limit: int = 3) -> int:
    """Optimal-string-alignment (restricted Damerau-Levenshtein) distance, cut off at ``limit``."""
    if abs(len(a) - len(b)) >= limit:
        return limit
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = a[i - 1] != b[j - 1]
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        if min(cur) >= limit:
            return limit
        prev2, prev = prev, cur
    return min(prev[-1], limit)


def _allowed(popular: str) -> int:
    """Edits tolerated: none for short names (aol, cox, web, me: one letter off is usually another
    real domain), one for ordinary names, two for long ones."""
    name = popular.split(".", 1)[0]
    if len(name) < 5:
        return 0
    return 2 if len(popular) >= 9 else 1


@lru_cache(maxsize=65536)
def suggest(domain: str) -> str | None:
    """The popular domain this one is probably a typo of, or None."""
    d = domain.lower().rstrip(".")
    if d in POPULAR:
        return None
    name, _, tld = d.rpartition(".")
    if tld in TLD_TYPOS:
        fixed = f"{name}.{TLD_TYPOS[tld]}"
        if fixed in POPULAR:
            return fixed
    best, best_d = None, 99
    for p in POPULAR:
        allowed = _allowed(p)
        if not allowed:
            continue
        dist = distance(d, p, allowed + 1)
        if dist <= allowed and dist < best_d:
            best, best_d = p, dist
    return best
