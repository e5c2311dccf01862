"""Verizon Wireless gateways.

MMS (sysadmin@...vzwpix.com): "Message could not be delivered to mobile." and "Error: ..."; the
phone address is only in the "Original Message:" summary's To.
SMS (post_master@vtext.com): "Error: ..." then "Message details:" with indented "MAIL FROM:" and
"RCPT TO:" lines, and the reply as "550 - Requested action not taken: no such user here".
"""
from __future__ import annotations

import re
from email.message import Message

from bounced.model import Found
from bounced.parse import fields, smtp

from . import _text

FORMAT = "verizon"
_ERROR = re.compile(r"^[^\S\n]*Error:\s*(.+)$", re.M)
_TO = re.compile(r"^[^\S\n]*To:\s*(.+)$", re.M)
_RCPT_TO = re.compile(r"^[^\S\n]+RCPT TO:\s*<?(" + _text.ADDR + r")>?", re.M)
_DASH_REPLY = re.compile(r"^[^\S\n]*([245]\d\d) - (.+)$", re.M)


def extract(msg: Message) -> list[Found] | None:
    if not _text.domain_is(_text.sender_domain(msg), "vzwpix.com", "vtext.com", "vzw.com") \
            or not _text.from_daemon(msg):
        return None
    text = _text.all_text(msg)  # not cut: the recipient is in the quoted original's To:
    err = _ERROR.search(text)
    if "could not be delivered" not in text.lower() and not err:
        return None
    rcpts = _RCPT_TO.findall(text)
    if rcpts:  # SMS form
        reply = _DASH_REPLY.search(text)
        diagnostic = fields.unfold(f"{reply.group(1)} {reply.group(2)}" if reply else (err.group(1) if err else ""))
        status, code = smtp.codes(diagnostic)
        return [Found(recipient=a.lower(), action="failed", status=status, reply_code=code, diagnostic=diagnostic)
                for a in dict.fromkeys(rcpts)]
    lead = text.strip().splitlines()[0] if text.strip() else ""
    diagnostic = fields.unfold(f"{lead} {err.group(1) if err else ''}")
    orig = text.find("Original Message")
    to = _TO.search(text, orig if orig >= 0 else 0)
    addrs = _text.ADDR_RE.findall(to.group(1)) if to else []
    return [Found(recipient=a.lower(), action="failed", diagnostic=diagnostic) for a in dict.fromkeys(addrs)]
