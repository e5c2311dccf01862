"""Sina Mail (sina.com) notices: a Chinese text, then "<addr>:" lines, often with no error
text at all; the returned original is announced by "--- 附件中的内容是原信件的一份拷贝"."""
from __future__ import annotations

from email.message import Message

from bounced import mime
from bounced.model import Found
from bounced.parse import fields

from . import _blocks, _text

FORMAT = "sina"


def extract(msg: Message) -> list[Found] | None:
    if not (_text.domain_is(_text.sender_domain(msg), "sina.com", "sina.com.cn")
            or mime.header(msg, "X-Mailer").startswith("SinaMail")) or not _text.from_daemon(msg):
        return None
    text = _text.body_text(msg)
    blocks = _blocks.address_blocks(text)
    if not blocks:
        return None
    lead = fields.unfold(text.split("<", 1)[0])[:300]
    return [Found(recipient=a.lower(), action="failed", diagnostic=e or lead) for a, e in blocks]
