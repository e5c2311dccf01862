"""One renderer for every command that lists things: an aligned table, JSON Lines or CSV.

Everything in the store can come from a stranger's bounce, so output is made safe for where it
goes: control characters are shown escaped in tables and text on a terminal (a Diagnostic-Code
can carry an escape sequence that retitles the terminal or writes the clipboard), and CSV cells
that a spreadsheet would run as a formula get a leading ``'`` (OWASP, "CSV Injection").
"""
from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterable, Sequence
from typing import IO, Any

import click

from bounced.suppression_csv import neutralize

# C0 controls except tab and newline, DEL, C1 controls, and the bidirectional overrides that can
# make a line read differently from what it contains
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _escape(m: re.Match[str]) -> str:
    c = ord(m.group())
    return f"\\x{c:02x}" if c < 0x100 else f"\\u{c:04x}"


def safe(text: str, newlines: bool = True) -> str:
    """``text`` with control characters shown as ``\\x1b`` etc.; ``newlines=False`` escapes line breaks too."""
    out = _CONTROL.sub(_escape, text)
    return out if newlines else out.replace("\n", "\\n").replace("\t", "\\t")


def json_line(obj: Any) -> str:
    """JSON with every control character as a ``\\uXXXX`` escape (json escapes C0 but not C1 or bidi)."""
    return _CONTROL.sub(lambda m: f"\\u{ord(m.group()):04x}", json.dumps(obj, default=str, ensure_ascii=False))


def output_options(f: Any) -> Any:
    """``--json`` / ``--csv`` on a command; the chosen format arrives as ``fmt``."""
    f = click.option("--csv", "fmt", flag_value="csv", help="CSV with a header row.")(f)
    f = click.option("--json", "fmt", flag_value="json", help="One JSON object per line.")(f)
    return click.option("--table", "fmt", flag_value="table", default=True, hidden=True)(f)


def _cell(v: Any) -> str:
    if v is None:
        return "-"
    s = safe(str(v), newlines=False)
    return s if len(s) <= 80 else s[:77] + "..."


def _columns(rows: list[dict[str, Any]]) -> list[str]:
    """Every key of every row, in first-seen order: rows of different types keep their own fields."""
    return list(dict.fromkeys(k for r in rows for k in r))


def render(rows: Iterable[dict[str, Any]], fmt: str = "table", columns: Sequence[str] | None = None,
           out: IO[str] | None = None) -> int:
    """Write ``rows``; returns how many. With ``columns`` given, JSON and CSV stream row by row (any
    size); without, JSON writes each row's own keys and CSV the union of all rows' keys."""
    write = (lambda s: click.echo(s, file=out, nl=False))
    n = 0
    if fmt == "json":
        for r in rows:
            write(json_line(r if columns is None else {c: r.get(c) for c in columns}) + "\n")
            n += 1
        return n
    if fmt == "csv":
        import io

        if columns is None:
            rows = list(rows)
            columns = _columns(rows)
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(columns)
        for r in rows:
            w.writerow([neutralize(r.get(c)) for c in columns])
            n += 1
            if buf.tell() > 65536:
                write(buf.getvalue())
                buf.seek(0)
                buf.truncate()
        write(buf.getvalue())
        return n
    rows = list(rows)
    cols = list(columns or _columns(rows))
    if not rows:
        write("(none)\n")
        return 0
    cells = [[_cell(r.get(c)) for c in cols] for r in rows]
    widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(cols)]
    write("  ".join(c.ljust(w) for c, w in zip(cols, widths)).rstrip() + "\n")
    for row in cells:
        write("  ".join(v.ljust(w) for v, w in zip(row, widths)).rstrip() + "\n")
    return len(rows)
