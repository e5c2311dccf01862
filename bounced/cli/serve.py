"""``bounced serve`` (the daemon) and ``bounced config check`` (validate and print the config)."""
from __future__ import annotations

import asyncio
import json
import os

import click

from bounced import config as config_mod
from bounced.config import EXIT_CONFIG, ConfigError


@click.command("serve")
@click.option("--config", "config_path", type=click.Path(dir_okay=False),
              help="Config file (default: $BOUNCED_CONFIG, else /etc/bounced/bounced.toml, else built-in defaults).")
def serve(config_path: str | None) -> None:
    """Run the SMTP/LMTP daemon until SIGTERM; SIGHUP reloads the config.

    Example: bounced serve --config /etc/bounced/bounced.toml
    """
    from bounced import daemon, logsetup

    try:
        cfg = config_mod.load(config_path)
    except ConfigError as exc:
        click.echo(f"Error: {exc}", err=True)
        raise SystemExit(EXIT_CONFIG) from None
    log = logsetup.configure(cfg.log.format, cfg.log.level)
    try:
        code = asyncio.run(daemon.run(cfg, config_path, log=log))
    except daemon.StartupError as exc:
        click.echo(f"Error: {exc}", err=True)
        raise SystemExit(exc.exit_code) from None
    raise SystemExit(code)


@click.group("config")
def config_group() -> None:
    """Inspect the configuration."""


@config_group.command("check")
@click.argument("file", required=False, type=click.Path(dir_okay=False))
def check(file: str | None) -> None:
    """Validate a config file, and what `bounced serve` would refuse on this machine (listener and
    metrics ports, the database directory, TLS files); print the effective configuration as TOML.

    Without FILE, checks what `bounced serve` would load. Example: bounced config check /etc/bounced/bounced.toml
    """
    from bounced.configcheck import problems
    from bounced.tomlout import dumps

    try:
        cfg = config_mod.load(file)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    found = problems(cfg)
    if found:
        for p in found:
            click.echo(f"{cfg.source}: {p}", err=True)
        raise SystemExit(1)
    click.echo(f"# effective configuration, from {cfg.source}: OK")
    click.echo(dumps(config_mod.to_dict(cfg)))


@config_group.command("show")
@click.option("--config", "config_path", type=click.Path(dir_okay=False), help="Config file (default: the usual search order).")
def show(config_path: str | None) -> None:
    """Print every effective setting and where it came from (the config file or the built-in default).

    The first line says which file was found: --config, else $BOUNCED_CONFIG, else
    /etc/bounced/bounced.toml, else none (built-in defaults). Example: sudo bounced config show
    """
    try:
        cfg = config_mod.load(config_path)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    how = ("--config" if config_path else "$BOUNCED_CONFIG" if os.environ.get("BOUNCED_CONFIG")
           else "the system config" if cfg.source == str(config_mod.SYSTEM_CONFIG) else None)
    click.echo(f"# config file: {cfg.source} ({how})" if how else
               f"# config file: none found (no --config, no $BOUNCED_CONFIG, no {config_mod.SYSTEM_CONFIG}): built-in defaults")
    rows = config_mod.provenance(cfg)
    width = max(len(k) for k in rows)
    for key, (value, origin) in rows.items():
        click.echo(f"{key.ljust(width)} = {json.dumps(value)}  # {origin}")


def register(group: click.Group) -> None:
    group.add_command(serve)
    group.add_command(config_group)
