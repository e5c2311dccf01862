"""The suppression policy: a pure function from an address's state and one new fact to its new state.

No I/O and no clock: the store feeds events (and recorded activity) in time order and persists
what comes back, so the same function serves live ingest and ``bounced reprocess``.

Rules (defaults; every number comes from ``[policy]`` in the config):

============================  ==============================================================
fact                          effect
============================  ==============================================================
hard                          suppress at once; never expires
complaint                     suppress at once as kind complaint (``suppress_complaints``)
soft, recipient-side reason   count it; suppress when ``soft_threshold`` consecutive soft
                              bounces span at least ``soft_min_spread_hours`` and the run
                              began within ``soft_window_days``; expires after
                              ``soft_expiry_days`` unless another soft bounce renews it
soft, sender-side reason      recorded only: our IP/DNS/rate is the problem, not the mailbox
delay, unknown                recorded only
auto_reply                    ignored (proves the mailbox exists, but is not engagement)
delivered, activity           the soft run starts over
manual suppress / lift        as the operator says (the audit log keeps who and why)
============================  ==============================================================

A stronger suppression is never downgraded by a weaker fact: a soft bounce on a hard-suppressed
address only updates its last event.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from bounced.config import PolicyConfig
from bounced.model import Kind
from bounced.reasons import DEFAULT_KINDS


@dataclass(frozen=True, slots=True)
class State:
    """What the store keeps per address (one row of ``suppressions``)."""

    active: bool = False
    kind: str | None = None
    reason: str | None = None
    source: str | None = None  # policy | manual | import
    first_event_at: datetime | None = None
    last_event_at: datetime | None = None
    soft_count: int = 0
    soft_first_at: datetime | None = None
    suppressed_at: datetime | None = None
    expires_at: datetime | None = None
    lifted_at: datetime | None = None
    lifted_by: str | None = None
    lifted_reason: str | None = None

    def is_active(self, now: datetime) -> bool:
        return self.active and (self.expires_at is None or self.expires_at > now)


@dataclass(frozen=True, slots=True)
class Change:
    state: State
    action: str  # suppressed | renewed | counted | reset | recorded | ignored | expired+...


def effective_kind(kind: str, reason: str, policy: PolicyConfig) -> str:
    """The parser's kind, unless the operator re-mapped this reason in ``policy.reason_kinds``."""
    if kind in (Kind.HARD, Kind.SOFT):
        configured = policy.reason_kinds.get(reason)
        if configured is not None and configured != DEFAULT_KINDS.get(reason):
            return str(configured)
    return kind


def _expire(state: State, now: datetime) -> tuple[State, bool]:
    if state.active and state.expires_at is not None and state.expires_at <= now:
        return replace(state, active=False, lifted_at=state.expires_at, lifted_by="policy",
                       lifted_reason="soft suppression expired", soft_count=0, soft_first_at=None), True
    return state, False


def apply_expiry(state: State, now: datetime) -> Change:
    """A soft suppression past ``expires_at`` ends (the web process's sweep writes it down)."""
    s, expired = _expire(state, now)
    return Change(s, "expired" if expired else "recorded")


def apply_event(state: State | None, kind: str, reason: str, at: datetime, policy: PolicyConfig) -> Change:
    """The new state after one parsed event for this address."""
    s = state or State()
    s, expired = _expire(s, at)
    s = replace(s, first_event_at=s.first_event_at or at,
                last_event_at=max(s.last_event_at, at) if s.last_event_at else at)
    kind = effective_kind(kind, reason, policy)
    change = _decide(s, kind, reason, at, policy)
    if expired:
        change = replace(change, action="expired+" + change.action)
    return change


def _suppress(s: State, kind: str, reason: str, at: datetime, expires: datetime | None) -> State:
    return replace(s, active=True, kind=kind, reason=reason, source="policy", suppressed_at=at,
                   expires_at=expires, lifted_at=None, lifted_by=None, lifted_reason=None)


def _decide(s: State, kind: str, reason: str, at: datetime, p: PolicyConfig) -> Change:
    strong_active = s.active and s.kind in (Kind.HARD, Kind.COMPLAINT)
    if kind == Kind.HARD:
        if strong_active:
            return Change(s, "recorded")
        return Change(_suppress(s, kind, reason, at, None), "suppressed")
    if kind == Kind.COMPLAINT:
        if not p.suppress_complaints or (s.active and s.kind == Kind.HARD):
            return Change(s, "recorded")
        if s.active and s.kind == Kind.COMPLAINT:
            return Change(s, "recorded")
        return Change(_suppress(s, kind, reason, at, None), "suppressed")
    if kind == Kind.DELIVERED:
        return Change(replace(s, soft_count=0, soft_first_at=None), "reset")
    if kind == Kind.SOFT:
        if reason in p.sender_side:
            return Change(s, "recorded")
        return _soft(s, reason, at, p)
    if kind == Kind.AUTO_REPLY:
        return Change(s, "ignored")
    return Change(s, "recorded")  # delay, unknown


def _soft(s: State, reason: str, at: datetime, p: PolicyConfig) -> Change:
    window = timedelta(days=p.soft_window_days)
    if s.soft_first_at is None or at - s.soft_first_at > window:
        s = replace(s, soft_count=1, soft_first_at=at)
    else:
        s = replace(s, soft_count=s.soft_count + 1)
    expires = at + timedelta(days=p.soft_expiry_days)
    if s.active:
        if s.kind == Kind.SOFT:
            return Change(replace(s, expires_at=max(s.expires_at or expires, expires), reason=reason), "renewed")
        return Change(s, "recorded")  # hard/complaint/manual stays as it is
    spread_ok = at - s.soft_first_at >= timedelta(hours=p.soft_min_spread_hours)
    if s.soft_count >= p.soft_threshold and spread_ok:
        return Change(_suppress(s, Kind.SOFT, reason, at, expires), "suppressed")
    return Change(s, "counted")


def apply_activity(state: State | None, at: datetime) -> Change:
    """Recorded activity (a delivery or engagement the mailer saw) starts the soft run over."""
    s = state or State()
    s, _ = _expire(s, at)
    return Change(replace(s, soft_count=0, soft_first_at=None), "reset")


def apply_manual_suppress(state: State | None, kind: str, reason: str, at: datetime, source: str = "manual",
                          expires: datetime | None = None) -> Change:
    """A suppression by hand or by import; ``expires`` None means until lifted."""
    s = state or State()
    s = replace(s, active=True, kind=kind, reason=reason, source=source, suppressed_at=at, expires_at=expires,
                lifted_at=None, lifted_by=None, lifted_reason=None, first_event_at=s.first_event_at or at)
    return Change(s, "suppressed")


def apply_lift(state: State | None, at: datetime, by: str, why: str) -> Change:
    s = state or State()
    return Change(replace(s, active=False, lifted_at=at, lifted_by=by, lifted_reason=why,
                          soft_count=0, soft_first_at=None), "lifted")
