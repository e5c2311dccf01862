"""Amazon SES: bounce/complaint/delivery notifications, as JSON or as a plain-text notice.

JSON arrives by e-mail from SNS (From no-reply@sns.amazonaws.com, ``x-amz-sns-message-id``):
either the SNS envelope whose "Message" string holds the SES JSON, or the SES JSON itself
(raw message delivery). Some mail clients wrap long lines and mark the break with a trailing
"!"; those are joined back. notificationType Bounce gives per-recipient action, status and
diagnosticCode; Complaint gives complained recipients (reason ``feedback``, the complaint's
feedback type); Delivery gives delivered recipients (reason ``delivered``); DeliveryDelay (event
publishing) gives delayed recipients.

The older text form ("The following message to <addr> was undeliverable.") carries RFC 3464
fields inline in text/plain; it is recognised by the ``X-SES-Outgoing`` / ``X-AWS-Outgoing``
headers and left to other modules when it comes from Amazon WorkMail. When SES gives up it
quotes the last remote reply at the end of its own text ("554 4.4.7 Message expired ...<421
4.4.2 Connection timed out>"); that reply's codes are reported.
"""
from __future__ import annotations

import json
import re
from email.message import Message

from bounced import mime
from bounced.model import Found
from bounced.parse import fields, smtp

from . import _text

FORMAT = "amazonses"
_TEXT_START = ("The following message to <", "An error occurred while trying to deliver the mail")
_FEEDBACK_TYPES = {"abuse", "auth-failure", "fraud", "not-spam", "other", "virus", "opt-out"}


def extract(msg: Message) -> list[Found] | None:
    if msg.get("x-amz-sns-message-id") is not None or _text.domain_is(_text.sender_domain(msg), "sns.amazonaws.com"):
        return _from_json(_text.body_text(msg))
    if msg.get("X-SES-Outgoing") is None and msg.get("X-AWS-Outgoing") is None:
        return None
    if mime.header(msg, "X-Mailer").startswith("Amazon WorkMail") or _text.has_delivery_status(msg):
        return None
    if not _text.from_daemon(msg):
        return None  # SES stamps X-SES-Outgoing on every message it sends
    text = _text.body_text(msg)
    if '"notificationType"' in text:
        return _from_json(text)
    start = next((text.find(s) for s in _TEXT_START if s in text), -1)
    if start < 0:
        return None
    return _from_fields(text[start:])


def _codes(status_field: str | None, diagnostic: str) -> tuple[str | None, str | None]:
    """Status and reply code; a remote reply quoted at the end of SES's own text wins."""
    inner = smtp.last_attempt_codes(diagnostic)
    if inner:
        return inner
    return smtp.better_status(status_field, diagnostic), smtp.codes(diagnostic)[1]


def _from_fields(text: str) -> list[Found]:
    out = []
    for g in fields.dsn_fields(text):
        rcpt = fields.typed_value(g.get("final-recipient", ""))
        if "@" not in rcpt:
            continue
        diagnostic = fields.unfold(fields.typed_value(g.get("diagnostic-code", "")))
        status, reply = _codes(g.get("status"), diagnostic)
        out.append(Found(recipient=rcpt.lower(), action=(g.get("action") or "failed").lower(), status=status,
                         reply_code=reply, diagnostic=diagnostic,
                         remote_mta=fields.typed_value(g["remote-mta"]) if g.get("remote-mta") else None))
    return out


