"""The store at size: ingest rate with many events vs an empty store, database size, CLI response.

    .venv/bin/python bench/scale.py [--events 1000000] [--suppressions N] [--db PATH] [--rebuild]

Generates ``--events`` events over ``--suppressions`` addresses (default events/10; every address
ends up suppressed hard) through the Store's own ``ingest_many`` (messages of 10 recipients,
received over the last 30 days), then measures in the same run:
- ingest rate of 2,000 real-shaped DSNs (parsed beforehand, committed in batches of 64 like the
  daemon's group commit) into an empty store and into the big one, and their ratio;
- database size per million events;
- wall time of ``bounced inspect ADDRESS`` and ``bounced inspect stats --since 1d`` (subprocess,
  median of 3), next to ``bounced --version`` (interpreter start-up) as the baseline.
The full-size figure in bench/README.md is ``--events 10000000 --suppressions 1000000``.
"""
from __future__ import annotations

import argparse
import hashlib
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path[0] = str(Path(__file__).resolve().parent.parent)  # the project root, not bench/ (bench/http.py would shadow the stdlib http)

from bench.procs import bounced_command  # noqa: E402
from bench.synth import dsn  # noqa: E402
from bounced.config import Config  # noqa: E402
from bounced.ingest import Incoming, parse_options, prepare  # noqa: E402
from bounced.model import Kind, ParseResult, RecipientResult  # noqa: E402
from bounced.store import Store  # noqa: E402

PER_MESSAGE = 10


def address(i: int) -> str:
    return f"user{i}@d{i % 1000}.example.com"


def generated(m: int, n_addr: int, now: datetime, span: timedelta) -> Incoming:
    recips = tuple(
        RecipientResult(recipient=address((m * PER_MESSAGE + k) % n_addr), original_recipient=None, action="failed",
                        status="5.1.1", reply_code="550", diagnostic="550 5.1.1 user unknown",
                        remote_mta="mx.example.com", last_attempt=None, reason="user_unknown", kind=Kind.HARD)
        for k in range(PER_MESSAGE))
    raw = f"generated message {m}".encode()
    return Incoming(raw=raw, sha256=hashlib.sha256(raw).hexdigest(), mail_from="", rcpt_tos=("bounces@localhost",),
                    received_at=now - timedelta(seconds=(m * 7919) % int(span.total_seconds())),
                    result=ParseResult(format="generated", recipients=recips))


def build(db: Path, events: int, n_addr: int) -> float:
    for suffix in ("", "-wal", "-shm"):
        Path(str(db) + suffix).unlink(missing_ok=True)
    store = Store.open(db, Config())
    now = datetime.now(timezone.utc)
    span = timedelta(days=30)
    t0 = time.perf_counter()
    messages = events // PER_MESSAGE
    for start in range(0, messages, 2000):
        store.ingest_many([generated(m, n_addr, now, span) for m in range(start, min(messages, start + 2000))])
        if start and start % 100_000 == 0:
            done = start * PER_MESSAGE
            print(f"  {done} events, {done / (time.perf_counter() - t0):.0f}/s", flush=True)
    store.close()
    dt = time.perf_counter() - t0
    print(f"generated {events} events over {n_addr} addresses in {dt:.0f} s ({events / dt:.0f} events/s)")
    return dt


def ingest_rate(db: Path, items: list[Incoming]) -> float:
    store = Store.open(db, Config())
    t0 = time.perf_counter()
    for i in range(0, len(items), 64):
        store.ingest_many(items[i:i + 64])
    dt = time.perf_counter() - t0
    store.close()
    return len(items) / dt


def cli_time(args: list[str]) -> float:
    times = []
    for _ in range(3):
        t0 = time.perf_counter()
        r = subprocess.run(bounced_command() + args, capture_output=True)
        times.append(time.perf_counter() - t0)
        if r.returncode != 0:
            print(f"  {' '.join(args)} failed: {r.stderr.decode().strip()[:200]}")
    return statistics.median(times)


def scale_store(description: str | None, events: int) -> tuple[argparse.Namespace, Path, int]:
    """The command line of the scale benches (--events, --suppressions, --db, --rebuild) and the
    store it names, built unless it exists: (arguments, store path, distinct addresses)."""
    ap = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--events", type=int, default=events)
    ap.add_argument("--suppressions", type=int, default=None, help="distinct addresses (default events/10)")
    ap.add_argument("--db", default=None, help="store to build or reuse (default /tmp/bounced-bench-scale-EVENTS.db)")
    ap.add_argument("--rebuild", action="store_true")
    args = ap.parse_args()
    n_addr = args.suppressions or max(1, args.events // 10)
    db = Path(args.db or f"/tmp/bounced-bench-scale-{args.events}.db")
    if args.rebuild or not db.exists():
        build(db, args.events, n_addr)
    else:
        print(f"reusing {db} (--rebuild to regenerate)")
    return args, db, n_addr


def main() -> int:
    args, db, n_addr = scale_store(__doc__, 1_000_000)
    size = sum(Path(str(db) + s).stat().st_size for s in ("", "-wal") if Path(str(db) + s).exists())
    print(f"database: {size / 1e6:.0f} MB, {size / 1e6 / (args.events / 1e6):.0f} MB per million events "
          f"(generated messages carry a ~20-byte raw; real ones add their compressed raw, ~1-3 kB each)")

    opts = parse_options(Config())
    items = [prepare(dsn(i, tag=f"scale{time.time_ns()}"), "", ("bounces@localhost",), opts) for i in range(2000)]
    with tempfile.TemporaryDirectory() as tmp:
        empty = ingest_rate(Path(tmp) / "empty.db", items)
    items = [prepare(dsn(i, tag=f"scale{time.time_ns()}"), "", ("bounces@localhost",), opts) for i in range(2000)]
    big = ingest_rate(db, items)
    print(f"ingest_many, batches of 64: empty store {empty:.0f} msg/s, {args.events} events {big:.0f} msg/s, "
          f"ratio {big / empty:.2f}")

    base = cli_time(["--version"])
    insp = cli_time(["inspect", address(12345 % n_addr), "--db", str(db)])
    stats = cli_time(["inspect", "stats", "--since", "1d", "--db", str(db)])
    print(f"bounced --version {base * 1000:.0f} ms (start-up); inspect ADDRESS {insp * 1000:.0f} ms; "
          f"inspect stats --since 1d {stats * 1000:.0f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
