"""1&1 / IONOS (mailer-daemon@kundenserver.de): Exim notices with "For the following reason:"
before the text, or the remote reply on the same line ("SMTP error from remote server for
TEXT command, host: ... reason: 550 5.2.0 ..."), ended by the original header marker."""
from __future__ import annotations

import re
from email.message import Message

from bounced.model import Found

from . import _exim, _text

FORMAT = "einsundeins"
_REASON = re.compile(r"^.*?\breason:\s*", re.I)


def extract(msg: Message) -> list[Found] | None:
    domain = _text.sender_domain(msg)
    if not (_text.domain_is(domain, "kundenserver.de", "ionos.com", "ionos.de", "1and1.com", "1und1.de")
            or (domain.startswith("kundenserver.") and "mailer-daemon" in _text.sender(msg))):
        return None
    if not _text.from_daemon(msg) or _text.has_delivery_status(msg):
        return None
    text = _text.body_text(msg)
    if "could not be delivered" not in text:
        return None
    out = []
    for f in _exim.extract_blocks(text):
        diag = f.diagnostic
        if " reason: " in diag:
            diag = _REASON.sub("", diag)
        status, reply = _text.codes(diag)
        out.append(Found(recipient=f.recipient, action="failed", status=status, reply_code=reply,
                         diagnostic=diag, remote_mta=f.remote_mta))
    return out
