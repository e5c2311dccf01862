"""``bounced web`` (the HTTP API process), ``bounced token`` (API tokens) and ``bounced webhooks``."""
from __future__ import annotations

import dataclasses
import re
import socket
from collections.abc import Callable

import click

from bounced import config as config_mod
from bounced.cli.store_cmds import DatabaseUnavailable, create_option, store_options
from bounced.config import EXIT_CONFIG
from bounced.render import output_options, render
from bounced.store import Store, StoreError, StoreUnavailable

_LISTEN = re.compile(r"^(?:\[([0-9a-fA-F:.]+)\]|([^:\[\]]+)):(\d{1,5})$")


def parse_listen(value: str) -> tuple[str, int]:
    """HOST:PORT or [IPv6]:PORT."""
    m = _LISTEN.match(value.strip())
    if not m or not 0 <= int(m.group(3)) <= 65535:
        raise click.BadParameter(f"expected HOST:PORT such as 127.0.0.1:8025 or [::1]:8025, got {value!r}")
    return m.group(1) or m.group(2), int(m.group(3))


@click.command("web")
@click.option("--listen", help="HOST:PORT to listen on (default: web.host and web.port from the config).")
@create_option
@store_options
def web(listen: str | None, create: bool, open_store: Callable[..., Store], cfg: config_mod.Config) -> None:
    """Serve the HTTP API (/api/v1), its docs, the webhook delivery loop and the support page (/) until SIGTERM.

    Example: bounced web --config /etc/bounced/bounced.toml --listen 127.0.0.1:8025
    """
    import uvicorn

    from bounced import logsetup
    from bounced.web.app import create_app

    logsetup.configure(cfg.log.format, cfg.log.level)  # errors in handlers reach stderr (journald) via logging

    host, port = parse_listen(listen) if listen else (cfg.web.host, cfg.web.port)
    cfg = dataclasses.replace(cfg, web=dataclasses.replace(cfg.web, host=host, port=port))

    def open_waiting() -> Store:
        """PostgreSQL down is no reason not to start: requests answer 503 until it is back."""
        return open_store(wait_for_server=True)

    try:  # a bad path or a newer schema is one line here, not a traceback in a worker
        open_waiting().close()
    except DatabaseUnavailable as exc:
        if not exc.permanent:
            raise
        click.echo(f"Error: {exc.message}", err=True)
        raise SystemExit(EXIT_CONFIG) from None  # the unit does not restart on it
    if cfg.web.pages.enabled:
        _first_start(open_waiting, cfg, host, port)
    app = create_app(cfg, open_waiting)
    server = uvicorn.Server(uvicorn.Config(
        app, host=host, port=port, log_config=None, access_log=False, server_header=False, lifespan="on",
        limit_concurrency=cfg.web.max_connections, timeout_keep_alive=int(cfg.web.keepalive_timeout),
        h11_max_incomplete_event_size=64 * 1024,
        # the peer address stays the TCP peer: uvicorn would otherwise take X-Forwarded-For from any
        # loopback client, and the support page decides itself which proxy to believe ([web.pages])
        proxy_headers=False))
    try:  # bound here so a busy port is one line, not uvicorn's log and exit code 3
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)  # proto set: asyncio turns Nagle off only then (40 ms stalls otherwise)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
    except OSError as exc:
        raise click.ClickException(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    click.echo(f"bounced web listening on http://{'[' + host + ']' if ':' in host else host}:{port}", err=True)
    server.run(sockets=[sock])


def _first_start(open_store: Callable[..., Store], cfg: config_mod.Config, host: str, port: int) -> None:
    """No support-page user yet: create ``admin`` and print a one-time sign-in link (as Jupyter does)."""
    from bounced.web.pages.app import first_start

    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    try:
        with open_store() as store:
            link = first_start(store, f"http://{'[' + shown + ']' if ':' in shown else shown}:{port}", cfg.web.pages)
    except StoreUnavailable as exc:
        click.echo(f"{exc}: starting anyway (requests answer 503 until the database is back); the first "
                   "start's sign-in link is printed by the first start that reaches it, or add a user "
                   "with `bounced user add`", err=True)
        return
    if link:
        click.echo("No support-page user yet: created 'admin'. Sign in once with this link "
                   f"(valid {cfg.web.pages.signin_link_minutes:g} minutes), then set a password with "
                   "`bounced user passwd admin`:", err=True)
        click.echo(f"    {link}", err=True)


# ------------------------------------------------------------------------------------- tokens
@click.group("token")
def token_group() -> None:
    """API tokens for `bounced web` (stored only as hashes)."""


_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$")


@token_group.command("create")
@click.argument("name")
@click.option("--scope", type=click.Choice(["read", "activity", "write", "admin"]), default="read", show_default=True,
              help="read: lookups, history, feed; activity: + POST /activity; write: + suppress/lift; admin: + raw messages.")
@create_option
@store_options
def token_create(name: str, scope: str, create: bool, open_store: Callable[..., Store], cfg: config_mod.Config) -> None:
    """Create a token; it is printed once, alone on the last line, and stored only as a hash.

    Example: TOKEN=$(bounced token create php-mailer --scope activity | tail -n 1)
    """
    from bounced.web.auth import hash_token, new_token

    if not _NAME.match(name):
        raise click.BadParameter(f"{name!r}: use letters, digits and . _ - @ (up to 64 characters)")
    token = new_token()
    with open_store() as store:
        store.create_token(name, scope, hash_token(token))
    click.echo(f"token {name!r} created with scope {scope}; it is shown only now:")
    click.echo(token)


@token_group.command("list")
@output_options
@store_options
def token_list(fmt: str, open_store: Callable[..., Store], cfg: config_mod.Config) -> None:
    """Tokens by name, scope and creation time (never the token itself)."""
    with open_store() as store:
        render(store.tokens(), fmt, columns=["name", "scope", "created_at", "created_by"])


@token_group.command("revoke")
@click.argument("name")
@store_options
def token_revoke(name: str, open_store: Callable[..., Store], cfg: config_mod.Config) -> None:
    """Revoke a token at once (the next request with it gets 401)."""
    with open_store() as store:
        store.revoke_token(name)
    click.echo(f"token {name!r} revoked")


# ------------------------------------------------------------------------------------- webhooks
@click.group("webhooks")
def webhooks_group() -> None:
    """Webhook deliveries: status, and a signed test event."""


@webhooks_group.command("status")
@output_options
@store_options
def webhooks_status(fmt: str, open_store: Callable[..., Store], cfg: config_mod.Config) -> None:
    """Pending, failed and delivered events and the last error, per receiver."""
    with open_store() as store:
        rows = {r["url"]: r for r in store.webhook_status()}
    for h in cfg.web.webhooks:
        rows.setdefault(h.url, {"url": h.url, "pending": 0, "failed": 0, "delivered": 0, "last_delivered_at": None,
                                "last_error": None})
    render(sorted(rows.values(), key=lambda r: r["url"]), fmt,
           columns=["url", "pending", "failed", "delivered", "last_delivered_at", "last_error"])


@webhooks_group.command("test")
@click.argument("url")
@click.option("--secret", help="Sign with this secret (default: the secret of the [[web.webhooks]] entry for URL).")
@store_options
def webhooks_test(url: str, secret: str | None, open_store: Callable[..., Store], cfg: config_mod.Config) -> None:
    """Send one signed sample event to URL and show the receiver's answer.

    Example: bounced webhooks test https://mailer.example.com/hooks/bounced
    """
    import httpx

    from bounced.config import Webhook
    from bounced.web.webhooks import send_test

    hook = next((h for h in cfg.web.webhooks if h.url == url), None)
    if secret is None and hook is None:
        raise click.ClickException(f"{url} is not in [[web.webhooks]]; give --secret to sign the test with")
    hook = Webhook(url=url, secret=secret or (hook.secret if hook else ""))
    try:
        status, text = send_test(hook, cfg.web.webhook_timeout)
    except httpx.HTTPError as exc:
        raise click.ClickException(f"{url}: {type(exc).__name__}: {exc}") from None
    click.echo(f"{url} answered {status}: {text}")
    if not 200 <= status < 300:
        raise SystemExit(1)


def register(group: click.Group) -> None:
    group.add_command(web)
    group.add_command(token_group)
    group.add_command(webhooks_group)
