#!/usr/bin/env python3
"""Hostile parse inputs: the worst message families for bounced's parser, their sizes and times.

Each family is a small bounce-looking message (so the format modules, the classifier and the
flufl.bounce fallback all run) whose body holds one long hostile run: a run of each character the
package's patterns are built from, blank lines, HTML full of ``<``, address-like runs, a
delivery-status report with thousands of recipients. Every family is parsed at each size in
``--sizes`` (characters of the run) in this process, best of ``--repeat``; the table is printed
worst first by CPU time (the wall clock is shown too: on a shared machine it also counts other
jobs' turns). The issue's target: every input under 1 s on the 2-core CI machine.

Usage: python bench/hostile.py [--sizes 100000,1000000] [--repeat 1] [--top 15] [--json]
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path[0] = str(Path(__file__).resolve().parents[1])  # the project root, not bench/ (bench/http.py would shadow the stdlib http)

HEAD = (b"From: MAILER-DAEMON@mx.example\nTo: bounces+user=example.org@lists.example\n"
        b"Subject: Undelivered Mail Returned to Sender\nAuto-Submitted: auto-replied\n")
PLAIN = HEAD + b"Content-Type: text/plain\n\nThis is the mail system at host mx.example.\n\n"
RUN_CHARS = " <>-@.a0\n:()[]\"'=;,/_\t#*|"
PAIR_RUNS = ["<a", "a@", "a.", "- ", "a ", "0 ", " \n", "a:", "<a@", "@.", "=\n", ">>> ", "--b\n"]


def _run(unit: str, size: int) -> bytes:
    return (unit * max(1, size // len(unit))).encode()


def families() -> dict[str, Callable[[int], bytes]]:
    fam: dict[str, Callable[[int], bytes]] = {}
    for c in RUN_CHARS:
        fam[f"text run {c!r}"] = lambda n, c=c: PLAIN + _run(c, n) + b"\n"
    for u in PAIR_RUNS:
        fam[f"text run {u!r}"] = lambda n, u=u: PLAIN + _run(u, n) + b"\n"
    for c in ",.<":  # flufl.bounce sees lines of up to 1,000 bytes: its quadratic detectors' worst case
        fam[f"lines of 999 {c!r} (flufl fallback)"] = lambda n, c=c: PLAIN + (c.encode() * 999 + b"\n") * max(1, n // 1000)
    fam["one line of '<' (flufl fallback)"] = lambda n: PLAIN + b"Your message to <" + _run("<", n) + b"\n"
    fam["html part of '<'"] = lambda n: (HEAD + b"Content-Type: text/html\n\n<html><body>" + _run("<", n) + b"\n")
    fam["html part of '<a '"] = lambda n: (HEAD + b"Content-Type: text/html\n\n<html><body>" + _run("<a ", n) + b"\n")
    fam["html part of '<' lines"] = lambda n: (HEAD + b"Content-Type: text/html\n\n<html><body>"
                                              + (b"<" * 999 + b"\n") * max(1, n // 1000))
    fam["dashes then transcript"] = lambda n: PLAIN + _run("-", n) + b" Transcript of session follows\n"
    fam["blank lines then marker"] = lambda n: PLAIN + _run("\n", n) + b"Transcript of session follows\n"
    fam["header line without colon"] = lambda n: _run("!", n) + b"\n" + HEAD + b"\nbody\n"
    fam["long header value"] = lambda n: HEAD + b"X-Long: " + _run("a ", n) + b"\n\nbody\n"
    fam["diagnostic of 'exceeded '"] = lambda n: _dsn(1, "smtp; 550 " + "exceeded " * (n // 9))
    fam["diagnostic of '<'"] = lambda n: _dsn(1, "smtp; 550 " + "<" * n)
    fam["dsn with many recipients"] = lambda n: _dsn(max(1, n // 120), "smtp; 550 5.1.1 user unknown")
    return fam


def _dsn(recipients: int, diagnostic: str) -> bytes:
    blocks = "".join(f"Final-Recipient: rfc822; user{i}@example.org\nAction: failed\nStatus: 5.1.1\n"
                     f"Diagnostic-Code: {diagnostic}\n\n" for i in range(recipients))
    return (HEAD + b"MIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary=b\n\n"
            b"--b\nContent-Type: text/plain\n\nDelivery failed.\n\n--b\nContent-Type: message/delivery-status\n\n"
            b"Reporting-MTA: dns; mx.example\n\n" + blocks.encode() + b"--b--\n")


def measure(raw: bytes, repeat: int) -> tuple[float, float, int]:
    """(CPU seconds, wall seconds, recipients found), best of ``repeat``. CPU time is the figure
    to compare on a shared machine, where the wall clock also counts other jobs' turns."""
    from bounced.parse import parse_message

    cpu, wall, found = float("inf"), float("inf"), 0
    for _ in range(repeat):
        c0, t0 = time.process_time(), time.perf_counter()
        result = parse_message(raw)
        cpu, wall = min(cpu, time.process_time() - c0), min(wall, time.perf_counter() - t0)
        found = len(result.recipients)
    return cpu, wall, found


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="100000,1000000", help="Run lengths in characters, comma separated.")
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--top", type=int, default=15, help="Rows of the worst-first table (0: all).")
    ap.add_argument("--json", action="store_true", help="One JSON object per family and size.")
    args = ap.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    measure(PLAIN + b"warm up\n", 1)  # imports and first-use tables out of the figures
    rows = []
    for name, build in families().items():
        for n in sizes:
            raw = build(n)
            cpu, wall, found = measure(raw, args.repeat)
            rows.append({"family": name, "run": n, "bytes": len(raw), "cpu_seconds": round(cpu, 4),
                         "wall_seconds": round(wall, 4), "recipients": found})
    rows.sort(key=lambda r: -r["cpu_seconds"])
    if args.json:
        for r in rows:
            print(json.dumps(r))
        return 0
    shown = rows[: args.top] if args.top else rows
    print(f"{'family':40} {'run':>9} {'bytes':>9} {'cpu s':>7} {'wall s':>7} {'rcpts':>6}")
    for r in shown:
        print(f"{r['family']:40} {r['run']:>9} {r['bytes']:>9} {r['cpu_seconds']:>7.3f} {r['wall_seconds']:>7.3f}"
              f" {r['recipients']:>6}")
    worst = rows[0]
    slowest = max(rows, key=lambda r: r["wall_seconds"])
    print(f"worst: {worst['family']} at {worst['bytes']} bytes: {worst['cpu_seconds']:.3f} s CPU; slowest by the "
          f"wall clock {slowest['wall_seconds']:.3f} s ({len(rows)} inputs, {len(families())} families, sizes {sizes})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
