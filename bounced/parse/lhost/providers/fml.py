"""fml, the Japanese mailing-list manager (X-MLServer: fml ...), refusing a post.

Not a delivery failure but a list's answer: "You are not a member of this mailing list <list>."
(reason ``rejected``) or "Duplicated Message-ID in <list>." / loop alerts (``system_error``).
The address in angle brackets is the list that refused the mail; that is what bounced.
"""
from __future__ import annotations

import re
from email.message import Message

from bounced import mime
from bounced.model import Found
from bounced.parse import fields

from . import _text

FORMAT = "fml"
_RULES = (
    (re.compile(r"are not a member|are not member|not member|reject(?:ed)? (?:mail|post)|not permitted to post", re.I),
     "rejected"),
    (re.compile(r"Duplicated Message-ID|Loop Alert", re.I), "system_error"),
    (re.compile(r"Security Alert|Security Warning", re.I), "security_error"),
)
_ADDR = re.compile(r"<(" + _text.ADDR + r")>")


def extract(msg: Message) -> list[Found] | None:
    if not mime.header(msg, "X-MLServer").lower().startswith("fml"):
        return None
    local = _text.sender(msg).partition("@")[0]
    if not (local.endswith(("-admin", "-ctl", "-request", "-owner")) or local in ("fml", "fmlserv")):
        return None  # an ordinary post to the list carries X-MLServer too
    subject = mime.header(msg, "Subject")
    text = _text.body_text(msg)
    first = "\n".join(text.strip().splitlines()[:3])
    reason = next((r for rx, r in _RULES if rx.search(subject) or rx.search(first)), None)
    if reason is None:
        return None
    m = _ADDR.search(first)
    if not m:
        return []
    diagnostic = fields.unfold(first.splitlines()[0])
    return [Found(recipient=m.group(1).lower(), action="failed", diagnostic=diagnostic, reason=reason)]
