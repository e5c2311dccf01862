"""The suppression policy, one row per rule and window edge (pure: no store involved)."""
from __future__ import annotations

import dataclasses
import json

import pytest

from bounced.config import Config, PolicyConfig, from_dict
from bounced.model import Kind
from bounced.policy import apply_activity, apply_event, apply_lift, apply_manual_suppress, effective_kind
from tests.storehelp import hours

P = Config().policy


def run(facts, policy: PolicyConfig = P):
    """facts: (hour, kind, reason) or (hour, 'activity'); returns the final state."""
    state = None
    for f in facts:
        if f[1] == "activity":
            state = apply_activity(state, hours(f[0])).state
        else:
            state = apply_event(state, f[1], f[2], hours(f[0]), policy).state
    return state


SOFT = "soft"
CASES = [
    ("hard-suppresses-at-once", [(0, "hard", "user_unknown")], True, "hard"),
    ("complaint-suppresses-at-once", [(0, "complaint", "feedback")], True, "complaint"),
    ("one-soft-counts-only", [(0, SOFT, "mailbox_full")], False, None),
    ("three-soft-over-24h-suppress", [(0, SOFT, "mailbox_full"), (12, SOFT, "mailbox_full"), (24, SOFT, "mailbox_full")], True, "soft"),
    ("three-soft-within-23h-do-not", [(0, SOFT, "mailbox_full"), (12, SOFT, "mailbox_full"), (23, SOFT, "mailbox_full")], False, None),
    ("fourth-soft-after-spread-suppresses", [(0, SOFT, "mailbox_full"), (1, SOFT, "mailbox_full"), (2, SOFT, "mailbox_full"), (25, SOFT, "system_error")], True, "soft"),
    ("run-older-than-30d-restarts", [(0, SOFT, "mailbox_full"), (24, SOFT, "mailbox_full"), (24 * 31, SOFT, "mailbox_full")], False, None),
    ("activity-between-resets", [(0, SOFT, "mailbox_full"), (12, SOFT, "mailbox_full"), (13, "activity"), (30, SOFT, "mailbox_full")], False, None),
    ("delivered-between-resets", [(0, SOFT, "mailbox_full"), (12, SOFT, "mailbox_full"), (13, "delivered", "delivered"), (30, SOFT, "mailbox_full")], False, None),
    ("sender-side-never-counts", [(0, SOFT, "blocked"), (12, SOFT, "bad_reputation"), (30, SOFT, "speeding")], False, None),
    ("sender-side-does-not-break-run", [(0, SOFT, "mailbox_full"), (12, SOFT, "blocked"), (20, SOFT, "mailbox_full"), (30, SOFT, "mailbox_full")], True, "soft"),
    ("auto-reply-ignored", [(0, "auto_reply", "vacation"), (1, "auto_reply", "vacation"), (30, "auto_reply", "vacation")], False, None),
    ("delay-recorded-only", [(0, "delay", "expired"), (12, "delay", "expired"), (30, "delay", "expired")], False, None),
    ("soft-expires-after-14d", [(0, SOFT, "mailbox_full"), (12, SOFT, "mailbox_full"), (24, SOFT, "mailbox_full"), (24 + 24 * 14 + 1, "delay", "expired")], False, None),
    ("soft-renewed-by-another-soft", [(0, SOFT, "mailbox_full"), (12, SOFT, "mailbox_full"), (24, SOFT, "mailbox_full"), (24 * 10, SOFT, "mailbox_full"), (24 * 20, "delay", "expired")], True, "soft"),
    ("hard-not-downgraded-by-soft", [(0, "hard", "user_unknown"), (1, SOFT, "mailbox_full")], True, "hard"),
    ("hard-never-expires", [(0, "hard", "user_unknown"), (24 * 365, "delay", "expired")], True, "hard"),
    ("one-challenge-counts-only", [(0, SOFT, "challenge")], False, None),
    ("three-challenges-over-24h-suppress", [(0, SOFT, "challenge"), (12, SOFT, "challenge"), (24, SOFT, "challenge")], True, "soft"),
    ("auth-failure-report-never-counts", [(0, SOFT, "auth_failure"), (12, SOFT, "auth_failure"), (30, SOFT, "auth_failure")], False, None),
    ("hard-after-soft-upgrades", [(0, SOFT, "mailbox_full"), (12, SOFT, "mailbox_full"), (24, SOFT, "mailbox_full"), (25, "hard", "user_unknown")], True, "hard"),
]


