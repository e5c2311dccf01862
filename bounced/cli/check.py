"""``bounced check``: clean an address list before importing it."""
from __future__ import annotations

import asyncio
import collections
import csv
import io
import json
import sys
from pathlib import Path

import click

from bounced import check as chk
from bounced import config as config_mod
from bounced.cli.progress import Progress
from bounced.store import StoreError
from bounced.suppression_csv import ADDRESS_COLUMNS, address_column, decode, neutralize

class CheckError(click.ClickException):
    """Usage and I/O errors exit 2, so 1 keeps meaning "the list has problems"."""

    exit_code = 2


def _read_rows(file: str) -> tuple[list[str], list[dict[str, str]], str]:
    """(columns, rows, address column) from a CSV with a header, or one address per line."""
    try:
        text, note = decode(sys.stdin.buffer.read() if file == "-" else Path(file).read_bytes())
    except OSError as exc:
        raise CheckError(f"{file}: {exc.strerror or exc}") from None
    if note:  # the same detection as import-suppressions: BOM, UTF-8, else Windows-1252
        click.echo(f"{file}: {note}", err=True)
    lines = text.splitlines()
    first = lines[0] if lines else ""
    header = [c.strip() for c in next(csv.reader([first]))] if first else []
    col_idx = address_column(header)  # the same column names import-suppressions accepts
    if col_idx is None:
        if "," in first and "@" not in first:
            raise CheckError(f"{file}: CSV header has no address column (one of {', '.join(ADDRESS_COLUMNS)})")
        return ["email"], [{"email": ln.strip()} for ln in lines if ln.strip()], "email"
    try:
        reader = csv.DictReader(io.StringIO(text))
        rows = [dict(r) for r in reader]
    except csv.Error as exc:
        raise CheckError(f"{file}: bad CSV: {exc}") from None
    columns = list(reader.fieldnames or [])
    return columns, rows, columns[col_idx]


@click.command("check")
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True), help="Annotated CSV here (default: stdout).")
@click.option("--json", "as_json", is_flag=True, help="JSON Lines instead of CSV.")
@click.option("--offline", is_flag=True, help="Skip DNS checks.")
@click.option("--nameserver", multiple=True, help="DNS server HOST or HOST:PORT (default: config check.nameservers, else the system's).")
@click.option("--no-store", is_flag=True, help="Do not look addresses up in the suppression list.")
@click.option("--db", "db_path", type=click.Path(dir_okay=False), help="Database (default: store.path from the config).")
@click.option("--config", "config_path", type=click.Path(dir_okay=False))
def check_cmd(file: str, output: str | None, as_json: bool, offline: bool, nameserver: tuple[str, ...], no_store: bool,
              db_path: str | None, config_path: str | None) -> None:
    """Check an address list: syntax, domain typos, domains that take no mail, duplicates, role
    addresses, and addresses already suppressed. Exit 0 when clean, 1 when problems were found.

    Example: bounced check signups.csv -o signups.checked.csv
    """
    try:
        cfg = config_mod.load(config_path)
    except config_mod.ConfigError as exc:
        raise CheckError(str(exc)) from None
    columns, rows, col = _read_rows(file)
    parsed = [chk.parse(r.get(col) or "") for r in rows]

    answers: dict[str, chk.DnsAnswer] = {}
    if not offline:
        servers, port = list(cfg.check.nameservers), cfg.check.dns_port
        if nameserver:
            servers = []
            for ns in nameserver:
                host, sep, p = ns.rpartition(":")
                if sep and p.isdigit() and ":" not in host:  # HOST:PORT (a bare IPv6 address has several colons)
                    servers.append(host)
                    port = int(p)
                else:
                    servers.append(ns)
        resolver = chk.make_resolver(servers, port, cfg.check.dns_timeout)
        domains = {p.domain for p in parsed if p.domain}
        with Progress("DNS lookups", len(domains)) as bar:
            answers = asyncio.run(chk.lookup_domains(domains, resolver, cfg.check.dns_concurrency,
                                                     progress=bar.advance))

    suppressed: dict[str, str] = {}
    path = db_path or cfg.store.path
    if not no_store:
        from bounced.reader import SuppressionList

        if not Path(path).exists():
            where = "--db" if db_path else f"store.path from {cfg.source}"
            raise CheckError(f"{path}: no such database ({where}); give --db PATH, or --no-store to check "
                             "without the suppression list")
        try:
            with SuppressionList(path, cfg) as sl:
                for s in sl.check([p.key for p in parsed if p.key]):
                    suppressed[s.key] = f"{s.kind}, {s.reason} since {s.suppressed_at}"
        except StoreError as exc:
            raise CheckError(str(exc)) from None

    seen: set[str] = set()
    counts: collections.Counter[str] = collections.Counter()
    out_rows = []
    for row, p in zip(rows, parsed):
        dup = p.key is not None and p.key in seen
        if p.key:
            seen.add(p.key)
        v = chk.verdict(p, answers.get(p.domain) if p.domain and not offline else None,
                        duplicate=dup, suppressed=suppressed.get(p.key or ""))
        counts[v.status] += 1
        out_rows.append({**row, "status": v.status.value, "detail": v.detail, "suggestion": v.suggestion or ""})

    _write(out_rows, [*columns, "status", "detail", "suggestion"], output, as_json)
    summary = ", ".join(f"{k} {counts[k]}" for k in (s.value for s in chk.SEVERITY) if counts[k])
    click.echo(f"checked {len(rows)} address(es): {summary or 'none'}", err=True)
    sys.exit(1 if any(k != chk.Problem.OK for k in counts) else 0)


def _write(rows: list[dict[str, str]], columns: list[str], output: str | None, as_json: bool) -> None:
    try:
        fh = open(output, "w", newline="", encoding="utf-8") if output else sys.stdout
    except OSError as exc:
        raise CheckError(f"{output}: {exc.strerror or exc}") from None
    try:
        if as_json:
            for r in rows:
                fh.write(json.dumps(r, ensure_ascii=False) + "\n")
        else:
            w = csv.DictWriter(fh, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
            w.writeheader()
            w.writerows({k: neutralize(v) for k, v in r.items()} for r in rows)  # no formulas for spreadsheets
    finally:
        if output:
            fh.close()


def register(group: click.Group) -> None:
    group.add_command(check_cmd)
