"""SMTP ingest throughput: `bounced serve` against a do-nothing aiosmtpd server, same load, same run.

    .venv/bin/python bench/ingest.py [--messages 2000] [--concurrency 1,8,32] [--per-connection 10]
                                     [--corpus DIR] [--keep]

For each concurrency level the same number of messages (null sender, RCPT bounces@localhost) goes
first to the baseline server (handler answers 250 and stores nothing), then to `bounced serve` on a
fresh database, which answers 250 only after the message is committed. Prints messages/s, p50/p99
latency of one transaction (MAIL..final reply) and the ratio bounced/baseline, then the peak RSS of
`bounced serve` after the highest concurrency, and checks that every acknowledged message is in
the database. Reports only; nothing is asserted.
"""
from __future__ import annotations

import argparse
import asyncio
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

sys.path[0] = str(Path(__file__).resolve().parent.parent)  # the project root, not bench/ (bench/http.py would shadow the stdlib http)

from bench.procs import BouncedServer, NullServer  # noqa: E402
from bench.synth import LoadResult, drive, dsn, load_corpus, uniquify, wire  # noqa: E402


def payloads(n: int, start: int, corpus: list[bytes] | None) -> list[bytes]:
    if corpus:
        return [wire(uniquify(corpus[i % len(corpus)], i)) for i in range(start, start + n)]
    return [wire(dsn(i)) for i in range(start, start + n)]


def row(name: str, r: LoadResult) -> str:
    bad = f"  refused={len(r.refused)} errors={len(r.errors)}" if r.refused or r.errors else ""
    return (f"  {name:<8} {r.rate:9.0f} msg/s   p50 {r.percentile(50) * 1000:7.2f} ms   "
            f"p99 {r.percentile(99) * 1000:7.2f} ms{bad}")


def count_messages(db: Path) -> int | str:
    try:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        try:
            return con.execute("SELECT count(*) FROM messages").fetchone()[0]
        finally:
            con.close()
    except sqlite3.Error as exc:
        return f"could not count ({exc})"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--messages", type=int, default=2000, help="messages per server per concurrency level")
    ap.add_argument("--concurrency", default="1,8,32", help="comma-separated levels")
    ap.add_argument("--per-connection", type=int, default=10,
                    help="messages per SMTP session before reconnecting (1 = one per connection, 0 = one session)")
    ap.add_argument("--corpus", help="directory of real bounces to send instead of synthetic DSNs")
    ap.add_argument("--warmup", type=int, default=200, help="messages sent to each server before measuring")
    ap.add_argument("--keep", action="store_true", help="keep the temp directory (database, config, log)")
    args = ap.parse_args()
    levels = [int(x) for x in args.concurrency.split(",")]
    corpus = load_corpus(args.corpus) if args.corpus else None
    tmp = Path(tempfile.mkdtemp(prefix="bounced-bench-ingest-"))
    print(f"bench/ingest.py: {args.messages} messages per run, {args.per_connection or 'all'} per connection, "
          f"{'corpus ' + args.corpus + f' ({len(corpus)} files)' if corpus else 'synthetic DSNs'}; work dir {tmp}")
    seq = 0
    acked_total = 0
    summary = []
    bounced = BouncedServer(tmp / "serve")
    try:
        bounced.start()
    except (RuntimeError, OSError) as exc:
        print(f"bounced serve could not start; measuring the baseline only.\n{exc}")
        bounced = None
    with NullServer() as null:
        warm = payloads(args.warmup, 10_000_000, corpus)
        asyncio.run(drive("127.0.0.1", null.port, warm, 8, args.per_connection))
        if bounced:
            warm = payloads(args.warmup, seq, corpus)
            seq += args.warmup
            acked_total += len(asyncio.run(drive("127.0.0.1", bounced.port, warm, 8, args.per_connection)).acked)
        for c in levels:
            load = payloads(args.messages, seq, corpus)
            seq += args.messages
            base = asyncio.run(drive("127.0.0.1", null.port, load, c, args.per_connection))
            print(f"concurrency {c}:")
            print(row("null", base))
            if bounced:
                r = asyncio.run(drive("127.0.0.1", bounced.port, load, c, args.per_connection))
                acked_total += len(r.acked)
                print(row("bounced", r))
                ratio = r.rate / base.rate if base.rate else float("nan")
                print(f"  ratio bounced/null {ratio:.2f}")
                summary.append((c, base.rate, r.rate, ratio, r.percentile(50), r.percentile(99)))
                for e in r.errors[:3]:
                    print(f"    error: {e}")
                if r.refused:
                    print(f"    refused codes: {sorted(set(r.refused.values()))}")
            else:
                summary.append((c, base.rate, None, None, None, None))
        null_rss = null.peak_rss_kb()
    if bounced:
        peak = bounced.peak_rss_kb()
        rc = bounced.stop()
        stored = count_messages(bounced.db_path)
        print(f"peak RSS of bounced serve (VmHWM, after concurrency {max(levels)}): {peak / 1024:.1f} MB "
              f"(baseline server {null_rss / 1024:.1f} MB)")
        print(f"durability: {acked_total} messages answered 250, {stored} rows in messages after SIGTERM "
              f"(exit code {rc})")
        if args.keep:
            print(f"kept {tmp}")
    print("\n| concurrency | null msg/s | bounced msg/s | ratio | bounced p50 ms | bounced p99 ms |")
    print("|---|---|---|---|---|---|")
    for c, b, r, ratio, p50, p99 in summary:
        if r is None:
            print(f"| {c} | {b:.0f} | - | - | - | - |")
        else:
            print(f"| {c} | {b:.0f} | {r:.0f} | {ratio:.2f} | {p50 * 1000:.1f} | {p99 * 1000:.1f} |")
    if not args.keep:
        import shutil
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
