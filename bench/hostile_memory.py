"""Peak memory of ``bounced serve`` while many clients send the largest allowed message at once
(issue 12, item 4: 100 parallel 10 MB messages took the daemon to 1.75 GB).

Usage: .venv/bin/python -m bench.hostile_memory [--clients 100] [--size 10000000] [--budget BYTES]

Every client sends its own DSN carrying ``--size`` bytes of incompressible text (one shared body,
a unique header line each, so none is a duplicate), all at once, from one address (the per-client
connection limit is raised to ``--clients`` so the attack is the red team's, not halved by it).
Printed: peak resident memory (VmHWM) of the daemon's main process and of its parse workers, the
highest sampled sum of both, how every client was answered, and how many messages were stored.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import sqlite3
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

sys.path[0] = str(Path(__file__).resolve().parent.parent)  # the project root, not bench/ (bench/http.py would shadow the stdlib http)

from bench.procs import BouncedServer, descendants, status_kb  # noqa: E402
from bench.synth import dsn, wire  # noqa: E402


async def _send(port: int, seq: int, body: bytes, timeout: float) -> str:
    """One transaction on its own connection; the reply code (or what went wrong) as text."""
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), timeout)
    except (OSError, asyncio.TimeoutError) as exc:
        return f"connect: {type(exc).__name__}"

    async def reply() -> bytes:
        while True:
            line = await reader.readline()
            if not line:
                raise ConnectionResetError("closed")
            if line[3:4] != b"-":
                return line

    try:
        async with asyncio.timeout(timeout):
            first = await reply()
            if not first.startswith(b"220"):
                return first[:3].decode()
            for cmd in (b"EHLO bench.example", b"MAIL FROM:<>", b"RCPT TO:<bounces@localhost>", b"DATA"):
                writer.write(cmd + b"\r\n")
                r = await reply()
                if r[:1] not in (b"2", b"3"):
                    return r[:3].decode()
            writer.write(b"X-Bench-Seq: %d\r\n" % seq)
            writer.write(body)
            await writer.drain()
            return (await reply())[:3].decode()
    except (OSError, ConnectionError, TimeoutError) as exc:
        return type(exc).__name__
    finally:
        writer.close()


class Sampler(threading.Thread):
    """The daemon's summed resident memory (main + workers), every 20 ms."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.peak_sum, self.stop = pid, 0, threading.Event()
        self.workers: set[int] = set()

    def run(self) -> None:
        while not self.stop.is_set():
            kids = descendants(self.pid)
            self.workers.update(kids)
            self.peak_sum = max(self.peak_sum, sum(status_kb(p, "VmRSS") for p in [self.pid, *kids]))
            time.sleep(0.02)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--clients", type=int, default=100)
    ap.add_argument("--size", type=int, default=10_000_000, help="bytes of padding per message")
    ap.add_argument("--budget", type=int, default=0, help="server.max_inflight_bytes (default: the config default)")
    ap.add_argument("--timeout", type=float, default=600.0, help="seconds each client waits in all")
    args = ap.parse_args()

    base = dsn(0, padding=args.size, tag="hostile-memory")
    body = wire(base)
    server_cfg = {"max_connections": max(100, args.clients), "max_connections_per_client": args.clients,
                  "max_message_size": max(10 * 1024 * 1024, len(body) + 1024), "data_timeout": args.timeout}
    if args.budget:
        server_cfg["max_inflight_bytes"] = args.budget
    with tempfile.TemporaryDirectory(prefix="bounced-hostile-memory-") as tmp:
        srv = BouncedServer(Path(tmp), overrides={"server": server_cfg}).start()
        try:
            time.sleep(1.0)  # let the parse worker finish starting, so its start-up is not the peak
            idle_kb = srv.rss_kb()
            sampler = Sampler(srv.pid)
            sampler.start()
            started = time.monotonic()

            async def attack() -> list[str]:
                return await asyncio.gather(*(_send(srv.port, i, body, args.timeout) for i in range(args.clients)))

            answers = asyncio.run(attack())
            elapsed = time.monotonic() - started
            time.sleep(0.5)
            sampler.stop.set()
            sampler.join()
            main_hwm = status_kb(srv.pid, "VmHWM")
            worker_hwm = {p: status_kb(p, "VmHWM") for p in sorted(sampler.workers)}
            con = sqlite3.connect(f"file:{srv.db_path}?mode=ro", uri=True)
            stored = con.execute("SELECT count(*) FROM messages").fetchone()[0]
            con.close()
        finally:
            srv.stop()
    result = {
        "clients": args.clients, "message_bytes": len(body), "max_inflight_bytes": args.budget or "default",
        "idle_rss_mb": round(idle_kb / 1024, 1),
        "peak_rss_main_mb": round(main_hwm / 1024, 1),
        "peak_rss_workers_mb": [round(v / 1024, 1) for v in worker_hwm.values()],
        "peak_rss_sampled_sum_mb": round(sampler.peak_sum / 1024, 1),
        "answers": dict(Counter(answers)), "stored": stored, "seconds": round(elapsed, 1),
    }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
