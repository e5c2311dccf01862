"""Commands for trust: sign return paths (``verp``), register sent mail (``sent``), promote an
untrusted event (``promote``), and release or discard held suppressions (``held``)."""
from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import datetime
from typing import Any

import click

from bounced import config as config_mod
from bounced import keyfiles, signing
from bounced.cli.store_cmds import _actor, _when, store_options
from bounced.parse import verp as verp_layout
from bounced.render import output_options, render
from bounced.signing import Keyring
from bounced.store import Store
from bounced.timeutil import utcnow


def keyring_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """--config and --db (whose ``.verp-secret`` is the default secret); the command gets ``cfg`` and ``keyring``."""

    @click.option("--config", "config_path", type=click.Path(dir_okay=False), help="Config file (default: the usual search order).")
    @click.option("--db", "db_path", type=click.Path(dir_okay=False), help="Database file beside which the default secret lives.")
    @functools.wraps(f)
    def wrapper(*args: Any, db_path: str | None, config_path: str | None, **kwargs: Any) -> Any:
        try:
            cfg = config_mod.load(config_path)
            keyring = keyfiles.load(cfg, db_path or cfg.store.path)
            return f(*args, cfg=cfg, keyring=keyring, **kwargs)
        except (config_mod.ConfigError, keyfiles.KeyFileError, signing.SigningError) as exc:
            raise click.ClickException(str(exc)) from None

    return wrapper


def _day(value: str | None) -> datetime:
    return _when(value) or utcnow()


@click.group()
def verp() -> None:
    """Signed VERP return paths: build and check them (the README shows the same in PHP and Node)."""


@verp.command("encode")
@click.argument("address")
@click.option("--domain", help="Bounce domain (default: the first of bounce.domains).")
@click.option("--at", "when", help="Sign as of this date (default: now).")
@keyring_options
def verp_encode(address: str, domain: str | None, when: str | None, cfg: config_mod.Config, keyring: Keyring) -> None:
    """The signed return path for mail to ADDRESS.

    Example: bounced verp encode jane@example.com --domain bounce.example.org
    """
    b = cfg.bounce
    click.echo(signing.encode(address, keyring, local_part=b.local_parts[0],
                              domain=domain or (b.domains[0] if b.domains else "localhost"),
                              delimiter=b.verp_delimiter, at=_day(when)))


@verp.command("check")
@click.argument("return_path")
@click.option("--at", "when", help="Check as of this date (default: now).")
@keyring_options
def verp_check(return_path: str, when: str | None, cfg: config_mod.Config, keyring: Keyring) -> None:
    """Decode RETURN_PATH and say whether its tag is valid; exit 1 when it is not.

    Example: bounced verp check 'bounces+jane=example.com=ab3kq7xz2m@bounce.example.org'
    """
    b = cfg.bounce
    v = verp_layout.split(return_path, b.local_parts, b.verp_delimiter)
    if v is None:
        raise click.ClickException(f"{return_path!r} is not a VERP form of the bounce addresses {', '.join(b.local_parts)}")
    check = signing.check_verp(v, keyring, _day(when), b.verp_max_age_days)
    click.echo(f"{v.recipient}: {check.why}")
    if not check.ok:
        raise SystemExit(1)


@verp.command("sign-header")
@click.argument("message_id")
@click.argument("recipient")
@click.option("--at", "when", help="Sign as of this date (default: now).")
@keyring_options
def verp_sign_header(message_id: str, recipient: str, when: str | None, cfg: config_mod.Config, keyring: Keyring) -> None:
    """The X-Bounced-Sig value for a message to one recipient (when the return path cannot carry VERP).

    Example: bounced verp sign-header '<123@mailer.example.org>' jane@example.com
    """
    if not keyring.keys:
        raise click.ClickException("no VERP secret to sign with")
    click.echo(signing.header_sig(keyring.keys[0], message_id, recipient, signing.day_number(_day(when))))


@click.group()
def sent() -> None:
    """Mail the mailer sent, for trust = "bound" when it cannot sign."""


@sent.command("register")
@click.argument("message_id")
@click.argument("recipients", nargs=-1, required=True)
@store_options
def sent_register(message_id: str, recipients: tuple[str, ...], open_store: Callable[..., Store], cfg: config_mod.Config) -> None:
    """Remember that MESSAGE_ID went to RECIPIENTS (kept bounce.sent_keep_days).

    Example: bounced sent register '<123@mailer.example.org>' jane@example.com
    """
    with open_store() as store:
        n = store.register_sent(message_id, recipients)
    click.echo(f"registered {message_id} for {n} recipient(s)")


@click.command()
@click.argument("event_id", type=int)
@click.option("--reason", required=True, help="Why this untrusted event should count (audit log).")
@click.option("--by", default=None, help="Who (default: $USER).")
@store_options
def promote(event_id: int, reason: str, by: str | None, open_store: Callable[..., Store], cfg: config_mod.Config) -> None:
    """Let an untrusted event count after all (see: bounced inspect events --untrusted).

    Example: bounced promote 42 --reason "checked with the customer: mailbox closed"
    """
    with open_store() as store:
        state = store.promote(event_id, reason, by=_actor(by))
    active = state is not None and state.active
    click.echo(f"event {event_id} promoted; address {'suppressed' if active else 'not suppressed'}")


@click.group()
def held() -> None:
    """Suppressions held by the breaker or the per-message cap, waiting for an operator."""


@held.command("list")
@click.option("--domain")
@click.option("--status", type=click.Choice(["pending", "released", "discarded", "all"]), default="pending", show_default=True)
@click.option("--limit", type=int, default=100, show_default=True, help="0 = no limit.")
@output_options
@store_options
def held_list(domain: str | None, status: str, limit: int, fmt: str, open_store: Callable[..., Store],
              cfg: config_mod.Config) -> None:
    """Held suppressions, newest first, with why they were held."""
    with open_store(readonly=True) as store:
        rows = store.held(status=None if status == "all" else status, domain=domain, limit=limit or None)
    render(rows, fmt)


def _decide(release: bool) -> Callable[..., None]:
    @click.argument("event_ids", nargs=-1, type=int)
    @click.option("--domain", help="Every pending one of this domain instead of EVENT_IDS.")
    @click.option("--reason", required=True, help="Why (audit log).")
    @click.option("--by", default=None, help="Who (default: $USER).")
    @store_options
    def command(event_ids: tuple[int, ...], domain: str | None, reason: str, by: str | None,
                open_store: Callable[..., Store], cfg: config_mod.Config) -> None:
        if bool(event_ids) == bool(domain):
            raise click.UsageError("give EVENT_IDS or --domain")
        with open_store() as store:
            n = store.decide_held(event_ids or None, release, reason, domain=domain, by=_actor(by))
        click.echo(f"{'released' if release else 'discarded'} {n}")

    return command


held.command("release", help="Apply held suppressions (EVENT_IDS or --domain).\n\n"
             "Example: bounced held release --domain example.com --reason \"outage over, real 5.1.1s\"")(_decide(True))
held.command("discard", help="Drop held suppressions; their events stay recorded.\n\n"
             "Example: bounced held discard --domain example.com --reason \"provider outage 12:00-13:00\"")(_decide(False))


def register(group: click.Group) -> None:
    for cmd in (verp, sent, promote, held):
        group.add_command(cmd)
