"""Google Groups: a post to a group the sender may not write to, or that does not exist.

Sent by mailer-daemon@googlemail.com like a Gmail notice, but the text is a localized letter
("the group you tried to contact (name) may not exist, or you may not have permission to post")
that names no SMTP error; the group address is only in ``X-Failed-Recipients``. The format
itself says the post was refused, so the reason is set: ``rejected``.
"""
from __future__ import annotations

from email.message import Message

from bounced import mime
from bounced.model import Found
from bounced.parse import fields

from . import _text

FORMAT = "googlegroups"
_MARKERS = ("groups.google.com", "Google Groups", "Google Group")


def extract(msg: Message) -> list[Found] | None:
    if not _text.domain_is(_text.sender_domain(msg), "googlemail.com", "google.com") or not _text.from_daemon(msg):
        return None
    failed = mime.header(msg, "X-Failed-Recipients")
    if not failed:
        return None
    text = _text.body_text(msg)
    if not any(m in text for m in _MARKERS):
        return None
    lines = [ln.strip() for ln in text.split("\n\n", 2)[1].splitlines()] if "\n\n" in text else []
    diagnostic = fields.unfold(" ".join(lines))[:500]
    return [
        Found(recipient=addr, action="failed", diagnostic=diagnostic, reason="rejected")
        for addr in dict.fromkeys(a.lower() for a in _text.ADDR_RE.findall(failed))
    ]
