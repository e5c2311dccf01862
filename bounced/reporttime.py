"""When a stored bounce happened, for ``bounced ingest`` of old mail.

The daemon stamps a message with the time it received it. An archive ingested years later must
keep its own times, or two years of mailbox-full bounces land within seconds and the soft-bounce
window (which counts bounces over days) never sees them. The report says when it was written:
the per-recipient Last-Attempt-Date (RFC 3464 2.3.7), the message's own Date header (RFC 5322
3.6.1, set by the MTA that wrote the report) and the Arrival-Date of the original (RFC 3464
2.2.5, earliest, so last). Any of them can be wrong or forged, so the time is bounded: never
after the time the message was received (the mbox ``From_`` line, the maildir delivery time, or
now) and never before :data:`EARLIEST` (RFC 1894, the first DSN standard, is from 1996); outside
those bounds the received time is used.
"""
from __future__ import annotations

import re
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

from bounced.model import ParseResult

EARLIEST = datetime(1996, 1, 1, tzinfo=timezone.utc)
_HEAD_LIMIT = 64 * 1024  # the Date header is in the top-level header block
_SCAN_LIMIT = 256 * 1024  # Arrival-Date is in the delivery-status part, near the start
_DATE = re.compile(rb"^Date:[ \t]*([^\r\n]{1,200})", re.I | re.M)
_ARRIVAL = re.compile(rb"^Arrival-Date:[ \t]*([^\r\n]{1,200})", re.I | re.M)


def rfc5322_date(value: str | bytes | None) -> datetime | None:
    """An RFC 5322 date as an aware UTC datetime; None when unreadable."""
    if not value:
        return None
    text = value.decode("ascii", "replace") if isinstance(value, bytes) else value
    try:
        dt = parsedate_to_datetime(text.strip())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if dt is None:
        return None
    return dt.replace(tzinfo=timezone.utc) if dt.tzinfo is None else dt.astimezone(timezone.utc)


def _iso(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        dt = datetime.fromisoformat(value)
    except ValueError:
        return None
    return dt.replace(tzinfo=timezone.utc) if dt.tzinfo is None else dt.astimezone(timezone.utc)


def candidates(raw: bytes, result: ParseResult) -> list[datetime]:
    """The report's own times, best first: Last-Attempt-Date, Date, Arrival-Date."""
    out: list[datetime] = []
    attempts = [t for t in (_iso(r.last_attempt) for r in result.recipients) if t is not None]
    if attempts:
        out.append(max(attempts))
    head = raw[:_HEAD_LIMIT].split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
    m = _DATE.search(head)
    if m and (t := rfc5322_date(m.group(1))):
        out.append(t)
    m = _ARRIVAL.search(raw[:_SCAN_LIMIT])
    if m and (t := rfc5322_date(m.group(1))):
        out.append(t)
    return out


def event_time(raw: bytes, result: ParseResult, received: datetime | None = None,
               now: datetime | None = None) -> datetime:
    """The time to record for a stored message: the first of its own times within the bounds."""
    now = now or datetime.now(timezone.utc)
    upper = min(received, now) if received and received >= EARLIEST else now
    for t in candidates(raw, result):
        if EARLIEST <= t <= upper:
            return t
    return upper
