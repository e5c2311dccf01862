"""au by KDDI mobile mail (ezweb.ne.jp) notices, Subject "Mail System Error - Returned Mail".

Recipients stand alone on a line in angle brackets, before or after the explanation ("Each of
the following recipients was rejected by a remote mail server.", "Your message was not
delivered within 0 days and 1 hours. Remote host is not responding.", "The user(s) account is
disabled."); Japanese text may precede it. The returned original follows a dashed line, or
starts directly with its Received header.
"""
from __future__ import annotations

import re
from email.message import Message

from bounced.model import Found

from . import _text

FORMAT = "ezweb"
_ALONE = re.compile(r"^\s*<(" + _text.ADDR + r")>\s*$")
_END = re.compile(r"^\s*(-{5,}|Received:|Return-Path:|From:)", re.M)
_ASCII_SENTENCE = re.compile(r"^[\x20-\x7e]*[A-Za-z]{3,}[\x20-\x7e]*$")


def extract(msg: Message) -> list[Found] | None:
    if not _text.domain_is(_text.sender_domain(msg), "ezweb.ne.jp", "au.com"):
        return None
    if _text.has_delivery_status(msg):
        return None
    text = _text.body_text(msg)
    end = _END.search(text)
    notice = text[:end.start() if end else len(text)]
    addrs: list[str] = []
    sentences: list[str] = []
    for line in notice.splitlines():
        m = _ALONE.match(line)
        if m:
            addrs.append(m.group(1).lower())
        elif _ASCII_SENTENCE.match(line.strip()):
            sentences.append(line.strip())
    diagnostic = _text.unfold(" ".join(sentences))
    status, reply = _text.codes(diagnostic)
    delayed = "not delivered within" in diagnostic and "will" in diagnostic.lower() and "retr" in diagnostic.lower()
    return [Found(recipient=a, action="delayed" if delayed else "failed", status=status, reply_code=reply,
                  diagnostic=diagnostic) for a in dict.fromkeys(addrs)]
