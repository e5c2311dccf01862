"""Reader API speed with a large suppression list, side by side with raw SQLite in the same run.

    .venv/bin/python bench/lookup.py [--suppressions 1000000] [--lookups 200000] [--db PATH] [--rebuild]
                                     [--store URL|temp]

Builds (or reuses, at --db) a store holding N suppressions through the Store's own bulk path
(``Store.import_suppressions``, one transaction), and a baseline SQLite file with the same
addresses in a bare ``address TEXT PRIMARY KEY`` table. Then measures, in one process:
single ``SuppressionList.is_suppressed`` lookups per second (half hits, half misses, random
order) against one prepared primary-key SELECT per address on the baseline, and one
``SuppressionList.check()`` of 10,000 addresses against one baseline query over the same list.
Reports only; nothing is asserted.

``--store URL`` (or ``temp``: a PostgreSQL server started for the run) also copies the store into
that PostgreSQL database with ``bounced store migrate``'s code and measures the same lookups
through ``SuppressionList(URL)`` beside raw psycopg (one prepared primary-key SELECT per address).
"""
from __future__ import annotations

import argparse
import json
import random
import sqlite3
import sys
import time
from pathlib import Path

sys.path[0] = str(Path(__file__).resolve().parent.parent)  # the project root, not bench/ (bench/http.py would shadow the stdlib http)

from bounced.config import Config  # noqa: E402
from bounced.model import SuppressionRow  # noqa: E402
from bounced.reader import SuppressionList  # noqa: E402
from bounced.store import Store  # noqa: E402


def address(i: int) -> str:
    return f"user{i}@d{i % 1000}.example.com"


def build(db: Path, base: Path, n: int) -> None:
    for p in (db, base):
        for suffix in ("", "-wal", "-shm"):
            Path(str(p) + suffix).unlink(missing_ok=True)
    t0 = time.perf_counter()
    store = Store.open(db, Config())
    step = 100_000
    for start in range(0, n, step):
        rows = [SuppressionRow(address(i), "hard", "user_unknown") for i in range(start, min(n, start + step))]
        count, errors = store.import_suppressions(rows, by="bench")
        assert not errors, errors[:3]
    store.close()
    t1 = time.perf_counter()
    con = sqlite3.connect(base)
    con.execute("CREATE TABLE s (address TEXT PRIMARY KEY, kind TEXT, reason TEXT) WITHOUT ROWID")
    con.executemany("INSERT INTO s VALUES (?, 'hard', 'user_unknown')", ((address(i),) for i in range(n)))
    con.commit()
    con.close()
    print(f"built {n} suppressions: store {t1 - t0:.1f} s via Store.import_suppressions "
          f"({n / (t1 - t0):.0f}/s), baseline table {time.perf_counter() - t1:.1f} s")


