"""Mail.ru: Exim notices with a Russian preamble ("Это письмо создано автоматически сервером
Mail.Ru") before the English Exim text; both list the same addresses, so each is reported once.
``X-Failed-Recipients`` names them too and is the fallback."""
from __future__ import annotations

from email.message import Message

from bounced import mime
from bounced.model import Found
from bounced.parse import fields, smtp

from . import _exim, _text

FORMAT = "mailru"


def extract(msg: Message) -> list[Found] | None:
    domain = _text.sender_domain(msg)
    if not (_text.domain_is(domain, "mail.ru", "bk.ru", "inbox.ru", "list.ru")
            and _text.from_daemon(msg)):
        return None
    if _text.has_delivery_status(msg):
        return None
    text = _text.body_text(msg)
    found = _exim.extract_blocks(text)
    if found:
        return found
    failed = mime.header(msg, "X-Failed-Recipients")
    if not failed:
        # a rejection by Exim's local scan names the mailbox only inside the sentence
        own = {_text.sender(msg), *(a.lower() for a in _text.ADDR_RE.findall(mime.header(msg, "To")))}
        notice = text.split("*****", 1)[0]
        found = [a.lower() for a in dict.fromkeys(_text.ADDR_RE.findall(notice)) if a.lower() not in own]
        english = text.split("*****", 1)[1].lstrip("*") if "*****" in text else notice
        diagnostic = fields.unfold(english)[:1000]
        status, reply = smtp.codes(diagnostic)
        return [Found(recipient=a, action="failed", status=status, reply_code=reply, diagnostic=diagnostic)
                for a in found]
    return [Found(recipient=a.lower(), action="failed") for a in dict.fromkeys(_text.ADDR_RE.findall(failed))]
