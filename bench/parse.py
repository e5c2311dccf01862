#!/usr/bin/env python3
"""Parse speed: bounced's parse_message vs flufl.bounce's all_failures, same files, same run.

Every file is read into memory first, then the two parsers take turns, one pass over the whole set
each, ``--repeat`` rounds (bounced first in even rounds, flufl.bounce first in odd ones), so load
from other processes falls on both alike; the best pass of each is reported. A pass is timed with
``time.process_time`` (this process's CPU, which the other jobs of a shared machine do not
inflate as they do the wall clock); ``--clock wall`` times with ``perf_counter``. flufl.bounce is timed
including ``email.message_from_bytes``, since it needs a parsed message just as bounced does;
bounced's figure includes MIME parsing, every format module, classification and the returned
original's headers.

Usage: python bench/parse.py [DIR ...] [--repeat N] [--json]
Default directories: ../shared/corpus/sisimai and ../shared/corpus/flufl.
"""
from __future__ import annotations

import argparse
import email
import email.policy
import json
import logging
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_DIRS = [HERE.parent / ".." / "shared" / "corpus" / "sisimai", HERE.parent / ".." / "shared" / "corpus" / "flufl"]


def load(dirs: list[Path]) -> list[bytes]:
    out = []
    for d in dirs:
        for p in sorted(d.iterdir()):
            if p.is_file() and p.suffix in (".eml", ".txt", ".msg", "") and p.name != "labels.json":
                out.append(p.read_bytes())
    return out


def run_bounced(raws: list[bytes], clock=time.process_time) -> tuple[float, int]:  # noqa: ANN001
    from bounced.parse import ParseOptions, parse_message

    opts = ParseOptions()
    found = 0
    t0 = clock()
    for raw in raws:
        found += len(parse_message(raw, opts).recipients)
    return clock() - t0, found


def run_flufl(raws: list[bytes], clock=time.process_time) -> tuple[float, int]:  # noqa: ANN001
    from flufl.bounce import all_failures

    logging.getLogger("flufl.bounce").setLevel(logging.CRITICAL)
    found = 0
    t0 = clock()
    for raw in raws:
        msg = email.message_from_bytes(raw, policy=email.policy.compat32)
        try:
            temporary, permanent = all_failures(msg)
        except Exception:  # noqa: BLE001 - flufl re-raises its detectors' errors; count as nothing found
            continue
        found += len(temporary | permanent)
    return clock() - t0, found


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("dirs", nargs="*", type=Path, help="corpus directories (default: sisimai + flufl)")
    ap.add_argument("--repeat", type=int, default=3, help="passes over the files per parser, alternating (best is kept)")
    ap.add_argument("--clock", choices=("cpu", "wall"), default="cpu", help="process CPU time (default) or wall clock")
    ap.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    args = ap.parse_args(argv)
    dirs = args.dirs or [d for d in DEFAULT_DIRS if d.is_dir()]
    if not dirs:
        print("bench/parse.py: no corpus directory found (give one as an argument)", file=sys.stderr)
        return 2
    raws = load(dirs)
    if not raws:
        print("bench/parse.py: no files in " + ", ".join(map(str, dirs)), file=sys.stderr)
        return 2
    run_bounced(raws[:5])  # imports and first-use compilation out of the timing
    run_flufl(raws[:5])
    clock = time.process_time if args.clock == "cpu" else time.perf_counter
    bs, fs = [], []
    for i in range(max(1, args.repeat)):
        for run, out in ((run_bounced, bs), (run_flufl, fs))[:: 1 if i % 2 == 0 else -1]:
            out.append(run(raws, clock))
    b = min(bs, key=lambda x: x[0])
    f = min(fs, key=lambda x: x[0])
    n = len(raws)
    fig = {
        "files": n, "bytes": sum(map(len, raws)),
        "bounced_msgs_per_s": round(n / b[0], 1), "bounced_recipients": b[1],
        "flufl_msgs_per_s": round(n / f[0], 1), "flufl_addresses": f[1],
        "ratio_bounced_over_flufl": round(f[0] / b[0], 2),
        "bounced_ms_per_pass": round(b[0] * 1e3, 1), "flufl_ms_per_pass": round(f[0] * 1e3, 1), "clock": args.clock,
    }
    if args.json:
        print(json.dumps(fig))
    else:
        print(f"files: {n} ({fig['bytes'] / 1e6:.1f} MB) from {', '.join(str(d.resolve()) for d in dirs)}")
        what = "CPU" if args.clock == "cpu" else "wall"
        print(f"bounced parse_message : {fig['bounced_msgs_per_s']:>9.1f} msgs/s  ({b[0] * 1e3:.1f} ms {what} per pass;"
              f" {b[1]} recipients, classified)")
        print(f"flufl.bounce all_failures: {fig['flufl_msgs_per_s']:>6.1f} msgs/s  ({f[0] * 1e3:.1f} ms {what} per pass;"
              f" {f[1]} addresses)")
        print(f"ratio (bounced / flufl): {fig['ratio_bounced_over_flufl']:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
