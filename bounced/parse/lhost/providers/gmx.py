"""GMX (and web.de, same operator): Exim notices with "The following address failed:",
the address in angle brackets, then "Reason:" and the text, ended by
"--- The header of the original message is following. ---". Another form quotes the address
('"user@example.jp":') and gives "SMTP error from remote server after RCPT command:", "host: ..."
and the reply on separate lines. GMX's X-GMX-Antispam header identifies it when the sender
domain is not GMX's own."""
from __future__ import annotations

from email.message import Message

from bounced.model import Found

from . import _exim, _text

FORMAT = "gmx"
DOMAINS = ("gmx.com", "gmx.net", "gmx.de", "gmx.at", "gmx.ch", "web.de")


def extract(msg: Message) -> list[Found] | None:
    if not (_text.domain_is(_text.sender_domain(msg), *DOMAINS) or msg.get("X-GMX-Antispam") is not None) \
            or not _text.from_daemon(msg):
        return None
    if _text.has_delivery_status(msg):
        return None
    text = _text.body_text(msg)
    if "could not be delivered" not in text:
        return None
    return _exim.extract_blocks(text)
