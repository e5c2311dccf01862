"""RFC 5965 Abuse Reporting Format feedback reports (complaints), and two close relatives.

* ARF: a ``message/feedback-report`` part (normally the second part of a ``multipart/report;
  report-type=feedback-report``). The complaining recipient is ``Original-Rcpt-To`` (may repeat,
  one per recipient), else ``Removal-Recipient`` (the early opt-out draft), else the To of the
  returned original (``message/rfc822`` or ``text/rfc822-headers``; some senders write
  ``text/rfc822-header``).
* Microsoft's JMRP (Hotmail/Outlook.com junk-mail reports) attaches the original with an
  ``X-HmXmrOriginalRecipient`` header and no feedback-report part: an abuse complaint.
* Apple Mail's unsubscribe (``X-Apple-Unsubscribe: true``), sent to a List-Unsubscribe mailto:
  address: an opt-out by the sender of the request.

Every recipient gets reason ``feedback`` and the feedback type; the classifier decides from the
type whether it is the recipient's complaint (:mod:`bounced.classify.feedback`: an RFC 6591
authentication failure report is not).
"""
from __future__ import annotations

import re
from email.message import Message

from bounced import mime
from bounced.model import Found
from bounced.parse import fields
from bounced.parse.original import find_original

FORMAT = "arf"

FEEDBACK_TYPES = frozenset({"abuse", "fraud", "opt-out", "virus", "other", "not-spam", "auth-failure"})
# names seen in the wild for the registered types
_ALIASES = {"optout": "opt-out", "opt-out-list": "opt-out", "unsubscribe": "opt-out", "dkim": "auth-failure",
            "auth-fail": "auth-failure", "authfailure": "auth-failure", "notspam": "not-spam", "spam": "abuse",
            "complaint": "abuse", "miscategorized": "not-spam"}
_RCPT_FIELD = re.compile(r"(?im)^(?:original-rcpt-to|removal-recipient)[ \t]*:[ \t]*(.+)$")
_ADDR = re.compile(r"[^\s<>()\[\],;:\"']{1,64}@[^\s<>()\[\],;:\"']{1,255}")


def feedback_type(value: str) -> str:
    """A Feedback-Type value as one of the registered names (unknown ones become ``other``)."""
    v = fields.unfold(value).lower().split(" ", 1)[0].strip(";,") if value.strip() else ""
    v = _ALIASES.get(v, v)
    return v if v in FEEDBACK_TYPES else "other"


def _report_part(msg: Message) -> Message | None:
    for part, _depth, ctype in mime.typed_walk(msg):
        if ctype == "message/feedback-report":
            return part
    return None


def _addresses(value: str) -> list[str]:
    out = []
    for m in _ADDR.finditer(value):
        a = fields.clean_address(m.group(0))
        if a and "." in a.rpartition("@")[2]:
            out.append(a)
    return out


def _jmrp_recipients(msg: Message) -> list[str]:
    """Microsoft JMRP: an attached message carrying X-HmXmrOriginalRecipient."""
    for part, depth, ctype in mime.typed_walk(msg):
        if depth == 1 and ctype == "message/rfc822":
            inner = part.get_payload()
            if isinstance(inner, list) and inner and isinstance(inner[0], Message):
                value = mime.header(inner[0], "X-HmXmrOriginalRecipient")
                if value:
                    return _addresses(value)
    return []


def _summary(msg: Message) -> str:
    for part, _depth, ctype in mime.typed_walk(msg):
        if ctype == "text/plain":
            return fields.unfold(mime.part_text(part))[:300]
    return ""


def extract(msg: Message) -> list[Found] | None:
    report = _report_part(msg)
    if report is not None:
        return _arf(msg, report)
    jmrp = _jmrp_recipients(msg)
    if jmrp:
        return [Found(recipient=a, feedback_type="abuse", reason="feedback", diagnostic=mime.header(msg, "Subject"))
                for a in jmrp]
    if mime.header(msg, "X-Apple-Unsubscribe").lower() == "true":
        rcpts = _addresses(mime.header(msg, "From"))[:1]
        return [Found(recipient=a, feedback_type="opt-out", reason="feedback", diagnostic=mime.header(msg, "Subject"))
                for a in rcpts]
    return None


def original_mail_from(msg: Message) -> str | None:
    """The envelope sender of the reported message: the report's ``Original-Mail-From`` (RFC 5965
    3.2), else the ``Return-Path`` the receiver wrote into the returned original. For our mail that
    is the signed VERP return path, which binds the complaint to its recipient (bounced.trust)."""
    report = _report_part(msg)
    if report is None:
        return None
    for block in fields.blocks(mime.part_text(report)):
        if block.get("original-mail-from"):
            return fields.clean_address(block["original-mail-from"])
    original = find_original(msg)
    return fields.clean_address(original.get("Return-Path")) if original is not None else None


def _arf(msg: Message, report: Message) -> list[Found]:
    text = mime.part_text(report)
    info: dict[str, str] = {}
    for block in fields.blocks(text):
        for k, v in block.items():
            info.setdefault(k, v)
    ftype = feedback_type(info.get("feedback-type", ""))
    rcpts: list[str] = []
    for m in _RCPT_FIELD.finditer(text[: 64 * 1024]):
        for a in _addresses(m.group(1)):
            if a.lower() not in (r.lower() for r in rcpts):
                rcpts.append(a)
    if not rcpts:
        original = find_original(msg)
        if original is not None:
            rcpts = _addresses(original.get("To"))[:20]
    diagnostic = _summary(msg)
    arrival = fields.iso_date(info.get("arrival-date") or info.get("received-date"))
    if not rcpts:
        return [Found(recipient=None, feedback_type=ftype, reason="feedback", diagnostic=diagnostic,
                      last_attempt=arrival)]
    return [Found(recipient=a, feedback_type=ftype, reason="feedback", diagnostic=diagnostic,
                  last_attempt=arrival) for a in rcpts]
