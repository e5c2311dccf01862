"""Commands over the store: ingest, inspect, suppress/unsuppress, import/export, reprocess, prune.

Each command is a few lines over :class:`bounced.store.Store`; every library error becomes one line
on stderr and a non-zero exit.
"""
from __future__ import annotations

import csv
import functools
import mailbox
import os
import sys
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import click

from bounced import config as config_mod
from bounced.addresses import InvalidAddress
from bounced.ingest import parse_options, prepare
from bounced.model import Kind
from bounced.render import output_options, render
from bounced.store import Store, StoreError
from bounced.timeutil import parse_duration, parse_when, utcnow

BATCH = 200


def store_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """--db and --config on a command; the command receives an ``open_store(readonly)`` callable."""

    @click.option("--config", "config_path", type=click.Path(dir_okay=False), help="Config file (default: the usual search order).")
    @click.option("--db", "db_path", type=click.Path(dir_okay=False), help="Database file (default: store.path from the config).")
    @functools.wraps(f)
    def wrapper(*args: Any, db_path: str | None, config_path: str | None, **kwargs: Any) -> Any:
        meta = click.get_current_context().meta  # `bounced inspect --db X ADDRESS` puts them on the group
        config_path = config_path or meta.get("bounced.config")
        try:
            cfg = config_mod.load(config_path)
        except config_mod.ConfigError as exc:
            raise click.ClickException(str(exc)) from None
        path = db_path or meta.get("bounced.db") or cfg.store.path

        def open_store(readonly: bool = False) -> Store:
            if readonly and not Path(path).exists():
                raise click.ClickException(f"{path}: no such database (nothing ingested yet?)")
            return Store.open(path, cfg, readonly=readonly)

        try:
            return f(*args, open_store=open_store, cfg=cfg, **kwargs)
        except StoreError as exc:
            raise click.ClickException(str(exc)) from None
        except InvalidAddress as exc:
            raise click.ClickException(str(exc)) from None
        except BrokenPipeError:  # `bounced inspect ... | head`: the reader has what it wanted
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sys.exit(0)
        except (ValueError, LookupError, OSError) as exc:
            raise click.ClickException(str(exc)) from None

    return wrapper


