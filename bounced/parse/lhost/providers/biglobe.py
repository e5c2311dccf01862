"""BIGLOBE (and the Japanese cable ISPs on its platform: inacatv, tmtv, ttv) notices.

From postmaster@<isp>.ne.jp, Subject "Returned mail: ...". The text has two sections:
"----- The following addresses had delivery problems -----" with one address a line, and
"----- Non-delivered information -----" with the explanation (no SMTP reply), e.g. "The number
of messages in recipient's mailbox exceeded the local limit."
"""
from __future__ import annotations

import re
from email.message import Message

from bounced import mime
from bounced.model import Found
from bounced.parse import fields, smtp

from . import _text

FORMAT = "biglobe"
_DOMAINS = ("biglobe.ne.jp", "inacatv.ne.jp", "tmtv.ne.jp", "ttv.ne.jp")
_PROBLEMS = re.compile(r"^[^\S\n]*-{3,}\s*The following addresses had delivery problems\s*-{3,}\s*$", re.M)
_INFO = re.compile(r"^[^\S\n]*-{3,}\s*Non-delivered information\s*-{3,}\s*$", re.M)
_BOUNDARY = re.compile(r"^[^\S\n]*--", re.M)


def extract(msg: Message) -> list[Found] | None:
    if not _text.domain_is(_text.sender_domain(msg), *_DOMAINS) or not _text.from_daemon(msg):
        return None
    if not mime.header(msg, "Subject").startswith("Returned mail"):
        return None
    text = _text.body_text(msg)
    problems = _PROBLEMS.search(text)
    if not problems:
        return None
    info = _INFO.search(text, problems.end())
    head = text[problems.end():info.start() if info else len(text)]
    diagnostic = ""
    if info:
        rest = text[info.end():]
        end = _BOUNDARY.search(rest)
        diagnostic = fields.unfold(rest[:end.start() if end else len(rest)])
    status, reply = smtp.codes(diagnostic)
    addrs = [ln.strip() for ln in head.splitlines() if _text.ADDR_RE.fullmatch(ln.strip())]
    return [Found(recipient=a.lower(), action="failed", status=status, reply_code=reply, diagnostic=diagnostic)
            for a in dict.fromkeys(addrs)]
