"""``bounced store ...``: the database itself, as opposed to what is in it."""
from __future__ import annotations

import sys

import click

from bounced import config as config_mod
from bounced.config import is_url, url_problem
from bounced.store import Store, StoreError


@click.group("store")
def store_group() -> None:
    """The database: copy a SQLite store to PostgreSQL."""


@store_group.command("migrate")
@click.option("--to", "to_url", required=True, metavar="URL", help="postgresql://user@host/dbname to copy into.")
@click.option("--db", "db_path", type=click.Path(dir_okay=False), help="SQLite file to copy (default: store.path).")
@click.option("--config", "config_path", type=click.Path(dir_okay=False), help="Config file (default: the usual search order).")
@click.option("--batch", default=1000, show_default=True, type=click.IntRange(1, 100_000), help="Rows per transaction.")
def migrate(to_url: str, db_path: str | None, config_path: str | None, batch: int) -> None:
    """Copy a SQLite store into PostgreSQL, completely, and verify the copy.

    Messages with their raw bytes, events, suppressions, audit log, activity and every other table
    are copied in batches; run it again after an interruption and it carries on. Stop the daemons
    writing to the file first. The password comes from store.password_file or $PGPASSWORD.
    Example: bounced store migrate --db /var/lib/bounced/bounced.db --to postgresql://bounced@db1/bounced
    """
    from bounced.storecopy import copy_store, verify

    try:
        cfg = config_mod.load(config_path)
    except config_mod.ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    problem = url_problem(to_url) if is_url(to_url) else f"expected postgresql://user@host/dbname, got {to_url!r}"
    if problem:
        raise click.BadParameter(problem, param_hint="--to")
    path = db_path or cfg.store.path
    try:
        with Store.open(path, cfg, readonly=True) as source, Store.open(to_url, cfg) as target:
            tables = source.copy_tables()
            total = sum(source.copy_count(t) for t in tables)
            with click.progressbar(length=total, label="copying", show_pos=True, file=sys.stderr) as bar:
                copy_store(source, target, batch=batch, progress=lambda _t, n: bar.update(n))
            checks = verify(source, target, tables)
    except StoreError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"{'table':<16} {'rows in file':>12} {'rows copied':>12}  {'sha256 (file)':<16} {'sha256 (copy)':<16}")
    for c in checks:
        click.echo(f"{c.table:<16} {c.source_rows:>12} {c.target_rows:>12}  {c.source_digest[:16]:<16} "
                   f"{c.target_digest[:16]:<16} {'ok' if c.same else 'DIFFERENT'}")
    bad = [c.table for c in checks if not c.same]
    if bad:
        raise click.ClickException(f"the copy differs from the file in: {', '.join(bad)}")
    click.echo(f"copied {sum(c.target_rows for c in checks)} rows; every table matches")


def register(group: click.Group) -> None:
    group.add_command(store_group)
