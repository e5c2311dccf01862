"""Facebook's mail servers (Facebook <mailer-daemon@mx.facebook.com>, Subject "Sorry, your
message could not be delivered") when the RFC 3464 fields arrive inline in a text part rather
than in a delivery-status part. The diagnostic ends with Facebook's response code such as
"RCP-P2" (documented on Facebook's postmaster pages); it is kept for the classifier.
"""
from __future__ import annotations

from email.message import Message

from bounced import mime
from bounced.model import Found
from bounced.parse import fields, smtp

from . import _text

FORMAT = "facebook"


def extract(msg: Message) -> list[Found] | None:
    if not _text.domain_is(_text.sender_domain(msg), "facebook.com", "facebookmail.com") or not _text.from_daemon(msg):
        return None
    if mime.header(msg, "Subject") != "Sorry, your message could not be delivered" or _text.has_delivery_status(msg):
        return None
    text = _text.all_text(msg)
    out = []
    for g in fields.dsn_fields(text):
        rcpt = fields.typed_value(g.get("final-recipient", ""))
        if "@" not in rcpt:
            continue
        diagnostic = fields.unfold(fields.typed_value(g.get("diagnostic-code", "")))
        status, reply = smtp.better_status(g.get("status"), diagnostic), smtp.codes(diagnostic)[1]
        out.append(Found(recipient=rcpt.lower(), action=(g.get("action") or "failed").lower(), status=status,
                         reply_code=reply, diagnostic=diagnostic,
                         remote_mta=fields.typed_value(g["remote-mta"]) if g.get("remote-mta") else None))
    return out
