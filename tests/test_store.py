"""The store on both engines (a real SQLite file, a real PostgreSQL server): ingest, duplicates,
schema, faults, reprocess, the view. SQLite-only facts (WAL, file migrations) are tested on SQLite."""
from __future__ import annotations

import sqlite3
import zlib

import pytest

from bounced.config import Config, from_dict
from bounced.ingest import prepare
from bounced.store import SCHEMA_VERSION, Store, StoreError
from tests.storehelp import OPEN, dsn, hours


@pytest.fixture
def store(store_location):
    s = Store.open(store_location, OPEN)
    yield s
    s.close()


def incoming(rcpt, when, **kw):
    return prepare(dsn(rcpt, tag=str(when.timestamp()), **kw), "", ("bounces@localhost",), received_at=when)


def test_ingest_stores_message_events_and_suppression_together(store):
    out = store.ingest_many([incoming("User@Example.COM", hours(0))])
    assert out[0].events == 1 and not out[0].duplicate
    row = store.conn.execute("SELECT raw, parse_status, format FROM messages").fetchone()
    assert zlib.decompress(row["raw"]).startswith(b"From: MAILER-DAEMON")
    assert (row["parse_status"], row["format"]) == ("ok", "rfc3464")
    ev = store.conn.execute("SELECT address, domain, kind, reason, status FROM events").fetchone()
    assert tuple(ev) == ("user@example.com", "example.com", "hard", "user_unknown", "5.1.1")
    assert store.address_report("user@example.com").active_now


def test_same_message_twice_is_a_noop(store):
    item = incoming("a@example.com", hours(0))
    assert [o.duplicate for o in store.ingest_many([item, item])] == [False, True]
    assert [o.duplicate for o in store.ingest_many([item])] == [True]
    assert store.conn.execute("SELECT count(*) FROM events").fetchone()[0] == 1


def test_failed_batch_commits_nothing(store):
    good = incoming("a@example.com", hours(0))
    if store.dialect.name == "sqlite":
        store.conn.execute("CREATE TRIGGER boom BEFORE INSERT ON events WHEN NEW.address = 'b@example.com' "
                           "BEGIN SELECT RAISE(ABORT, 'injected fault'); END")
    else:
        store.conn.execute("ALTER TABLE events ADD CONSTRAINT \"injected fault\" CHECK (address <> 'b@example.com')")
    with pytest.raises(StoreError, match="injected fault"):
        store.ingest_many([good, incoming("b@example.com", hours(1))])
    assert store.conn.execute("SELECT count(*) FROM messages").fetchone()[0] == 0
    assert store.conn.execute("SELECT count(*) FROM suppressions").fetchone()[0] == 0


def test_unparseable_message_is_still_stored(store):
    item = prepare(b"\x00\xff garbage without headers", "", ())
    out = store.ingest_many([item])
    assert out[0].message_id is not None and out[0].events == 0
    assert store.conn.execute("SELECT count(*) FROM messages").fetchone()[0] == 1


def test_soft_bounces_suppress_after_threshold_through_the_store(store):
    for h in (0, 12, 24):
        store.ingest_many([incoming("full@example.com", hours(h), status="4.2.2", diag="452 4.2.2 mailbox full")])
    st = store.conn.execute("SELECT active, kind, reason, soft_count FROM suppressions").fetchone()
    assert tuple(st) == (1, "soft", "mailbox_full", 3)


def test_wal_foreign_keys_and_version(tmp_path):
    s = Store.open(tmp_path / "b.db", OPEN)
    assert s.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert s.conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert s.conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()[0] == str(SCHEMA_VERSION)
    s.close()


def test_newer_schema_is_refused(store_location):
    s = Store.open(store_location, OPEN)
    s.conn.execute("UPDATE meta SET value = '999' WHERE key = 'schema_version'")
    s.close()
    with pytest.raises(StoreError, match="newer than this bounced"):
        Store.open(store_location, OPEN)


def test_a_version_1_database_is_migrated_with_its_suppressions_and_indexes(tmp_path):
    import sqlite3

    import sqlite_utils

    from bounced.store import MIGRATIONS

    path = tmp_path / "v1.db"
    conn = sqlite3.connect(path, isolation_level=None)
    MIGRATIONS[1](sqlite_utils.Database(conn))
    conn.execute("INSERT INTO meta VALUES ('schema_version', '1')")
    conn.execute("INSERT INTO suppressions (address, domain, active, kind, reason, source, suppressed_at) "
                 "VALUES ('old@example.com', 'example.com', 1, 'hard', 'user_unknown', 'bounce', '2026-01-01T00:00:00.000Z')")
    conn.close()
    s = Store.open(path, OPEN)
    assert s.conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()[0] == str(SCHEMA_VERSION)
    rows = [tuple(r) for r in s.conn.execute("SELECT address, kind, reason FROM active_suppressions")]
    assert rows == [("old@example.com", "hard", "user_unknown")]
    plan = " ".join(r[3] for r in s.conn.execute(
        "EXPLAIN QUERY PLAN SELECT * FROM active_suppressions WHERE address IN (?, ?, ?)", ("a", "b", "c")))
    assert "PRIMARY KEY" in plan, plan
    for count, index in [
            ("SELECT count(*) FROM suppressions WHERE active = 1 AND (expires_at IS NULL OR expires_at > 'x')",
             "COVERING INDEX idx_suppressions_active_kind"),
            ("SELECT count(*) FROM messages WHERE parse_status = 'failed'", "INDEX idx_messages_failed")]:
        plan = " ".join(r[3] for r in s.conn.execute("EXPLAIN QUERY PLAN " + count))
        assert index in plan, plan
    s.close()


