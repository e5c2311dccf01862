"""KDDI (au one net, dion.ne.jp) notices, also recognised by Reply-To no-reply@app.auone-net.jp
or an au Received header: "Your mail sent on: <date>" / "Could not be
delivered to: <addr>" / "As their mailbox is full." (or another reason on that line)."""
from __future__ import annotations

import re
from email.message import Message

from bounced import mime
from bounced.model import Found
from bounced.parse import fields, smtp

from . import _text

FORMAT = "kddi"
_RCPT = re.compile(r"Could not be delivered to:\s*<?(" + _text.ADDR + r")>?", re.I)
_AS = re.compile(r"^\s*(As their .*?|.*?)\s*$", re.M)


def extract(msg: Message) -> list[Found] | None:
    domain = _text.sender_domain(msg)
    received = _text.received(msg)
    if not (_text.domain_is(domain, "dion.ne.jp", "auone-net.jp", "au.com", "kddi.com")
            or "auone-net.jp" in mime.header(msg, "Reply-To")
            or any("auone-net.jp" in v or "ezweb.ne.jp (" in v or ".au.com (" in v for v in received)):
        return None
    text = _text.body_text(msg)
    # X-SPASIGN: NG is au's spam filter verdict: the recipient's filter refused the mail
    reason = "filtered" if mime.header(msg, "X-SPASIGN").upper() == "NG" else None
    out = []
    for m in _RCPT.finditer(text):
        stop = text.find("\n\n", m.end())
        nxt = text.find("Could not be delivered", m.end())
        ends = [e for e in (stop, nxt) if e >= 0]
        rest = text[m.end():min(ends) if ends else m.end() + 1000][:1000]
        diagnostic = fields.unfold(rest.lstrip(" \t>"))
        status, reply = smtp.codes(diagnostic)
        out.append(Found(recipient=m.group(1).lower(), action="failed", status=status, reply_code=reply,
                         diagnostic=diagnostic, reason=reason))
    return out if out else None