def _when(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        return parse_when(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


# ------------------------------------------------------------------------------------- ingest
def _sources(files: tuple[str, ...], mbox: str | None, maildir: str | None) -> Iterator[tuple[str, bytes]]:
    for f in files:
        if f == "-":
            yield "<stdin>", sys.stdin.buffer.read()
        else:
            try:
                yield f, Path(f).read_bytes()
            except OSError as exc:
                raise click.ClickException(f"{f}: {exc.strerror or exc}") from None
    if mbox:
        if not Path(mbox).is_file():
            raise click.ClickException(f"{mbox}: no such mbox file")
        for i, msg in enumerate(mailbox.mbox(mbox, create=False)):
            yield f"{mbox}#{i}", msg.as_bytes()
    if maildir:
        if not (Path(maildir) / "cur").is_dir() and not (Path(maildir) / "new").is_dir():
            raise click.ClickException(f"{maildir}: not a maildir (no cur/ or new/)")
        for key in mailbox.Maildir(maildir, factory=None, create=False).iterkeys():
            yield f"{maildir}/{key}", mailbox.Maildir(maildir, factory=None, create=False).get_bytes(key)


@click.command()
@click.argument("files", nargs=-1)
@click.option("--mbox", type=click.Path(), help="Ingest every message of an mbox file.")
@click.option("--maildir", type=click.Path(), help="Ingest every message of a maildir.")
@click.option("--envelope-rcpt", default="", help="Envelope recipient to assume (VERP decoding; a signed one is proof under bounce.trust).")
@store_options
def ingest(files: tuple[str, ...], mbox: str | None, maildir: str | None, envelope_rcpt: str,
           open_store: Callable[..., Store], cfg: config_mod.Config) -> None:
    """Parse and store returned messages, through the same path as the daemon.

    Example: bounced ingest --maildir ~/Maildir/.bounces
    """
    if not files and not mbox and not maildir:
        raise click.UsageError("give FILE..., '-', --mbox FILE or --maildir DIR")
    opts = parse_options(cfg)
    rcpts = (envelope_rcpt,) if envelope_rcpt else ()
    totals = {"ingested": 0, "duplicates": 0, "unparseable": 0, "events": 0, "untrusted": 0, "held": 0}
    bar = _Progress() if sys.stderr.isatty() else None
    with open_store() as store:
        batch: list = []

        def flush() -> None:
            for o in store.ingest_many(batch):
                totals["duplicates" if o.duplicate else "ingested"] += 1
                totals["unparseable"] += (not o.duplicate) and o.parse_failed
                totals["events"] += o.events
                totals["untrusted"] += o.untrusted
                totals["held"] += o.held
            if bar:
                bar.update(len(batch))
            batch.clear()

        for _name, raw in _sources(files, mbox, maildir):
            batch.append(prepare(raw, "", rcpts, opts))
            if len(batch) >= BATCH:
                flush()
        if batch:
            flush()
    click.echo(f"ingested {totals['ingested']}, duplicates {totals['duplicates']}, "
               f"unparseable {totals['unparseable']}, events {totals['events']} "
               f"(untrusted {totals['untrusted']}, held {totals['held']})")


class _Progress:
    """A running count on the terminal; an import's total is not known up front (mbox, stdin)."""

    def __init__(self) -> None:
        self.done = 0

    def update(self, n: int) -> None:
        self.done += n
        click.echo(f"\ringested {self.done} messages...", err=True, nl=False)


# ------------------------------------------------------------------------------------- inspect
class _InspectGroup(click.Group):
    """``inspect ADDRESS`` is the common case; ``inspect list|stats|events|message`` the others."""

    def resolve_command(self, ctx: click.Context, args: list[str]):  # type: ignore[override]
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            args = ["address", *args]
        return super().resolve_command(ctx, args)


@click.group(cls=_InspectGroup)
@click.option("--config", "config_path", type=click.Path(dir_okay=False), help="Config file (also accepted after the subcommand).")
@click.option("--db", "db_path", type=click.Path(dir_okay=False), help="Database file (also accepted after the subcommand).")
@click.pass_context
def inspect(ctx: click.Context, config_path: str | None, db_path: str | None) -> None:
    """Look at the store: an address, the list, stats, events, a stored message.

    Example: bounced inspect someone@example.com
    """
    ctx.meta["bounced.config"], ctx.meta["bounced.db"] = config_path, db_path


def _print_state(report: Any) -> None:
    s = report.state
    if s is None:
        click.echo(f"{report.address}: not suppressed, no events recorded")
        return
    if report.active_now:
        until = f", expires {s['expires_at']}" if s["expires_at"] else ", does not expire"
        click.echo(f"{report.address}: SUPPRESSED ({s['kind']}, {s['reason']}) since {s['suppressed_at']} by {s['source']}{until}")
    elif s["lifted_at"]:
        click.echo(f"{report.address}: not suppressed (lifted {s['lifted_at']} by {s['lifted_by']}: {s['lifted_reason']})")
    else:
        click.echo(f"{report.address}: not suppressed")
    click.echo(f"  consecutive soft bounces: {s['soft_count']} (run began {s['soft_first_at'] or '-'}); "
               f"events {len(report.events)}; first {s['first_event_at'] or '-'}; last {s['last_event_at'] or '-'}; "
               f"last activity {report.last_activity_at or '-'}")


@inspect.command("address", hidden=True)
@click.argument("address")
@output_options
@store_options
def inspect_address(address: str, fmt: str, open_store: Callable[..., Store], cfg: config_mod.Config) -> None:
    """An address's suppression state and why, its counters, event history and audit trail."""
    with open_store(readonly=True) as store:
        report = store.address_report(address)
    if fmt != "table":
        render([{"type": "state", "address": report.address, **(report.state or {}), "active_now": report.active_now}]
               + [{"type": "event", **e} for e in report.events] + [{"type": "audit", **a} for a in report.audit], fmt)
        return
    _print_state(report)
    click.echo("\nevents:")
    render(report.events, columns=["id", "at", "kind", "reason", "status", "reply_code", "remote_mta", "diagnostic",
                                   "policy_action", "trust_note"])
    click.echo("\naudit:")
    render(report.audit, columns=["at", "actor", "action", "kind", "reason"])


@inspect.command("list")
@click.option("--kind", type=click.Choice([k.value for k in Kind]))
@click.option("--reason")
@click.option("--domain")
@click.option("--since", help="Suppressed at or after (date, or a duration ago: 7d).")
@click.option("--until", help="Suppressed before.")
@click.option("--active/--lifted", default=True, help="Active suppressions (default) or lifted/expired ones.")
@click.option("--limit", type=int, default=100, show_default=True, help="0 = no limit.")
@output_options
@store_options
def inspect_list(kind: str | None, reason: str | None, domain: str | None, since: str | None, until: str | None,
                 active: bool, limit: int, fmt: str, open_store: Callable[..., Store], cfg: config_mod.Config) -> None:
    """Suppressed (or lifted) addresses, newest first."""
    with open_store(readonly=True) as store:
        rows = store.list_suppressions(kind=kind, reason=reason, domain=domain, since=_when(since), until=_when(until),
                                       active=active, limit=limit or None)
    render(rows, fmt)


@inspect.command("stats")
@click.option("--since", help="Only events since (date, or a duration ago: 1d).")
@click.option("--by", type=click.Choice(["reason", "domain", "day", "kind"]), default="reason", show_default=True)
@output_options
@store_options
def inspect_stats(since: str | None, by: str, fmt: str, open_store: Callable[..., Store], cfg: config_mod.Config) -> None:
    """Event counts by reason, domain, day or kind; sender-side problems in their own section."""
    with open_store(readonly=True) as store:
        st = store.stats(since=_when(since), by=by)
    if fmt != "table":
        render([{"section": "events", **r} for r in st["groups"]] + [{"section": "sender_side", **r} for r in st["sender_side"]], fmt)
        return
    t = st["totals"][0]
    click.echo(f"messages {t['messages']} (unparsed {t['unparsed']}), active suppressions {t['active_suppressions']}, "
               f"held {t['held_pending']} (bounced held list), untrusted events {t['untrusted_events']}\n")
    render(st["groups"])
    click.echo("\nsender-side problems (our IP, DNS or rate; they never suppress a recipient), by receiving domain:")
    render(st["sender_side"])


@inspect.command("events")
@click.option("--address")
@click.option("--kind", type=click.Choice([k.value for k in Kind]))
@click.option("--reason")
@click.option("--domain")
@click.option("--since")
@click.option("--until")
@click.option("--limit", type=int, default=100, show_default=True, help="0 = no limit.")
@click.option("--untrusted", is_flag=True, help="Only events that changed nothing: no proof the mail was ours (trust_note says why).")
@output_options
@store_options
def inspect_events(address: str | None, kind: str | None, reason: str | None, domain: str | None, since: str | None,
                   until: str | None, limit: int, untrusted: bool, fmt: str, open_store: Callable[..., Store],
                   cfg: config_mod.Config) -> None:
    """Recorded events, newest first."""
    with open_store(readonly=True) as store:
        rows = store.events(address=address, kind=kind, reason=reason, domain=domain, since=_when(since),
                            until=_when(until), limit=limit or None, untrusted=untrusted)
    render(rows, fmt)


@inspect.command("message")
@click.argument("message_id", type=int)
@click.option("--raw", is_flag=True, help="Print only the raw message bytes.")
@store_options
def inspect_message(message_id: int, raw: bool, open_store: Callable[..., Store], cfg: config_mod.Config) -> None:
    """A stored message: its envelope, parse status, events and raw text."""
    with open_store(readonly=True) as store:
        m = store.message(message_id)
    if m is None:
        raise click.ClickException(f"no message with id {message_id}")
    if raw:
        sys.stdout.buffer.write(m["raw"] or b"")
        return
    for k in ("id", "received_at", "mail_from", "rcpt_tos", "size", "sha256", "parse_status", "format", "error", "message_id"):
        click.echo(f"{k}: {m[k]}")
    click.echo("events:")
    render(m["events"])
    click.echo("\n" + (m["raw"].decode("utf-8", "replace") if m["raw"] is not None else f"(raw pruned {m['raw_pruned_at']})"))


# ------------------------------------------------------------------------------------- manual changes
@click.command()
@click.argument("address")
@click.option("--reason", required=True, help="Why (recorded in the audit log).")
@click.option("--kind", type=click.Choice([Kind.HARD.value, Kind.SOFT.value, Kind.COMPLAINT.value]), default="hard", show_default=True)
@click.option("--by", default=None, help="Who (default: $USER).")
@store_options
def suppress(address: str, reason: str, kind: str, by: str | None, open_store: Callable[..., Store], cfg: config_mod.Config) -> None:
    """Suppress an address by hand. Example: bounced suppress a@example.com --reason "asked by phone" """
    if not reason.strip():
        raise click.ClickException("--reason must not be empty")
    with open_store() as store:
        store.suppress(address, reason, kind=kind, by=by or _user())
        click.echo(f"{store.key(address)}: suppressed ({kind}): {reason}")


@click.command()
@click.argument("address")
@click.option("--reason", required=True, help="Why sending may resume (recorded in the audit log).")
@click.option("--by", default=None, help="Who (default: $USER).")
@store_options
def unsuppress(address: str, reason: str, by: str | None, open_store: Callable[..., Store], cfg: config_mod.Config) -> None:
    """Lift a suppression, with a recorded reason.

    Example: bounced unsuppress a@example.com --reason "the client cleared the mailbox"
    """
    if not reason.strip():
        raise click.ClickException("--reason must not be empty: say why sending may resume")
    with open_store() as store:
        report = store.address_report(address)
        _print_state(report)
        for e in report.events[-5:]:
            click.echo(f"  {e['at']}  {e['kind']:<9} {e['reason']:<16} {e['status'] or '-':<8} {(e['diagnostic'] or '')[:70]}")
        store.unsuppress(address, reason, by=by or _user())
        click.echo(f"{report.address}: suppression lifted by {by or _user()}: {reason}")


def _user() -> str:
    import getpass

    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "operator"


# ------------------------------------------------------------------------------------- import / export
IMPORT_ADDRESS_COLUMNS = ("email", "address", "email_address", "recipient")
EXPORT_COLUMNS = ("email", "kind", "reason", "created_at", "expires_at", "source")


@click.command("import-suppressions")
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--kind", type=click.Choice([Kind.HARD.value, Kind.SOFT.value, Kind.COMPLAINT.value]), default="hard",
              show_default=True, help="Kind for rows without a kind column.")
@store_options
def import_suppressions(file: str, kind: str, open_store: Callable[..., Store], cfg: config_mod.Config) -> None:
    """Import a suppression list from CSV (columns: email[,reason][,created_at][,kind]).

    Example: bounced import-suppressions old-provider-export.csv
    """
    try:
        text = sys.stdin.read() if file == "-" else Path(file).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise click.ClickException(f"{file}: {exc}") from None
    reader = csv.DictReader(text.splitlines())
    cols = {c.strip().lower(): c for c in (reader.fieldnames or [])}
    addr_col = next((cols[c] for c in IMPORT_ADDRESS_COLUMNS if c in cols), None)
    if addr_col is None:
        raise click.ClickException(f"{file}: no address column (one of {', '.join(IMPORT_ADDRESS_COLUMNS)})")
    rows, bad = [], []
    for n, r in enumerate(reader, start=2):
        k = (r.get(cols.get("kind", ""), "") or kind).strip().lower()
        if k not in (Kind.HARD, Kind.SOFT, Kind.COMPLAINT):
            bad.append(f"line {n}: unknown kind {k!r}")
            continue
        created = (r.get(cols.get("created_at", ""), "") or "").strip()
        try:
            when = parse_when(created) if created else None
        except ValueError as exc:
            bad.append(f"line {n}: {exc}")
            continue
        rows.append(((r.get(addr_col) or "").strip(), k, (r.get(cols.get("reason", ""), "") or "imported").strip(), when))
    with open_store() as store:
        count, errors = store.import_suppressions(rows, by=f"import:{Path(file).name}")
    for e in bad + errors:
        click.echo(f"skipped: {e}", err=True)
    click.echo(f"imported {count}, skipped {len(bad) + len(errors)}")
    if bad or errors:
        sys.exit(1)


@click.command("export-suppressions")
@store_options
def export_suppressions(open_store: Callable[..., Store], cfg: config_mod.Config) -> None:
    """Export the active suppressions as CSV (email,kind,reason,created_at,expires_at,source)."""
    with open_store(readonly=True) as store:
        rows = [{"email": r["address"], "kind": r["kind"], "reason": r["reason"], "created_at": r["suppressed_at"],
                 "expires_at": r["expires_at"], "source": r["source"]} for r in store.iter_suppressions()]
    render(rows, "csv", EXPORT_COLUMNS)


# ------------------------------------------------------------------------------------- maintenance
@click.command()
@click.option("--since", help="Only messages received since (date, or a duration ago: 30d).")
@store_options
def reprocess(since: str | None, open_store: Callable[..., Store], cfg: config_mod.Config) -> None:
    """Re-parse stored messages after a classifier upgrade and rebuild events and suppressions.

    Manual suppressions and lifts from the audit log are kept. Example: bounced reprocess --since 30d
    """
    opts = parse_options(cfg)
    with open_store() as store:
        counts = store.reprocess(lambda raw, mail_from, rcpts: prepare(raw, mail_from, rcpts, opts).result, _when(since))
    click.echo(", ".join(f"{k} {v}" for k, v in counts.items()))


@click.command()
@click.option("--raw-older-than", required=True, help="Drop raw bytes of messages older than this (e.g. 90d); events stay.")
@store_options
def prune(raw_older_than: str, open_store: Callable[..., Store], cfg: config_mod.Config) -> None:
    """Retention: drop stored raw messages older than a duration, keeping their events."""
    try:
        cutoff = utcnow() - parse_duration(raw_older_than)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--raw-older-than") from None
    with open_store() as store:
        n = store.prune_raw(cutoff)
    click.echo(f"pruned raw bytes of {n} message(s) received before {cutoff:%Y-%m-%d %H:%M} UTC")


def register(group: click.Group) -> None:
    for cmd in (ingest, inspect, suppress, unsuppress, import_suppressions, export_suppressions, reprocess, prune):
        group.add_command(cmd)
