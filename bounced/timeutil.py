"""Times as the store keeps them: UTC ISO-8601 text with milliseconds, the same shape SQLite's
``strftime('%Y-%m-%dT%H:%M:%fZ', 'now')`` produces, so SQL can compare them as strings."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d|w)?\s*$", re.I)
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def to_text(t: datetime) -> str:
    if t.tzinfo is None:
        t = t.replace(tzinfo=timezone.utc)
    t = t.astimezone(timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


def from_text(s: str | None) -> datetime | None:
    if not s:
        return None
    return datetime.fromisoformat(s.replace("Z", "+00:00"))


def parse_duration(text: str) -> timedelta:
    """'90d', '12h', '30m', '2w', '45s' (a bare number means days)."""
    m = _DURATION.match(text or "")
    if not m:
        raise ValueError(f"not a duration: {text!r} (use e.g. 90d, 12h, 30m)")
    return timedelta(seconds=float(m.group(1)) * _UNITS[(m.group(2) or "d").lower()])


def parse_when(text: str, now: datetime | None = None) -> datetime:
    """An ISO date/time, or a duration meaning that long ago ('1d' = one day before now)."""
    now = now or utcnow()
    try:
        t = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
        return t if t.tzinfo else t.replace(tzinfo=timezone.utc)
    except ValueError:
        pass
    try:
        return now - parse_duration(text)
    except ValueError:
        raise ValueError(f"not a date or duration: {text!r} (use 2026-01-31, 2026-01-31T12:00, or 7d)") from None