def _load_json(text: str) -> dict | None:
    """The SES notification object; None if the text holds none."""
    start = text.find("{")
    if start < 0:
        return None
    body = text[start:]
    cut = re.search(r"^--\s*$", body, re.M)
    if cut:
        body = body[:cut.start()]
    candidates = [body]
    if "!" in body:  # SNS wraps at 76 with "!"; blanks a relay padded the line with go too
        candidates.append(re.sub(r"![ \t]*\n[ \t]*", "", body))
    obj = None
    for c in candidates:
        try:
            obj = json.loads(c.strip())
            break
        except (ValueError, RecursionError):  # RecursionError: absurdly deep nesting
            try:
                obj, _ = json.JSONDecoder().raw_decode(c.strip())
                break
            except (ValueError, RecursionError):
                continue
    if not isinstance(obj, dict):
        return None
    inner = obj.get("Message")
    if isinstance(inner, str):
        try:
            inner = json.loads(inner)
        except (ValueError, RecursionError):
            return None
    if isinstance(inner, dict):
        obj = inner
    return obj if isinstance(obj.get("notificationType") or obj.get("eventType"), str) else None


def _obj(value: object) -> dict:
    return value if isinstance(value, dict) else {}


def _items(value: object) -> list:
    return value if isinstance(value, list) else []


def _str(value: object) -> str:
    return value if isinstance(value, str) else ""


def _from_json(text: str) -> list[Found] | None:
    """Recipients of one SES notification; JSON of an unexpected shape yields no recipient."""
    obj = _load_json(text)
    if obj is None:
        return None
    kind = _str(obj.get("notificationType")) or _str(obj.get("eventType"))
    out: list[Found] = []
    if kind == "Bounce":
        b = _obj(obj.get("bounce"))
        temporary = b.get("bounceType") == "Transient"
        remote = fields.typed_value(_str(b.get("reportingMTA"))) or None
        for r in map(_obj, _items(b.get("bouncedRecipients"))):
            addr = _str(r.get("emailAddress"))
            if "@" not in addr:
                continue
            diagnostic = fields.unfold(fields.typed_value(_str(r.get("diagnosticCode"))))
            status, reply = _codes(_str(r.get("status")), diagnostic)
            if not diagnostic:
                diagnostic = " ".join(x for x in (_str(b.get("bounceType")), _str(b.get("bounceSubType"))) if x)
            action = _str(r.get("action")) or ("delayed" if temporary and not status else "failed")
            out.append(Found(recipient=addr.lower(), action=action, status=status, reply_code=reply,
                             diagnostic=diagnostic, remote_mta=remote, last_attempt=_str(b.get("timestamp")) or None))
    elif kind == "Complaint":
        c = _obj(obj.get("complaint"))
        ftype = _str(c.get("complaintFeedbackType")).lower() or None
        for r in map(_obj, _items(c.get("complainedRecipients"))):
            addr = _str(r.get("emailAddress"))
            if "@" in addr:
                out.append(Found(recipient=addr.lower(), reason="feedback", last_attempt=_str(c.get("timestamp")) or None,
                                 feedback_type=ftype if ftype in _FEEDBACK_TYPES else ("other" if ftype else None)))
    elif kind == "Delivery":
        d = _obj(obj.get("delivery"))
        diagnostic = fields.unfold(_str(d.get("smtpResponse")))
        status, reply = smtp.codes(diagnostic)
        for addr in _items(d.get("recipients")):
            if isinstance(addr, str) and "@" in addr:
                out.append(Found(recipient=addr.lower(), action="delivered", status=status, reply_code=reply,
                                 diagnostic=diagnostic, remote_mta=_str(d.get("reportingMTA")) or None,
                                 reason="delivered", last_attempt=_str(d.get("timestamp")) or None))
    elif kind == "DeliveryDelay":
        d = _obj(obj.get("deliveryDelay"))
        for r in map(_obj, _items(d.get("delayedRecipients"))):
            addr = _str(r.get("emailAddress"))
            if "@" not in addr:
                continue
            diagnostic = fields.unfold(fields.typed_value(_str(r.get("diagnosticCode")))) or _str(d.get("delayType"))
            status, reply = _codes(_str(r.get("status")), diagnostic)
            out.append(Found(recipient=addr.lower(), action="delayed", status=status, reply_code=reply,
                             diagnostic=diagnostic, remote_mta=_str(d.get("reportingMTA")) or None,
                             last_attempt=_str(d.get("timestamp")) or None))
    else:
        return []
    return out
