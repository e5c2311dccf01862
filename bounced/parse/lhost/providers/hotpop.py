"""HotPOP webmail notices: "Undeliverable Address: user@example.com" then "Reason: ..." text up
to "System Contact:"."""
from __future__ import annotations

import re
from email.message import Message

from bounced.model import Found

from . import _text

FORMAT = "hotpop"
_ADDR = re.compile(r"^Undeliverable Address:\s*(" + _text.ADDR + r")\s*$", re.M)
_REASON = re.compile(r"^Reason:\s*(.*?)(?:^\s*$|^System Contact:)", re.M | re.S)


def extract(msg: Message) -> list[Found] | None:
    if not _text.domain_is(_text.sender_domain(msg), "hotpop.com") or not _text.from_daemon(msg):
        return None
    text = _text.body_text(msg)
    addrs = _ADDR.findall(text)
    if not addrs:
        return None
    m = _REASON.search(text)
    diagnostic = _text.unfold(m.group(1)) if m else ""
    return [Found(recipient=a.lower(), action="failed", diagnostic=diagnostic) for a in dict.fromkeys(addrs)]
