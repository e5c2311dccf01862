"""McAfee Email Gateway / Email and Web Security appliance ("Subject: Delivery Status").

Layout: a text part (sometimes marked as an attachment, "deliveryproblems.txt")::

        --- The following addresses had delivery problems ---

    <user@example.com>   (User unknown user@example.com)

and a message/delivery-status part ("deliverystatus.txt") that has no Final-Recipient, only
``Original-Recipient: <user@example.com>`` (no address type) with the remote server's reply in
Diagnostic-Code. Quirks: the parenthesised reason in the text drops the SMTP codes, so the
Diagnostic-Code of the matching Original-Recipient is the better diagnostic.
"""
from __future__ import annotations

import re
from email.message import Message

from bounced import mime
from bounced.model import Found
from bounced.parse.lhost import _common as c

FORMAT = "mcafee"

_MARKER = re.compile(r"(?<!-)-{2,}\s*The following addresses had delivery problems\s*-{2,}", re.I)
_LINE = re.compile(r"^[ \t]*<(" + c.ADDR_PAT + r")>[ \t]+\((.*)\)[ \t]*$", re.M)
_ORIGINAL = re.compile(r"^Original-Recipient:[ \t]*(?:rfc822;[ \t]*)?<?(" + c.ADDR_PAT + r")>?", re.I | re.M)
_DIAG = re.compile(r"^Diagnostic-Code:[ \t]*(?:smtp;[ \t]*)?(.*(?:\n[ \t]+.*)*)", re.I | re.M)
_REMOTE = re.compile(r"^Remote-MTA:[ \t]*(?:dns;[ \t]*)?([\w.:-]+)", re.I | re.M)


def extract(msg: Message) -> list[Found] | None:
    if not (msg.get("X-NAI-Header") is not None or mime.header(msg, "Subject") == "Delivery Status"):
        return None
    if c.has_dsn_recipients(msg):
        return None
    text = c.report_text(msg)
    if not _MARKER.search(text):
        return None
    fields: dict[str, tuple[str, str | None]] = {}
    for part in msg.walk():
        if part.get_content_type() != "message/delivery-status":
            continue
        for block in c.status_blocks(part):
            o = _ORIGINAL.search(block)
            d = _DIAG.search(block)
            if o and d:
                r = _REMOTE.search(block)
                fields[o.group(1).lower()] = (d.group(1), r.group(1) if r else None)
    out: list[Found] = []
    for m in _LINE.finditer(text):
        diag, remote = fields.get(m.group(1).lower(), (m.group(2), None))
        out.append(c.found(m.group(1), diag, remote_mta=remote))
    return c.dedupe(out) or None
