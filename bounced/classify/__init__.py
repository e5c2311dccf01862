"""Turn the fields a format module found into a reason and a kind, from data tables.

Precedence (the one list; first decision wins) -- filled in as the tables grow:

1. a reason pre-set by the format module (feedback, vacation, an MTA-specific decision);
2. the status code's class/subject/detail;
3. the class default (``undefined``).

The kind comes from the reason's default (:data:`bounced.reasons.DEFAULT_KINDS`) adjusted by
the action and the status class.
"""
from __future__ import annotations

from dataclasses import dataclass

from bounced.model import Found, Kind
from bounced.reasons import DEFAULT_KINDS

__all__ = ["Classification", "classify"]


@dataclass(frozen=True, slots=True)
class Classification:
    """The classifier's verdict for one recipient; ``status`` may be normalized or inferred."""

    reason: str
    kind: Kind
    status: str | None


def classify(found: Found, fmt: str) -> Classification:
    """Classify one recipient of a message in format ``fmt``; never raises."""
    status = found.status
    action = (found.action or "").lower()
    if found.reason in DEFAULT_KINDS:
        reason = found.reason
    elif action in ("delivered", "relayed", "expanded"):
        reason = "delivered"
    elif action == "delayed":
        reason = "expired"
    else:
        reason = "undefined"
    kind = DEFAULT_KINDS[reason]
    if action in ("delivered", "relayed", "expanded"):
        kind = Kind.DELIVERED
    elif action == "delayed":
        kind = Kind.DELAY
    return Classification(reason=reason, kind=kind, status=status)
