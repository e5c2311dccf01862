"""The single writer: futures resolve only after commit, batches, isolation of a failing message,
failure logging once per interval, and a clean drain on close. Runs over the real store."""
from __future__ import annotations

import hashlib
import threading
from concurrent.futures import Future, wait
from pathlib import Path

import pytest

from bounced.store import StoreError
from bounced.writer import FailureLog, Stored, Writer
from tests.daemon_helpers import (
    FaultyStore,
    ListLog,
    dsn,
    make_config,
    store_opener,
    stored_sha256s,
)

pytestmark = pytest.mark.both_stores


@pytest.fixture
def cfg(db_path: Path):
    return make_config(db_path)


class Recording:
    """Wraps the real store and records each batch it is asked to commit."""

    def __init__(self, inner, poison: set[str] | None = None, gate: threading.Event | None = None) -> None:
        self.inner, self.poison, self.gate = inner, poison or set(), gate
        self.batches: list[list[str]] = []

    def ingest_many(self, items):
        if self.gate is not None:
            self.gate.wait(30)
        self.batches.append([i.sha256 for i in items])
        if any(i.sha256 in self.poison for i in items):
            raise StoreError("poison message (injected)")
        return self.inner.ingest_many(items)

    def check_writable(self):
        self.inner.check_writable()

    def check_health(self):
        self.inner.check_health()

    def close(self):
        self.inner.close()


def test_future_resolves_after_commit(cfg, db_path: Path) -> None:
    w = Writer(lambda: store_opener()(cfg))
    w.start()
    raw = dsn(token="w1")
    stored = w.submit(raw, "", ("bounces@bounce.example",)).result(30)
    assert isinstance(stored, Stored)
    assert stored.incoming.sha256 == hashlib.sha256(raw).hexdigest()
    assert stored_sha256s(db_path) == [stored.incoming.sha256]  # visible to another connection
    w.close()


def test_group_commit_batches_what_arrived_together(cfg, db_path: Path) -> None:
    gate = threading.Event()
    rec: list[Recording] = []

    def opener():
        rec.append(Recording(store_opener()(cfg), gate=gate))
        return rec[-1]

    w = Writer(opener, batch_max=4, batch_wait_ms=0)
    gate.set()
    w.start()
    gate.clear()
    first = w.submit(dsn(token="g0"), "", ())  # the writer blocks in this commit...
    futures = [w.submit(dsn(token=f"g{i}"), "", ()) for i in range(1, 10)]  # ...while these queue up
    gate.set()
    wait([first, *futures], timeout=30)
    assert all(f.result().outcome.duplicate is False for f in [first, *futures])
    sizes = [len(b) for b in rec[0].batches]
    assert sum(sizes) == 10 and max(sizes) == 4 and len(sizes) < 10
    assert len(stored_sha256s(db_path)) == 10
    w.close()


def test_one_bad_message_does_not_fail_its_batch(cfg, db_path: Path) -> None:
    bad = dsn(token="poison")
    gate = threading.Event()
    gate.set()
    w = Writer(lambda: Recording(store_opener()(cfg), poison={hashlib.sha256(bad).hexdigest()}, gate=gate),
               batch_max=16, batch_wait_ms=0)
    w.start()
    gate.clear()
    blocker = w.submit(dsn(token="blocker"), "", ())
    good = [w.submit(dsn(token=f"ok{i}"), "", ()) for i in range(3)]
    poisoned = w.submit(bad, "", ())
    gate.set()
    assert blocker.result(30) and all(f.result(30) for f in good)
    with pytest.raises(StoreError, match="poison"):
        poisoned.result(30)
    assert len(stored_sha256s(db_path)) == 4


