"""The mailer's reader API on a real file, including while another process writes."""
from __future__ import annotations

import subprocess
import sys
import textwrap
import time

import pytest

from bounced import SuppressionList

from bounced.ingest import prepare
from bounced.store import Store, StoreError
from tests.storehelp import OPEN, dsn, hours


@pytest.fixture
def db(tmp_path):
    p = tmp_path / "b.db"
    with Store.open(p, OPEN) as s:
        s.ingest_many([prepare(dsn("Hard@Example.com", tag="1"), "", ())])
        s.suppress("complainer@example.org", "asked by phone", kind="complaint")
    return p


def test_is_suppressed_normalizes(db):
    r = SuppressionList(db)
    assert r.is_suppressed("hard@example.com")
    assert r.is_suppressed(" <HARD@EXAMPLE.COM> ")
    assert not r.is_suppressed("other@example.com")
    assert not r.is_suppressed("not an address")


def test_check_returns_suppressed_with_reason_and_kind(db):
    got = SuppressionList(db).check(["ok@example.com", "Hard@example.com", "complainer@example.org", "bad"])
    assert [(g.address, g.kind, g.reason) for g in got] == [
        ("Hard@example.com", "hard", "user_unknown"), ("complainer@example.org", "complaint", "asked by phone")]


def test_check_many_addresses_in_chunks(db):
    addrs = [f"u{i}@example.net" for i in range(2000)] + ["hard@example.com"]
    assert [g.key for g in SuppressionList(db).check(addrs)] == ["hard@example.com"]


def test_record_activity_resets_soft_run(tmp_path):
    p = tmp_path / "b.db"
    with Store.open(p, OPEN) as s:
        for h in (0, 12):
            s.ingest_many([prepare(dsn("full@example.com", "4.2.2", "452 4.2.2 mailbox full", tag=str(h)), "", (),
                                   received_at=hours(h))])
    SuppressionList(p).record_activity("full@example.com", when=hours(13))
    with Store.open(p, OPEN) as s:
        s.ingest_many([prepare(dsn("full@example.com", "4.2.2", "452 4.2.2 mailbox full", tag="30"), "", (),
                               received_at=hours(30))])
        rep = s.address_report("full@example.com")
    assert not rep.active_now and rep.state["soft_count"] == 1 and rep.last_activity_at


def test_missing_database_is_a_clear_error(tmp_path):
    with pytest.raises(StoreError, match="no such database"):
        SuppressionList(tmp_path / "none.db").is_suppressed("a@example.com")


WRITER = textwrap.dedent("""
    import sys, time
    from bounced.ingest import prepare
    from bounced.store import Store
    sys.path.insert(0, sys.argv[2])
    from tests.storehelp import OPEN, dsn
    s = Store.open(sys.argv[1], OPEN)
    i = 0
    end = time.time() + float(sys.argv[3])
    while time.time() < end:
        s.ingest_many([prepare(dsn(f"w{i}-{j}@example.com", tag=f"{i}-{j}"), "", ()) for j in range(20)])
        i += 1
    print(i * 20)
""")


def test_reader_under_writer_load(db, tmp_path):
    import pathlib
    root = str(pathlib.Path(__file__).resolve().parents[1])
    w = subprocess.Popen([sys.executable, "-c", WRITER, str(db), root, "3"], stdout=subprocess.PIPE, text=True)
    r = SuppressionList(db)
    seen_max = 0
    lookups = 0
    try:
        while w.poll() is None:
            assert r.is_suppressed("hard@example.com")  # always visible, never "locked"
            n = len(r.check([f"w{i}-0@example.com" for i in range(0, 200)]))
            assert n >= seen_max  # a consistent, monotonically growing view
            seen_max = n
            lookups += 1
            time.sleep(0.001)
    finally:
        out, _ = w.communicate(timeout=30)
    assert w.returncode == 0 and int(out) > 0
    assert lookups > 10
