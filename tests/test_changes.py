"""The change feed and the webhook outbox at the store: which transitions are reported, that the
outbox row is written in the change's own transaction, and every activity time kept for replay."""
from __future__ import annotations

import sqlite3
from dataclasses import replace

import pytest
import sqlite_utils

from bounced import changes
from bounced.config import Config, from_dict
from bounced.ingest import prepare
from bounced.policy import State
from bounced.store import MIGRATIONS, Store
from tests.storehelp import OPEN, dsn, hours

HOOKS = {"bounce": {"trust": "open"}, "web": {"webhooks": [
    {"url": "http://127.0.0.1:9/all", "secret": "s" * 16},
    {"url": "http://127.0.0.1:9/lifts", "secret": "t" * 16, "events": ["lifted", "expired"]}]}}


def soft(rcpt: str, h: float):
    return prepare(dsn(rcpt, "4.2.2", "452 4.2.2 mailbox full", tag=f"{rcpt}{h}"), "", (), received_at=hours(h))


ACTIVE_SOFT = State(active=True, kind="soft", reason="mailbox_full", source="policy", suppressed_at=hours(0),
                    expires_at=hours(10))
CASES = [  # (id, before, after, expected change names)
    ("first-hard", None, State(active=True, kind="hard", reason="user_unknown", source="policy", suppressed_at=hours(1)),
     ["suppressed"]),
    ("complaint", None, State(active=True, kind="complaint", reason="feedback", source="policy", suppressed_at=hours(1)),
     ["complaint"]),
    ("counted-only", State(soft_count=1), State(soft_count=2), []),
    ("renewed", ACTIVE_SOFT, replace(ACTIVE_SOFT, expires_at=hours(20)), []),
    ("lifted", ACTIVE_SOFT, replace(ACTIVE_SOFT, active=False, lifted_at=hours(2), lifted_by="ann", lifted_reason="x"),
     ["lifted"]),
    ("expired", ACTIVE_SOFT, replace(ACTIVE_SOFT, active=False, lifted_at=hours(10), lifted_by="policy"), ["expired"]),
    ("expired-then-hard", ACTIVE_SOFT, replace(ACTIVE_SOFT, kind="hard", suppressed_at=hours(30), expires_at=None),
     ["expired", "re-suppressed"]),
    ("upgraded-soft-to-hard", ACTIVE_SOFT, replace(ACTIVE_SOFT, kind="hard", suppressed_at=hours(5), expires_at=None),
     ["re-suppressed"]),
    ("after-a-lift", replace(ACTIVE_SOFT, active=False, lifted_at=hours(2)),
     replace(ACTIVE_SOFT, suppressed_at=hours(40), expires_at=hours(50)), ["re-suppressed"]),
]


