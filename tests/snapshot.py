"""The parse snapshot: ``bounced parse --json`` of every corpus file, kept in one committed file.

A refactor of the parser is proved by :mod:`tests.test_snapshot` (every output unchanged), not by
hand. The outputs are computed in process (``parse_message(raw).to_dict()``, what the CLI prints
after the file name) for the shared corpus (``../shared/corpus`` beside the clone) and
``tests/data/parse``. Regenerate after a deliberate change, and say in the commit which outputs
changed and why::

    .venv/bin/python -m tests.snapshot          # or: BOUNCED_UPDATE_SNAPSHOT=1 pytest tests/test_snapshot.py
"""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"
LOCAL = ROOT / "tests" / "data" / "parse"
SNAPSHOT = ROOT / "tests" / "data" / "parse-snapshot.json"
_SUFFIXES = (".eml", ".txt")


def sources() -> dict[str, Path]:
    """Snapshot key -> file: ``corpus/<set>/<name>`` and ``parse/<name>``, sorted."""
    found: dict[str, Path] = {}
    for base, prefix in ((CORPUS, "corpus"), (LOCAL, "parse")):
        if base.is_dir():
            for p in base.rglob("*"):
                if p.is_file() and p.suffix in _SUFFIXES:
                    found[f"{prefix}/{p.relative_to(base).as_posix()}"] = p
    return dict(sorted(found.items()))


def outputs(files: dict[str, Path]) -> dict[str, Any]:
    """Each file's parse result as the CLI's JSON would hold it (JSON round-trip, so types match)."""
    from bounced.parse import ParseOptions, parse_message

    opts = ParseOptions()
    return {key: json.loads(json.dumps(parse_message(path.read_bytes(), opts).to_dict(), default=str))
            for key, path in files.items()}


def dump(results: dict[str, Any]) -> str:
    """One line per file, keys sorted: compact, deterministic, and a git diff names the file."""
    lines = [f"{json.dumps(k)}: {json.dumps(v, sort_keys=True, ensure_ascii=False, separators=(',', ':'))}"
             for k, v in sorted(results.items())]
    return "{\n" + ",\n".join(lines) + "\n}\n"


def load() -> dict[str, Any]:
    return json.loads(SNAPSHOT.read_text(encoding="utf-8"))


def _changes(old: Any, new: Any, path: str = "") -> list[str]:
    """Readable differences between two JSON values: 'recipients[0].reason: a -> b'."""
    if isinstance(old, dict) and isinstance(new, dict):
        out: list[str] = []
        for k in sorted(set(old) | set(new)):
            out += _changes(old.get(k), new.get(k), f"{path}.{k}" if path else k)
        return out
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        out = []
        for i, (a, b) in enumerate(zip(old, new)):
            out += _changes(a, b, f"{path}[{i}]")
        return out
    if old == new:
        return []
    return [f"{path}: {json.dumps(old, ensure_ascii=False)[:200]} -> {json.dumps(new, ensure_ascii=False)[:200]}"]


def report(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """One block per file whose output differs (or that appeared or disappeared)."""
    out: list[str] = []
    for key in sorted(set(old) | set(new)):
        if key not in old:
            out.append(f"{key}: new file, not in the snapshot")
        elif key not in new:
            out.append(f"{key}: in the snapshot but no longer found")
        elif old[key] != new[key]:
            out.append(f"{key}:\n" + "\n".join("    " + c for c in _changes(old[key], new[key])))
    return out


def update() -> int:
    if not CORPUS.is_dir():
        print(f"refusing to write a snapshot without the shared corpus: {CORPUS} is absent", file=sys.stderr)
        return 1
    results = outputs(sources())
    SNAPSHOT.write_text(dump(results), encoding="utf-8")
    print(f"wrote {len(results)} outputs to {SNAPSHOT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(update())
