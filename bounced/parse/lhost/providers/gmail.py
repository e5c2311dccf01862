"""Gmail and Google Workspace plain-text notices (before Google moved to RFC 3464 reports).

"Delivery to the following recipient(s) failed permanently:" or "... has been delayed:",
then the indented addresses, then "Technical details of permanent/temporary failure:" with
Google's own sentence around the remote server's reply, e.g. "The error that the other server
returned was: 550 550 5.1.1 user unknown (state 14)." The reply code is repeated and a
"(state N)" of Google's SMTP client is appended; both are dropped from the diagnostic. When no
remote reply exists (connection or DNS failures) Google's own sentence is the diagnostic.
"""
from __future__ import annotations

import re
from email.message import Message

from bounced.model import Found
from bounced.parse import fields, smtp

from . import _text

FORMAT = "gmail"
_START = re.compile(r"^[^\S\n]*Delivery to the following recipients? (failed permanently|has been delayed|failed)", re.M)
_END = re.compile(r"^[^\S\n]*-{3,}\s*(Original message|Message header follows)", re.M)
_DETAILS = re.compile(r"Technical details of (permanent|temporary) failure:\s*", re.I)
_RETURNED = re.compile(r"The error that the other server returned was:\s*", re.I)
_BY_HOST = re.compile(r"rejected by the server for the recipient domain \S+ by ([A-Za-z0-9.-]+?)\.? \[")
_STATE = re.compile(r"(?<!\s)\s*\(state \d+\)\.?\s*$")
_DOUBLE_CODE = re.compile(r"^([245]\d\d) \1 ")


def extract(msg: Message) -> list[Found] | None:
    if not _text.domain_is(_text.sender_domain(msg), "googlemail.com", "google.com", "gmail.com") \
            or not _text.from_daemon(msg):
        return None
    if _text.has_delivery_status(msg):
        return None
    text = _text.body_text(msg)
    start = _START.search(text)
    if not start:
        return None
    end = _END.search(text, start.end())
    block = text[start.end():end.start() if end else len(text)]
    action = "delayed" if start.group(1) == "has been delayed" else "failed"
    details = _DETAILS.search(block)
    head = block[:details.start()] if details else block
    recipients: list[str] = []
    for line in head.splitlines():
        s = line.strip()
        if s and " " not in s and "@" in s:
            addr = _text.first_addr(s)
            if addr and addr.lower() not in recipients:
                recipients.append(addr.lower())
    diagnostic = ""
    remote = None
    if details:
        body = fields.unfold(block[details.end():])
        body = re.split(r"(?<!\s)\s*Message will be retried", body)[0]
        returned = _RETURNED.search(body)
        host = _BY_HOST.search(body)
        if host:
            remote = host.group(1)
        if returned:
            diagnostic = _DOUBLE_CODE.sub(r"\1 ", body[returned.end():])
            diagnostic = _STATE.sub("", diagnostic)
        else:
            diagnostic = body
    if not diagnostic:
        diagnostic = fields.unfold(start.group(0))
    status, reply = smtp.codes(diagnostic)
    return [
        Found(recipient=r, action=action, status=status, reply_code=reply, diagnostic=diagnostic, remote_mta=remote)
        for r in recipients
    ]
