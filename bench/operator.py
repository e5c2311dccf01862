"""Two operator-facing costs, measured on this tree: `ingest --maildir` of N messages, and how long
the daemon's writer waits while `bounced reprocess` runs (one message committed every 20 ms from a
second connection, as the daemon's writer would).

    .venv/bin/python bench/operator.py [N_MAILDIR] [N_REPROCESS]

Run it from another checkout's root (with this venv's python) to compare with that tree.
"""
from __future__ import annotations

import mailbox
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path[0] = str(Path(__file__).resolve().parent.parent)  # the project root, not bench/ (bench/http.py would shadow the stdlib http)

from bounced.cli import main  # noqa: E402
from bounced.ingest import prepare  # noqa: E402
from bounced.store import Store  # noqa: E402


def dsn(rcpt: str, tag: str) -> bytes:
    return ("From: MAILER-DAEMON@mx.example.net\nTo: bounces@localhost\nDate: Tue, 10 Jun 2014 07:00:00 +0000\n"
            f"Subject: failure {tag}\nMIME-Version: 1.0\n"
            'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\n\n'
            "--B\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.net\n\n"
            f"Final-Recipient: rfc822; {rcpt}\nAction: failed\nStatus: 5.1.1\n"
            "Diagnostic-Code: smtp; 550 5.1.1 user unknown\n--B--\n").encode()


def maildir(n: int, tmp: Path) -> float:
    md = mailbox.Maildir(tmp / "md")
    for i in range(n):
        md.add(dsn(f"u{i}@example.org", f"m{i}"))
    db = tmp / "md.db"
    Store.open(db).close()
    t = time.perf_counter()
    main(["ingest", "--maildir", str(tmp / "md"), "--db", str(db)], standalone_mode=False)
    return time.perf_counter() - t


def reprocess(n: int, tmp: Path) -> tuple[float, list[float]]:
    db = tmp / "rep.db"
    with Store.open(db) as s:
        for i in range(0, n, 500):
            s.ingest_many([prepare(dsn(f"u{j}@example.com", f"r{j}")) for j in range(i, min(n, i + 500))])
    waits: list[float] = []
    stop = threading.Event()

    def writer() -> None:
        with Store.open(db) as s:
            s.conn.execute("PRAGMA busy_timeout = 60000")
            k = 0
            while not stop.is_set():
                item = [prepare(dsn(f"live{k}@example.com", f"l{k}"))]
                t = time.perf_counter()
                s.ingest_many(item)
                waits.append(time.perf_counter() - t)
                k += 1
                time.sleep(0.02)

    th = threading.Thread(target=writer)
    th.start()
    time.sleep(0.3)
    t = time.perf_counter()
    with Store.open(db) as s:
        s.reprocess(lambda raw, mf, rc: prepare(raw, mf, rc).result)
    took = time.perf_counter() - t
    stop.set()
    th.join()
    return took, sorted(waits)


if __name__ == "__main__":
    n_md = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    n_rep = int(sys.argv[2]) if len(sys.argv) > 2 else 5000
    with tempfile.TemporaryDirectory() as d:
        print(f"ingest --maildir {n_md:,} messages: {maildir(n_md, Path(d)):.2f} s", file=sys.stderr)
        took, w = reprocess(n_rep, Path(d))
        print(f"reprocess {n_rep:,} messages: {took:.1f} s; a concurrent writer's commits: {len(w)}, "
              f"median {w[len(w) // 2] * 1000:.1f} ms, worst {w[-1] * 1000:.0f} ms", file=sys.stderr)
