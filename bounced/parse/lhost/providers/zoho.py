"""Zoho Mail notices (mailer-daemon@mail.zoho.com, X-ZohoMail).

Failures: "user@example.org Invalid Address, ERROR_CODE :550, ERROR_CODE :Requested action not
taken: mailbox unavailable" on one line after the preamble. Delays: "[Status: Error, Address:
<user@example.org>, ResponseCode 421, , Host not reachable.]" with "THIS IS A WARNING MESSAGE
ONLY". The returned headers follow without a separator, so only lines before them are read.
Some notices keep quoted-printable soft line breaks ("ERROR_CODE :5.1.=" / "1 <user@...") in a
body not declared quoted-printable; they are joined first.
"""
from __future__ import annotations

import re
from email.message import Message

from bounced.model import Found
from bounced.parse import fields, smtp

from . import _text

FORMAT = "zoho"
_FAIL = re.compile(r"^[^\S\n]*(" + _text.ADDR + r")\s+(.*ERROR_CODE.*)$", re.M)
_DELAY = re.compile(r"\[Status:\s*\w+,\s*Address:\s*<?(" + _text.ADDR + r")>?,\s*ResponseCode\s*(\d{3})?,?([^\]\n]{0,500})\]")
_ORIGINAL = re.compile(r"^Received:\s*from", re.M | re.I)


def extract(msg: Message) -> list[Found] | None:
    if not (_text.domain_is(_text.sender_domain(msg), "zoho.com", "zohomail.com", "zoho.eu", "zoho.in")
            or msg.get("X-ZohoMail") is not None) or not _text.from_daemon(msg):
        return None
    if _text.has_delivery_status(msg):
        return None
    text = _text.body_text(msg)
    if "=\n" in text or "= " in text or "=\t" in text:
        # quoted-printable soft breaks left in a body not declared as such (blanks a relay
        # padded the line with are transport padding, RFC 2045 6.7 (3))
        text = re.sub(r"=[ \t]*\n", "", text).replace("=20", " ")
    cut = _ORIGINAL.search(text)
    if cut:
        text = text[:cut.start()]
    delayed = "WARNING MESSAGE ONLY" in text
    out: list[Found] = []
    for m in _FAIL.finditer(text):
        parts = [p.strip(" ,:") for p in re.split(r"(?:,|(?<![\s,]))\s*ERROR_CODE\s*:", m.group(2))]
        reply = next((p for p in parts if re.fullmatch(r"[245]\d\d", p)), None)
        diagnostic = fields.unfold(" ".join(p for p in parts if p and p != reply))
        if reply:
            diagnostic = f"{reply} {diagnostic}"
        status, found_reply = smtp.codes(diagnostic)
        out.append(Found(recipient=m.group(1).lower(), action="delayed" if delayed else "failed", status=status,
                         reply_code=reply or found_reply, diagnostic=diagnostic))
    for m in _DELAY.finditer(text):
        reply = m.group(2)
        diagnostic = fields.unfold(" ".join(x for x in (reply, m.group(3).strip(" ,")) if x))
        status, _ = smtp.codes(diagnostic)
        out.append(Found(recipient=m.group(1).lower(), action="delayed" if delayed else "failed", status=status,
                         reply_code=reply, diagnostic=diagnostic))
    return out if out or "mail delivery" in text.lower() else None
