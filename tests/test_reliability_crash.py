"""Crash consistency: SIGKILL `bounced serve` at random moments under load, on a SQLite file and on
PostgreSQL; nothing acknowledged is lost, nothing retried is counted twice."""
from __future__ import annotations


import pytest

from bench.procs import BouncedServer
from bounced.reader import SuppressionList
from tests.reliability_helpers import RetryingLoad, assert_all_stored_once, kill_under_load

ROUNDS = 20
# durability, not trust or bursts: every synthetic bounce counts and none is held
COUNT_EVERYTHING = {"bounce": {"trust": "open"}, "breaker": {"enabled": False}}


@pytest.mark.slow
def test_sigkill_under_load_loses_no_acknowledged_message_and_stores_retries_once(tmp_path, store_location):
    server = BouncedServer(tmp_path, db_path=store_location, overrides=COUNT_EVERYTHING).start()
    load = RetryingLoad(server.port, workers=8, tag="crash").start()
    try:
        rounds_with_acks = kill_under_load(server, load, ROUNDS)
        load.finish(timeout=120)
    finally:
        server.stop()
    # the load really ran across the kills: messages were acknowledged in most rounds, and some
    # attempts failed because the server died under them (otherwise the test proved nothing)
    assert len(load.acked) == len(load.messages) > ROUNDS * 10
    assert rounds_with_acks == ROUNDS
    assert load.failures > 0
    assert_all_stored_once(load, server.db_path)
    rcpts = [rcpt for rcpt, _ in load.messages.values()]
    with SuppressionList(server.db_path) as reader:
        suppressed = reader.check(rcpts)
    assert {s.address for s in suppressed} == set(rcpts)
    assert {(s.kind, s.reason) for s in suppressed} == {("hard", "user_unknown")}
