"""Google Workspace (and newer Gmail) notices sent without a delivery-status part.

The text starts with a headline in asterisks ("** Address not found **", "** Message not
delivered **", "** Message blocked **"), explains in Google's words ("Your message wasn't
delivered to user@example.com because the address couldn't be found...") and may quote the
remote server after "The response was:" / "The response from the remote server was:". When the
text names no address, the recipient is the To of the returned original (message/rfc822 or
text/rfc822-headers part).
"""
from __future__ import annotations

import email
import re
from email.message import Message

from bounced import mime
from bounced.model import Found
from bounced.parse import fields, smtp

from . import _text

FORMAT = "googleworkspace"
_HEADLINE = re.compile(r"^\*\* (.+?) \*\*\s*$", re.M)
_RESPONSE = re.compile(r"The response (?:from the remote server )?was:\s*", re.I)
_DELIVERED_TO = re.compile(r"(?:wasn.t|was not|couldn.t be) delivered to (" + _text.ADDR + r")")
_ORIGINAL_TYPES = ("message/rfc822", "text/rfc822-headers")


def _original_to(msg: Message) -> list[str]:
    for part in msg.walk():
        ctype = part.get_content_type()
        if ctype not in _ORIGINAL_TYPES:
            continue
        if ctype == "message/rfc822":
            payload = part.get_payload()
            inner = payload[0] if isinstance(payload, list) and payload else None
        else:
            inner = email.message_from_string(mime.part_text(part)[:_text.MAX_TEXT])
        if inner is not None:
            return [a.lower() for a in dict.fromkeys(_text.ADDR_RE.findall(mime.header(inner, "To")))]
    return []


def extract(msg: Message) -> list[Found] | None:
    if not _text.domain_is(_text.sender_domain(msg), "googlemail.com", "google.com", "gmail.com") \
            or not _text.from_daemon(msg):
        return None
    if "Delivery Status Notification" not in mime.header(msg, "Subject") or _text.has_delivery_status(msg):
        return None
    text = _text.body_text(msg)
    head = _HEADLINE.search(text)
    if not head:
        return None
    body = text[head.start():]
    cut = re.search(r"^-{3,}|^[^\S\n]*Original message|^\[image:", body, re.M | re.I)
    if cut:
        body = body[:cut.start()]
    response = _RESPONSE.search(body)
    diagnostic = fields.unfold(body[response.end():] if response else body[head.end():])
    named = [a.lower() for a in dict.fromkeys(_DELIVERED_TO.findall(body))]
    recipients = named or _original_to(msg)
    if not response:
        diagnostic = fields.unfold(f"{head.group(1)}. {diagnostic}")
    status, reply = smtp.codes(diagnostic)
    return [Found(recipient=r, action="failed", status=status, reply_code=reply, diagnostic=diagnostic)
            for r in recipients]
