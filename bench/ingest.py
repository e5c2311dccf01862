"""SMTP ingest throughput: `bounced serve` against a do-nothing aiosmtpd server, same load, same run.

    .venv/bin/python bench/ingest.py [--messages 2000] [--concurrency 1,8,32] [--per-connection 10]
                                     [--corpus DIR] [--keep] [--store URL|temp]

For each concurrency level the same number of messages (null sender, RCPT bounces@localhost) goes
first to the baseline server (handler answers 250 and stores nothing), then to `bounced serve` on a
fresh database, which answers 250 only after the message is committed. Prints messages/s, p50/p99
latency of one transaction (MAIL..final reply) and the ratio bounced/baseline, then the peak RSS of
`bounced serve` after the highest concurrency, and checks that every acknowledged message is in
the database. Reports only; nothing is asserted.

With ``--store URL`` (or ``--store temp``: a PostgreSQL server started for the run in a temporary
directory, fsync on) it compares engines instead, same messages, same run: one daemon on SQLite,
one daemon on PostgreSQL, and two daemons on the same PostgreSQL database with the load split
between their ports (half the concurrency each); durable messages per second and the ratios
PostgreSQL/SQLite and two/one daemons. On a 2-core machine the database, the daemons and the load
generator share the cores: this measures the cost of each commit path, not scale-out.
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
    ap.add_argument("--store", help="postgresql://... (or 'temp'): compare SQLite, PostgreSQL and two daemons on it")
    args = ap.parse_args()
    levels = [int(x) for x in args.concurrency.split(",")]
    corpus = load_corpus(args.corpus) if args.corpus else None
    if args.store:
        return compare_stores(args, levels, corpus)
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


def count_rows(location: str | Path) -> int:
    from bounced.config import Config
    from bounced.store import Store

    with Store.open(location, Config(), readonly=True) as s:
        return s.conn.execute("SELECT count(*) FROM messages").fetchone()[0]


def compare_stores(args: argparse.Namespace, levels: list[int], corpus: list[bytes] | None) -> int:
    pg = None
    url = args.store
    tmp = Path(tempfile.mkdtemp(prefix="bounced-bench-stores-"))
    if url == "temp":
        from tests.pgserver import PgServer

        pg = PgServer(durable=True).start()
        url = pg.url()
    print(f"bench/ingest.py --store: {args.messages} messages per run, {args.per_connection or 'all'} per connection; "
          f"PostgreSQL {'started for this run (fsync on)' if pg else 'at ' + url}")
    servers = {
        "sqlite": [BouncedServer(tmp / "sqlite")],
        "postgresql": [BouncedServer(tmp / "pg1", db_path=url)],
        "postgresql x2": [BouncedServer(tmp / "pg2a", db_path=url), BouncedServer(tmp / "pg2b", db_path=url)],
    }
    seq = 0
    table = []
    acked_total = {name: 0 for name in servers}
    try:
        for name, group in servers.items():
            for s in group:
                s.start()
            warm = payloads(args.warmup, seq, corpus)
            seq += args.warmup
            acked_total[name] += len(asyncio.run(drive("127.0.0.1", group[0].port, warm, 4, args.per_connection)).acked)
            for c in levels:
                load = payloads(args.messages, seq, corpus)
                seq += args.messages
                parts = [load[i::len(group)] for i in range(len(group))]

                async def run_all(group=group, parts=parts, c=c) -> list[LoadResult]:  # noqa: ANN001
                    return await asyncio.gather(*(drive("127.0.0.1", s.port, p, max(1, c // len(group)), args.per_connection)
                                                  for s, p in zip(group, parts, strict=True)))

                t0 = time.perf_counter()
                results = asyncio.run(run_all())
                elapsed = time.perf_counter() - t0
                acked = sum(len(r.acked) for r in results)
                acked_total[name] += acked
                errors = sum(len(r.errors) + len(r.refused) for r in results)
                table.append((name, c, acked / elapsed, errors))
                print(f"  {name:<14} concurrency {c:>3}: {acked / elapsed:7.0f} durable msg/s"
                      f"{f'  ({errors} refused or failed)' if errors else ''}")
            for s in group:
                s.stop()
        stored_sqlite = count_rows(servers["sqlite"][0].db_path)
        stored_pg = count_rows(url)
        print(f"durability: sqlite {acked_total['sqlite']} answered 250, {stored_sqlite} stored; postgresql "
              f"{acked_total['postgresql'] + acked_total['postgresql x2']} answered 250, {stored_pg} stored")
    finally:
        for group in servers.values():
            for s in group:
                s.stop()
        if pg is not None:
            pg.destroy()
        if not args.keep:
            import shutil
            shutil.rmtree(tmp, ignore_errors=True)
    rate = {(n, c): r for n, c, r, _ in table}
    print("\n| concurrency | SQLite msg/s | PostgreSQL msg/s | 2 daemons on PostgreSQL msg/s | PG/SQLite | 2/1 daemons |")
    print("|---|---|---|---|---|---|")
    for c in levels:
        a, b, d = rate[("sqlite", c)], rate[("postgresql", c)], rate[("postgresql x2", c)]
        print(f"| {c} | {a:.0f} | {b:.0f} | {d:.0f} | {b / a:.2f} | {d / b:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
