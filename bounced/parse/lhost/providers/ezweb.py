"""au by KDDI mobile mail (ezweb.ne.jp, au.com) notices, Subject "Mail System Error - Returned
Mail".

Recipients appear as "<addr>" alone on a line, "<addr>: 550 user unknown (in reply to RCPT TO
command)", or "   Recipient: <addr>" followed by ">>> RCPT TO:<addr>" and "<<< 550 ..." lines.
The explanation is one of a few English sentences ("Each of the following recipients was
rejected by a remote mail server.", "Your message was not delivered within 0 days and 1 hours.
Remote host is not responding.", "The user(s) account is disabled."), possibly after Japanese
text; it is the diagnostic when the recipient has no reply of its own. The returned original
follows a dashed line, or starts directly with its Received header. ``X-SPASIGN: NG`` is au's
spam-filter verdict: the recipient's filter refused the mail (reason ``filtered``).
"""
from __future__ import annotations

import re
from email.message import Message

from bounced import mime
from bounced.model import Found
from bounced.parse import fields, smtp

from . import _text

FORMAT = "ezweb"
_SUBJECT = "Mail System Error - Returned Mail"
_RCPT = re.compile(r"^(?:\s*Recipient:\s*)?<(" + _text.ADDR + r")>:?\s*(.*)$")
_REPLY = re.compile(r"^\s*<<<\s*(.*)$")
_COMMAND = re.compile(r"^\s*>>>\s*")
_END = re.compile(r"^[^\S\n]*(-{5,}|Received:|Return-Path:|From:|Content-Type:)", re.M)
_ASCII_SENTENCE = re.compile(r"^[\x20-\x7e]*[A-Za-z]{3,}[\x20-\x7e]*$")


def _is_ezweb(msg: Message) -> bool:
    if _text.domain_is(_text.sender_domain(msg), "ezweb.ne.jp", "au.com"):
        return True
    if mime.header(msg, "Subject") != _SUBJECT:
        return False
    mid = mime.header(msg, "Message-ID").lower()
    received = _text.received(msg)
    return mid.endswith((".ezweb.ne.jp>", ".au.com>")) or any("(EZweb Mail)" in v for v in received)


def extract(msg: Message) -> list[Found] | None:
    if not _is_ezweb(msg) or _text.has_delivery_status(msg):
        return None
    text = _text.body_text(msg)
    end = _END.search(text)
    notice = text[:end.start() if end else len(text)]
    rcpts: dict[str, list[str]] = {}
    current: str | None = None
    sentences: list[str] = []
    for line in notice.splitlines():
        m = _RCPT.match(line)
        if m:
            current = m.group(1).lower()
            rcpts.setdefault(current, [])
            if m.group(2).strip():
                rcpts[current].append(m.group(2).strip())
            continue
        r = _REPLY.match(line)
        if r and current:
            rcpts[current].append(r.group(1))
        elif _COMMAND.match(line):
            continue
        elif _ASCII_SENTENCE.match(line.strip()):
            sentences.append(line.strip())
    common = fields.unfold(" ".join(sentences))
    reason = "filtered" if mime.header(msg, "X-SPASIGN").upper() == "NG" else None
    out = []
    for addr, own in rcpts.items():
        diagnostic = fields.unfold(" ".join(own)) or common
        status, reply = smtp.codes(diagnostic)
        out.append(Found(recipient=addr, action="failed", status=status, reply_code=reply, diagnostic=diagnostic,
                         reason=reason))
    return out
