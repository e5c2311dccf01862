#!/usr/bin/env python3
"""Parse CPU of two source trees side by side: this checkout against another one (a git worktree).

Each tree gets its own long-lived worker process (``PYTHONPATH=TREE``, so the tree's ``bounced``
package is imported, whatever the venv has installed). Both workers read every corpus file into
memory and make one warm-up pass; then the driver asks them for one timed pass at a time,
alternating (A B, B A, A B, ...), so load from other processes on a shared machine falls on both
alike. A pass is ``parse_message`` over every file, timed with ``time.process_time`` (the
worker's own CPU, not the wall clock). The best and the median pass per tree are reported, and
new/base.

Usage: python bench/parse_ab.py --base /work/wt-base [--new .] [--rounds 12] [DIR ...]
Make the base tree with e.g. ``git worktree add ../wt-base 0a04c71``.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_DIRS = [HERE.parent / ".." / "shared" / "corpus" / "sisimai", HERE.parent / ".." / "shared" / "corpus" / "flufl"]

WORKER = r"""
import json, sys, time
from pathlib import Path
import bounced
from bounced.parse import ParseOptions, parse_message

raws = []
for d in json.loads(sys.argv[1]):
    for p in sorted(Path(d).iterdir()):
        if p.is_file() and p.suffix in (".eml", ".txt", ".msg", "") and p.name != "labels.json":
            raws.append(p.read_bytes())
opts = ParseOptions()

def one_pass():
    found = 0
    t0 = time.process_time()
    for raw in raws:
        found += len(parse_message(raw, opts).recipients)
    return time.process_time() - t0, found

one_pass()  # imports, first-use regex compilation
print(json.dumps({"package": bounced.__file__, "files": len(raws)}), flush=True)
for line in sys.stdin:
    cpu, found = one_pass()
    print(json.dumps({"cpu": cpu, "found": found}), flush=True)
"""


class Worker:
    def __init__(self, name: str, tree: Path, dirs: list[Path]) -> None:
        env = dict(os.environ, PYTHONPATH=str(tree))
        self.name = name
        self.proc = subprocess.Popen(
            [sys.executable, "-c", WORKER, json.dumps([str(d) for d in dirs])],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env, cwd=tree,
        )
        self.hello = self._read()
        self.cpu: list[float] = []
        self.found: set[int] = set()

    def _read(self) -> dict:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            raise SystemExit(f"bench/parse_ab.py: the {self.name} worker died (exit {self.proc.wait()})")
        return json.loads(line)

    def one_pass(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write("pass\n")
        self.proc.stdin.flush()
        r = self._read()
        self.cpu.append(r["cpu"])
        self.found.add(r["found"])

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait()


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("dirs", nargs="*", type=Path, help="corpus directories (default: sisimai + flufl)")
    ap.add_argument("--base", type=Path, required=True, help="the tree to compare against (its root holds bounced/)")
    ap.add_argument("--new", type=Path, default=HERE.parent, help="the tree under test (default: this checkout)")
    ap.add_argument("--rounds", type=int, default=12, help="timed passes per tree, alternating")
    ap.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    args = ap.parse_args(argv)
    dirs = [d.resolve() for d in (args.dirs or [d for d in DEFAULT_DIRS if d.is_dir()])]
    if not dirs:
        print("bench/parse_ab.py: no corpus directory found (give one as an argument)", file=sys.stderr)
        return 2
    base = Worker("base", args.base.resolve(), dirs)
    new = Worker("new", args.new.resolve(), dirs)
    for w, tree in ((base, args.base), (new, args.new)):
        if not Path(w.hello["package"]).resolve().is_relative_to(tree.resolve()):
            print(f"bench/parse_ab.py: {w.name} imported {w.hello['package']}, not from {tree}", file=sys.stderr)
            return 2
    for i in range(max(1, args.rounds)):
        for w in ((base, new) if i % 2 == 0 else (new, base)):
            w.one_pass()
    base.close()
    new.close()
    fig = {
        "files": base.hello["files"],
        "base": str(args.base), "new": str(args.new),
        "base_best_ms": round(min(base.cpu) * 1e3, 1), "new_best_ms": round(min(new.cpu) * 1e3, 1),
        "base_median_ms": round(statistics.median(base.cpu) * 1e3, 1),
        "new_median_ms": round(statistics.median(new.cpu) * 1e3, 1),
        "new_over_base_best": round(min(new.cpu) / min(base.cpu), 3),
        "new_over_base_median": round(statistics.median(new.cpu) / statistics.median(base.cpu), 3),
        "base_recipients": sorted(base.found), "new_recipients": sorted(new.found),
    }
    if args.json:
        print(json.dumps(fig))
    else:
        print(f"files: {fig['files']}, {args.rounds} alternating passes each, CPU per pass (process_time)")
        for w in ("base", "new"):
            print(f"{w:4} {fig[w]:<30} best {fig[w + '_best_ms']:7.1f} ms  median {fig[w + '_median_ms']:7.1f} ms"
                  f"  recipients {fig[w + '_recipients']}")
        print(f"new/base: best {fig['new_over_base_best']:.3f}  median {fig['new_over_base_median']:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