@pytest.mark.parametrize("content,match", [
    (b"this is not sqlite at all" * 100, "not a usable bounced database"),
    (None, "not a bounced database"),
], ids=["garbage-file", "foreign-sqlite-file"])
def test_corrupt_or_foreign_file(tmp_path, content, match):
    p = tmp_path / "b.db"
    if content is None:
        sqlite3.connect(p).execute("CREATE TABLE other (x)").connection.commit()
    else:
        p.write_bytes(content)
    with pytest.raises(StoreError, match=match):
        Store.open(p, OPEN)


def test_missing_directory(tmp_path):
    with pytest.raises(StoreError, match="does not exist"):
        Store.open(tmp_path / "nope" / "b.db", OPEN)


def test_view_contract_and_expiry(store):
    cols = [d[0] for d in store.conn.execute("SELECT * FROM active_suppressions LIMIT 0").description]
    assert cols == ["address", "domain", "kind", "reason", "source", "suppressed_at", "expires_at", "last_event_at"]
    store.suppress("keep@example.com", "manual", kind="hard")
    store.ingest_many([incoming("old@example.com", hours(h), status="4.2.2", diag="mailbox full") for h in (0, 12, 24)])
    view = {r[0] for r in store.conn.execute("SELECT address FROM active_suppressions")}
    assert view == {"keep@example.com"}  # the soft one expired in 2026-01 (14 days after)


def test_reprocess_keeps_manual_lift_and_rebuilds_events(store):
    store.ingest_many([incoming("a@example.com", hours(0)), incoming("b@example.com", hours(1))])
    store.unsuppress("a@example.com", "client fixed the mailbox", by="ann")
    store.conn.execute("DELETE FROM events")  # as if an old classifier had produced nothing
    counts = store.reprocess(lambda raw, f, r: prepare(raw, f, r).result)
    assert counts["messages"] == 2 and counts["events"] == 2
    assert not store.address_report("a@example.com").active_now
    assert store.address_report("b@example.com").active_now
    assert store.address_report("a@example.com").audit[0]["actor"] == "ann"


def test_reprocess_moves_events_from_an_idna_2003_key_to_the_current_key(store):
    """Before IDNA 2008 ``faß.de`` was keyed ``fass.de``, which the key alone cannot undo; the raw
    message can: reprocess stores its events under today's key and rebuilds both addresses. A
    manual suppression has no raw message and stays where it was."""
    store.ingest_many([incoming("Jane@Faß.de", hours(0))])
    new, old = "jane@xn--fa-hia.de", "jane@fass.de"
    assert store.conn.execute("SELECT address FROM events").fetchone()[0] == new
    for table in ("events", "suppressions"):  # as the IDNA 2003 conversion stored them
        store.conn.execute(f"UPDATE {table} SET address = ?, domain = ?", (old, "fass.de"))
    store.suppress("other@fass.de", "asked by phone")
    assert store.address_report(old).active_now and not store.address_report(new).active_now
    counts = store.reprocess(lambda raw, f, r: prepare(raw, f, r).result)
    assert (counts["messages"], counts["events"]) == (1, 1)
    assert store.address_report(new).active_now and len(store.address_report(new).events) == 1
    assert not store.address_report(old).active_now and store.address_report(old).events == []
    assert store.address_report("other@fass.de").active_now


def test_prune_keeps_events(store):
    store.ingest_many([incoming("a@example.com", hours(0))])
    assert store.prune_raw(hours(1)) == 1
    assert store.conn.execute("SELECT raw FROM messages").fetchone()[0] is None
    assert store.conn.execute("SELECT count(*) FROM events").fetchone()[0] == 1


def test_case_sensitive_local_parts_configurable(store_location):
    s = Store.open(store_location, from_dict({"store": {"local_part_case_sensitive": True}}))
    assert s.key("John@Example.com") == "John@example.com"
    s.close()
    with Store.open(store_location, OPEN) as s:
        assert s.key("John@Example.com") == "John@example.com"  # kept in the database


def test_check_writable_fails_on_readonly_store(store_location):
    Store.open(store_location, OPEN).close()
    ro = Store.open(store_location, Config(), readonly=True)
    with pytest.raises(StoreError, match="cannot write"):
        ro.check_writable()


def test_a_migration_another_process_finished_is_not_run_again(tmp_path) -> None:
    """Two processes open a new file at once (`make run`: the daemon and `bounced web`); the second
    waited for the lock with the version it read before, and must find the work done."""
    s = Store.open(tmp_path / "race.db")
    s._upgrade(0)  # as if it had read version 0 before the other process migrated
    assert s._version() == SCHEMA_VERSION
    s.close()
