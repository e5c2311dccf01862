"""One renderer for every command that lists things: an aligned table, JSON Lines or CSV."""
from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Sequence
from typing import IO, Any

import click

FORMATS = ("table", "json", "csv")


def output_options(f: Any) -> Any:
    """``--json`` / ``--csv`` on a command; the chosen format arrives as ``fmt``."""
    f = click.option("--csv", "fmt", flag_value="csv", help="CSV with a header row.")(f)
    f = click.option("--json", "fmt", flag_value="json", help="One JSON object per line.")(f)
    return click.option("--table", "fmt", flag_value="table", default=True, hidden=True)(f)


def _cell(v: Any) -> str:
    if v is None:
        return "-"
    s = str(v)
    return s if len(s) <= 80 else s[:77] + "..."


def render(rows: Iterable[dict[str, Any]], fmt: str = "table", columns: Sequence[str] | None = None,
           out: IO[str] | None = None) -> None:
    rows = list(rows)
    cols = list(columns or (rows[0].keys() if rows else []))
    write = (lambda s: click.echo(s, file=out, nl=False))
    if fmt == "json":
        for r in rows:
            write(json.dumps({c: r.get(c) for c in cols}, default=str, ensure_ascii=False) + "\n")
        return
    if fmt == "csv":
        import io

        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(cols)
        for r in rows:
            w.writerow(["" if r.get(c) is None else r.get(c) for c in cols])
        write(buf.getvalue())
        return
    if not rows:
        write("(none)\n")
        return
    cells = [[_cell(r.get(c)) for c in cols] for r in rows]
    widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(cols)]
    write("  ".join(c.ljust(w) for c, w in zip(cols, widths)).rstrip() + "\n")
    for row in cells:
        write("  ".join(v.ljust(w) for v, w in zip(row, widths)).rstrip() + "\n")
