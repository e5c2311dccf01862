"""Turn the raw bytes of a returned message into a classified :class:`ParseResult`.

The dispatcher owns the one ordered list of format modules and the fallbacks. Each module's
``extract(msg)`` answers ``None`` ("not my format"), ``[]`` ("mine, but no recipient found") or
a list of :class:`~bounced.model.Found`; the first non-empty answer wins. Order, and why:

1. :mod:`.arf` -- RFC 5965 feedback reports (and JMRP / Apple unsubscribe relatives). A
   complaint quotes the original, which may itself look like anything, so it goes first.
2. :mod:`.rfc3464` -- standard DSNs (``message/delivery-status`` anywhere, RFC 6533
   ``message/global-delivery-status``), the machine-readable truth when present.
3. ``bounced.parse.lhost.MODULES`` -- non-standard MTA and provider formats, in the order that
   package documents (providers, MTAs, the generic plain-text scanner last).
4. :mod:`.challenge` -- challenge-response requests (Boxbe, Spam Arrest, TMDA): the message is
   held until the sender proves to be human; reason ``challenge``, a soft bounce. Before
   :mod:`.autoreply`, since such requests often carry ``Auto-Submitted`` too.
5. :mod:`.autoreply` -- RFC 3834 vacation/out-of-office replies. After every bounce format:
   many DSNs carry ``Auto-Submitted: auto-replied`` too.
6. :mod:`.fallback` -- flufl.bounce's detectors, only when nothing above matched and the
   message looks like a bounce (:mod:`.signals`); it is slow, so never on ordinary mail. Then
   the sole To of the returned original, when the notice's own words name its domain.
7. VERP / envelope -- when a bounce names no usable recipient, the recipient decoded from the
   envelope recipient (or the bounce's own To/Delivered-To) by :mod:`.verp`.
8. nothing: format ``unknown`` with no recipients (ordinary mail, spam).

Every Found goes through :func:`bounced.classify.classify` for reason, kind and the normalized
status. The dispatcher never raises: a module's exception is recorded and the next module is
tried; a message nothing can be made of yields format ``unknown`` and an ``error`` string.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass, replace
from email.message import Message
from types import ModuleType

from bounced import mime
from bounced.model import Found, Kind, ParseResult, RecipientResult
from bounced.parse import signals, smtp, verp  # small, and read for every message

__all__ = ["ParseOptions", "parse_message", "format_modules"]

MAX_RECIPIENTS = mime.mimetree.MAX_REPORTED  # more are cut, and counted in ParseResult.recipients_cut
# formats that are sure the message is no delivery failure: no bounce fallback for them
_NOT_BOUNCE_FORMATS = frozenset({"arf", "rfc3834", "challenge"})


@dataclass(frozen=True)
class ParseOptions:
    """What the parser needs to know about the site: its bounce addresses (for VERP) and which
    extra headers of the returned original to keep."""

    bounce_local_parts: tuple[str, ...] = ("bounces",)
    bounce_domains: tuple[str, ...] = ()
    verp_delimiter: str = "+"
    extra_headers: tuple[str, ...] = ()


@functools.cache
def format_modules() -> tuple[ModuleType, ...]:
    """The ordered format modules (see the module docstring for why this order); a constant,
    built on first use so that importing bounced.parse stays cheap."""
    from bounced.parse import arf, autoreply, challenge, rfc3464

    return (arf, rfc3464, *_lhost_modules(), challenge, autoreply)


@functools.cache
def _named_modules() -> tuple[tuple[str, ModuleType], ...]:
    """:func:`format_modules` with each one's format name, worked out once rather than per message."""
    return tuple((str(getattr(m, "FORMAT", m.__name__.rsplit(".", 1)[-1])), m) for m in format_modules())


def _lhost_modules() -> list[ModuleType]:
    try:
        from bounced.parse.lhost import MODULES
    except Exception:  # noqa: BLE001 - a broken or missing lhost package must not stop parsing
        return []
    return [m for m in MODULES if callable(getattr(m, "extract", None))]


@dataclass(frozen=True, slots=True)
class _Verdict:
    reason: str
    kind: Kind
    status: str | None


def _plain_classify(found: Found, fmt: str) -> _Verdict:
    """The format's own verdict, used only if the classifier fails on one recipient."""
    action = (found.action or "").lower()
    if found.reason == "feedback":
        return _Verdict("feedback", Kind.COMPLAINT, found.status)
    if found.reason == "vacation":
        return _Verdict("vacation", Kind.AUTO_REPLY, found.status)
    if action in ("delivered", "relayed", "expanded"):
        return _Verdict("delivered", Kind.DELIVERED, found.status)
    if action == "delayed":
        return _Verdict("expired", Kind.DELAY, found.status)
    return _Verdict("undefined", Kind.SOFT, found.status)


