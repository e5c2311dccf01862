"""Commands over the store: ingest, inspect, suppress/unsuppress, import/export, reprocess, prune.

Each command is a few lines over :class:`bounced.store.Store`; every library error becomes one line
on stderr and a non-zero exit.
"""
from __future__ import annotations

import csv
import dataclasses
import difflib
import functools
import io
import itertools
import mailbox
import os
import re
import sys
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import click

from bounced import config as config_mod
from bounced.addresses import InvalidAddress, validate
from bounced.cli import sources
from bounced.cli.progress import Progress
from bounced.config import is_url
from bounced.configcheck import writable_problem
from bounced.ingest import parse_options, prepare
from bounced.model import Kind
from bounced.reasons import REASONS
from bounced.reprocess import BATCH as REPROCESS_BATCH
from bounced.render import output_options, render, safe
from bounced.reporttime import event_time
from bounced.store import SCHEMA_VERSION, PermanentStoreError, Store, StoreError
from bounced.suppression_csv import EXPORT_COLUMNS, decode, export_row, plan_import
from bounced.timeutil import parse_duration, parse_when, utcnow

BATCH = 200


class DatabaseUnavailable(click.ClickException):
    """The database cannot be opened or read: exit 2, as ``bounced check`` does, so 1 keeps
    meaning "the command ran and found something". ``permanent``: no retry fixes it (wrong
    password, no such database, a newer schema); ``bounced web`` exits 78 on those."""

    exit_code = 2

    def __init__(self, message: str, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


def store_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """--db and --config on a command; the command receives an ``open_store(readonly, wait_for_server)`` callable.

    A command never creates a database by accident: the path is the daemon's (the config's
    ``store.path``, anchored in the state directory like the daemon's), and a missing file is an
    error unless the command was given ``--create`` (the daemon creates its own on first start)."""

    @click.option("--config", "config_path", type=click.Path(dir_okay=False), help="Config file (default: the usual search order).")
    @click.option("--db", "db_path", type=click.Path(dir_okay=False), help="Database file or postgresql:// URL (default: store.url or store.path from the config).")
    @functools.wraps(f)
    def wrapper(*args: Any, db_path: str | None, config_path: str | None, **kwargs: Any) -> Any:
        meta = click.get_current_context().meta  # `bounced inspect --db X ADDRESS` puts them on the group
        config_path = config_path or meta.get("bounced.config")
        try:
            cfg = config_mod.load(config_path)
        except config_mod.ConfigError as exc:
            raise click.ClickException(str(exc)) from None
        path = db_path or meta.get("bounced.db") or cfg.store.location
        create = kwargs.get("create", False)

        def open_store(readonly: bool = False, wait_for_server: bool = False) -> Store:
            if is_url(path):  # PostgreSQL: the database exists or the connection says why not
                try:
                    return Store.open(path, cfg, readonly=readonly, wait_for_server=wait_for_server)
                except StoreError as exc:
                    raise DatabaseUnavailable(str(exc), isinstance(exc, PermanentStoreError)) from None
            if not Path(path).exists() and (readonly or not create):
                where = "--db" if (db_path or meta.get("bounced.db")) else f"store.path from {cfg.source}"
                hint = "" if readonly else "; give --create to start a new database there"
                raise DatabaseUnavailable(f"{path}: no such database ({where}){hint}")
            why = None if readonly else writable_problem(path)
            if why:  # say so, rather than SQLite's "unable to open database file"
                raise DatabaseUnavailable(f"{path}: {why}")
            version = None if readonly else Store.schema_version_of(path)
            migrating = version is not None and version < SCHEMA_VERSION
            if migrating:  # one transaction, no estimate possible: say it is happening and how long it took
                click.echo(f"{path}: upgrading the database schema from version {version} to {SCHEMA_VERSION} "
                           "(once; the daemon's writes wait meanwhile)...", err=True)
            started = time.monotonic()
            try:
                store = Store.open(path, cfg, readonly=readonly)
            except StoreError as exc:
                raise DatabaseUnavailable(str(exc)) from None
            if migrating:
                click.echo(f"{path}: schema upgraded in {time.monotonic() - started:.1f} s", err=True)
            return store

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


def create_option(f: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--create", is_flag=True, help="Create the database if it does not exist yet.")(f)


def _when(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        return parse_when(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


def _actor(by: str | None) -> str:
    """Who did it, for the audit log: --by, else the person behind sudo, else the login name."""
    if by:
        return by
    sudo_user = os.environ.get("SUDO_USER")
    if sudo_user and sudo_user != "root":
        return sudo_user
    import getpass

    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "operator"


# ------------------------------------------------------------------------------------- ingest
def _items(files: tuple[str, ...], mbox: str | None, maildir: str | None, limit: int) -> Iterator[sources.Item]:
    for f in files:
        yield from (sources.stdin_items(limit) if f == "-" else sources.file_items(f, limit))
    if mbox:
        yield from sources.mbox_items(mbox, limit)
    if maildir:
        yield from sources.maildir_items(maildir, limit)


def _total(files: tuple[str, ...], mbox: str | None, maildir: str | None) -> int | None:
    if "-" in files:
        return None
    try:
        return len(files) + (sources.count_mbox(mbox) if mbox else 0) + (sources.maildir_count(maildir) if maildir else 0)
    except (OSError, mailbox.Error):
        return None


@click.command()
@click.argument("files", nargs=-1)
@click.option("--mbox", type=click.Path(), help="Ingest every message of an mbox file.")
@click.option("--maildir", type=click.Path(), help="Ingest every message of a maildir.")
@click.option("--envelope-rcpt", default="", help="Envelope recipient to assume (VERP decoding; a signed one is proof under bounce.trust).")
@create_option
@store_options
def ingest(files: tuple[str, ...], mbox: str | None, maildir: str | None, envelope_rcpt: str, create: bool,
           open_store: Callable[..., Store], cfg: config_mod.Config) -> None:
    """Parse and store returned messages, through the same path as the daemon.

    Each event keeps the report's own time (Last-Attempt-Date, Date, Arrival-Date), never later than
    when the message was received. A standard input that is an mbox is read as one. Messages over
    server.max_message_size are reported and skipped, as the daemon would refuse them.

    Example: bounced ingest --maildir ~/Maildir/.bounces
    """
    if not files and not mbox and not maildir:
        raise click.UsageError("give FILE..., '-', --mbox FILE or --maildir DIR")
    opts = parse_options(cfg)
    rcpts = (envelope_rcpt,) if envelope_rcpt else ()
    limit = cfg.server.max_message_size
    totals = {"ingested": 0, "duplicates": 0, "unparseable": 0, "events": 0, "untrusted": 0, "held": 0, "skipped": 0}
    try:
        items = _items(files, mbox, maildir, limit)
        first = next(items, None)  # a wrong --mbox or --maildir fails before the database is touched
    except sources.SourceError as exc:
        raise click.ClickException(str(exc)) from None
    with open_store() as store, Progress("ingested", _total(files, mbox, maildir)) as bar:
        batch: list = []

        def flush() -> None:
            for o in store.ingest_many(batch):
                totals["duplicates" if o.duplicate else "ingested"] += 1
                totals["unparseable"] += (not o.duplicate) and o.parse_failed
                totals["events"] += o.events
                totals["untrusted"] += o.untrusted
                totals["held"] += o.held
            bar.advance(len(batch))
            batch.clear()

        try:
            for item in itertools.chain([first] if first else [], items):
                if item.raw is None:
                    totals["skipped"] += 1
                    click.echo(f"skipped {item.name}: {item.problem}", err=True)
                    continue
                inc = prepare(item.raw, "", rcpts, opts)
                batch.append(dataclasses.replace(inc, received_at=event_time(item.raw, inc.result, item.received)))
                if len(batch) >= BATCH:
                    flush()
        except sources.SourceError as exc:
            if batch:
                flush()
            raise click.ClickException(str(exc)) from None
        if batch:
            flush()
    click.echo(f"ingested {totals['ingested']}, duplicates {totals['duplicates']}, "
               f"unparseable {totals['unparseable']}, events {totals['events']} "
               f"(untrusted {totals['untrusted']}, held {totals['held']})"
               + (f", skipped {totals['skipped']}" if totals["skipped"] else ""))
    if totals["skipped"]:
        sys.exit(1)


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
    s = {k: (safe(str(v), newlines=False) if isinstance(v, str) else v) for k, v in (report.state or {}).items()}
    addr = safe(report.address, newlines=False)
    if report.state is None:
        click.echo(f"{addr}: not suppressed, no events recorded")
        return
    if report.active_now:
        until = f", expires {s['expires_at']}" if s["expires_at"] else ", does not expire"
        click.echo(f"{addr}: SUPPRESSED ({s['kind']}, {s['reason']}) since {s['suppressed_at']} by {s['source']}{until}")
    elif s["lifted_at"]:
        click.echo(f"{addr}: not suppressed (lifted {s['lifted_at']} by {s['lifted_by']}: {s['lifted_reason']})")
    else:
        click.echo(f"{addr}: not suppressed")
    click.echo(f"  consecutive soft bounces: {s['soft_count']} (run began {s['soft_first_at'] or '-'}); "
               f"events {len(report.events)}; first {s['first_event_at'] or '-'}; last {s['last_event_at'] or '-'}; "
               f"last activity {report.last_activity_at or '-'}")


@inspect.command("address", hidden=True)
@click.argument("address")
@output_options
@store_options
def inspect_address(address: str, fmt: str, open_store: Callable[..., Store], cfg: config_mod.Config) -> None:
    """An address's suppression state and why, its counters, event history and audit trail.

    --json and --csv give one record per line with a ``type`` (state, event, audit) and that type's own fields."""
    with open_store(readonly=True) as store:
        report = store.address_report(address)
    if fmt != "table":
        render([{"type": "state", "address": report.address, **(report.state or {}), "active_now": report.active_now}]
               + [{"type": "event", **e} for e in report.events] + [{"type": "audit", **a} for a in report.audit], fmt)
        return
    _print_state(report)
    click.echo("\nevents:")
    render(report.events, columns=["id", "at", "kind", "reason", "status", "reply_code", "remote_mta", "diagnostic",
                                   "final_recipient", "policy_action", "trust_note"])
    click.echo("\naudit:")
    render(report.audit, columns=["at", "actor", "action", "kind", "reason"])


def _reason_option(events: bool) -> Callable[..., Any]:
    """--reason, checked against the reason vocabulary (events always carry one of those reasons;
    a suppression's reason may also be an operator's own words, so there it only guides)."""

    def check(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
        if value is not None and events and value not in REASONS:
            close = difflib.get_close_matches(value, sorted(REASONS), n=3)
            raise click.BadParameter(f"unknown reason {value!r}" + (f" (did you mean {', '.join(close)}?)" if close else "")
                                     + f"; the reasons are: {', '.join(sorted(REASONS))}")
        return value

    return click.option("--reason", callback=check, help="One of the reasons (see `inspect stats`).")


def _limit_options(f: Callable[..., Any]) -> Callable[..., Any]:
    f = click.option("--all", "all_rows", is_flag=True, help="Every row, streamed (no limit).")(f)
    return click.option("--limit", type=click.IntRange(min=0), default=100, show_default=True,
                        help="At most this many rows (0 = no limit).")(f)


def _listing(query: Callable[..., Any], columns: list[str], limit: int, all_rows: bool, fmt: str, what: str) -> None:
    """Rows newest first; never cut silently: a cut listing says how many there are and how to see them."""
    if all_rows or limit == 0:
        render(query(mode="stream", limit=None), fmt, columns)
        return
    rows = query(mode="list", limit=limit + 1)
    shown = rows[:limit]
    if fmt == "table" and not shown:
        click.echo("(none)")
        reason = query.keywords.get("reason") if isinstance(query, functools.partial) else None
        if reason and reason not in REASONS:
            click.echo(f"note: {reason!r} is not one of the reasons bounced records ({', '.join(sorted(REASONS))}); "
                       "a suppression made by hand or imported keeps its own words", err=True)
    else:
        render(shown, fmt, columns)
    if len(rows) > limit:
        total = query(mode="count", limit=None)
        click.echo(f"showing {limit:,} of {total:,} {what}; --limit N or --all for more", err=True)


SUPPRESSION_COLUMNS = ["address", "active", "kind", "reason", "source", "suppressed_at", "expires_at", "soft_count",
                       "last_event_at", "lifted_at", "lifted_by", "lifted_reason"]
EVENT_COLUMNS = ["id", "at", "address", "kind", "reason", "status", "reply_code", "diagnostic", "remote_mta",
                 "final_recipient", "policy_action", "message_id", "trust_note"]


@inspect.command("list")
@click.option("--kind", type=click.Choice([k.value for k in Kind]))
@_reason_option(events=False)
@click.option("--domain")
@click.option("--since", help="Suppressed at or after (date, or a duration ago: 7d).")
@click.option("--until", help="Suppressed before.")
@click.option("--active/--lifted", default=True, help="Active suppressions (default) or lifted/expired ones.")
@_limit_options
@output_options
@store_options
def inspect_list(kind: str | None, reason: str | None, domain: str | None, since: str | None, until: str | None,
                 active: bool, limit: int, all_rows: bool, fmt: str, open_store: Callable[..., Store],
                 cfg: config_mod.Config) -> None:
    """Suppressed (or lifted) addresses, newest first."""
    with open_store(readonly=True) as store:
        _listing(functools.partial(store.list_suppressions, kind=kind, reason=reason, domain=domain, since=_when(since),
                                   until=_when(until), active=active),
                 SUPPRESSION_COLUMNS, limit, all_rows, fmt, "suppressions")


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
@_reason_option(events=True)
@click.option("--domain")
@click.option("--since")
@click.option("--until")
@_limit_options
@click.option("--untrusted", is_flag=True, help="Only events that changed nothing: no proof the mail was ours (trust_note says why).")
@output_options
@store_options
def inspect_events(address: str | None, kind: str | None, reason: str | None, domain: str | None, since: str | None,
                   until: str | None, limit: int, all_rows: bool, untrusted: bool, fmt: str,
                   open_store: Callable[..., Store], cfg: config_mod.Config) -> None:
    """Recorded events, newest first."""
    with open_store(readonly=True) as store:
        _listing(functools.partial(store.events, address=address, kind=kind, reason=reason, domain=domain,
                                   since=_when(since), until=_when(until), untrusted=untrusted),
                 EVENT_COLUMNS, limit, all_rows, fmt, "events")


@inspect.command("message")
@click.argument("message_id", type=int)
@click.option("--raw", is_flag=True, help="Print only the raw message bytes, exactly as stored.")
@store_options
def inspect_message(message_id: int, raw: bool, open_store: Callable[..., Store], cfg: config_mod.Config) -> None:
    """A stored message: its envelope, parse status, events and text.

    On a terminal, control characters in the message are shown escaped (\\x1b); the bytes as stored
    come only with --raw or when the output is not a terminal."""
    with open_store(readonly=True) as store:
        m = store.message(message_id)
    if m is None:
        raise click.ClickException(f"no message with id {message_id}")
    if raw:
        sys.stdout.buffer.write(m["raw"] or b"")
        return
    tty = sys.stdout.isatty()
    for k in ("id", "received_at", "mail_from", "rcpt_tos", "size", "sha256", "parse_status", "format", "error", "message_id"):
        click.echo(f"{k}: {safe(str(m[k]), newlines=False)}")
    click.echo("events:")
    render(m["events"])
    text = m["raw"].decode("utf-8", "replace") if m["raw"] is not None else f"(raw pruned {m['raw_pruned_at']})"
    click.echo("\n" + (safe(text) if tty else text))


# ------------------------------------------------------------------------------------- manual changes
def _validated(address: str) -> str:
    try:
        return validate(address)
    except InvalidAddress as exc:
        raise click.BadParameter(str(exc), param_hint="ADDRESS") from None


@click.command()
@click.argument("address")
@click.option("--reason", required=True, help="Why (recorded in the audit log).")
@click.option("--kind", type=click.Choice([Kind.HARD.value, Kind.SOFT.value, Kind.COMPLAINT.value]), default="hard", show_default=True)
@click.option("--expires", help="When it lifts itself: a date or a duration from now (30d). "
                                "Default: never, except soft: the policy's soft_expiry_days.")
@click.option("--by", default=None, help="Who (default: the user behind sudo, else $USER).")
@create_option
@store_options
def suppress(address: str, reason: str, kind: str, expires: str | None, by: str | None, create: bool,
             open_store: Callable[..., Store], cfg: config_mod.Config) -> None:
    """Suppress an address by hand. Example: bounced suppress a@example.com --reason "asked by phone" """
    if not reason.strip():
        raise click.ClickException("--reason must not be empty")
    _validated(address)
    now = utcnow()
    until = _until(expires, now) if expires else (now + timedelta(days=cfg.policy.soft_expiry_days) if kind == Kind.SOFT else None)
    with open_store() as store:
        store.suppress(address, reason, kind=kind, by=_actor(by), when=now, expires=until)
        click.echo(f"{store.key(address)}: suppressed ({kind}): {safe(reason, newlines=False)}"
                   + (f", expires {until:%Y-%m-%d %H:%M} UTC" if until else ", until lifted"))


def _until(text: str, now: datetime) -> datetime:
    """A date, or a duration from now (``--expires 30d``)."""
    try:
        return now + parse_duration(text)
    except ValueError:
        pass
    try:
        t = parse_when(text, now)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--expires") from None
    if t <= now:
        raise click.BadParameter(f"{text!r} is not in the future", param_hint="--expires")
    return t


@click.command()
@click.argument("address")
@click.option("--reason", required=True, help="Why sending may resume (recorded in the audit log).")
@click.option("--by", default=None, help="Who (default: the user behind sudo, else $USER).")
@store_options
def unsuppress(address: str, reason: str, by: str | None, open_store: Callable[..., Store], cfg: config_mod.Config) -> None:
    """Lift a suppression, with a recorded reason.

    Example: bounced unsuppress a@example.com --reason "the client cleared the mailbox"
    """
    if not reason.strip():
        raise click.ClickException("--reason must not be empty: say why sending may resume")
    actor = _actor(by)
    with open_store() as store:
        report = store.address_report(address)
        _print_state(report)
        for e in report.events[-5:]:
            click.echo(safe(f"  {e['at']}  {e['kind']:<9} {e['reason']:<16} {e['status'] or '-':<8} {(e['diagnostic'] or '')[:70]}",
                            newlines=False))
        store.unsuppress(address, reason, by=actor)
        click.echo(f"{report.address}: suppression lifted by {actor}: {safe(reason, newlines=False)}")


@click.command()
@click.argument("address")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.option("--by", default=None, help="Who (default: the user behind sudo, else $USER).")
@store_options
def erase(address: str, yes: bool, by: str | None, open_store: Callable[..., Store], cfg: config_mod.Config) -> None:
    """Erase an address (a data-subject request): its events, suppression, activity and audit rows, and the
    raw bytes of every stored message that names it. One audit row records the erase under a pseudonym.

    The address is no longer suppressed afterwards. Example: bounced erase jane@example.com --yes
    """
    if not yes and not click.confirm(f"erase everything stored about {address}?", err=True):
        raise click.ClickException("not erased")
    with open_store() as store:
        n = store.erase(address, by=_actor(by))
    click.echo(f"erased {address}: {n['events']} event(s), {n['suppression']} suppression, {n['audit']} audit row(s); "
               f"raw bytes dropped from {n['raw_dropped']} message(s), {n['messages_deleted']} message(s) deleted")


# ------------------------------------------------------------------------------------- import / export
@click.command("import-suppressions")
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--kind", type=click.Choice([Kind.HARD.value, Kind.SOFT.value, Kind.COMPLAINT.value]), default="hard",
              show_default=True, help="Kind for rows that do not say.")
@click.option("--encoding", help="The file's encoding (default: byte-order mark, else UTF-8, else Windows-1252).")
@click.option("--dry-run", is_flag=True, help="Read and report, import nothing.")
@create_option
@store_options
def import_suppressions(file: str, kind: str, encoding: str | None, dry_run: bool, create: bool,
                        open_store: Callable[..., Store], cfg: config_mod.Config) -> None:
    """Import a suppression list: bounced's own export, or Amazon SES, Postmark, Mailgun or SendGrid exports.

    Columns are recognized by name (see the README's table); the delimiter and encoding are detected;
    dates are kept; a 4.x.x status is never imported as hard. Each skipped row is reported with its line.

    Example: bounced import-suppressions old-provider-export.csv
    """
    try:
        data = sys.stdin.buffer.read() if file == "-" else Path(file).read_bytes()
        text, note = decode(data, encoding)
        plan = plan_import(text, kind, timedelta(days=cfg.policy.soft_expiry_days))
    except OSError as exc:
        raise click.ClickException(f"{file}: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise click.ClickException(f"{file}: {exc}") from None
    for msg in ([note] if note else []) + [f"read {plan.layout}"]:
        click.echo(f"{file}: {msg}", err=True)
    rows, bad = [], list(plan.skipped)
    for line, row in plan.rows:
        try:
            validate(row.address)
            rows.append(row)
        except InvalidAddress as exc:
            bad.append(f"line {line}: {exc}")
    for n in plan.notes:
        click.echo(f"note: {n}", err=True)
    count, errors = 0, []
    if not dry_run:
        with open_store() as store, Progress("imported", len(rows)) as bar:
            for i in range(0, len(rows), 1000):  # short transactions: the daemon keeps answering
                c, e = store.import_suppressions(rows[i:i + 1000], by=f"import:{Path(file).name}")
                count, errors = count + c, errors + e
                bar.advance(len(rows[i:i + 1000]))
    for e in sorted(bad, key=_line_no) + errors:
        click.echo(f"skipped: {safe(e, newlines=False)}", err=True)
    click.echo(f"{'would import' if dry_run else 'imported'} {len(rows) if dry_run else count}, "
               f"skipped {len(bad) + len(errors)}")
    if bad or errors:
        sys.exit(1)


def _line_no(msg: str) -> int:
    m = re.match(r"line (\d+)", msg)
    return int(m.group(1)) if m else 0


@click.command("export-suppressions")
@store_options
def export_suppressions(open_store: Callable[..., Store], cfg: config_mod.Config) -> None:
    """Export the active suppressions as CSV (email,kind,reason,created_at,expires_at,source), streamed.

    import-suppressions reads it back unchanged. Cells a spreadsheet would run as a formula get a leading '."""
    with open_store(readonly=True) as store:
        buf = io.StringIO()
        w = csv.DictWriter(buf, fieldnames=EXPORT_COLUMNS, lineterminator="\n")
        w.writeheader()
        for r in store.iter_suppressions():
            w.writerow(export_row(r))
            if buf.tell() > 65536:
                click.echo(buf.getvalue(), nl=False)
                buf.seek(0)
                buf.truncate()
        click.echo(buf.getvalue(), nl=False)


# ------------------------------------------------------------------------------------- maintenance
@click.command()
@click.option("--since", help="Only messages received since (date, or a duration ago: 30d).")
@click.option("--batch", type=click.IntRange(min=1), default=REPROCESS_BATCH, show_default=True,
              help="Messages per write transaction (the daemon waits at most one batch).")
@store_options
def reprocess(since: str | None, batch: int, open_store: Callable[..., Store], cfg: config_mod.Config) -> None:
    """Re-parse stored messages after a classifier upgrade and rebuild events and suppressions.

    Manual suppressions and lifts from the audit log are kept. Works in short batches, so the
    daemon keeps answering while it runs. Example: bounced reprocess --since 30d
    """
    opts = parse_options(cfg)
    with open_store() as store:
        total = store.count_messages(_when(since))
        with Progress("reprocessed", total) as bar:
            counts = store.reprocess(lambda raw, mail_from, rcpts: prepare(raw, mail_from, rcpts, opts).result,
                                     _when(since), batch=batch, progress=bar.advance)
    click.echo(", ".join(f"{k} {v}" for k, v in counts.items()))


@click.command()
@click.option("--raw-older-than", required=True,
              help="Drop raw bytes of messages, delivered webhook outbox rows and delivered alerts older than this "
                   "(e.g. 90d); events stay.")
@click.option("--dry-run", is_flag=True, help="Say how much would be pruned; change nothing.")
@store_options
def prune(raw_older_than: str, dry_run: bool, open_store: Callable[..., Store], cfg: config_mod.Config) -> None:
    """Retention: drop stored raw messages older than a duration, keeping their events, and delete
    webhook outbox rows delivered before the same cutoff (pending and failed ones stay), and the
    alerts (breaker trips, held decisions) from before it that no webhook still waits for.

    systemd/bounced-prune.timer runs it daily. Example: bounced prune --raw-older-than 90d --dry-run"""
    try:
        cutoff = utcnow() - parse_duration(raw_older_than)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--raw-older-than") from None
    with open_store(readonly=dry_run) as store:
        if dry_run:
            n, (hooks, alerts) = store.count_prunable(cutoff), store.count_prunable_outbox(cutoff)
        else:
            n, (hooks, alerts) = store.prune_raw(cutoff), store.prune_outbox(cutoff)
    verb = "would prune" if dry_run else "pruned"
    click.echo(f"{verb} raw bytes of {n} message(s) received before {cutoff:%Y-%m-%d %H:%M} UTC")
    click.echo(f"{verb} {hooks} webhook outbox row(s) delivered before {cutoff:%Y-%m-%d %H:%M} UTC")
    click.echo(f"{verb} {alerts} alert(s) raised before {cutoff:%Y-%m-%d %H:%M} UTC that no webhook still waits for")


@click.command()
@click.argument("file", type=click.Path(dir_okay=False))
@store_options
def backup(file: str, open_store: Callable[..., Store], cfg: config_mod.Config) -> None:
    """A consistent copy of the database, safe while the daemon runs (SQLite's online backup).

    Restore: stop the daemon, copy the file over store.path (as its user), start it.
    Example: bounced backup /var/backups/bounced-$(date +%F).db
    """
    with open_store(readonly=True) as store:
        pages = store.backup(file)
    click.echo(f"backed up {store.path} to {file} ({pages} pages, integrity check ok)")


def register(group: click.Group) -> None:
    for cmd in (ingest, inspect, suppress, unsuppress, erase, import_suppressions, export_suppressions, reprocess,
                prune, backup):
        group.add_command(cmd)
