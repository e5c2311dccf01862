"""Verizon Wireless MMS gateway (vzwpix.com / vtext.com): "Message could not be delivered to
mobile." and "Error: ..."; the phone address is only in the "Original Message:" summary's To."""
from __future__ import annotations

import re
from email.message import Message

from bounced.model import Found

from . import _text

FORMAT = "verizon"
_ERROR = re.compile(r"^\s*Error:\s*(.+)$", re.M)
_TO = re.compile(r"^\s*To:\s*(.+)$", re.M)


def extract(msg: Message) -> list[Found] | None:
    if not _text.domain_is(_text.sender_domain(msg), "vzwpix.com", "vtext.com", "vzw.com", "verizon.net"):
        return None
    text = _text.body_text(msg)
    if "could not be delivered" not in text.lower():
        return None
    err = _ERROR.search(text)
    lead = text.strip().splitlines()[0] if text.strip() else ""
    diagnostic = _text.unfold(f"{lead} {err.group(1) if err else ''}")
    orig = text.find("Original Message")
    to = _TO.search(text, orig if orig >= 0 else 0)
    addrs = _text.ADDR_RE.findall(to.group(1)) if to else []
    return [Found(recipient=a.lower(), action="failed", diagnostic=diagnostic) for a in dict.fromkeys(addrs)]
