"""newmail.ru notices: bilingual (English, then Russian) qmail-like text.

"Unfortunately, we were not able to deliver your message to the following address(es):" then
"<addr>:" and the error text, until "--- Below the next line is a copy of the message."
"""
from __future__ import annotations

from email.message import Message

from bounced.model import Found
from bounced.parse import smtp

from . import _blocks, _text

FORMAT = "newmailru"
_PHRASE = "we were not able to deliver your message to the following address"


def extract(msg: Message) -> list[Found] | None:
    if not _text.domain_is(_text.sender_domain(msg), "newmail.ru") or not _text.from_daemon(msg):
        return None
    text = _text.body_text(msg)
    if _PHRASE not in text:
        return None
    out = []
    for addr, error in _blocks.address_blocks(text):
        status, reply = smtp.codes(error)
        out.append(Found(recipient=addr.lower(), action="failed", status=status, reply_code=reply, diagnostic=error))
    return out
