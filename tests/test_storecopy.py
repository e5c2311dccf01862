"""`bounced store migrate --to URL`: a SQLite store copied into a real PostgreSQL server, completely,
resumably, and verified; the copy then works as the store."""
from __future__ import annotations

import pytest
from click.testing import CliRunner

from bounced import SuppressionList
from bounced.cli import main
from bounced.config import Config
from bounced.ingest import prepare
from bounced.store import Store, StoreError
from bounced.storecopy import copy_store, verify
from tests.storehelp import OPEN, dsn, hours


@pytest.fixture
def sqlite_store(tmp_path):
    path = tmp_path / "b.db"
    with Store.open(path, OPEN) as s:
        for i in range(60):
            rcpt = f"u{i % 25}@example.com"
            status, diag = ("4.2.2", "452 mailbox full") if i % 3 else ("5.1.1", "550 user unknown")
            s.ingest_many([prepare(dsn(rcpt, status, diag, tag=str(i)), "", ("bounces@localhost",), received_at=hours(i))])
        s.suppress("Manual@Example.org", "asked by phone", kind="complaint", by="ann")
        s.unsuppress("u0@example.com", "mailbox fixed", by="bob")
        s.record_activity("u1@example.com", hours(70))
        s.prune_raw(hours(5))  # some messages without raw bytes
        s.register_sent("<m1@sender.example>", ["a@example.com", "b@example.com"], when=hours(1))
    return path


def cli(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_migrate_copies_everything_and_prints_the_checks_side_by_side(sqlite_store, pg_location):
    r = cli("store", "migrate", "--db", sqlite_store, "--to", pg_location, "--batch", "7")
    assert r.exit_code == 0, r.output
    lines = {line.split()[0]: line.split() for line in r.output.splitlines() if line.split()}
    for table in ("messages", "events", "suppressions", "audit", "activity", "meta", "sent", "changes",
                  "activity_log"):
        assert lines[table][-1] == "ok" and lines[table][1] == lines[table][2], r.output
        assert lines[table][3] == lines[table][4]
    assert lines["messages"][1] == "60" and lines["events"][1] == "60"
    with Store.open(sqlite_store, Config(), readonly=True) as a, Store.open(pg_location, Config()) as b:
        for addr in ("u0@example.com", "u3@example.com", "manual@example.org", "u1@example.com"):
            ra, rb = a.address_report(addr), b.address_report(addr)
            assert (ra.state, ra.active_now, ra.events, ra.audit, ra.last_activity_at) == \
                   (rb.state, rb.active_now, rb.events, rb.audit, rb.last_activity_at)
        assert a.message(3)["raw"] == b.message(3)["raw"] is None and a.message(40)["raw"] == b.message(40)["raw"]
        # the copy is a working store: new rows get ids after the copied ones
        out = b.ingest_many([prepare(dsn("new@example.com", tag="new"), "", ())])
        assert out[0].message_id == 61
    with SuppressionList(pg_location) as pg, SuppressionList(sqlite_store) as lite:
        everyone = [f"u{i}@example.com" for i in range(25)] + ["manual@example.org"]
        assert [s.key for s in pg.check(everyone)] == [s.key for s in lite.check(everyone)]


def test_an_interrupted_copy_resumes_and_ends_identical(sqlite_store, pg_location):
    class Interrupt(Exception):
        pass

    seen = []

    def stop_after_a_few(table, n):
        seen.append(n)
        if len(seen) == 5:
            raise Interrupt

    with Store.open(sqlite_store, Config(), readonly=True) as src, Store.open(pg_location, Config()) as dst:
        with pytest.raises(Interrupt):
            copy_store(src, dst, batch=10, progress=stop_after_a_few)
        partial = sum(dst.copy_count(t) for t in src.copy_tables())
        assert 0 < partial < sum(src.copy_count(t) for t in src.copy_tables())
        tables = copy_store(src, dst, batch=10)
        checks = verify(src, dst, tables)
    assert all(c.same for c in checks), [c for c in checks if not c.same]
    r = cli("store", "migrate", "--db", sqlite_store, "--to", pg_location)  # a third run changes nothing
    assert r.exit_code == 0 and "every table matches" in r.output


def test_migrate_refuses_a_database_with_other_data(sqlite_store, pg_location, tmp_path):
    with Store.open(pg_location, Config()) as s:
        s.suppress("someone@example.com", "already here")
    r = cli("store", "migrate", "--db", sqlite_store, "--to", pg_location)
    assert r.exit_code == 1 and "not a copy of" in r.output and "Traceback" not in r.output
    other = tmp_path / "other.db"
    Store.open(other, Config()).close()
    with Store.open(other, Config(), readonly=True) as src, Store.open(pg_location, Config()) as dst:
        dst.copy_origin("/somewhere/else.db")
        with pytest.raises(StoreError, match="holds a copy of /somewhere/else.db"):
            copy_store(src, dst)


@pytest.mark.parametrize("to,message", [
    ("postgresql://u:secret@db/x", "has a password in it"),
    ("/tmp/x.db", "expected postgresql://"),
], ids=["password-in-url", "not-a-url"])
def test_migrate_bad_target_is_one_line(sqlite_store, to, message):
    r = cli("store", "migrate", "--db", sqlite_store, "--to", to)
    assert r.exit_code == 2 and message in r.output and "secret" not in r.output.replace(to, "")
