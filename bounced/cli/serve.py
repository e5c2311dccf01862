"""``bounced serve`` (the daemon) and ``bounced config check`` (validate and print the config)."""
from __future__ import annotations

import asyncio

import click

from bounced import config as config_mod
from bounced.config import ConfigError

# sysexits.h EX_CONFIG: the unit does not restart on it (RestartPreventExitStatus=78), since a
# retry cannot fix a bad file
EXIT_CONFIG = 78


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
        raise click.ClickException(str(exc)) from None
    raise SystemExit(code)


@click.group("config")
def config_group() -> None:
    """Inspect the configuration."""


@config_group.command("check")
@click.argument("file", required=False, type=click.Path(dir_okay=False))
def check(file: str | None) -> None:
    """Validate a config file and print the effective configuration as TOML.

    Without FILE, checks what `bounced serve` would load. Example: bounced config check /etc/bounced/bounced.toml
    """
    from bounced.tomlout import dumps

    try:
        cfg = config_mod.load(file)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"# effective configuration, from {cfg.source}: OK")
    click.echo(dumps(config_mod.to_dict(cfg)))


def register(group: click.Group) -> None:
    group.add_command(serve)
    group.add_command(config_group)
