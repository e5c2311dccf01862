"""Microsoft 365 / Exchange Online and Outlook.com notices that carry no delivery-status part.

The text is Exchange's: "Delivery has failed to these recipients or groups:" (or "Your message
to <addr> couldn't be delivered."), a friendly explanation, then "Diagnostic information for
administrators:", "Generating server: ...", and per recipient the address followed by
"Remote Server returned '550 5.1.10 RESOLVER.ADR.RecipientNotFound; ...'" or
"#550 5.1.1 RESOLVER.ADR.RecipNotFound; not found ##". Exchange on premises writes the same
text; this module claims only Microsoft's cloud (X-MS-Exchange-CrossTenant-* headers, a
*.outlook.com generating server, an onmicrosoft.com / outlook.com / hotmail.com sender, a
Received or Message-ID from *.prod.outlook.com / *.outbound.protection.outlook.com). A third
opening is "<sender> rejected your message to the following e-mail addresses:".
"""
from __future__ import annotations

import re
from email.message import Message

from bounced import mime
from bounced.model import Found
from bounced.parse.sniff import Caseless, may_match
from bounced.parse import fields, smtp

from . import _text

FORMAT = "office365"
_CLOUD_DOMAINS = ("onmicrosoft.com", "outlook.com", "hotmail.com", "live.com", "msn.com", "office365.com")
_GENERATING = re.compile(r"^[^\S\n]*Generating server:\s*(\S+)", re.M)
_START = Caseless(r"delivery has failed to these recipients or groups:|your message to \S+ couldn.t be delivered|"
                  r"rejected your message to the following e-?mail addresses:")
_START_NEEDLES = ("delivery has failed", "your message to ", "rejected your message")  # one is in every match
_CLOUD_HEADERS = ("x-ms-exchange-crosstenant", "x-ms-exchange-message-is-ndr", "x-microsoft-antispam-prvs",
                  "x-exchange-antispam-report")
_CLOUD_HOST = re.compile(r"\.(?:outbound\.protection|prod)\.outlook\.com\b", re.I)
_DIAG_START = "Diagnostic information for administrators:"
# "Remote Server returned" (Exchange 2010-2016) and "Remote server returned" (Exchange Online today)
_RETURNED = re.compile(r"Remote Server returned '(.*?)'\s*$|^[^\S\n]*#?([245]\d\d[ -][245]\.\d{1,3}\.\d{1,3}.*?)(?:##.*)?$", re.M | re.I)
_END = re.compile(r"^[^\S\n]*Original message headers:|^[^\S\n]*-{3,}", re.M)
_MAILTO = re.compile(r"^[^\S\n]*(" + _text.ADDR + r")(?:<mailto:[^>]*>)?\s*(?:\(.*\))?\s*$", re.M)


def _is_cloud(msg: Message, text: str) -> bool:
    if any(k.startswith(_CLOUD_HEADERS) for k in _text.header_names(msg)):
        return True
    if _CLOUD_HOST.search(mime.header(msg, "Message-ID")) or any(
            _CLOUD_HOST.search(v) for v in _text.received(msg)[:3]):
        return True
    if _text.domain_is(_text.sender_domain(msg), *_CLOUD_DOMAINS):
        return True
    g = _GENERATING.search(text)
    return bool(g and _text.domain_is(g.group(1).lower().rstrip("."), "outlook.com", "outlook.office365.com"))


def extract(msg: Message) -> list[Found] | None:
    if _text.has_delivery_status(msg):
        return None
    text = _text.body_text(msg)
    start = _START.search(text) if may_match(text, _START_NEEDLES) else None
    if not start or not _is_cloud(msg, text):
        return None
    g = _GENERATING.search(text)
    remote = g.group(1).rstrip(".") if g else None
    diag_at = text.find(_DIAG_START, start.end())
    out: dict[str, Found] = {}
    if diag_at >= 0:
        end = _END.search(text, diag_at)
        section = text[diag_at:end.start() if end else len(text)]
        current: str | None = None
        lines = section.splitlines()
        joined: list[str] = []
        for line in lines:  # "Remote Server returned '550 ...", wrapped over several lines
            if joined and joined[-1].lstrip().lower().startswith("remote server returned '") \
                    and not joined[-1].rstrip().endswith("'") and len(joined[-1]) < 2000:
                joined[-1] += " " + line.strip()
            else:
                joined.append(line)
        for line in joined:
            m = _MAILTO.match(line)
            if m:
                current = m.group(1).lower()
                out.setdefault(current, Found(recipient=current, action="failed", remote_mta=remote))
                continue
            r = _RETURNED.search(line)
            if r and current:
                diagnostic = fields.unfold(r.group(1) or r.group(2))
                status, reply = smtp.codes(diagnostic)
                out[current] = Found(recipient=current, action="failed", status=status, reply_code=reply,
                                     diagnostic=diagnostic, remote_mta=remote)
    if not out:
        head = text[start.end():diag_at if diag_at >= 0 else None]
        for m in _MAILTO.finditer(head):
            a = m.group(1).lower()
            out.setdefault(a, Found(recipient=a, action="failed", remote_mta=remote))
    return list(out.values())
