"""m-FILTER (Digital Arts' mail gateway, X-Mailer: m-FILTER): a Japanese notice listing the
addresses after "以下のメールアドレスへの送信に失敗しました。", then "-------server message" with the
remote reply and "-------SMTP command" with the command that failed."""
from __future__ import annotations

import re
from email.message import Message

from bounced import mime
from bounced.model import Found
from bounced.parse import fields, smtp

from . import _text

FORMAT = "mfilter"
_SERVER = re.compile(r"^-{3,}\s*server message\s*$", re.M)
_NEXT = re.compile(r"^-{3,}", re.M)
_COMMAND = re.compile(r"-{3,}\s*SMTP command\s*\n\s*(\S[^\n]*)")


def extract(msg: Message) -> list[Found] | None:
    if not mime.header(msg, "X-Mailer").lower().startswith("m-filter"):
        return None
    text = _text.body_text(msg)
    srv = _SERVER.search(text)
    if not srv:
        return None  # m-FILTER's other notices (and mail it merely relayed) are not bounces
    head = text[:srv.start()]
    nxt = _NEXT.search(text, srv.end())
    diagnostic = fields.unfold(text[srv.end():nxt.start() if nxt else srv.end() + 2000])
    status, reply = smtp.codes(diagnostic)
    command = None
    cmd = _COMMAND.match(text, nxt.start()) if nxt else None
    if cmd:
        words = cmd.group(1).split()
        command = _text.smtp_command(" ".join(words[:2])) or _text.smtp_command(words[0])
    addrs = [ln.strip() for ln in head.splitlines() if _text.ADDR_RE.fullmatch(ln.strip())]
    return [_text.found(recipient=a.lower(), action="failed", status=status, reply_code=reply, diagnostic=diagnostic,
                        command=command) for a in dict.fromkeys(addrs)]
