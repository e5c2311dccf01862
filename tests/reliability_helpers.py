"""Helpers for the reliability tests: a continuous SMTP load that records every 250, and store checks.

The servers and the SMTP client are the benchmarks' (bench/procs.py, bench/synth.py): the same
real `bounced serve` subprocess on a loopback port, the same raw-stream client.
"""
from __future__ import annotations

import asyncio
import collections
import random
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.synth import SMTPClient, SMTPReplyError, hard_dsn, sha256_as_received, wire
from bounced.config import is_url

CLIENT_ERRORS = (OSError, ConnectionError, asyncio.TimeoutError, asyncio.IncompleteReadError, SMTPReplyError,
                 ValueError)


class RetryingLoad:
    """Workers in a background thread send unique hard DSNs to ``port`` until told to stop, like an
    MTA: a message without a 250 (connection dropped, 451, timeout) is queued again and retried
    with the same bytes until it gets one. ``acked`` holds the indexes answered 250."""

    def __init__(self, port: int, workers: int = 8, tag: str = "rel", padding: int = 0,
                 make: Callable[[int], tuple[str, bytes]] | None = None, ack_log: Path | None = None) -> None:
        self.port, self.workers, self.tag = port, workers, tag
        self._make = make or (lambda i: hard_dsn(i, tag=tag, padding=padding))
        self.messages: dict[int, tuple[str, bytes]] = {}  # index -> (recipient, raw)
        self.acked: set[int] = set()
        self.replies: collections.Counter[int] = collections.Counter()
        self.failures = 0  # attempts without a 250
        self._retry: collections.deque[int] = collections.deque()
        self._next = 0
        self._in_flight = 0
        self._stop_new = threading.Event()
        self._ack_log = open(ack_log, "a", buffering=1) if ack_log else None  # line-buffered: a reader follows it
        self._thread = threading.Thread(target=lambda: asyncio.run(self._main()), daemon=True)

    def start(self) -> "RetryingLoad":
        self._thread.start()
        return self

    def finish(self, timeout: float = 120.0) -> None:
        """Stop sending new messages; return once every message sent so far got its 250."""
        self._stop_new.set()
        self._thread.join(timeout)
        if self._ack_log is not None:
            self._ack_log.close()
        if self._thread.is_alive():
            raise AssertionError(f"load did not drain in {timeout}s: {len(self._retry)} waiting, "
                                 f"{self._in_flight} in flight")

    def _take(self) -> int | None:
        if self._retry:
            return self._retry.popleft()
        if self._stop_new.is_set():
            return None
        i = self._next
        self._next += 1
        self.messages[i] = self._make(i)
        return i

    async def _main(self) -> None:
        await asyncio.gather(*(self._worker() for _ in range(self.workers)))

    async def _worker(self) -> None:
        client: SMTPClient | None = None
        while True:
            i = self._take()
            if i is None:
                if self._in_flight == 0 and not self._retry:
                    break
                await asyncio.sleep(0.01)
                continue
            self._in_flight += 1
            ok = False
            try:
                if client is None:
                    client = await SMTPClient.connect("127.0.0.1", self.port, timeout=5)
                code, _ = await asyncio.wait_for(client.send(wire(self.messages[i][1])), 30)
                self.replies[code] += 1
                ok = code == 250
            except CLIENT_ERRORS:
                if client is not None:
                    client.abort()
                client = None
            if ok:
                self.acked.add(i)
                if self._ack_log is not None:
                    self._ack_log.write(self.messages[i][0] + "\n")
            else:
                self.failures += 1
                self._retry.append(i)
            self._in_flight -= 1
            if not ok:
                await asyncio.sleep(0.05)
        if client is not None:
            await client.quit()