@pytest.mark.parametrize("before,after,names", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_change_classification(before, after, names) -> None:
    assert [c.change for c in changes.between(before, after)] == names


def test_changes_and_outbox_rows_per_receiver(tmp_path) -> None:
    with Store.open(tmp_path / "b.db", from_dict(HOOKS)) as s:
        s.ingest_many([prepare(dsn("a@example.com"), "", (), received_at=hours(0))])
        s.unsuppress("a@example.com", "fixed", by="ann")
        rows = s.conn.execute("SELECT c.change, o.url FROM webhook_outbox o JOIN changes c ON c.id = o.change_id "
                              "ORDER BY o.id").fetchall()
    assert [tuple(r) for r in rows] == [("suppressed", "http://127.0.0.1:9/all"), ("lifted", "http://127.0.0.1:9/all"),
                                        ("lifted", "http://127.0.0.1:9/lifts")]


def test_outbox_is_in_the_changes_transaction(tmp_path) -> None:
    """A write that fails after its change was recorded leaves neither the change nor its outbox row."""
    with Store.open(tmp_path / "b.db", from_dict(HOOKS)) as s:
        s.conn.execute("CREATE TRIGGER boom BEFORE INSERT ON audit BEGIN SELECT RAISE(ABORT, 'disk on fire'); END")
        with pytest.raises(Exception, match="disk on fire"):
            s.suppress("a@example.com", "by hand")
        assert s.conn.execute("SELECT count(*) FROM changes").fetchone()[0] == 0
        assert s.conn.execute("SELECT count(*) FROM webhook_outbox").fetchone()[0] == 0
        assert not s.address_report("a@example.com").active_now


def test_sweep_records_each_expiry_once(tmp_path) -> None:
    with Store.open(tmp_path / "b.db", OPEN) as s:
        s.ingest_many([soft("a@example.com", h) for h in (0, 12, 30)])
        assert s.sweep_expired() == 1 and s.sweep_expired() == 0
        feed = [(c["change"], c["at"]) for c in s.changes_after(0, 10)]
    assert feed == [("suppressed", "2026-01-02T18:00:00.000Z"), ("expired", "2026-01-16T18:00:00.000Z")]


def test_reprocess_replays_every_activity_time(tmp_path) -> None:
    """Soft bounces at 0, 30 and 60 h with a click at 13 h and another at 70 h: live, the click at 13 h
    restarts the run, so it never reaches 3. Keeping only the last activity time, reprocess saw three
    bounces in a row and suppressed an engaged address."""
    with Store.open(tmp_path / "b.db", OPEN) as s:
        s.ingest_many([soft("fan@example.com", 0)])
        s.record_activities([("fan@example.com", hours(13), "click")])
        s.ingest_many([soft("fan@example.com", 30), soft("fan@example.com", 60)])
        s.record_activities([("fan@example.com", hours(70), "click")])
        live = s.address_report("fan@example.com")
        s.reprocess(lambda raw, f, r: prepare(raw, f, r).result)
        replayed = s.address_report("fan@example.com")
    assert [e["policy_action"] for e in live.events] == [e["policy_action"] for e in replayed.events] == ["counted"] * 3
    assert live.state["suppressed_at"] is None and replayed.state["suppressed_at"] is None
    assert [a["at"] for a in replayed.activity] == ["2026-01-02T01:00:00.000Z", "2026-01-04T10:00:00.000Z"]
    assert live.state["soft_count"] == replayed.state["soft_count"] == 0


def test_migration_from_v3_keeps_recorded_activity(tmp_path) -> None:
    path = tmp_path / "v3.db"
    conn = sqlite3.connect(path, isolation_level=None)
    db = sqlite_utils.Database(conn)
    for v in (1, 2, 3):
        MIGRATIONS[v](db)
    conn.execute("INSERT INTO meta VALUES ('schema_version', '3')")
    conn.execute("INSERT INTO activity VALUES ('a@example.com', '2026-01-01T00:00:00.000Z', 'mailer')")
    conn.execute("INSERT INTO activity VALUES ('b@example.com', '2026-01-01T00:00:00.000Z', 'delivery report')")
    conn.close()
    with Store.open(path, OPEN) as s:
        assert [(r["address"], r["type"]) for r in s.conn.execute("SELECT * FROM activity_log")] == [
            ("a@example.com", "activity")]
        assert s.changes_after(0, 10) == [] and s.tokens() == []


def test_sweep_is_bounded_per_transaction(tmp_path) -> None:
    with Store.open(tmp_path / "b.db", OPEN) as s:
        s.ingest_many([soft(f"u{i}@example.com", h) for i in range(5) for h in (0, 12, 30)])
        assert [s.sweep_expired(limit=2) for _ in range(4)] == [2, 2, 1, 0]
        assert sum(c["change"] == "expired" for c in s.changes_after(0, 100)) == 5


def test_erase_removes_the_address_from_activity_history_feed_and_outbox(tmp_path) -> None:
    with Store.open(tmp_path / "b.db", from_dict(HOOKS)) as s:
        s.ingest_many([prepare(dsn("gone@example.com"), "", (), received_at=hours(0)),
                       prepare(dsn("stays@example.com"), "", (), received_at=hours(0))])
        s.record_activities([("gone@example.com", hours(1), "click")])
        out = s.erase("gone@example.com", by="dpo")
        left = {t: s.conn.execute(f"SELECT count(*) FROM {t} WHERE address = 'gone@example.com'").fetchone()[0]
                for t in ("activity_log", "changes")}
        outbox = s.conn.execute("SELECT count(*) FROM webhook_outbox").fetchone()[0]
        feed = [c["address"] for c in s.changes_after(0, 10)]
    assert out["changes"] == 1 and left == {"activity_log": 0, "changes": 0}
    assert feed == ["stays@example.com"] and outbox == 1  # the other address's event, for the one 'all' receiver
