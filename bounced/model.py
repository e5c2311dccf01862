"""Result types shared by the parser, the store and the CLI.

Frozen dataclasses so a parse result can be handed between threads (the daemon parses off the
event loop) and cached without fear of mutation.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any, NamedTuple


class Kind(StrEnum):
    """What a recipient result means for sending; the policy keys on this."""

    HARD = "hard"
    SOFT = "soft"
    COMPLAINT = "complaint"
    AUTO_REPLY = "auto_reply"
    DELAY = "delay"
    DELIVERED = "delivered"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class Found:
    """What a format module extracted for one recipient, before classification.

    ``reason`` is only set where the format itself decides it (ARF -> feedback, an auto-reply ->
    vacation, an MTA whose wording maps unambiguously); otherwise the classifier decides.
    """

    recipient: str | None
    original_recipient: str | None = None
    action: str | None = None
    status: str | None = None
    reply_code: str | None = None
    diagnostic: str = ""
    remote_mta: str | None = None
    last_attempt: str | None = None
    feedback_type: str | None = None
    reason: str | None = None
    command: str | None = None  # SMTP command the remote server refused at (RCPT, DATA, ...), when stated


@dataclass(frozen=True, slots=True)
class RecipientResult:
    recipient: str
    original_recipient: str | None
    action: str | None
    status: str | None
    reply_code: str | None
    diagnostic: str
    remote_mta: str | None
    last_attempt: str | None
    reason: str
    kind: Kind
    feedback_type: str | None = None
    # the address the report says failed, when it is not ``recipient``: a forward or alias target
    # of the address we mailed (the Original-Recipient, RFC 3464 2.3.1), shown, never keyed on
    final_recipient: str | None = None

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["kind"] = str(self.kind)
        if d["final_recipient"] is None:  # only then: the usual output keeps its shape
            del d["final_recipient"]
        return d


@dataclass(frozen=True, slots=True)
class ParseResult:
    """One returned message, parsed. ``error`` says what went wrong when nothing usable was found."""

    format: str
    message_id: str | None = None
    original_message_id: str | None = None
    original_headers: tuple[tuple[str, str], ...] = ()
    recipients: tuple[RecipientResult, ...] = ()
    error: str | None = None
    subject: str | None = field(default=None, compare=False)
    recipients_cut: int = 0  # reported recipients beyond the parser's limit (bounced.parse.MAX_RECIPIENTS)
    # a feedback report's Original-Mail-From (or the original's Return-Path): a proof for bounced.trust,
    # not a parse result, so not in to_dict
    original_mail_from: str | None = field(default=None, compare=False)

    def to_dict(self) -> dict[str, Any]:
        out = {
            "format": self.format,
            "message_id": self.message_id,
            "original_message_id": self.original_message_id,
            "original_headers": dict(self.original_headers),
            "recipients": [r.to_dict() for r in self.recipients],
            "error": self.error,
        }
        if self.recipients_cut:  # only then: the usual output keeps its shape
            out["recipients_cut"] = self.recipients_cut
        return out


class ActiveSuppression(NamedTuple):
    """One address's active suppression with its last event, as ``GET /api/v1/suppressions/{address}``
    shows it. A named tuple, not a frozen dataclass: it is built from the row on the hottest path
    of the web API, where a tuple costs a fraction of a dataclass's __init__; it is immutable all the same."""

    kind: str
    reason: str
    source: str
    suppressed_at: str
    expires_at: str | None
    last_event_at: str | None
    last_status: str | None
    last_reply_code: str | None
    last_diagnostic: str | None


@dataclass(frozen=True, slots=True)
class SuppressionRow:
    """One suppression as exported and imported: every column round-trips."""

    address: str
    kind: str
    reason: str
    created_at: Any = None  # datetime | None; None = now
    expires_at: Any = None  # datetime | None; None = until lifted
    source: str = "import"