def timed(fn, *args) -> tuple[float, object]:  # noqa: ANN001
    t0 = time.perf_counter()
    out = fn(*args)
    return time.perf_counter() - t0, out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--suppressions", type=int, default=1_000_000)
    ap.add_argument("--lookups", type=int, default=200_000)
    ap.add_argument("--check-size", type=int, default=10_000)
    ap.add_argument("--db", default=None, help="store to build or reuse (default /tmp/bounced-bench-lookup-N.db)")
    ap.add_argument("--rebuild", action="store_true")
    ap.add_argument("--store", help="postgresql://... or 'temp': measure the reader on PostgreSQL too")
    args = ap.parse_args()
    n = args.suppressions
    db = Path(args.db or f"/tmp/bounced-bench-lookup-{n}.db")
    base = Path(str(db) + ".baseline")
    if args.rebuild or not db.exists() or not base.exists():
        build(db, base, n)
    else:
        print(f"reusing {db} (--rebuild to regenerate)")
    rng = random.Random(42)
    # half present, half absent (indexes beyond n); mixed-case domains go through normalization
    queries = [address(rng.randrange(n)) if i % 2 else address(n + rng.randrange(n)) for i in range(args.lookups)]
    sl = SuppressionList(db)
    sl.is_suppressed(queries[0])  # open the connection outside the timing
    con = sqlite3.connect(f"file:{base}?mode=ro", uri=True)
    sql = "SELECT kind, reason FROM s WHERE address = ?"

    def run_bounced() -> int:
        f = sl.is_suppressed
        return sum(1 for q in queries if f(q))

    def run_base() -> int:
        ex = con.execute
        return sum(1 for q in queries if ex(sql, (q,)).fetchone() is not None)

    members = {address(i) for i in range(n)}

    def run_set() -> int:
        return sum(1 for q in queries if q in members)

    t_b, hits_b = timed(run_bounced)
    t_r, hits_r = timed(run_base)
    t_s, hits_s = timed(run_set)
    print(f"single lookups ({len(queries)}, {hits_b} hits; baseline found {hits_r}, set {hits_s}):")
    print(f"  SuppressionList.is_suppressed  {len(queries) / t_b:10.0f}/s  ({t_b / len(queries) * 1e6:.1f} us each)")
    print(f"  raw sqlite3 primary-key SELECT {len(queries) / t_r:10.0f}/s  ({t_r / len(queries) * 1e6:.1f} us each)")
    print(f"  Python set membership          {len(queries) / t_s:10.0f}/s")
    print(f"  ratio bounced/raw sqlite {t_r / t_b:.2f}")

    batch = queries[: args.check_size]
    best_c, best_r = float("inf"), float("inf")
    for _ in range(5):
        t, found = timed(sl.check, batch)
        best_c = min(best_c, t)
        t, rows = timed(lambda: con.execute(
            "SELECT address, kind, reason FROM s WHERE address IN (SELECT value FROM json_each(?))",
            (json.dumps(batch),)).fetchall())
        best_r = min(best_r, t)
    print(f"check() of {len(batch)} addresses (best of 5): bounced {best_c * 1000:.1f} ms ({len(found)} suppressed), "
          f"raw sqlite IN(json_each) {best_r * 1000:.1f} ms ({len(rows)} found), ratio bounced/raw {best_r / best_c:.2f}")
    sl.close()
    con.close()
    if args.store:
        on_postgresql(args.store, db, queries, args.check_size)
    return 0


def on_postgresql(url: str, db: Path, queries: list[str], check_size: int) -> None:
    import psycopg

    from bounced.storecopy import copy_store

    pg = None
    if url == "temp":
        from tests.pgserver import PgServer

        pg = PgServer(durable=True).start()
        url = pg.url()
    try:
        t0 = time.perf_counter()
        with Store.open(db, Config(), readonly=True) as src, Store.open(url, Config()) as dst:
            copy_store(src, dst, batch=5000)
            dst.conn.execute("ANALYZE")
        print(f"\ncopied into PostgreSQL in {time.perf_counter() - t0:.1f} s")
        sl = SuppressionList(url)
        sl.is_suppressed(queries[0])
        con = psycopg.connect(url, autocommit=True)
        sql = "SELECT kind, reason FROM suppressions WHERE address = %s"

        def run_bounced() -> int:
            f = sl.is_suppressed
            return sum(1 for q in queries if f(q))

        def run_base() -> int:
            ex = con.execute
            return sum(1 for q in queries if ex(sql, (q,), prepare=True).fetchone() is not None)

        t_b, hits_b = timed(run_bounced)
        t_r, hits_r = timed(run_base)
        print(f"PostgreSQL single lookups ({len(queries)}, {hits_b} hits; baseline found {hits_r}):")
        print(f"  SuppressionList.is_suppressed  {len(queries) / t_b:10.0f}/s  ({t_b / len(queries) * 1e6:.1f} us each)")
        print(f"  raw psycopg primary-key SELECT {len(queries) / t_r:10.0f}/s  ({t_r / len(queries) * 1e6:.1f} us each)")
        batch = queries[:check_size]
        best_c, best_r = float("inf"), float("inf")
        for _ in range(5):
            t, found = timed(sl.check, batch)
            best_c = min(best_c, t)
            t, rows = timed(lambda: con.execute("SELECT address, kind, reason FROM suppressions WHERE address = ANY(%s)",
                                                (batch,)).fetchall())
            best_r = min(best_r, t)
        print(f"PostgreSQL check() of {len(batch)} addresses (best of 5): bounced {best_c * 1000:.1f} ms "
              f"({len(found)} suppressed), raw = ANY(array) {best_r * 1000:.1f} ms ({len(rows)} found)")
        sl.close()
        con.close()
    finally:
        if pg is not None:
            pg.destroy()


if __name__ == "__main__":
    sys.exit(main())
