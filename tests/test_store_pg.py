"""The store on PostgreSQL, where it differs from one SQLite file: several writers on one database,
the server going away and coming back, and how the password reaches the server."""
from __future__ import annotations

import random
import threading
import time

import psycopg
import pytest

from bounced import policy
from bounced.config import Config, from_dict
from bounced.ingest import prepare
from bounced.store import Store, StoreError, StoreUnavailable, _state_from_row
from bounced.timeutil import from_text
from tests.pgserver import PgServer
from tests.storehelp import OPEN, dsn, hours

HOT = [f"hot{i}@example.com" for i in range(4)]
# these test concurrency, not trust or bursts: every bounce counts and none is held
COUNT = from_dict({"bounce": {"trust": "open"}, "breaker": {"enabled": False}}, "<tests: count everything>")


def _bounce(rcpt: str, n: int, soft: bool):
    status, diag = ("4.2.2", "452 4.2.2 mailbox full") if soft else ("5.1.1", "550 5.1.1 user unknown")
    return prepare(dsn(rcpt, status, diag, tag=f"m{n}"), "", (), received_at=hours(n % 97))


def replayed(store: Store, key: str) -> policy.State | None:
    """The address's events applied one after another, in the order the store applied them."""
    state = None
    for e in store.conn.execute("SELECT kind, reason, at FROM events WHERE address = ? ORDER BY id", (key,)):
        state = policy.apply_event(state, e["kind"], e["reason"], from_text(e["at"]), store.rules.policy).state
    return state


def test_concurrent_writers_end_in_the_state_of_a_sequential_replay(pg_location):
    """Four writers, batches of 8 over four hot addresses (soft and hard mixed, times shuffled so the
    order matters), and every message also sent by a second writer: each message is stored once and
    each address ends exactly where its events applied one at a time would put it."""
    Store.open(pg_location, COUNT).close()
    rng = random.Random(7)
    items = [_bounce(rng.choice(HOT), n, soft=rng.random() < 0.8) for n in range(240)]
    plans = [items[i::2] for i in range(2)] * 2  # writers 0/2 and 1/3 send the same messages
    for p in plans:
        rng.shuffle(p)
    outcomes: list[list] = [[] for _ in plans]
    errors: list[BaseException] = []

    def writer(i: int) -> None:
        try:
            with Store.open(pg_location, COUNT) as s:
                for j in range(0, len(plans[i]), 8):
                    outcomes[i].extend(s.ingest_many(plans[i][j:j + 8]))
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(len(plans))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors
    stored = [o for out in outcomes for o in out if not o.duplicate]
    assert sorted(o.sha256 for o in stored) == sorted(it.sha256 for it in items)  # each once, none lost
    with Store.open(pg_location, COUNT) as s:
        assert s.conn.execute("SELECT count(*) FROM messages").fetchone()[0] == len(items)
        assert s.conn.execute("SELECT count(*) FROM events").fetchone()[0] == len(items)
        for key in HOT:
            row = s.conn.execute("SELECT * FROM suppressions WHERE address = ?", (key,)).fetchone()
            assert _state_from_row(row) == replayed(s, key), key


def test_same_message_to_two_writers_at_once_is_stored_once(pg_location):
    Store.open(pg_location, COUNT).close()
    item = _bounce("once@example.com", 1, soft=False)
    barrier = threading.Barrier(2)
    results: list = []

    def writer() -> None:
        with Store.open(pg_location, COUNT) as s:
            barrier.wait()
            results.extend(s.ingest_many([item]))

    threads = [threading.Thread(target=writer) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(o.duplicate for o in results) == [False, True]
    with Store.open(pg_location, COUNT) as s:
        assert s.conn.execute("SELECT count(*) FROM events").fetchone()[0] == 1


@pytest.fixture
def own_server():
    """A server of its own, so stopping it does not disturb the other tests."""
    server = PgServer().start()
    yield server
    server.destroy()


def test_server_down_is_a_store_error_and_the_store_reconnects(own_server):
    url = own_server.create_database()
    store = Store.open(url, Config())
    store.ingest_many([_bounce("a@example.com", 1, soft=False)])
    own_server.stop()
    with pytest.raises(StoreUnavailable, match="cannot store messages|cannot connect"):
        store.ingest_many([_bounce("b@example.com", 2, soft=False)])
    with pytest.raises(StoreUnavailable, match="cannot connect"):  # still down: the reconnect fails cleanly
        store.ingest_many([_bounce("b@example.com", 2, soft=False)])
    own_server.start()
    deadline = time.monotonic() + 30
    while True:  # at most one connection attempt a second while it was down
        try:
            out = store.ingest_many([_bounce("b@example.com", 2, soft=False)])
            break
        except StoreUnavailable:
            assert time.monotonic() < deadline
            time.sleep(0.1)
    assert not out[0].duplicate and out[0].events == 1
    assert store.conn.execute("SELECT count(*) FROM messages").fetchone()[0] == 2
    store.close()


def test_read_only_server_is_a_store_error(pg_location):
    """A standby during failover answers writes with 'read-only transaction': the batch fails whole."""
    with Store.open(pg_location, COUNT) as s:
        s.conn.execute("SET default_transaction_read_only = on")
        with pytest.raises(StoreUnavailable, match="read-only"):
            s.ingest_many([_bounce("a@example.com", 1, soft=False)])


def test_password_comes_from_the_file_and_is_never_shown(pg_server, tmp_path):
    with psycopg.connect(pg_server.url(), autocommit=True) as c:
        c.execute("DROP ROLE IF EXISTS mx")
        c.execute("CREATE ROLE mx LOGIN PASSWORD 's3cret-pw'")
        c.execute("CREATE DATABASE mxdb OWNER mx")
    url = f"postgresql://mx@127.0.0.1:{pg_server.port}/mxdb"
    pw = tmp_path / "pw"
    pw.write_text("s3cret-pw\n")
    with Store.open(url, from_dict({"store": {"url": url, "password_file": str(pw)}})) as s:
        s.suppress("a@example.com", "test")
    pw.write_text("wrong-pw\n")
    with pytest.raises(StoreError) as err:
        Store.open(url, from_dict({"store": {"url": url, "password_file": str(pw)}}))
    assert "password authentication failed" in str(err.value) and "wrong-pw" not in str(err.value)
    with pytest.raises(StoreError) as err:
        Store.open(f"postgresql://mx:hunter22@127.0.0.1:{pg_server.port}/nodb", Config())
    assert "hunter22" not in str(err.value) and "mx@127.0.0.1" in str(err.value)


@pytest.mark.parametrize("url,problem", [
    ("postgresql://mx:pw@db/bounced", "has a password in it"),
    ("postgresql://db/bounced?password=pw", "has a password in it"),
    ("mysql://db/bounced", "expected postgresql://"),
    ("postgresql://db:99999/bounced", "not a valid URL"),
], ids=["userinfo-password", "query-password", "other-scheme", "bad-port"])
def test_store_url_in_the_config_is_checked(url, problem):
    from bounced.config import ConfigError

    with pytest.raises(ConfigError, match=f"store.url: {problem}"):
        from_dict({"store": {"url": url}})
