"""VERP: recover the failed recipient from the address the bounce was sent to.

A mailer that sends with ``MAIL FROM:<bounces+user=example.com@bounce.example.org>`` gets the
bounce for ``user@example.com`` at that address, so the recipient is known even when the bounce
itself is unreadable. The local part before the delimiter must be one of the configured bounce
local parts; the last ``=`` of the rest separates the original local part from its domain.
(The bounce domain is not checked here: the daemon only accepts mail for its own domains.)

A signed return path (:mod:`bounced.signing`) appends ``=`` and a ten-character tag:
``bounces+user=example.com=ab3kq7xz2m@bounce.example.org``. The layout stays unambiguous
because a VERP domain must contain a dot (or be an address literal) and a tag never does:
the text after the last ``=`` is either a domain or a tag, never both. The tag is compared
case-insensitively, since some MTAs change the case of return paths.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

_DOMAIN = re.compile(r"^[\w.-]{1,253}\.[\w-]{1,63}$|^\[[0-9a-fA-F:.]{2,45}\]$")
TAG = re.compile(r"^[a-z2-7]{10}$", re.IGNORECASE)  # RFC 4648 base32 letters: day stamp (2) + HMAC (8)


@dataclass(frozen=True, slots=True)
class VerpAddress:
    """A decoded VERP return path: the recipient it names and its tag (None when unsigned)."""

    recipient: str
    tag: str | None


def split(address: str | None, local_parts: tuple[str, ...] = ("bounces",), delimiter: str = "+") -> VerpAddress | None:
    """``bounces+user=example.com[=TAG]@bounce.example.org`` -> recipient and tag; None otherwise."""
    if not address or not delimiter:
        return None
    addr = address.strip().strip("<>").strip()
    local, at, _domain = addr.rpartition("@")
    if not at or not local:
        return None
    prefix, sep, encoded = local.partition(delimiter)
    if not sep or prefix.lower() not in {p.lower() for p in local_parts}:
        return None
    tag = None
    rest, eq, last = encoded.rpartition("=")
    if eq and not _DOMAIN.match(last) and TAG.match(last):
        encoded, tag = rest, last.lower()
    orig_local, eq, orig_domain = encoded.rpartition("=")
    if not eq or not orig_local or not _DOMAIN.match(orig_domain):
        return None
    return VerpAddress(f"{orig_local}@{orig_domain}", tag)


def decode(address: str | None, local_parts: tuple[str, ...] = ("bounces",), delimiter: str = "+") -> str | None:
    """``bounces+user=example.com@bounce.example.org`` -> ``user@example.com``; None otherwise."""
    v = split(address, local_parts, delimiter)
    return v.recipient if v else None
