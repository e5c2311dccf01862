"""The writer outlives its own bookkeeping, and a daemon whose writer is gone exits instead of
answering 451 for ever (issue 12, item 1).

The trigger found by the red team: a /healthz probe gives up on a store check queued behind a
busy writer, which cancels the check's Future; when the writer later ran the check, settling the
cancelled Future raised InvalidStateError and the thread died. Everything here runs the real
writer over the real store; the database is made busy the way ``bounced reprocess`` or a backup
would, by another connection holding its write lock.
"""
from __future__ import annotations

import os
import signal
import smtplib
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from bounced.store import StoreError
from bounced.writer import Writer
from tests.daemon_helpers import (
    BOUNCE_DOMAIN,
    ROOT,
    GatedStore,
    ListLog,
    StoreWrapper,
    config_dict,
    dsn,
    make_config,
    store_opener,
    stored_sha256s,
    wait_for,
    write_toml,
)


def test_a_cancelled_health_check_does_not_kill_the_writer(db_path: Path) -> None:
    cfg = make_config(db_path)
    gate = threading.Event()
    store = GatedStore(store_opener()(cfg), gate)
    log = ListLog()
    w = Writer(lambda: store, log=log)
    w.start()
    try:
        first = w.submit(dsn(token="busy"), "", ("bounces@bounce.example",))
        assert store.entered.wait(10)
        probe = w.check_writable()  # queued behind the busy commit
        assert probe.cancel()  # the prober gave up
        gate.set()
        first.result(30)
        later = w.submit(dsn(token="after"), "", ("bounces@bounce.example",)).result(30)
        assert w.alive
        assert w.check_writable().result(10) is None
        assert later.incoming.sha256 in stored_sha256s(db_path)
        assert not log.events("writer_bug")
    finally:
        gate.set()
        w.close(10)


class Fatal(BaseException):
    """A fault the writer cannot turn into a 451 (what SystemExit or a C extension's abort is)."""


class FatalOnIngest(StoreWrapper):
    def ingest_many(self, items):
        raise Fatal("injected fatal fault in the store")


def test_a_bug_in_the_writers_bookkeeping_costs_one_round_not_the_thread(db_path: Path) -> None:
    cfg = make_config(db_path)
    log = ListLog()
    w = Writer(lambda: store_opener()(cfg), log=log)
    w.start()
    try:
        w._queue.put(object())  # an item the collector cannot handle: a bug, as far as the loop knows
        stored = w.submit(dsn(token="after-bug"), "", ("bounces@bounce.example",)).result(30)
        assert w.alive
        assert stored.incoming.sha256 in stored_sha256s(db_path)
        assert log.events("writer_bug")
    finally:
        w.close(10)


def test_a_writer_that_ends_unasked_reports_it_and_fails_what_waits(db_path: Path) -> None:
    cfg = make_config(db_path)
    died: list[str] = []
    log = ListLog()
    w = Writer(lambda: FatalOnIngest(store_opener()(cfg)), log=log, on_death=died.append)
    w.start()
    fut = w.submit(dsn(token="fatal"), "", ("bounces@bounce.example",))
    with pytest.raises(StoreError):
        fut.result(10)
    wait_for(lambda: died, 10, "on_death")
    assert not w.alive
    assert log.events("writer_died")
    with pytest.raises(StoreError):  # no submitter waits for a writer that is gone
        w.submit(dsn(token="later"), "", ("bounces@bounce.example",)).result(5)
    assert w.close(5)