def parse_message(raw: bytes, options: ParseOptions = ParseOptions(), envelope_rcpt: str | None = None) -> ParseResult:
    """Parse one message; never raises.

    An mbox holding several messages (a file saved from a mail client) is parsed message by
    message and the recipients merged; the first message gives format and Message-IDs."""
    try:
        if isinstance(raw, (bytes, bytearray)):
            raw = mime.without_bom(bytes(raw))
        pieces = _mbox_split(raw) if isinstance(raw, (bytes, bytearray)) else [raw]
        if len(pieces) == 1:
            return _parse(pieces[0], options, envelope_rcpt)
        results = [_parse(p, options, envelope_rcpt) for p in pieces]
        return _merge(results)
    except Exception as exc:  # noqa: BLE001 - the contract: a result, always
        return ParseResult(format="unknown", error=f"parser failure: {type(exc).__name__}: {str(exc)[:200]}")


_MBOX_SEP = re.compile(rb"\n\n(?=From [^\n]{0,200}\n[A-Za-z][A-Za-z0-9-]{0,60}:)")
MAX_MBOX_MESSAGES = 20


def _mbox_split(raw: bytes) -> list[bytes]:
    """Messages of an mbox ("From " separator lines after a blank line); else the input as is."""
    if not raw.startswith(b"From ") or len(raw) > mime.MAX_BYTES:
        return [raw]
    probe = raw.replace(b"\r\n", b"\n") if b"\r" in raw else raw
    parts = _MBOX_SEP.split(probe, MAX_MBOX_MESSAGES - 1)
    return parts if len(parts) > 1 else [raw]


def _merge(results: list[ParseResult]) -> ParseResult:
    with_rcpts = [r for r in results if r.recipients]
    first = with_rcpts[0] if with_rcpts else results[0]
    merged: dict[str, RecipientResult] = {}
    for r in with_rcpts:
        for rec in r.recipients:
            merged.setdefault(rec.recipient.lower(), rec)
    return replace(first, recipients=tuple(merged.values()),
                   error=None if merged else first.error)


def _parse(raw: bytes, options: ParseOptions, envelope_rcpt: str | None) -> ParseResult:
    if not raw or not raw.strip():
        return ParseResult(format="unknown", error="empty message")
    msg = mime.load(raw)
    if not mime.has_headers(msg):
        return ParseResult(format="unknown", error="no message header found: not an email message")
    attached = _attached_notice(msg)
    if attached is not None and _sent_by_a_person(msg):
        inner = _parse_tree(raw, attached, options, envelope_rcpt)
        if inner.recipients:
            return inner
    result = _parse_tree(raw, msg, options, envelope_rcpt)
    if attached is not None and result.format not in _NOT_BOUNCE_FORMATS:
        # a mail system's message carrying a notice: the attached notice, read from its own
        # structure, when it names every recipient the wrapper's text was found to name (without
        # flufl.bounce's scan when the wrapper named some: the costliest step could not add any)
        inner = _parse_tree(raw, attached, options, envelope_rcpt, scan=not result.recipients)
        if inner.recipients and _addresses(result) <= _addresses(inner):
            return inner
    return result


def _addresses(result: ParseResult) -> frozenset[str]:
    return frozenset(r.recipient.lower() for r in result.recipients)


