"""Amazon WorkMail: a multipart/mixed notice (X-Mailer: Amazon WorkMail, sent through SES)
whose text/plain part lists the recipients and then a "Technical report:" with RFC 3464 fields
written as plain text, followed by the original's text, HTML and a TNEF attachment. When WorkMail
gives up it quotes the last remote reply at the end ("...in 840 minutes.<421 4.4.2 Connection
timed out>"); that reply's codes are reported."""
from __future__ import annotations

from email.message import Message

from bounced import mime
from bounced.model import Found
from bounced.parse import fields, smtp

from . import _text

FORMAT = "amazonworkmail"
_START = "An error occurred while trying to deliver the mail to the following recipients"


def extract(msg: Message) -> list[Found] | None:
    if not mime.header(msg, "X-Mailer").startswith("Amazon WorkMail"):
        return None
    if _text.has_delivery_status(msg):
        return None
    text = _text.body_text(msg)
    start = text.find(_START)
    if start < 0:
        return None
    out = []
    for g in fields.dsn_fields(text[start:]):
        rcpt = fields.typed_value(g.get("final-recipient", ""))
        if "@" not in rcpt:
            continue
        diagnostic = fields.unfold(fields.typed_value(g.get("diagnostic-code", "")))
        status = smtp.better_status(g.get("status"), diagnostic)
        reply = smtp.codes(diagnostic)[1]
        inner = smtp.last_attempt_codes(diagnostic)
        if inner:
            status, reply = inner
        out.append(Found(recipient=rcpt.lower(), action=(g.get("action") or "failed").lower(), status=status,
                         reply_code=reply, diagnostic=diagnostic))
    if not out:
        # the recipient list alone, one address a line, up to "Technical report:"
        head = text[start + len(_START):].split("Technical report", 1)[0]
        out = [Found(recipient=a.lower(), action="failed") for a in dict.fromkeys(_text.ADDR_RE.findall(head))]
    return out
