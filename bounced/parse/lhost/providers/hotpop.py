"""HotPOP webmail notices: "Undeliverable Address: user@example.com" then "Reason: ..." text up
to "System Contact:"."""
from __future__ import annotations

import re
from email.message import Message

from bounced.model import Found
from bounced.parse import fields

from . import _text

FORMAT = "hotpop"
_ADDR = re.compile(r"^Undeliverable Address:\s*(" + _text.ADDR + r")\s*$", re.M)
_REASON = re.compile(r"^Reason:[ \t]*", re.M)
_REASON_END = re.compile(r"\n[ \t]*\n|\nSystem Contact:")


def extract(msg: Message) -> list[Found] | None:
    if not _text.domain_is(_text.sender_domain(msg), "hotpop.com") or not _text.from_daemon(msg):
        return None
    text = _text.body_text(msg)
    addrs = _ADDR.findall(text)
    if not addrs:
        return None
    m = _REASON.search(text)
    diagnostic = ""
    if m:
        end = _REASON_END.search(text, m.end())
        diagnostic = fields.unfold(text[m.end():end.start() if end else m.end() + 1000])
    return [Found(recipient=a.lower(), action="failed", diagnostic=diagnostic) for a in dict.fromkeys(addrs)]
