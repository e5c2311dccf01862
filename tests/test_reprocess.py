"""Reprocess's replay of an address's history (pure: no store involved). The runs through the
store, on both engines and with concurrent writers, are in test_store.py, test_changes.py and
test_operator_cli.py."""
from __future__ import annotations

import json

import pytest

from bounced.config import Config
from bounced.policy import apply_activity, apply_event
from bounced.reprocess import Decision, History, PastEvent, replay
from bounced.timeutil import to_text
from tests.storehelp import hours
from tests.test_policy import CASES

P = Config().policy


def history(facts, decisions=()) -> History:
    """facts as in test_policy: (hour, kind, reason) or (hour, 'activity')."""
    events = tuple(PastEvent(i, to_text(hours(f[0])), f[1], f[2]) for i, f in enumerate(facts) if f[1] != "activity")
    activity = tuple(to_text(hours(f[0])) for f in facts if f[1] == "activity")
    return History(events, tuple(decisions), activity)


def decision(hour: float, action: str, *, kind: str | None = "hard", reason: str = "user_unknown",
             detail: dict | None = None) -> Decision:
    return Decision(to_text(hours(hour)), action, kind, reason, "ops", json.dumps(detail) if detail else None)


@pytest.mark.parametrize("facts", [c[1] for c in CASES], ids=[c[0] for c in CASES])
def test_replay_ends_where_live_ingest_ends(facts) -> None:
    """The same facts applied one by one as they arrive, as ingest does, give the same state and
    the same action per event."""
    state, actions = None, []
    for i, f in enumerate(facts):
        if f[1] == "activity":
            state = apply_activity(state, hours(f[0])).state
        else:
            change = apply_event(state, f[1], f[2], hours(f[0]), P)
            state = change.state
            actions.append((i, change.action))
    out = replay(history(facts), P)
    assert out.state == state
    assert list(out.actions) == actions


def test_an_operators_lift_at_the_same_instant_as_a_bounce_comes_after_it() -> None:
    out = replay(history([(5, "hard", "user_unknown")], [decision(5, "unsuppress", reason="customer asked")]), P)
    assert out.state is not None and not out.state.is_active(hours(6))
    assert out.state.lifted_by == "ops"


def test_a_promotion_applies_its_event_when_the_event_happened() -> None:
    """An untrusted hard bounce at hour 0, lifted by hand at hour 50, promoted at hour 100: applied at
    hour 0 the lift still ends it; applied at hour 100 it would suppress again."""
    promote = decision(100, "promote", detail={"event_at": to_text(hours(0))})
    out = replay(history([], [promote, decision(50, "unsuppress")]), P)
    assert out.state is not None and not out.state.is_active(hours(101))
    assert out.actions == ()  # a promotion is not a stored event: no policy action to write back


def test_a_discard_changes_nothing() -> None:
    facts = [(0, "soft", "mailbox_full")]
    discard = decision(1, "discard", detail={"event_at": to_text(hours(1))})
    assert replay(history(facts, [discard]), P) == replay(history(facts), P)


def test_a_manual_suppression_keeps_its_source_and_expiry() -> None:
    until = hours(48)
    out = replay(history([], [decision(0, "import", kind="soft", reason="mailbox_full",
                                       detail={"expires_at": to_text(until)})]), P)
    assert out.state is not None and out.state.source == "import" and out.state.expires_at == until
    assert out.state.is_active(hours(47)) and not out.state.is_active(hours(49))
