"""Memory under many large messages at once (issue 12, item 4): DATA is spooled, and messages are
held in memory for their commit only within server.max_inflight_bytes. The real `bounced serve`
for the resident-memory bound; the in-process daemon with a gated real store for the 452."""
from __future__ import annotations

import asyncio
import hashlib
import smtplib
import tempfile
import threading
import time
from pathlib import Path

from bench.hostile_memory import _send
from bench.procs import BouncedServer, status_kb
from bench.synth import dsn, wire
from tests.daemon_helpers import BOUNCE_DOMAIN, GatedStore, LineClient, store_opener, stored_sha256s, wait_for

BOUNCE = f"bounces@{BOUNCE_DOMAIN}"


def test_parallel_large_messages_stay_within_the_budget_not_their_sum(tmp_path: Path) -> None:
    clients, size = 20, 3_000_000
    body = wire(dsn(0, padding=size, tag="mem"))
    budget = 4 * 1024 * 1024
    srv = BouncedServer(tmp_path, overrides={"server": {
        "max_message_size": budget, "max_inflight_bytes": budget, "max_connections_per_client": clients,
        "parse_workers": 0}}).start()  # parsing in-process: all of it counts in one process
    try:
        time.sleep(0.5)
        idle_kb = status_kb(srv.pid, "VmRSS")

        async def attack() -> list[str]:
            return await asyncio.gather(*(_send(srv.port, i, body, 300) for i in range(clients)))

        answers = asyncio.run(attack())
        growth_mb = (status_kb(srv.pid, "VmHWM") - idle_kb) / 1024
    finally:
        srv.stop()
    assert answers == ["250"] * clients
    assert len(set(stored_sha256s(srv.db_path))) == clients
    # the messages add up to 60 MB, and aiosmtpd's list of lines plus the joined copy cost twice
    # that before; within the budget the daemon holds a few of them at a time
    assert growth_mb < clients * size / 1e6, f"peak grew by {growth_mb:.0f} MB"


def test_data_gets_452_while_a_whole_budget_waits(start_daemon, db_path: Path) -> None:
    limit = 200_000
    gate = threading.Event()
    d = start_daemon(open_store=lambda cfg: GatedStore(store_opener()(cfg), gate),
                     server={"max_message_size": limit, "max_inflight_bytes": limit, "data_timeout": 120.0})
    # 3 messages of ~0.6 x the budget: one in its commit, two waiting for it (more than a budget)
    raws = [dsn(i, padding=110_000, tag="big").replace(b"bounces@localhost", BOUNCE.encode()) for i in range(3)]
    results: list[int] = []

    def deliver(raw: bytes) -> None:
        with smtplib.SMTP("127.0.0.1", d.port(), timeout=120) as s:
            s.sendmail("", [BOUNCE], raw)
            results.append(250)

    senders = [threading.Thread(target=deliver, args=(r,)) for r in raws]
    senders[0].start()  # holds the budget in its (gated) commit
    wait_for(lambda: d.daemon.state.budget.used > 0, 30, "the first message to hold the budget")
    senders[1].start()  # received, waits for the budget
    senders[2].start()
    wait_for(lambda: d.daemon.state.budget.waiting >= limit, 30, "a whole budget waiting")
    c = LineClient(d.port())
    c.reply()
    c.cmd("EHLO mx.test")
    assert c.cmd("MAIL FROM:<>")[0] == 250
    assert c.cmd(f"RCPT TO:<{BOUNCE}>")[0] == 250
    code, lines = c.cmd("DATA")
    assert code == 452 and "4.3.1" in lines[0], lines
    c.close()
    gate.set()
    for t in senders:
        t.join(120)
    assert results == [250, 250, 250]
    assert sorted(stored_sha256s(db_path)) == sorted(hashlib.sha256(r).hexdigest() for r in raws)
    assert d.daemon.state.budget.used == 0 and d.daemon.metrics.rejects.labels(cause="memory_budget")._value.get() == 1


def test_a_line_without_end_is_not_kept_in_memory(tmp_path: Path) -> None:
    """A message that is one 40 MB line: drained and refused, not collected piece by piece."""
    srv = BouncedServer(tmp_path, overrides={"server": {"max_message_size": 1_000_000,
                                                         "max_inflight_bytes": 1_000_000}}).start()
    try:
        time.sleep(0.5)
        idle_kb = status_kb(srv.pid, "VmRSS")

        async def run() -> tuple[bytes, str]:
            reader, writer = await asyncio.open_connection("127.0.0.1", srv.port)
            await reader.readline()
            for cmd in (b"EHLO mem.example", b"MAIL FROM:<>", b"RCPT TO:<bounces@localhost>", b"DATA"):
                writer.write(cmd + b"\r\n")
                while (line := await reader.readline())[3:4] == b"-":
                    pass
            chunk = b"x" * 1_000_000
            for _ in range(40):
                writer.write(chunk)
                await writer.drain()
            writer.write(b"\r\n.\r\n")
            reply = await reader.readline()
            writer.close()
            after = await _send(srv.port, 1, wire(dsn(1, tag="after-long-line")), 60)
            return reply, after

        reply, after = asyncio.run(asyncio.wait_for(run(), 300))
        growth_mb = (status_kb(srv.pid, "VmHWM") - idle_kb) / 1024
    finally:
        srv.stop()
    assert reply.startswith(b"552 5.3.4") or reply.startswith(b"500 5.5.2"), reply
    assert after == "250"
    assert growth_mb < 20, f"peak grew by {growth_mb:.0f} MB"
