"""Yahoo! Mail (and Yahoo! JAPAN, AOL after the merger) plain-text notices.

Current form: "Sorry, we were unable to deliver your message to the following address." then
"<addr>:" and "Remote host said: 550 5.1.1 ... [RCPT_TO]" (the bracket names the SMTP command),
or "550: 5.1.1 ..." with a colon after the reply code. The older form starts "Message from
yahoo.com. Unable to deliver message to the following address(es)." with the qmail-like
"<addr>:" blocks. Yahoo's wording is recognised even when relayed by another host (the same
notice arrives from Amazon SES relays), so the body phrase is the key, not only the From.
"""
from __future__ import annotations

import re
from email.message import Message

from bounced import mime
from bounced.model import Found

from . import _blocks, _text

FORMAT = "yahoo"
_PHRASES = (
    "Sorry, we were unable to deliver your message to the following address",
    "Unable to deliver message to the following address(es)",
)
# ISPs whose mail Yahoo ran and whose notices use Yahoo's older wording
_PARTNERS = ("sbcglobal.net", "att.net", "bellsouth.net", "pacbell.net", "swbell.net", "ameritech.net",
             "flash.net", "nvbell.net", "wans.net", "snet.net", "prodigy.net", "rogers.com", "btinternet.com",
             "ymail.com", "rocketmail.com")
_COMMAND = re.compile(r"\s*\[(RCPT_TO|MAIL_FROM|DATA|CONNECT|EHLO|HELO)\]\s*$")
_SAID = re.compile(r"^Remote host said:\s*")
_COLON_CODE = re.compile(r"^([245]\d\d):\s*:?\s*")


def extract(msg: Message) -> list[Found] | None:
    domain = _text.sender_domain(msg)
    yahoo = any(k.lower().startswith("x-yahoo") for k in msg.keys()) or _text.domain_is(domain, *_PARTNERS) \
        or "yahoo" in domain
    if not (yahoo or mime.header(msg, "Subject").lower() == "failure notice"):
        return None
    text = _text.body_text(msg)
    phrase = _PHRASES[0] if _PHRASES[0] in text else (_PHRASES[1] if yahoo and _PHRASES[1] in text else None)
    if phrase is None:
        return None
    out: list[Found] = []
    for addr, error in _blocks.address_blocks(text[text.index(phrase):]):
        diagnostic = _COMMAND.sub("", _SAID.sub("", error))
        reply = None
        m = _COLON_CODE.match(diagnostic)
        if m:
            reply = m.group(1)
            diagnostic = reply + " " + diagnostic[m.end():]
        status, found_reply = _text.codes(diagnostic)
        out.append(Found(recipient=addr.lower(), action="failed", status=status,
                         reply_code=reply or found_reply, diagnostic=diagnostic))
    return out
