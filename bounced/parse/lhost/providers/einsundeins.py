"""1&1 / IONOS (mailer-daemon@kundenserver.de): Exim notices with "For the following reason:"
before the text, or the remote reply on the same line ("SMTP error from remote server for
TEXT command, host: ... reason: 550 5.2.0 ..."), ended by "--- The header of the original message is following. ---". That marker, with
Exim's subject, identifies 1&1 even when the sender's domain is a customer's."""
from __future__ import annotations

import re
from email.message import Message

from bounced import mime
from bounced.model import Found
from bounced.parse import smtp

from . import _exim, _text, gmx

FORMAT = "einsundeins"
# United Internet's own end-of-notice line (GMX, claimed earlier by domain, uses it too)
_MARKER = "--- The header of the original message is following. ---"
_REASON = re.compile(r"^.*?\breason:\s*", re.I)


def extract(msg: Message) -> list[Found] | None:
    domain = _text.sender_domain(msg)
    if not _text.from_daemon(msg) or _text.has_delivery_status(msg) or _text.domain_is(domain, *gmx.DOMAINS) \
            or msg.get("X-GMX-Antispam") is not None:
        return None
    ours = _text.domain_is(domain, "kundenserver.de", "ionos.com", "ionos.de", "1and1.com", "1und1.de") \
        or domain.startswith("kundenserver.")
    if not ours and mime.header(msg, "Subject") != "Mail delivery failed: returning message to sender":
        return None
    text = _text.body_text(msg)
    if "could not be delivered" not in text or not (ours or _MARKER in text):
        return None
    out = []
    for f in _exim.extract_blocks(text):
        diag = f.diagnostic
        if " reason: " in diag:
            diag = _REASON.sub("", diag)
        status, reply = smtp.codes(diag)
        out.append(_text.found(recipient=f.recipient, action=f.action, status=status, reply_code=reply,
                               diagnostic=diag, remote_mta=f.remote_mta, command=getattr(f, "command", None)))
    return out
