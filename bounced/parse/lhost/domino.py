"""Lotus/HCL Domino and the older Lotus Notes SMTP MTA.

Domino::

    Your message
      Subject: ...
    was not delivered to:
      user@example.com
    because:
      User some.name (user@example.com) not listed in Domino Directory

Notes (the reason comes before the address, often in the site's language and charset)::

    ------- Failure Reasons  --------
    User not listed in public Name & Address Book
    user@example.com
    ------- Returned Message --------

Quirks: no SMTP codes unless a remote server answered; the subject repeats the reason
("DELIVERY FAILURE: User ... not listed in Domino Directory") and is a fallback diagnostic.
"""
from __future__ import annotations

import re
from email.message import Message

from bounced import mime
from bounced.model import Found
from bounced.parse.lhost import _common as c
from bounced.parse.sniff import Caseless

FORMAT = "domino"

_NOT_DELIVERED = re.compile(r"^[^\S\n]*was not delivered to:?\s*$", re.I | re.M)
_BECAUSE = re.compile(r"^[^\S\n]*because:?\s*$", re.I | re.M)
_NOTES_START = Caseless(r"^-+\s*failure reasons\s*-+\s*$", re.M)
_NOTES_END = Caseless(r"^-+\s*returned message\s*-+\s*$", re.M)
_TO = re.compile(r"^To:[ \t]*([^\n]*)", re.M | re.I)
_SUBJECT_REASON = re.compile(r"^DELIVERY[ _]FAILURE:\s*(.*)$", re.I)


def extract(msg: Message) -> list[Found] | None:
    if not c.looks_like_bounce(msg) or c.has_dsn_recipients(msg):
        return None
    whole = c.raw_report_text(msg)
    subject = mime.header(msg, "Subject")
    blocks = list(_NOT_DELIVERED.finditer(whole))
    if blocks:
        out: list[Found] = []
        s = _SUBJECT_REASON.match(subject)
        for i, m in enumerate(blocks):
            end = blocks[i + 1].start() if i + 1 < len(blocks) else len(whole)
            b = _BECAUSE.search(whole, m.end(), end)
            rcpt_text = whole[m.end(): b.start() if b else end]
            reason = _paragraph(whole[b.end():end]) if b else ""
            out.extend(c.found(a, reason or (s.group(1) if s else "")) for a in c.addresses(rcpt_text))
        return c.dedupe(out) or None
    n = _NOTES_START.search(whole)
    if n:
        e = _NOTES_END.search(whole, n.end())
        section = whole[n.end(): e.start() if e else len(whole)]
        rcpts: list[str] = []
        reasons: list[str] = []
        for line in section.split("\n"):
            s = line.strip()
            if not s:
                continue
            m = c.ADDR.match(s.lstrip("<"))
            if m:
                rcpts.append(m.group(1))
            elif not s.startswith("-"):
                reasons.append(s)
        if not rcpts and e:
            # no address among the reasons: the returned message's To: names the recipient
            to = _TO.search(whole, e.end())
            rcpts = c.addresses(to.group(1))[:1] if to else []
        return c.dedupe(c.found(a, " ".join(reasons)) for a in rcpts) or None
    return None


def _paragraph(text: str) -> str:
    """The first paragraph of text, unfolded."""
    para: list[str] = []
    for line in text.split("\n"):
        if not line.strip():
            if para:
                break
            continue
        para.append(line.strip())
    return " ".join(para)