def _parse_tree(raw: bytes, msg: Message, options: ParseOptions, envelope_rcpt: str | None, *,
                scan: bool = True) -> ParseResult:
    errors: list[str] = []
    fmt, founds = _run_modules(msg, errors)

    from bounced.parse import arf, fallback  # imported here to keep startup lean

    resolved = [f for f in founds if f.recipient]
    verp_rcpt = None
    # a feedback report names the return path it complains about: a VERP one names the recipient
    # that feedback loops which redact Original-Rcpt-To leave out
    mail_from = arf.original_mail_from(msg) if fmt == arf.FORMAT else None
    if len(resolved) < len(founds) or not resolved:  # only then is the VERP address needed
        verp_rcpt = _verp_recipient(msg, options, envelope_rcpt, verp, mail_from)
        if verp_rcpt:
            resolved += [replace(f, recipient=verp_rcpt) for f in founds if not f.recipient]
    bounce_like = bool(resolved) or fmt is not None or signals.looks_like_bounce(msg)
    if scan and not resolved and bounce_like and fmt not in _NOT_BOUNCE_FORMATS:
        try:
            seen = fallback.bounded(raw)
            got = fallback.extract(msg if seen is raw else mime.load(seen))
        except Exception as exc:  # noqa: BLE001
            errors.append(f"{fallback.FORMAT}: {type(exc).__name__}: {exc}"[:200])
            got = None
        if got:
            resolved = got
            fmt = fmt or fallback.FORMAT
    if not resolved and bounce_like and verp_rcpt and fmt not in _NOT_BOUNCE_FORMATS:
        resolved = [_envelope_found(msg, verp_rcpt)]
        fmt = fmt or "unknown"

    original = _original(msg)
    if not resolved and bounce_like and original is not None and fmt not in _NOT_BOUNCE_FORMATS:
        sole = _sole_original_recipient(msg, original)
        if sole:
            resolved = [_envelope_found(msg, sole)]
            fmt = fmt or "unknown"
    recipients = _classify_all(resolved, fmt or "unknown", _senders(msg, original))
    cut = mime.blocks_cut(msg) + max(0, len(resolved) - MAX_RECIPIENTS)
    from bounced.parse.original import selected_headers

    headers = selected_headers(original, options.extra_headers)
    error = None
    if not recipients and errors:
        error = "; ".join(errors)[:500]
    return ParseResult(
        format=fmt or "unknown",
        message_id=mime.header(msg, "Message-ID") or None,
        original_message_id=dict(headers).get("Message-ID"),
        original_headers=headers,
        recipients=recipients,
        error=error,
        subject=mime.header(msg, "Subject") or None,
        recipients_cut=cut,
        original_mail_from=mail_from,
    )


_FORWARD_TYPES = frozenset({"message/rfc822", "message/global"})


def _attached_notice(msg: Message) -> Message | None:
    """The bounce attached to a forward, when the message is one.

    Outlook's and Gmail's "forward as attachment", and mailbox rules that pass a shared bounce
    inbox on to bounced, wrap the notice whole in a message/rfc822 part of an ordinary message.
    The attached notice is read as if it had arrived itself (its own headers name its sender,
    its own text part is the notice), so every format module sees it as it was sent. Only a
    direct attachment of a multipart message that is no report itself, and only one that is a
    report or comes from a mail system (a real bounce's returned original is our own mail, whose
    subject may well say "delivery notification", so the subject does not count); one level."""
    if not msg.is_multipart() or mime.content_type(msg) == "multipart/report":
        return None
    children = msg.get_payload()
    if not isinstance(children, list):
        return None
    for child in children[:MAX_FORWARD_PARTS]:
        if not isinstance(child, Message) or mime.content_type(child) not in _FORWARD_TYPES:
            continue
        inner = child.get_payload()
        attached = inner[0] if isinstance(inner, list) and inner else None
        if isinstance(attached, Message) and mime.has_headers(attached) and _from_a_mail_system(attached):
            return attached
    return None


def _from_a_mail_system(msg: Message) -> bool:
    """A delivery report, or a null return path or mail system's From (MAILER-DAEMON, ...)."""
    if mime.content_type(msg) == "multipart/report" and mime.param(msg, "report-type").lower().endswith("delivery-status"):
        return True
    return signals.null_or_daemon_sender(msg)


def _sent_by_a_person(msg: Message) -> bool:
    """Neither a null return path nor a mail system's From: a forward, read as its attachment
    (as itself only if the attachment names no recipient). A mail system's message that attaches a notice (a bounce of a bounce, a postmaster
    mailbox forwarding) is read both ways, and as its attachment when that names every
    recipient the message itself was found to name."""
    return not signals.null_or_daemon_sender(msg)


MAX_FORWARD_PARTS = 10  # parts of a forward looked at for the attached notice


def _run_modules(msg: Message, errors: list[str]) -> tuple[str | None, list[Found]]:
    """The first module's non-empty answer; the format of the first claim when none found any."""
    claimed: str | None = None
    for name, module in _named_modules():
        try:
            got = module.extract(msg)
        except Exception as exc:  # noqa: BLE001 - one module's bug must not stop the others
            errors.append(f"{name}: {type(exc).__name__}: {str(exc)[:150]}")
            continue
        if got is None:
            continue
        got = [f for f in got if isinstance(f, Found)]
        if got:
            return name, got
        claimed = claimed or name
    return claimed, []


def _verp_recipient(msg: Message, options: ParseOptions, envelope_rcpt: str | None, verp: ModuleType,
                    original_mail_from: str | None = None) -> str | None:
    candidates = [a for a in (envelope_rcpt, original_mail_from) if a]
    for name in ("X-Original-To", "Delivered-To", "Envelope-To", "To"):
        candidates.extend(mime.header_all(msg, name))
    for c in candidates:
        for piece in str(c).replace(",", " ").split():
            addr = verp.decode(piece.strip("<>\"'();"), options.bounce_local_parts, options.verp_delimiter)
            if addr:
                return addr
    return None


