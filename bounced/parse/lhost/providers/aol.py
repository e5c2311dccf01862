"""AOL's own notices from the time before it ran on Yahoo's mail system.

"Your mail to the following recipients could not be delivered because they are not accepting
mail from <sender>:" followed by tab-indented AOL screen names without a domain; the domain is
the sender's (aol.com).
"""
from __future__ import annotations

import re
from email.message import Message

from bounced.model import Found
from bounced.parse import fields

from . import _text

FORMAT = "aol"
_START = re.compile(r"^Your mail to the following recipients could not be delivered(?: because (.*?))?:?\s*$", re.M)
_NAME = re.compile(r"^\s+([A-Za-z0-9._+-]+(?:@[A-Za-z0-9.-]+)?)\s*$")


def extract(msg: Message) -> list[Found] | None:
    domain = _text.sender_domain(msg)
    if not _text.domain_is(domain, "aol.com") or not _text.from_daemon(msg):
        return None
    text = _text.body_text(msg)
    start = _START.search(text)
    if not start:
        return None
    diagnostic = fields.unfold(start.group(0).rstrip(":"))
    out: list[Found] = []
    for line in text[start.end():].splitlines()[:200]:
        if not line.strip():
            if out:
                break
            continue
        m = _NAME.match(line)
        if not m:
            break
        name = m.group(1)
        out.append(Found(recipient=(name if "@" in name else f"{name}@aol.com").lower(), action="failed",
                         diagnostic=diagnostic))
    return out
