"""Which suppression change a state transition is: a pure function, so live ingest, manual writes,
the expiry sweep and ``bounced reprocess`` report the same changes to the feed and the webhooks.

============== ==============================================================================
change         when
============== ==============================================================================
suppressed     an address becomes suppressed for the first time (hard, soft, manual, import)
complaint      it becomes suppressed because its owner complained (ARF feedback report)
re-suppressed  it becomes suppressed again after a lift or expiry, or with a new kind/reason
lifted         a person or a token lifted it (``unsuppress``, ``DELETE /suppressions/...``)
expired        a soft suppression reached ``expires_at``
============== ==============================================================================

A soft suppression that expired without anything touching the address is still ``active`` in its
row; the first write that sees it (a new event, activity, the web process's sweep) reports the
expiry at its ``expires_at``, before whatever that write then does.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bounced.model import Kind
from bounced.policy import State


@dataclass(frozen=True, slots=True)
class ChangeRecord:
    change: str
    at: datetime
    kind: str | None
    reason: str | None
    source: str | None
    expires_at: datetime | None


def between(before: State | None, after: State) -> list[ChangeRecord]:
    """The changes (zero, one or two, in time order) that take ``before`` to ``after``."""
    b = before or State()
    out: list[ChangeRecord] = []
    if b.active and not after.active:
        expired = after.lifted_by == "policy"
        out.append(ChangeRecord("expired" if expired else "lifted", after.lifted_at or b.expires_at or b.suppressed_at,  # type: ignore[arg-type]
                                b.kind, after.lifted_reason if not expired else b.reason, b.source, None))
        return out
    if not after.active or after.suppressed_at is None:
        return out
    if b.active and after.suppressed_at == b.suppressed_at and after.kind == b.kind:
        return out  # renewed, counted or recorded: still the same suppression
    if b.active and b.expires_at is not None and b.expires_at <= after.suppressed_at:
        out.append(ChangeRecord("expired", b.expires_at, b.kind, b.reason, b.source, None))
    if after.kind == Kind.COMPLAINT:
        name = "complaint"
    elif b.suppressed_at is not None:
        name = "re-suppressed"
    else:
        name = "suppressed"
    out.append(ChangeRecord(name, after.suppressed_at, after.kind, after.reason, after.source, after.expires_at))
    return out
