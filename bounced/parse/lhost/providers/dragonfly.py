"""DragonFly Mail Agent (dma), the small MTA of DragonFly BSD and some appliances.

"This is the DragonFly Mail Agent v0.13 at host." then "There was an error delivering your mail
to <addr>." and the error: "mx.example.com [192.0.2.1] did not like our RCPT TO:" followed by
the remote reply, or dma's own text (DNS, connection, timeouts); the notice ends at
"Message headers follow." or "Original message follows.". One recipient per notice.
"""
from __future__ import annotations

import re
from email.message import Message

from bounced.model import Found
from bounced.parse import fields, smtp

from . import _text

FORMAT = "dragonfly"
_MARK = "This is the DragonFly Mail Agent"
_RCPT = re.compile(r"There was an error delivering your mail to <(" + _text.ADDR + r")>\.?")
_END = re.compile(r"^[^\S\n]*(Message headers follow|Original message follows)\.?\s*$", re.M)
_DID_NOT_LIKE = re.compile(r"^[ \t]*(\S+) \[[^\]\n]*\] did not like our ([A-Z ]+?):?[ \t]*$", re.M)


def extract(msg: Message) -> list[Found] | None:
    text = _text.body_text(msg)
    if _MARK not in text[:2000]:
        return None
    end = _END.search(text)
    if end:
        text = text[:end.start()]
    matches = list(_RCPT.finditer(text))
    out = []
    for i, m in enumerate(matches):
        stop = matches[i + 1].start() if i + 1 < len(matches) else len(text)
        block = text[m.end():min(stop, m.end() + 4000)]
        like = _DID_NOT_LIKE.search(block)
        remote = like.group(1).rstrip(".") if like else None
        detail = block[like.end():] if like else block
        diagnostic = fields.unfold(detail)
        status, reply = smtp.codes(diagnostic)
        out.append(_text.found(recipient=m.group(1).lower(), action="failed", status=status, reply_code=reply,
                               diagnostic=diagnostic, remote_mta=remote,
                               command=_text.smtp_command(like.group(2)) if like else None))
    return out
