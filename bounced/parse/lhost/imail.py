"""Ipswitch IMail Server (X-Mailer ``<SMTP32 v...>``).

Layout::

    Unknown user: user@example.com
    RCPT TO generated following response:
    553 5.3.0 <user@example.com>... Addressee unknown

    Original message follows.

Quirks: each recipient line starts with IMail's own reason ("Unknown user", "Delivery failed
20 attempts", "undeliverable to", "Invalid final delivery userid", "User mailbox exceeds
allowed size"), which is part of the diagnostic; a remote server's reply may follow on the
next lines.
"""
from __future__ import annotations

import re
from email.message import Message

from bounced import mime
from bounced.model import Found
from bounced.parse.lhost import _common as c

FORMAT = "imail"

_LINE = re.compile(r"^\s*([A-Za-z][\w ,'-]{2,60}?)\s*(?::|\bto)\s+<?(" + c.ADDR_PAT + r")>?\s*$")
_END = re.compile(r"^\s*Original message follows", re.I)
_DELAY = re.compile(r"will (?:continue|retry)|delayed|not yet", re.I)


def extract(msg: Message) -> list[Found] | None:
    if "SMTP32" not in mime.header(msg, "X-Mailer") or c.has_dsn_recipients(msg):
        return None
    text = c.raw_report_text(msg)
    out: list[tuple[str, list[str]]] = []
    for line in text.split("\n"):
        if _END.match(line):
            break
        m = _LINE.match(line)
        if m:
            out.append((m.group(2), [m.group(1)]))
        elif out and line.strip():
            out[-1][1].append(line.strip())
    return c.dedupe(
        c.found(a, " ".join(d), action="delayed" if _DELAY.search(" ".join(d)) else "failed") for a, d in out
    ) or None
