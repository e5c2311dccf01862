"""Active!hunter (a Japanese mail filter): multipart/report without a delivery-status part,
recognised by its MIME boundary ("Active!Hunter"); the text is sendmail-like:
">>> user@example.org <user@example.org>" under "----- The following addresses had permanent
fatal errors -----", then "----- Transcript of session follows -----" and the remote reply."""
from __future__ import annotations

import re
from email.message import Message

from bounced.model import Found
from bounced.parse import fields, smtp

from . import _text

FORMAT = "activehunter"
_RCPT = re.compile(r"^>>>\s*(" + _text.ADDR + r")", re.M)
_TRANSCRIPT = re.compile(r"(?<!-)-{3,}\s*Transcript of session follows\s*-{3,}\s*\n(.*?)(?:\n\s*\n|\Z)", re.S)


def extract(msg: Message) -> list[Found] | None:
    if "active!hunter" not in (msg.get_boundary() or "").lower():
        return None
    text = _text.body_text(msg)
    t = _TRANSCRIPT.search(text)
    diagnostic = fields.unfold(t.group(1)) if t else ""
    status, reply = smtp.codes(diagnostic)
    if not status:
        m = re.search(r"#([245]\.\d{1,3}\.\d{1,3})", diagnostic)
        status = m.group(1) if m else None
    return [Found(recipient=a.lower(), action="failed", status=status, reply_code=reply, diagnostic=diagnostic)
            for a in dict.fromkeys(_RCPT.findall(text))]
