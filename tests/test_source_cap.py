"""The per-source cap and the alerts table (schema v7) in the store, on both engines, and the
migration of a v6 file whose outbox holds rows."""
from __future__ import annotations

import dataclasses
import json
import sqlite3
from datetime import timedelta

import sqlite_utils

from bounced.config import from_dict
from bounced.ingest import prepare
from bounced.store import MIGRATIONS, SCHEMA_VERSION, Store
from tests.storehelp import T0, dsn

HOOK = {"url": "http://127.0.0.1:9/hook", "secret": "a-long-shared-secret-for-tests",
        "events": ["suppressed", "source_cap.tripped", "held.released"]}
CFG = {"bounce": {"trust": "open"}, "breaker": {"enabled": False, "max_per_source": 3, "source_window_minutes": 60},
       "web": {"webhooks": [HOOK]}}


def bounce(rcpt: str, source: str | None, minutes: float):
    inc = prepare(dsn(rcpt, tag=f"{rcpt}-{minutes}"), "", (), received_at=T0 + timedelta(minutes=minutes))
    return dataclasses.replace(inc, source=source)


def active(s: Store) -> set[str]:
    return {r["address"] for r in s.list_suppressions()}


def test_one_source_is_held_past_its_cap_another_is_not(store_location, tmp_path):
    cfg = from_dict({**CFG, "store": {"path": str(tmp_path / "b.db")}})
    with Store.open(store_location, cfg) as s:
        burst = [bounce(f"u{i}@a.example", "192.0.2.7", i) for i in range(6)]
        other = [bounce(f"v{i}@b.example", "198.51.100.9", i) for i in range(3)]
        outcomes = s.ingest_many(burst[:2]) + s.ingest_many(burst[2:] + other[:2]) + s.ingest_many(other[2:])
        assert [o.capped for o in outcomes] == [None, None, None, "192.0.2.7", None, None, None, None, None]
        held = s.held()
        assert sorted(h["address"] for h in held) == ["u3@a.example", "u4@a.example", "u5@a.example"]
        assert all(h["cause"] == "source_cap: more than 3 new hard suppressions from 192.0.2.7 within 60 min"
                   for h in held)
        # each source is counted alone: the other one's three all apply
        assert active(s) == {"u0@a.example", "u1@a.example", "u2@a.example",
                                                             "v0@b.example", "v1@b.example", "v2@b.example"}
        alerts = s.conn.execute("SELECT type, detail FROM alerts ORDER BY id").fetchall()
        assert [a[0] for a in alerts] == ["source_cap.tripped"]  # one per trip, not per held row
        first = json.loads(alerts[0][1])
        assert first == {"source": "192.0.2.7", "window_hard": 3, "cap": 3, "window_minutes": 60, "held": 3}
        assert s.outbox_next(HOOK["url"])["change"] == "suppressed"
        # an hour later the window has moved on: the source may suppress again
        s.ingest_many([bounce("late@a.example", "192.0.2.7", 200)])
        assert "late@a.example" in active(s)
        assert s.decide_held(None, True, "checked", domain="a.example", by="ann") == 3
        assert s.conn.execute("SELECT count(*) FROM webhook_outbox WHERE alert_id IS NOT NULL").fetchone()[0] == 2


def test_unknown_sources_and_our_own_relay_are_not_capped(store_location, tmp_path):
    """Without XFORWARD every bounce comes from the MTA in front (127.0.0.1): capping it would cap all."""
    cfg = from_dict({**CFG, "store": {"path": str(tmp_path / "b.db")}})
    with Store.open(store_location, cfg) as s:
        s.ingest_many([bounce(f"r{i}@c.example", "127.0.0.1", i) for i in range(5)]
                      + [bounce(f"n{i}@c.example", None, i) for i in range(5)])
        assert s.held() == [] and len(active(s)) == 10
        stored = {r[0] for r in s.conn.execute("SELECT source_addr FROM messages")}
        assert stored == {"127.0.0.1", None}


def test_reprocess_holds_the_same_and_raises_no_alert_again(tmp_path):
    cfg = from_dict({**CFG, "store": {"path": str(tmp_path / "b.db")}})
    with Store.open(tmp_path / "b.db", cfg) as s:
        s.ingest_many([bounce(f"u{i}@a.example", "192.0.2.7", i) for i in range(5)])
        before = sorted(h["address"] for h in s.held())
        s.reprocess(lambda raw, mf, rc: prepare(raw, mf, rc).result)
        assert sorted(h["address"] for h in s.held()) == before == ["u3@a.example", "u4@a.example"]
        assert s.conn.execute("SELECT count(*) FROM alerts").fetchone()[0] == 1


def test_a_version_6_database_keeps_its_outbox_through_the_migration(tmp_path):
    path = tmp_path / "v6.db"
    conn = sqlite3.connect(path, isolation_level=None)
    for v in range(1, 7):
        MIGRATIONS[v](sqlite_utils.Database(conn))
    conn.execute("INSERT INTO meta VALUES ('schema_version', '6')")
    conn.execute("INSERT INTO changes (id, at, recorded_at, address, change) VALUES "
                 "(41, '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z', 'a@example.com', 'suppressed')")
    conn.execute("INSERT INTO webhook_outbox (id, change_id, url, status, created_at, next_at) VALUES "
                 "(7, 41, 'http://127.0.0.1:9/hook', 'pending', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z')")
    conn.close()
    with Store.open(path, from_dict({"store": {"path": str(path)}})) as s:
        assert s._version() == SCHEMA_VERSION
        row = s.outbox_next("http://127.0.0.1:9/hook")
        assert (row["id"], row["change_id"], row["alert_id"], row["address"]) == (7, 41, None, "a@example.com")
        plan = " ".join(r[3] for r in s.conn.execute(
            "EXPLAIN QUERY PLAN SELECT count(*) FROM messages WHERE source_addr = ? AND received_at >= ?", ("x", "a")))
        assert "idx_messages_source" in plan, plan
        try:
            s.conn.execute("INSERT INTO webhook_outbox (url, created_at, next_at) VALUES ('u', 'a', 'b')")
        except sqlite3.IntegrityError as exc:
            assert "CHECK" in str(exc)
        else:
            raise AssertionError("an outbox row for neither a change nor an alert was accepted")


def test_the_cause_is_shown_by_the_api_and_on_the_held_page(tmp_path):
    from tests.test_web_pages import signed_in
    from tests.test_web_pages_trust import text
    from tests.webhelp import LiveServer
    from tests.webpages_helpers import add_users, serve_pages

    db = tmp_path / "bounced.db"
    add_users(db)
    cfg = from_dict({**CFG, "store": {"path": str(db)}})
    with Store.open(db, cfg) as s:
        s.ingest_many([bounce(f"u{i}@a.example", "192.0.2.7", i) for i in range(4)])
    cause = "source_cap: more than 3 new hard suppressions from 192.0.2.7 within 60 min"
    api = LiveServer(db, cfg).start()
    try:
        with api.client(api.token("r", "read")) as c:
            items = c.get("/held").json()["items"]
        assert [(h["address"], h["cause"]) for h in items] == [("u3@a.example", cause)]
    finally:
        api.stop()
    site = serve_pages(db)
    try:
        page = text(signed_in(site, "vera").get("/held"))
        assert "a.example (1)" in page and cause in page and "u3@a.example" in page
    finally:
        site.stop()