def test_store_failure_fails_the_futures_and_the_writer_survives(cfg, db_path: Path) -> None:
    broken = threading.Event()
    log = ListLog()
    w = Writer(lambda: FaultyStore(store_opener()(cfg), broken), log=log)
    w.start()
    broken.set()
    failed = [w.submit(dsn(token=f"f{i}"), "", ()) for i in range(5)]
    for f in failed:
        with pytest.raises(StoreError, match="injected"):
            f.result(30)
    assert w.check_writable().result(30) is not None
    broken.clear()
    assert w.check_writable().result(30) is None
    assert w.submit(dsn(token="after"), "", ()).result(30)
    assert len(log.events("store_unavailable")) == 1
    assert len(log.events("store_recovered")) == 1
    w.close()
    assert len(stored_sha256s(db_path)) == 1


def test_failure_log_repeats_only_after_the_interval() -> None:
    now = [0.0]
    log = ListLog()
    fl = FailureLog(log, interval=60, clock=lambda: now[0])
    for _ in range(10):
        fl.failure("disk full", 1)
    assert len(log.events("store_unavailable")) == 1
    now[0] = 61
    fl.failure("disk full", 1)
    events = log.events("store_unavailable")
    assert len(events) == 2 and events[1]["messages"] == 10  # the 9 not logged, plus this one
    fl.success()
    fl.success()
    assert len(log.events("store_recovered")) == 1


def test_close_commits_everything_already_submitted(cfg, db_path: Path) -> None:
    gate = threading.Event()
    gate.set()
    w = Writer(lambda: Recording(store_opener()(cfg), gate=gate), batch_max=2, batch_wait_ms=0)
    w.start()
    gate.clear()
    futures = [w.submit(dsn(token=f"c{i}"), "", ()) for i in range(7)]
    closer = threading.Thread(target=w.close)
    closer.start()
    gate.set()
    closer.join(30)
    assert all(f.result(0) for f in futures)
    assert len(stored_sha256s(db_path)) == 7
    with pytest.raises(StoreError):
        w.submit(dsn(token="late"), "", ()).result(1)


def test_cancelled_submission_is_not_stored(cfg, db_path: Path) -> None:
    gate = threading.Event()
    gate.set()
    w = Writer(lambda: Recording(store_opener()(cfg), gate=gate), batch_wait_ms=0)
    w.start()
    gate.clear()
    first = w.submit(dsn(token="first"), "", ())
    gone: Future = w.submit(dsn(token="gone"), "", ())
    assert gone.cancel()  # the client disconnected before its message was picked up
    gate.set()
    first.result(30)
    w.close()
    assert len(stored_sha256s(db_path)) == 1


def test_unopenable_store_fails_start(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    cfg = make_config(blocker / "bounced.db")
    w = Writer(lambda: store_opener()(cfg))
    with pytest.raises(StoreError):
        w.start()
    assert not w.alive


def test_lone_message_does_not_wait_for_a_batch(cfg, db_path: Path) -> None:
    # with nobody else sending, the batch wait is skipped (here it would be a minute)
    w = Writer(lambda: store_opener()(cfg), batch_wait_ms=60_000, more_coming=lambda n: False)
    w.start()
    assert w.submit(dsn(token="alone"), "", ()).result(30)
    w.close()
    assert len(stored_sha256s(db_path)) == 1


def test_submit_async_resolves_a_batch_and_honours_cancellation(cfg, db_path: Path) -> None:
    import asyncio

    gate = threading.Event()
    gate.set()
    w = Writer(lambda: Recording(store_opener()(cfg), gate=gate), batch_wait_ms=0)
    w.start()

    async def main() -> None:
        gate.clear()
        first = w.submit_async(dsn(token="a0"), "", ())  # the writer blocks in this commit...
        await asyncio.sleep(0.2)
        rest = [w.submit_async(dsn(token=f"a{i}"), "", ()) for i in range(1, 6)]  # ...while these queue
        gone = w.submit_async(dsn(token="gone"), "", ())
        gone.cancel()  # the client went away before the writer picked it up
        gate.set()
        stored = await asyncio.wait_for(asyncio.gather(first, *rest), 30)
        assert all(isinstance(s, Stored) and not s.outcome.duplicate for s in stored)

    asyncio.run(main())
    w.close()
    assert len(stored_sha256s(db_path)) == 6