def test_health_probes_against_a_locked_store_leave_the_daemon_working(start_daemon, db_path: Path) -> None:
    d = start_daemon(store={"busy_timeout_ms": 2000})
    d.daemon.health_cache = 0.0
    holder = sqlite3.connect(db_path, isolation_level=None, timeout=10)
    holder.execute("BEGIN EXCLUSIVE")  # reprocess or a backup holding the lock
    refused: list[int] = []
    try:
        def deliver() -> None:
            with smtplib.SMTP("127.0.0.1", d.port(), timeout=60) as s:
                try:
                    s.sendmail("", [f"bounces@{BOUNCE_DOMAIN}"], dsn(token="while-locked"))
                except smtplib.SMTPDataError as err:
                    refused.append(err.smtp_code)

        sender = threading.Thread(target=deliver)
        sender.start()
        answers = [d.call(d.daemon.health, timeout=10) for _ in range(20)]  # probes never wait for the store
        sender.join(60)
        assert refused == [451]
        assert "locked" in wait_for(lambda: d.call(d.daemon.health), 20, "the failed commit reported")
        assert all(a is None or isinstance(a, str) for a in answers)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert wait_for(lambda: d.call(d.daemon.health) is None, 20, "healthy again")
    with smtplib.SMTP("127.0.0.1", d.port(), timeout=30) as s:
        s.sendmail("", [f"bounces@{BOUNCE_DOMAIN}"], dsn(token="after-probes"))
    assert d.daemon.writer is not None and d.daemon.writer.alive
    assert not d.log.events("writer_bug") and not d.log.events("writer_died")


def test_a_dead_writer_stops_the_daemon_with_a_nonzero_status(start_daemon, db_path: Path) -> None:
    d = start_daemon(open_store=lambda cfg: FatalOnIngest(store_opener()(cfg)))
    s = smtplib.SMTP("127.0.0.1", d.port(), timeout=30)
    with pytest.raises(smtplib.SMTPDataError) as err:
        s.sendmail("", [f"bounces@{BOUNCE_DOMAIN}"], dsn(token="kills-writer"))
    s.close()
    assert err.value.smtp_code == 451
    wait_for(lambda: not d._thread.is_alive(), 30, "the daemon to stop by itself")
    assert d.daemon.exit_code == 1
    assert d.log.events("writer_died")


_RUN_WITH_FATAL_STORE = """
import asyncio, sys
from bounced import config, daemon, logsetup
from tests.test_writer_survival import FatalOnIngest
cfg = config.load(sys.argv[1])
log = logsetup.configure("json", "info")
sys.exit(asyncio.run(daemon.run(cfg, sys.argv[1], log=log,
                                open_store=lambda c: FatalOnIngest(daemon.open_real_store(c)))))
"""


@pytest.mark.slow
def test_a_dead_writer_ends_the_process_and_its_parse_workers(tmp_path: Path) -> None:
    """The whole process, parse worker included, exits non-zero by itself: nothing (multiprocessing's
    exit handler waiting for a worker) keeps it alive for systemd to find hung."""
    conf = write_toml(tmp_path / "bounced.toml", config_dict(tmp_path / "bounced.db", server={"parse_workers": 1}))
    proc = subprocess.Popen([sys.executable, "-c", _RUN_WITH_FATAL_STORE, str(conf)], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    try:
        port = None
        assert proc.stdout is not None
        deadline = time.monotonic() + 30
        while port is None and time.monotonic() < deadline:
            line = proc.stdout.readline().decode()
            if '"listening"' in line and '"smtp"' in line:
                port = int(line.split('"port": ')[1].split(",")[0].split("}")[0])
        assert port, "daemon did not start"
        s = smtplib.SMTP("127.0.0.1", port, timeout=30)
        with pytest.raises(smtplib.SMTPDataError):
            s.sendmail("", [f"bounces@{BOUNCE_DOMAIN}"], dsn(token="kills-writer-proc"))
        s.close()  # no QUIT: the daemon is already saying 421 to its clients
        assert proc.wait(45) == 1
        out = proc.stdout.read().decode()
        assert "writer_died" in out
        # no process of the session (the parse worker) outlives the daemon
        def left() -> list[int]:
            return [int(pid) for pid in os.listdir("/proc") if pid.isdigit() and _pgid(int(pid)) == proc.pid]

        wait_for(lambda: not left(), 10, "no process of the daemon's group left")
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)


def _pgid(pid: int) -> int | None:
    try:
        return os.getpgid(pid)
    except (ProcessLookupError, PermissionError):
        return None
