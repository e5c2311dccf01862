"""Faults under load: a full disk and a locked database answer 451, the server stays up, logs the
cause once per interval, and accepts again when the fault clears with nothing lost; a corrupt
database at start is one clear error and a non-zero exit."""
from __future__ import annotations

import errno
import os
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from bench.procs import BouncedServer, bounced_command
from tests.reliability_helpers import RetryingLoad, assert_all_stored_once


def wait_until(cond, timeout: float, what: str) -> None:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.02)


def log_events(server: BouncedServer, event: str) -> int:
    return sum(1 for line in server.log_text().splitlines() if f'"event": "{event}"' in line)


@pytest.fixture
def small_fs(tmp_path):
    """A small tmpfs of our own, so the disk can really fill (root ignores chmod). 32 MB: the WAL
    alone grows to ~4 MB before its first checkpoint, and the disk must fill because of the
    filler the test removes, not because of the database."""
    mnt = tmp_path / "fs"
    mnt.mkdir()
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=32m", "tmpfs", str(mnt)], capture_output=True)
    if r.returncode != 0:
        if os.environ.get("CI") == "true" and os.geteuid() == 0:
            pytest.fail(f"cannot mount a tmpfs in CI: {r.stderr.decode().strip()}")
        pytest.skip(f"cannot mount a small filesystem here: {r.stderr.decode().strip()}")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], capture_output=True)


def fill(path: Path) -> int:
    """Write until ENOSPC. Unbuffered: a buffered file would raise ENOSPC a second time when
    closing flushes what the failed write left in its buffer (seen once in CI-like load)."""
    written = 0
    with open(path, "wb", buffering=0) as f:
        try:
            while True:
                written += f.write(os.urandom(65536)) or 0
        except OSError as exc:
            assert exc.errno == errno.ENOSPC, exc
    return written


@pytest.mark.slow
def test_disk_full_answers_451_logs_once_and_recovers_with_nothing_lost(tmp_path, small_fs):
    server = BouncedServer(tmp_path / "work", db_path=small_fs / "bounced.db").start()
    # incompressible padding so the stored (compressed) raw messages fill the disk quickly
    load = RetryingLoad(server.port, workers=4, tag="full", padding=16_000).start()
    filler = small_fs / "filler"
    try:
        wait_until(lambda: len(load.acked) >= 10, 30, "first acknowledgements")
        fill(filler)
        wait_until(lambda: load.replies[451] >= 20, 60, "451 replies on a full disk")
        acked_while_full = len(load.acked)
        time.sleep(0.5)
        assert server.alive(), server.log_tail()
        assert log_events(server, "store_unavailable") == 1, server.log_tail()
        assert len(load.acked) - acked_while_full <= 2  # still full: (almost) nothing more accepted
        filler.unlink()
        wait_until(lambda: len(load.acked) >= acked_while_full + 20, 60, "acceptance after space is freed")
        load.finish(timeout=60)
        assert log_events(server, "store_recovered") >= 1
    finally:
        load._stop_new.set()
        server.stop()
    assert_all_stored_once(load, server.db_path)


@pytest.mark.slow
def test_locked_database_answers_451_and_accepts_when_released(tmp_path):
    server = BouncedServer(tmp_path, overrides={"store": {"busy_timeout_ms": 100}}).start()
    load = RetryingLoad(server.port, workers=2, tag="locked").start()
    try:
        wait_until(lambda: len(load.acked) >= 10, 30, "first acknowledgements")
        holder = sqlite3.connect(server.db_path, isolation_level=None, timeout=10)
        holder.execute("BEGIN IMMEDIATE")  # another writer holds the write lock
        try:
            wait_until(lambda: load.replies[451] >= 5, 60, "451 replies while the database is locked")
            assert server.alive()
            held_acked = len(load.acked)
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        assert len(load.acked) - held_acked <= 2
        wait_until(lambda: len(load.acked) >= held_acked + 10, 30, "acceptance after the lock is released")
        load.finish(timeout=60)
    finally:
        load._stop_new.set()
        server.stop()
    assert log_events(server, "store_unavailable") == 1
    assert_all_stored_once(load, server.db_path)


def corrupt_header(db: Path) -> None:
    db.write_bytes(b"this is not an SQLite database\n" * 200)


def corrupt_pages(db: Path) -> None:
    """A real bounced database whose pages after the first are overwritten."""
    with BouncedServer(db.parent / "make") as s:
        pass
    data = bytearray(Path(s.db_path).read_bytes())
    for suffix in ("-wal", "-shm"):
        Path(str(s.db_path) + suffix).unlink(missing_ok=True)
    page = int.from_bytes(data[16:18], "big") or 65536
    data[page:] = os.urandom(len(data) - page) if len(data) > page else b""
    db.write_bytes(bytes(data))


@pytest.mark.parametrize("damage", [corrupt_header, corrupt_pages], ids=["not-sqlite", "garbled-pages"])
def test_corrupt_database_at_start_is_one_clear_error_and_a_nonzero_exit(tmp_path, damage):
    db = tmp_path / "bounced.db"
    damage(db)
    server = BouncedServer(tmp_path / "work", db_path=db)
    proc = server.spawn()
    try:
        rc = proc.wait(timeout=30)  # exits by itself: no hang, no internal retry loop
    finally:
        server.kill()
    out = server.log_text()
    assert rc != 0
    assert "Traceback" not in out
    assert str(db) in out, out
