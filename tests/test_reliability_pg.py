"""Reliability on PostgreSQL with real `bounced serve` processes: the database restarting under load,
and two daemons writing to one database at once (SIGKILL under load runs on both engines in
test_reliability_crash.py)."""
from __future__ import annotations

import time

import pytest

from bench.procs import BouncedServer
from bench.synth import dsn, sha256_as_received
from bounced import policy
from bounced.config import from_dict
from bounced.reader import SuppressionList
from bounced.store import Store, _state_from_row
from bounced.timeutil import from_text
from tests.pgserver import PgServer
from tests.reliability_helpers import RetryingLoad, assert_all_stored_once, stored_messages

# durability and concurrency, not trust or bursts: every synthetic bounce counts and none is held
COUNT_EVERYTHING = {"bounce": {"trust": "open"}, "breaker": {"enabled": False}}
HOT = [f"hot{i}@example.com" for i in range(5)]


@pytest.mark.slow
def test_database_restart_under_load_gives_only_451_and_loses_nothing(tmp_path):
    pg = PgServer().start()
    try:
        url = pg.create_database()
        server = BouncedServer(tmp_path, db_path=url, overrides={**COUNT_EVERYTHING, "server": {"batch_max": 16}}).start()
        load = RetryingLoad(server.port, workers=8, tag="pgdown").start()
        try:
            while len(load.acked) < 50:
                time.sleep(0.01)
            pg.stop()
            refused_before = load.replies[451]
            deadline = time.monotonic() + 30
            while load.replies[451] < refused_before + 20 and time.monotonic() < deadline:
                time.sleep(0.01)  # the load keeps trying while the database is down
            acked_while_down = len(load.acked)
            time.sleep(1.0)
            assert len(load.acked) == acked_while_down  # no 250 without the database
            pg.start()
            back = time.monotonic()
            while len(load.acked) == acked_while_down and time.monotonic() - back < 60:
                time.sleep(0.01)
            recovered_after = time.monotonic() - back
            assert len(load.acked) > acked_while_down, "mail was not accepted again after the restart"
            time.sleep(0.5)
            load.finish(timeout=120)
            assert server.alive(), "the daemon must stay up while the database is away"
        finally:
            server.stop()
        print(f"accepted again {recovered_after:.2f}s after the database came back")
        assert set(load.replies) <= {250, 451}, load.replies  # nothing but 451 while it was down
        assert load.replies[451] >= 20
        assert_all_stored_once(load, url)
        log = server.log_text()
        assert log.count('"store_unavailable"') < load.replies[451]  # logged per interval, not per message
        assert '"store_recovered"' in log
    finally:
        pg.destroy()


def _shared_or_own(side: str):
    """Message i for one of two daemons: even i the same bytes for both (an MTA handing one bounce
    to two MX hosts), odd i its own; all go to five hot addresses, soft and hard mixed."""
    def make(i: int) -> tuple[str, bytes]:
        rcpt = HOT[i % len(HOT)]
        if i % 2 == 0:
            return rcpt, dsn(i, rcpt=rcpt, tag="both", failure=(i // 2) % 4)
        return rcpt, dsn(i, rcpt=rcpt, tag=side, failure=(i // 2) % 4)
    return make


@pytest.mark.slow
def test_two_daemons_one_database_store_once_and_agree_with_a_sequential_replay(tmp_path, pg_location):
    servers = [BouncedServer(tmp_path / s, db_path=pg_location, overrides=COUNT_EVERYTHING).start() for s in ("a", "b")]
    loads = [RetryingLoad(srv.port, workers=8, make=_shared_or_own(side)).start()
             for srv, side in zip(servers, ("a", "b"), strict=True)]
    try:
        time.sleep(4)
        for load in loads:
            load.finish(timeout=120)
    finally:
        for srv in servers:
            srv.stop()
    sent = {sha256_as_received(raw): rcpt for load in loads for rcpt, raw in load.messages.values()}
    acked = {sha256_as_received(load.messages[i][1]) for load in loads for i in load.acked}
    stored = stored_messages(pg_location)
    shared = sum(1 for load in loads for i in load.messages if i % 2 == 0)
    assert shared > 50 and len(sent) < sum(len(load.messages) for load in loads)  # some really went to both
    assert acked <= set(stored) and set(stored) == set(sent)  # every 250 stored; nothing else
    with Store.open(pg_location, from_dict(COUNT_EVERYTHING)) as s:
        assert s.conn.execute("SELECT count(*) FROM messages").fetchone()[0] == len(sent)  # each once
        assert s.conn.execute("SELECT count(DISTINCT message_id) FROM events").fetchone()[0] == len(sent)
        for key in HOT:
            state = None
            for e in s.conn.execute("SELECT kind, reason, at FROM events WHERE address = ? ORDER BY id", (key,)):
                state = policy.apply_event(state, e["kind"], e["reason"], from_text(e["at"]), s.rules.policy).state
            row = s.conn.execute("SELECT * FROM suppressions WHERE address = ?", (key,)).fetchone()
            assert _state_from_row(row) == state, key
