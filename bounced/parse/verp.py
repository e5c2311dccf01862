"""VERP: recover the failed recipient from the address the bounce was sent to.

A mailer that sends with ``MAIL FROM:<bounces+user=example.com@bounce.example.org>`` gets the
bounce for ``user@example.com`` at that address, so the recipient is known even when the bounce
itself is unreadable. The local part before the delimiter must be one of the configured bounce
local parts; the last ``=`` of the rest separates the original local part from its domain.
(The bounce domain is not checked here: the daemon only accepts mail for its own domains.)
"""
from __future__ import annotations

import re

_DOMAIN = re.compile(r"^[\w.-]{1,253}\.[\w-]{1,63}$|^\[[0-9a-fA-F:.]{2,45}\]$")


def decode(address: str | None, local_parts: tuple[str, ...] = ("bounces",), delimiter: str = "+") -> str | None:
    """``bounces+user=example.com@bounce.example.org`` -> ``user@example.com``; None otherwise."""
    if not address or not delimiter:
        return None
    addr = address.strip().strip("<>").strip()
    local, at, _domain = addr.rpartition("@")
    if not at or not local:
        return None
    prefix, sep, encoded = local.partition(delimiter)
    if not sep or prefix.lower() not in {p.lower() for p in local_parts}:
        return None
    orig_local, eq, orig_domain = encoded.rpartition("=")
    if not eq or not orig_local or not _DOMAIN.match(orig_domain):
        return None
    return f"{orig_local}@{orig_domain}"
