"""The "<address>:" block layout that qmail made common and several webmail providers kept.

    <user@example.com>:
    Remote host said: 550 5.1.1 <user@example.com>... User Unknown

One address on a line of its own in angle brackets followed by a colon, the error text on the
lines after it, until the next address line or a blank line after text; a separator line (the returned
original's marker) ends the scan.
"""
from __future__ import annotations

import re
from bounced.parse import fields

from . import _text

_ADDR_LINE = re.compile(r"^\s*<(" + _text.ADDR + r")>:?\s*(.*)$")
_SEPARATOR = re.compile(r"^\s*(-{2,}|={3,}|\*{3,})|^\s*(Original message|Below this line)", re.I)


def address_blocks(text: str) -> list[tuple[str, str]]:
    """[(address, unfolded error text)] in order of appearance."""
    out: list[tuple[str, str]] = []
    addr: str | None = None
    lines: list[str] = []
    for line in text.splitlines():
        if addr is None and out and _SEPARATOR.match(line):
            break
        m = _ADDR_LINE.match(line)
        if m:
            if addr:
                out.append((addr, fields.unfold(" ".join(lines))))
            addr, lines = m.group(1), [m.group(2)] if m.group(2) else []
            continue
        if addr is None:
            continue
        if _SEPARATOR.match(line):
            break
        if not line.strip() and any(x.strip() for x in lines):
            out.append((addr, fields.unfold(" ".join(lines))))
            addr, lines = None, []
            continue
        lines.append(line)
    if addr:
        out.append((addr, fields.unfold(" ".join(lines))))
    return out
