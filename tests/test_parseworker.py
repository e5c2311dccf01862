"""Parse workers: the same results as parsing in the writer thread, in order, and a worker that
dies or hangs costs no message."""
from __future__ import annotations

import os
import signal
import threading
from datetime import datetime, timezone
from pathlib import Path

import pytest

from bounced.ingest import safe_prepare
from bounced.parse import ParseOptions
from bounced.parseworker import ParsePool
from bounced.writer import Writer
from tests.daemon_helpers import ListLog, dsn, make_config, store_opener, stored_sha256s

AT = datetime(2026, 11, 2, 10, 0, tzinfo=timezone.utc)
OPTIONS = ParseOptions()


def jobs(n: int, tag: str = "pw") -> list[tuple[bytes, str, tuple[str, ...], datetime]]:
    out = [(dsn(token=f"{tag}{i}"), "", ("bounces@bounce.example",), AT) for i in range(n)]
    out.append((b"\xff\x00 not a message at all", "<>", (), AT))
    return out


def here(js) -> list:
    return [safe_prepare(raw, mf, rc, OPTIONS, at) for raw, mf, rc, at in js]


@pytest.fixture
def pool():
    log = ListLog()
    p = ParsePool(2, log=log, timeout=20)
    p.log = log
    p.start()
    yield p
    p.close()


def test_results_match_parsing_here_in_order(pool: ParsePool) -> None:
    js = jobs(7)
    assert pool.prepare_many(js, OPTIONS) == here(js)


def test_a_killed_worker_costs_no_message_and_is_replaced(pool: ParsePool) -> None:
    pool.prepare_many(jobs(2, "warm"), OPTIONS)
    victim = pool._workers[0]
    assert victim is not None
    os.kill(victim.proc.pid, signal.SIGKILL)
    victim.proc.join(10)
    js = jobs(5, "after")
    assert pool.prepare_many(js, OPTIONS) == here(js)
    assert pool.log.events("parse_worker_failed")
    js = jobs(4, "again")
    assert pool.prepare_many(js, OPTIONS) == here(js)
    assert pool._workers[0] is not None and pool._workers[0] is not victim and pool._workers[0].proc.is_alive()


def test_a_worker_that_does_not_answer_is_stopped(pool: ParsePool) -> None:
    pool.prepare_many(jobs(2, "warm"), OPTIONS)
    pool.timeout = 0.5
    victim = pool._workers[0]
    assert victim is not None
    os.kill(victim.proc.pid, signal.SIGSTOP)  # alive but silent, like a parser stuck in a loop
    try:
        js = jobs(3, "stuck")
        assert pool.prepare_many(js, OPTIONS) == here(js)
        victim.proc.join(10)
        assert not victim.proc.is_alive()
    finally:
        if victim.proc.is_alive():
            os.kill(victim.proc.pid, signal.SIGKILL)


def test_writer_with_workers_stores_everything_and_drains(db_path: Path) -> None:
    cfg = make_config(db_path)
    w = Writer(lambda: store_opener()(cfg), batch_max=4, parse_workers=1)
    w.start()
    futures = [w.submit(dsn(token=f"wp{i}"), "", ("bounces@bounce.example",)) for i in range(30)]
    first = futures[0].result(30)
    assert first.incoming.result.recipients  # parsed, not stored as a failure
    closer = threading.Thread(target=w.close)
    closer.start()
    closer.join(30)
    assert all(f.result(0) for f in futures)
    assert len(stored_sha256s(db_path)) == 30


def test_writer_survives_its_worker_dying(db_path: Path) -> None:
    cfg = make_config(db_path)
    log = ListLog()
    w = Writer(lambda: store_opener()(cfg), parse_workers=1, log=log)
    w.start()
    assert w.submit(dsn(token="before"), "", ()).result(30)
    assert w._pool is not None and w._pool._workers[0] is not None
    os.kill(w._pool._workers[0].proc.pid, signal.SIGKILL)
    futures = [w.submit(dsn(token=f"d{i}"), "", ()) for i in range(10)]
    assert all(f.result(30).incoming.result.recipients for f in futures)
    w.close()
    assert len(stored_sha256s(db_path)) == 11