def kill_under_load(server: Any, load: RetryingLoad, rounds: int) -> int:
    """SIGKILL and restart ``server`` ``rounds`` times while ``load`` flows: after each restart wait
    (bounded) for a fresh 250, then kill at a random moment (mid-DATA, mid-commit, between the commit
    and the reply, ...). Returns how many rounds saw an acknowledgement, so a test can show the load
    really ran across the kills."""
    rng = random.Random()
    rounds_with_acks = 0
    for _ in range(rounds):
        before = len(load.acked)
        deadline = time.monotonic() + 10
        while len(load.acked) == before and time.monotonic() < deadline:
            time.sleep(0.01)
        rounds_with_acks += len(load.acked) > before
        time.sleep(rng.uniform(0.0, 0.3))
        server.kill()
        server.start()
    return rounds_with_acks


def stored_messages(db: Path) -> dict[str, list[tuple[str, str, str]]]:
    """sha256 -> its events (address, kind, reason), read from the store's documented tables; a
    sha256 stored twice would show up as a key with events from two rows, so the row count is
    returned separately by :func:`message_row_count`."""
    con = _connect(db)
    try:
        out: dict[str, list[tuple[str, str, str]]] = {}
        for sha, in con.execute("SELECT sha256 FROM messages"):
            out.setdefault(sha, [])
        for sha, addr, kind, reason in con.execute(
                "SELECT m.sha256, e.address, e.kind, e.reason FROM events e JOIN messages m ON m.id = e.message_id"):
            out[sha].append((addr, kind, reason))
        return out
    finally:
        con.close()


def _connect(db: Path | str) -> Any:
    """A read connection to the store's file, or to its PostgreSQL database when ``db`` is a URL."""
    if is_url(str(db)):
        import psycopg

        return psycopg.connect(str(db), autocommit=True)
    return sqlite3.connect(f"file:{db}?mode=ro", uri=True)


def message_row_count(db: Path) -> int:
    con = _connect(db)
    try:
        return con.execute("SELECT count(*) FROM messages").fetchone()[0]
    finally:
        con.close()


def assert_all_stored_once(load: RetryingLoad, db: Path) -> None:
    """Every message the load sent is stored exactly once (by sha256) with its one hard event."""
    stored = stored_messages(db)
    assert message_row_count(db) == len(stored), "a sha256 is stored in more than one row"
    missing = [i for i in load.acked if sha256_as_received(load.messages[i][1]) not in stored]
    assert not missing, f"{len(missing)} acknowledged messages are not in the store, e.g. {missing[:5]}"
    assert len(stored) == len(load.messages), (
        f"{len(load.messages)} distinct messages sent, {len(stored)} stored")
    for i, (rcpt, raw) in load.messages.items():
        events = stored[sha256_as_received(raw)]
        assert events == [(rcpt, "hard", "user_unknown")], f"message {i} ({rcpt}) has events {events}"


def follow_and_check(db: str, ack_log: str, seconds: float) -> dict:
    """The reader process: read the reader API in a tight loop while the daemon writes. Every
    address acknowledged (250) before a query starts must be reported suppressed by that query."""
    import json
    import random
    import time

    from bounced.reader import SuppressionList

    rng = random.Random()
    known: list[str] = []
    pos = 0
    stats = {"queries": 0, "checked": 0, "errors": [], "inconsistent": []}
    end = time.monotonic() + seconds
    with SuppressionList(db) as reader:
        while time.monotonic() < end:
            with open(ack_log) as f:
                f.seek(pos)
                chunk = f.read()
            complete = chunk[: chunk.rfind("\n") + 1]
            pos += len(complete.encode())
            known += complete.split()
            if not known:
                time.sleep(0.005)
                continue
            sample = known[-100:] + [rng.choice(known) for _ in range(100)]
            try:
                found = {s.address for s in reader.check(sample)}
                missing = [a for a in sample if a not in found]
                single = [a for a in sample[-20:] if not reader.is_suppressed(a)]
                stats["queries"] += 21
                stats["checked"] += len(sample) + 20
                if missing or single:
                    stats["inconsistent"].append((missing + single)[:5])
            except Exception as exc:  # noqa: BLE001 - the test reports any error the caller would see
                stats["errors"].append(repr(exc))
    stats["known"] = len(known)
    return stats


if __name__ == "__main__":
    import json
    import sys

    if sys.argv[1] == "reader":
        print(json.dumps(follow_and_check(sys.argv[2], sys.argv[3], float(sys.argv[4]))))
