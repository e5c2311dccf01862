"""What a support person pasted into the search box: an address, a domain, or neither.

Customers' mails give addresses in every shape (``"Jane Doe" <Jane@Example.COM>``, ``mailto:``
links, a trailing comma from a list). This module only cuts the address out of such text; the
store's own normalization (bounced.addresses.normalize, shared with the reader and the API)
then decides the lookup key, so the page finds exactly what the mailer's check finds.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from bounced.addresses import InvalidAddress, normalize

_ANGLE = re.compile(r"<([^<>]*)>")
_TRIM = " \t\r\n\"'`,;.()[]"


@dataclass(frozen=True, slots=True)
class Query:
    kind: str  # "address" | "domain"
    key: str  # the normalized address, or the domain in its ASCII form


def cut_address(text: str) -> str:
    """The address part of pasted text: inside the last <...>, without mailto: and stray punctuation."""
    s = text.strip()
    inside = _ANGLE.findall(s)
    if inside:
        s = inside[-1]
    s = s.strip(_TRIM + "<>")
    if s.lower().startswith("mailto:"):
        s = s[7:].split("?", 1)[0]
    return s.strip(_TRIM)


def parse_query(text: str, *, case_sensitive: bool = False) -> Query:
    """An address or a domain; raises InvalidAddress naming what was pasted."""
    s = cut_address(text)
    if not s:
        raise InvalidAddress(text, "nothing to search for")
    if "@" not in s or s.startswith("@") and s.count("@") == 1:
        domain = normalize("x@" + s.lstrip("@")).rpartition("@")[2] if "." in s else None
        if domain is None:
            raise InvalidAddress(text, "neither an address nor a domain")
        return Query("domain", domain)
    try:
        return Query("address", normalize(s, case_sensitive=case_sensitive))
    except InvalidAddress as exc:
        raise InvalidAddress(text, exc.why) from None