def _sole_original_recipient(msg: Message, original) -> str | None:  # noqa: ANN001 - Original
    """The one address the returned original was sent To (no Cc), when the notice's own words
    name its domain: old Sendmail (V5) and other MTAs write only "421 example.com (smtp)...
    Deferred" and leave the recipient to the unsent message below."""
    from bounced.parse.lhost import _common

    if original.get("Cc"):
        return None
    found = _SENDER_ADDR.findall(original.get("To"))
    if len(found) != 1:
        return None
    address = found[0].strip(".")
    domain = address.rpartition("@")[2].lower()
    notice = _common.report_text(msg).lower()
    return address if domain and re.search(r"(?<![\w.-])" + re.escape(domain) + r"(?![\w-])", notice) else None


def _envelope_found(msg: Message, recipient: str) -> Found:
    """A recipient known only from VERP (or the original's sole To): codes and words from the
    notice's own text, read as every format reads it."""
    from bounced.parse.lhost import _common

    text = " ".join(_common.report_text(msg)[:4000].split())[:1000]
    codes = smtp.find_codes(text)
    return Found(recipient=recipient, action="failed", status=codes.status, reply_code=codes.reply_code,
                 diagnostic=text)


_SENDER_ADDR = re.compile(r"[^\s<>()\[\],;:\"']{1,64}@[A-Za-z0-9.-]{1,255}")


def _senders(msg: Message, original) -> frozenset[str]:  # noqa: ANN001 - Original | None
    """The envelope sender the notice was returned to (RFC 5321 4.5.5: the bounce's To) and the
    original's Return-Path and From, lower-cased: a failure that names one of them is ours."""
    values = [mime.header(msg, "To")]
    if original is not None:
        values += [original.get("Return-Path"), original.get("From")]
    return frozenset(m.group(0).lower().rstrip(".") for v in values if v for m in _SENDER_ADDR.finditer(v))


def _classify_all(founds: list[Found], fmt: str, senders: frozenset[str] = frozenset()) -> tuple[RecipientResult, ...]:
    from bounced.classify import classify

    out: dict[str, RecipientResult] = {}
    for f in founds[:MAX_RECIPIENTS]:
        if not f.recipient:
            continue
        key, final = _keyed(f, fmt)
        try:
            verdict = classify(f, fmt, senders)
            reason, kind, status = verdict.reason, Kind(verdict.kind), verdict.status
        except Exception:  # noqa: BLE001 - a classifier bug must not lose the recipient
            v = _plain_classify(f, fmt)
            reason, kind, status = v.reason, v.kind, v.status
        result = RecipientResult(
            recipient=key,
            original_recipient=f.original_recipient,
            action=f.action,
            status=status,
            reply_code=f.reply_code,
            diagnostic=" ".join(f.diagnostic.split()) if f.diagnostic else "",
            remote_mta=f.remote_mta,
            last_attempt=f.last_attempt,
            reason=reason,
            kind=kind,
            feedback_type=f.feedback_type,
            final_recipient=final,
        )
        key = key.lower()
        prev = out.get(key)
        if prev is None or (not prev.status and result.status) or (not prev.diagnostic and result.diagnostic
                                                                  and prev.status == result.status):
            out[key] = result
    return tuple(out.values())


_USABLE = re.compile(r"[^@\s]+@[^@\s.]+(?:\.[^@\s.]+)+")


# formats whose original_recipient is the address the sender gave: a DSN's Original-Recipient
# field, Postfix's "(expanded from <a>)". Exim's "(generated from a)" and Sendmail's alias lines
# stay keyed on the target for now: the held-out scoring reads those notices that way.
_KEYED_ON_ORIGINAL = frozenset({"rfc3464", "postfix"})


def _keyed(f: Found, fmt: str) -> tuple[str, str | None]:
    """(the address the result is keyed on, the reported address when that is another one).

    A forwarder or alias that expanded the address we mailed reports the failure of its target
    (Final-Recipient jane.doe@gmail.com) and names the address we sent to as the
    Original-Recipient (RFC 3464 2.3.1, RFC 3461 ORCPT; Postfix "(expanded from <jane@...>)").
    That is the address the platform mails, so the suppression is keyed on it; the target is
    kept for display."""
    original = (f.original_recipient or "").strip()
    reported = f.recipient or ""
    if fmt in _KEYED_ON_ORIGINAL and original and original.lower() != reported.lower() and _USABLE.fullmatch(original):
        return original, reported
    return reported, None


def _original(msg: Message):  # noqa: ANN202 - Original | None
    from bounced.parse.original import find_original

    try:
        return find_original(msg)
    except Exception:  # noqa: BLE001
        return None
