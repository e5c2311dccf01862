"""Which envelope recipients are ours: the configured bounce addresses and their VERP forms.

Pure functions so the SMTP layer and the tests share one rule. A bounce address is
``local@domain`` for a configured local part and domain; its VERP form appends the delimiter and
an encoded original recipient (``bounces+user=example.com@domain``). Local parts and domains are
compared case-insensitively: MTAs and mailers are not consistent about case in return paths.
"""
from __future__ import annotations

from bounced.config import BounceConfig


def is_bounce_address(address: str, bounce: BounceConfig) -> bool:
    """True when ``address`` is one of our bounce addresses (exact or VERP form)."""
    local, at, domain = address.strip().strip("<>").rpartition("@")
    if not at or not local or not domain:
        return False
    domain = domain.rstrip(".").lower()
    if bounce.domains and domain not in {d.rstrip(".").lower() for d in bounce.domains}:
        return False
    local = local.lower()
    for part in bounce.local_parts:
        part = part.lower()
        if local == part:
            return True
        prefix = part + bounce.verp_delimiter
        if local.startswith(prefix) and len(local) > len(prefix):
            return True
    return False
