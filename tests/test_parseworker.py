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
from tests.daemon_helpers import ListLog, big_report, dsn, make_config, store_opener, stored_sha256s

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
    """Silent past twice the budget: the message it held is stored unparsed, the rest parsed here."""
    pool.prepare_many(jobs(2, "warm"), OPTIONS)
    pool.budget = 0.2
    victim = pool._workers[0]
    assert victim is not None
    os.kill(victim.proc.pid, signal.SIGSTOP)  # alive but silent, like a parser stuck in a loop
    try:
        js = jobs(3, "stuck")  # 4 jobs: 2 for the stopped worker, 2 for the other
        got = pool.prepare_many(js, OPTIONS)
        want = here(js)
        assert got[0].raw == js[0][0] and got[0].sha256 == want[0].sha256
        assert got[0].result.error == "not parsed: the parse worker was stuck on it" and not got[0].result.recipients
        assert got[1:] == want[1:]
        victim.proc.join(10)
        assert not victim.proc.is_alive()
        assert pool.log.events("parse_worker_failed")
    finally:
        if victim.proc.is_alive():
            os.kill(victim.proc.pid, signal.SIGKILL)


def slow_message() -> bytes:
    """A real bounce that takes far longer to parse than the 10 ms budget these tests give (about
    50 ms of CPU), where an ordinary one takes under 1 ms."""
    return big_report(1000)


def test_a_message_over_budget_is_stored_unparsed_and_the_worker_replaced() -> None:
    log = ListLog()
    p = ParsePool(1, log=log, timeout=30, budget=0.01)
    p.log = log
    p.start()
    try:
        p.prepare_many(jobs(1, "warm"), OPTIONS)
        worker = p._workers[0]
        js = [(slow_message(), "", ("bounces@bounce.example",), AT), *jobs(2, "after")]
        got = p.prepare_many(js, OPTIONS)
        assert got[0].result.error == "not parsed: parsing took longer than 0.01s"
        assert got[0].sha256 == here(js[:1])[0].sha256  # the same row key as a parse would give
        assert got[1:] == here(js[1:])  # what it already held, it answered
        assert worker is not None and worker.retiring
        worker.proc.join(20)
        assert worker.proc.exitcode == 0  # it left by itself, its queue answered
        js = jobs(3, "next")
        assert p.prepare_many(js, OPTIONS) == here(js)
        assert p._workers[0] is not None and p._workers[0] is not worker and p._workers[0].ready
        assert [f["budget"] for _, e, f in log.records if e == "parse_over_budget"] == [0.01]
        assert not log.events("parse_worker_failed")  # a replacement, not a failure
    finally:
        p.close()


def test_a_worker_that_cannot_start_is_retried_with_back_off_and_logged_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """The worker's interpreter is /bin/false: every start dies before it is ready. While
    backing off, batches are parsed here; attempts double their spacing; one log line per interval."""
    import multiprocessing
    import multiprocessing.spawn

    ctx = multiprocessing.get_context("spawn")
    monkeypatch.setattr(multiprocessing.spawn, "_python_exe", "/bin/false")
    now = [1000.0]
    log = ListLog()
    p = ParsePool(1, log=log, timeout=20, context=lambda: ctx, backoff=1.0, max_backoff=8.0,
                  log_interval=60.0, clock=lambda: now[0])
    try:
        attempts = []
        for step in range(40):
            js = jobs(1, f"b{step}")
            assert p.prepare_many(js, OPTIONS) == here(js)  # nothing lost, same results
            attempts.append(p._start_failures[0])
            now[0] += 0.5
        # 20 s of batches every 0.5 s: attempts at 0, 1, 3, 7, 15 s (back-off 1, 2, 4, 8) -> 5, not 40
        assert attempts[-1] == 5
        assert p._retry_at[0] - now[0] + 0.5 <= 8.0
        failed = [f for _, e, f in log.records if e == "parse_worker_failed"]
        assert len(failed) == 1 and failed[0]["action"] == "parsing in the writer thread meanwhile"
        now[0] += 60
        p.prepare_many(jobs(1, "later"), OPTIONS)
        failed = [f for _, e, f in log.records if e == "parse_worker_failed"]
        assert len(failed) == 2 and failed[1]["unlogged_since_last"] == 4
    finally:
        p.close()


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
    results = [f.result(30).incoming.result for f in futures]
    # the message a worker dies on is stored unparsed rather than parsed in the writer (it may be
    # what killed it); the kill is asynchronous, so that is the first message or none
    died = [r for r in results if not r.recipients]
    assert all(r.error == "not parsed: the parse worker died while parsing it" for r in died) and len(died) <= 1
    assert results[1:] == [r for r in results[1:] if r.recipients]
    w.close()
    assert len(stored_sha256s(db_path)) == 11


def test_writer_whose_workers_cannot_start_parses_everything_and_logs_once(db_path: Path,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 12, item 6: a worker that could not start was respawned and logged once per batch
    (892 lines in 20 s). Now: every message parsed in the writer thread, one log line."""
    import multiprocessing.spawn

    monkeypatch.setattr(multiprocessing.spawn, "_python_exe", "/bin/false")
    cfg = make_config(db_path)
    log = ListLog()
    w = Writer(lambda: store_opener()(cfg), batch_max=4, parse_workers=1, log=log)
    w.start()
    try:
        futures = [w.submit(dsn(token=f"nb{i}"), "", ("bounces@bounce.example",)) for i in range(200)]
        assert all(f.result(60).incoming.result.recipients for f in futures)
    finally:
        w.close()
    assert len(stored_sha256s(db_path)) == 200
    assert len(log.events("parse_worker_failed")) == 1


def test_a_batch_sent_to_a_worker_that_retired_meanwhile_is_parsed_here() -> None:
    """The worker exits (after a message over budget) before the sender knows: the batch sent to
    it then is parsed in the calling thread, and the over-budget answer is still read."""
    p = ParsePool(1, log=ListLog(), timeout=30, budget=0.01)
    p.start()
    try:
        p.prepare_many(jobs(1, "warm"), OPTIONS)
        worker = p._workers[0]
        assert worker is not None
        slow = p.send([(slow_message(), "", (), AT)], OPTIONS)
        worker.proc.join(20)  # answered "over budget", found nothing queued, left
        assert worker.proc.exitcode == 0
        js = jobs(2, "late")
        late = p.send(js, OPTIONS)  # a new worker takes it
        assert p.receive(slow)[0].result.error == "not parsed: parsing took longer than 0.01s"
        assert p.receive(late) == here(js)
        assert not p.log.events("parse_worker_failed") if hasattr(p, "log") else True
    finally:
        p.close()
