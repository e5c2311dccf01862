"""The one path from raw bytes to a store-ready record, shared by the daemon and ``bounced ingest``.

``prepare`` is pure CPU (hash + parse) so the daemon can run it off the event loop; the store then
commits many prepared messages in one transaction.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timezone

from bounced.model import ParseResult
from bounced.parse import ParseOptions, parse_message
from bounced.signing import SIG_HEADER


@dataclass(frozen=True, slots=True)
class Incoming:
    raw: bytes
    sha256: str
    mail_from: str
    rcpt_tos: tuple[str, ...]
    received_at: datetime
    result: ParseResult
    # the address of the host that sent the message (XFORWARD ADDR, else the SMTP peer); None when
    # unknown (``bounced ingest``, messages stored before schema 7)
    source: str | None = None


@dataclass(frozen=True, slots=True)
class IngestOutcome:
    sha256: str
    message_id: int | None  # row id in the store's messages table
    duplicate: bool
    events: int
    parse_failed: bool
    untrusted: int = 0  # events recorded without changing a suppression (no proof we sent the mail)
    held: int = 0  # suppressions held for an operator (breaker or per-message cap)
    tripped: tuple[str, ...] = ()  # domains whose breaker tripped with this message
    capped: str | None = None  # the source whose cap this message reached first (its holds start here)
    policy: tuple[str, ...] = ()  # what the policy did per event: suppressed, counted, recorded, ignored, ...


def prepare(raw: bytes, mail_from: str = "", rcpt_tos: tuple[str, ...] = (),
            options: ParseOptions = ParseOptions(), received_at: datetime | None = None) -> Incoming:
    envelope_rcpt = rcpt_tos[0] if rcpt_tos else None
    return Incoming(
        raw=raw,
        sha256=hashlib.sha256(raw).hexdigest(),
        mail_from=mail_from,
        rcpt_tos=tuple(rcpt_tos),
        received_at=received_at or datetime.now(timezone.utc),
        result=parse_message(raw, options, envelope_rcpt),
    )


def safe_prepare(raw: bytes, mail_from: str, rcpt_tos: tuple[str, ...], options: ParseOptions,
                 received_at: datetime) -> Incoming:
    """``prepare`` that cannot fail: a parser bug still stores the raw message, marked failed."""
    try:
        return prepare(raw, mail_from, rcpt_tos, options, received_at)
    except Exception as exc:  # noqa: BLE001 - the parser must not cost us the message
        return Incoming(raw=raw, sha256=hashlib.sha256(raw).hexdigest(), mail_from=mail_from,
                        rcpt_tos=rcpt_tos, received_at=received_at,
                        result=ParseResult(format="unknown", error=f"parser crashed: {exc!r}"))


def parse_options(cfg: "Config") -> ParseOptions:  # noqa: F821 - avoids an import cycle at runtime
    b = cfg.bounce
    return ParseOptions(bounce_local_parts=b.local_parts, bounce_domains=b.domains,
                        verp_delimiter=b.verp_delimiter,
                        extra_headers=tuple(dict.fromkeys((*b.original_headers, SIG_HEADER))))