@pytest.mark.parametrize("facts,active,kind", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_policy_rules(facts, active, kind):
    state = run(facts)
    end = hours(facts[-1][0])
    assert (state is not None and state.is_active(end)) == active
    if active:
        assert state.kind == kind


def test_soft_suppression_expiry_date():
    s = run([(0, SOFT, "mailbox_full"), (12, SOFT, "mailbox_full"), (24, SOFT, "mailbox_full")])
    assert s.expires_at == hours(24 + 24 * 14)
    assert s.soft_count == 3


def test_thresholds_come_from_config():
    p = from_dict({"policy": {"soft_threshold": 2, "soft_min_spread_hours": 1}}).policy
    assert run([(0, SOFT, "mailbox_full"), (2, SOFT, "mailbox_full")], p).is_active(hours(2))
    assert not run([(0, SOFT, "mailbox_full"), (2, SOFT, "mailbox_full")]).is_active(hours(2))


def test_reason_kind_override_makes_blocked_hard():
    p = from_dict({"policy": {"reason_kinds": {"mailbox_full": "hard"}}}).policy
    assert effective_kind("soft", "mailbox_full", p) == "hard"
    assert run([(0, SOFT, "mailbox_full")], p).kind == "hard"
    assert effective_kind("delay", "mailbox_full", p) == "delay"  # a delay stays a delay


def test_complaints_can_be_recorded_without_suppressing():
    p = dataclasses.replace(P, suppress_complaints=False)
    assert run([(0, "complaint", "feedback")], p).active is False


def test_manual_lift_then_new_hard_suppresses_again():
    s = run([(0, "hard", "user_unknown")])
    s = apply_lift(s, hours(1), "ann", "client fixed it").state
    assert not s.is_active(hours(1)) and s.lifted_by == "ann"
    s = apply_event(s, Kind.HARD, "user_unknown", hours(2), P).state
    assert s.is_active(hours(2))


def test_manual_suppress_does_not_expire():
    s = apply_manual_suppress(None, "soft", "asked by phone", hours(0)).state
    assert s.is_active(hours(24 * 400)) and s.source == "manual"


# --------------------------------------------------------------------------------------------
# [policy.reason_kinds] end to end: a config file, the real parser, the real CLI and SQLite store
# --------------------------------------------------------------------------------------------
def _dsn(rcpt: str, status: str, diag: str, tag: str) -> bytes:
    from tests.storehelp import dsn

    return dsn(rcpt, status, diag, tag=tag)


SUSPENDED = ("closed@example.org", "5.2.1", "550 5.2.1 The email account that you tried to reach is disabled")
RELAY = ("far@elsewhere.example", "5.7.1", "554 5.7.1 <far@elsewhere.example>: Relay access denied")


@pytest.mark.parametrize(("config", "case", "suppressed"), [
    pytest.param("", SUSPENDED, False, id="suspend-default-soft-one-bounce-keeps-mailing"),
    pytest.param('[policy.reason_kinds]\nsuspend = "hard"\n', SUSPENDED, True, id="suspend-overridden-hard"),
    pytest.param("", RELAY, False, id="no-relaying-default-sender-side"),
    pytest.param('[policy.reason_kinds]\nno_relaying = "hard"\n', RELAY, True, id="no-relaying-overridden-hard"),
])
def test_reason_kinds_override_end_to_end(tmp_path, config: str, case: tuple, suppressed: bool) -> None:
    from click.testing import CliRunner

    from bounced.cli import main

    rcpt, status, diag = case
    cfg = tmp_path / "bounced.toml"
    # trust = "open": the policy is under test here, not who may suppress (tests/test_trust_*.py)
    cfg.write_text('[bounce]\ntrust = "open"\n\n' + config)
    eml = tmp_path / "m.eml"
    eml.write_bytes(_dsn(rcpt, status, diag, "e2e"))
    db = str(tmp_path / "b.db")
    r = CliRunner().invoke(main, ["ingest", str(eml), "--config", str(cfg), "--db", db, "--create"])
    assert r.exit_code == 0, r.output
    r = CliRunner().invoke(main, ["inspect", rcpt, "--db", db, "--json"])
    state = json.loads(r.output.splitlines()[0])
    assert state["active_now"] is suppressed

