"""Configuration: one frozen object built from TOML and passed in; no module reads globals.

Loaded from ``--config``, else ``$BOUNCED_CONFIG``, else ``/etc/bounced/bounced.toml`` when
present, else the embedded defaults (``bounced/default.toml``, identical to
``config/bounced.toml``), so ``make run`` works with no file. Every key is checked: an unknown
key, a wrong type or an impossible value is a :class:`ConfigError` naming the key and the file.
"""
from __future__ import annotations

import dataclasses
import ipaddress
import os
import tomllib
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bounced.model import Kind
from bounced.reasons import DEFAULT_KINDS, REASONS, SENDER_SIDE

SYSTEM_CONFIG = Path("/etc/bounced/bounced.toml")
# the systemd unit's StateDirectory= and WorkingDirectory=: where a relative store.path of the
# system config lives, for the daemon and for the operator's commands alike
SYSTEM_STATE_DIR = Path("/var/lib/bounced")


# sysexits.h EX_CONFIG, the exit status of `bounced serve` and `bounced web` for what no retry fixes
# (a bad config file, a database that refuses the connection or has a newer schema): their units
# do not restart on it (RestartPreventExitStatus=78)
EXIT_CONFIG = 78


class ConfigError(ValueError):
    """A bad configuration value; the message names the key and the file."""

    def __init__(self, source: str, key: str, problem: str) -> None:
        super().__init__(f"{source}: {key}: {problem}")
        self.source, self.key, self.problem = source, key, problem


@dataclass(frozen=True)
class Listener:
    host: str = "127.0.0.1"
    port: int = 2525
    lmtp: bool = False


@dataclass(frozen=True)
class ServerConfig:
    listeners: tuple[Listener, ...] = (Listener(),)
    hostname: str = ""  # banner name; empty = the machine's FQDN
    max_message_size: int = 10 * 1024 * 1024
    max_connections: int = 100
    max_recipients: int = 100
    max_connections_per_client: int = 50  # from one client address (Postfix's default client limit)
    max_junk_commands: int = 100  # commands without a message (NOOP, RSET, HELO...) before 421
    max_session_time: float = 600.0  # seconds one connection may last, however busy
    # bytes of messages held in memory for their commit, over all connections; past it a commit
    # waits, and DATA gets 452 while a full budget is already waiting
    max_inflight_bytes: int = 32 * 1024 * 1024
    command_timeout: float = 60.0  # seconds a client may idle between commands
    data_timeout: float = 300.0  # seconds allowed to transfer one message
    tls_cert: str = ""
    tls_key: str = ""
    batch_max: int = 64  # messages committed together by the writer (group commit)
    batch_wait_ms: float = 2.0  # how long the writer waits to fill a batch
    parse_workers: int = 1  # child processes that parse; 0 = in the writer thread (single-core hosts)
    # clients (addresses or networks) whose XFORWARD is believed: the MTA in front of bounced,
    # which tells the address of the host that sent it the bounce; others get 550
    xforward_from: tuple[str, ...] = ("127.0.0.1", "::1")


@dataclass(frozen=True)
class BounceConfig:
    """Which addresses are ours: the local parts and domains the daemon accepts RCPT for."""

    local_parts: tuple[str, ...] = ("bounces",)
    domains: tuple[str, ...] = ("localhost",)  # empty tuple = any domain
    verp_delimiter: str = "+"
    # extra headers of the returned original to keep (campaign or stream tags)
    original_headers: tuple[str, ...] = ()
    # which bounces may change a suppression: signed | bound | open (see README "Trust")
    trust: str = "bound"
    verp_secret_files: tuple[str, ...] = ()  # first signs, all verify; empty = <store.path>.verp-secret
    verp_max_age_days: int = 30  # a tag older than this no longer proves anything
    sent_keep_days: float = 30.0  # how long a registered Message-ID stays valid


@dataclass(frozen=True)
class BreakerConfig:
    """The brake on bursts: when to hold new hard suppressions instead of applying them."""

    enabled: bool = True
    window_minutes: int = 60  # hard bounces per domain are counted over this window
    baseline_days: int = 7  # the domain's usual rate: hard bounces per window over these days
    multiple: float = 10.0  # trip when a window holds more than this times the usual rate...
    min_hard: int = 20  # ...and more than this many hard bounces (quiet domains do not trip on 2)
    max_per_message: int = 10  # hard suppressions one inbound message may cause; more are held
    max_per_source: int = 200  # new hard suppressions one sending host may cause...
    source_window_minutes: int = 60  # ...within this many minutes; more are held


@dataclass(frozen=True)
class StoreConfig:
    path: str = "bounced.db"
    # postgresql://user@host:port/dbname selects PostgreSQL instead of the SQLite file at ``path``;
    # the password comes from ``password_file``, $PGPASSWORD or ~/.pgpass, never from this key
    url: str = ""
    password_file: str = ""
    connect_timeout: int = 5  # seconds to reach the PostgreSQL server before answering 451
    busy_timeout_ms: int = 5000
    local_part_case_sensitive: bool = False
    file_mode: int = 0o640  # permissions of a database file bounced creates (and its -wal, -shm)

    @property
    def location(self) -> str:
        """What Store.open and SuppressionList are given: the URL when set, else the file."""
        return self.url or self.path


@dataclass(frozen=True)
class PolicyConfig:
    soft_threshold: int = 3  # consecutive soft bounces before suppressing
    soft_min_spread_hours: float = 24.0  # first to last soft bounce must span this
    soft_window_days: float = 30.0  # soft bounces older than this do not count
    soft_expiry_days: float = 14.0  # a soft suppression lifts itself after this
    suppress_complaints: bool = True
    reason_kinds: typing.Mapping[str, Kind] = field(default_factory=lambda: dict(DEFAULT_KINDS))
    sender_side: tuple[str, ...] = tuple(sorted(SENDER_SIDE))


@dataclass(frozen=True)
class MetricsConfig:
    enabled: bool = True
    host: str = "127.0.0.1"
    port: int = 9425


@dataclass(frozen=True)
class LogConfig:
    format: str = "auto"  # auto (console on a terminal, else json), json, console
    level: str = "info"


@dataclass(frozen=True)
class CheckConfig:
    dns_timeout: float = 3.0
    dns_concurrency: int = 20
    nameservers: tuple[str, ...] = ()  # empty = the system resolver
    dns_port: int = 53


CHANGE_TYPES = ("suppressed", "re-suppressed", "complaint", "lifted", "expired")
"""What the change feed and webhooks report (``bounced.changes`` decides which one a state change is)."""
ALERT_TYPES = ("breaker.tripped", "source_cap.tripped", "held.released", "held.discarded")
"""Webhook events that are not suppression changes: a brake engaged, or an operator's decision on
what it held. Not in a webhook's default ``events``: a receiver written for address changes would
not know them; list them to get them."""
WEBHOOK_EVENTS = CHANGE_TYPES + ALERT_TYPES


@dataclass(frozen=True)
class Webhook:
    """One receiver of suppression changes: signed POSTs of JSON, at least once, in order."""

    url: str = ""
    events: tuple[str, ...] = CHANGE_TYPES
    secret: str = ""


@dataclass(frozen=True)
class WebPagesConfig:
    """The support page served by ``bounced web`` beside the API (sign-in, sessions, the proxy header)."""

    enabled: bool = True
    session_hours: float = 12.0
    login_attempts: int = 5  # failed sign-ins per user name and per client address ...
    login_window_seconds: float = 300.0  # ... within this many seconds, then sign-in pauses
    trusted_proxies: tuple[str, ...] = ()  # addresses or networks whose user header is believed
    proxy_user_header: str = "X-Forwarded-User"
    signin_link_minutes: float = 60.0


@dataclass(frozen=True)
class WebConfig:
    """``bounced web``: the HTTP API and the webhook delivery loop (a process apart from the SMTP daemon)."""

    host: str = "127.0.0.1"
    port: int = 8025
    max_body_bytes: int = 4 * 1024 * 1024  # 10,000 activity records fit with room to spare
    max_batch: int = 10000  # addresses per check or activity call
    max_connections: int = 200
    keepalive_timeout: float = 5.0
    page_size: int = 500  # default and largest page of GET /suppressions and /changes
    sweep_interval: float = 60.0  # seconds between sweeps that record expired soft suppressions
    webhook_timeout: float = 10.0
    webhook_backoff_initial: float = 2.0
    webhook_backoff_max: float = 600.0
    webhook_retry_hours: float = 24.0  # then the event is marked failed and the next one goes
    webhooks: tuple[Webhook, ...] = ()
    pages: WebPagesConfig = WebPagesConfig()


@dataclass(frozen=True)
class Config:
    server: ServerConfig = ServerConfig()
    bounce: BounceConfig = BounceConfig()
    store: StoreConfig = StoreConfig()
    policy: PolicyConfig = PolicyConfig()
    metrics: MetricsConfig = MetricsConfig()
    log: LogConfig = LogConfig()
    check: CheckConfig = CheckConfig()
    breaker: BreakerConfig = BreakerConfig()
    web: WebConfig = WebConfig()
    source: str = field(default="<defaults>", compare=False)


@dataclass(frozen=True)
class StoreRules:
    """The settings the store applies to what it writes: the policy, trust (bounce), the breaker,
    and the webhooks a suppression change is queued for. Only these reach the store after it is
    open, so a reload hands it new ones on the same connection (a SIGHUP does not reopen the
    database), and nothing in it reads where the database is or how to reach it."""

    policy: PolicyConfig = PolicyConfig()
    bounce: BounceConfig = BounceConfig()
    breaker: BreakerConfig = BreakerConfig()
    webhooks: tuple[Webhook, ...] = ()
    relays: tuple[str, ...] = ServerConfig().xforward_from  # server.xforward_from: never capped as a source

    @classmethod
    def of(cls, config: Config) -> "StoreRules":
        return cls(config.policy, config.bounce, config.breaker, config.web.webhooks, config.server.xforward_from)


_CHOICES = {
    "log.format": {"auto", "json", "console"},
    "log.level": {"debug", "info", "warning", "error"},
    "bounce.trust": {"signed", "bound", "open"},
}
_POSITIVE = {
    "server.max_message_size", "server.max_connections", "server.max_recipients",
    "server.command_timeout", "server.data_timeout", "server.batch_max", "server.max_connections_per_client",
    "server.max_junk_commands", "server.max_session_time", "server.max_inflight_bytes",
    "policy.soft_threshold", "policy.soft_window_days", "policy.soft_expiry_days",
    "check.dns_timeout", "check.dns_concurrency", "store.connect_timeout",
    "bounce.verp_max_age_days", "bounce.sent_keep_days",
    "breaker.window_minutes", "breaker.baseline_days", "breaker.multiple", "breaker.min_hard",
    "breaker.max_per_message", "breaker.max_per_source", "breaker.source_window_minutes",
    "web.max_body_bytes", "web.max_batch", "web.max_connections", "web.keepalive_timeout", "web.page_size",
    "web.sweep_interval", "web.webhook_timeout", "web.webhook_backoff_initial", "web.webhook_backoff_max",
    "web.webhook_retry_hours", "web.pages.session_hours", "web.pages.login_attempts",
    "web.pages.login_window_seconds", "web.pages.signin_link_minutes",
}


def _convert(value: Any, tp: Any, key: str, source: str) -> Any:
    origin = typing.get_origin(tp)
    if tp is bool:
        if not isinstance(value, bool):
            raise ConfigError(source, key, f"expected true or false, got {value!r}")
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(source, key, f"expected an integer, got {value!r}")
        return value
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(source, key, f"expected a number, got {value!r}")
        return float(value)
    if tp is str:
        if not isinstance(value, str):
            raise ConfigError(source, key, f"expected a string, got {value!r}")
        return value
    if tp is Kind:
        try:
            return Kind(value)
        except ValueError:
            raise ConfigError(source, key, f"unknown kind {value!r}; one of {', '.join(k.value for k in Kind)}") from None
    if dataclasses.is_dataclass(tp):
        if not isinstance(value, dict):
            raise ConfigError(source, key, f"expected a table, got {value!r}")
        return _build(tp, value, key, source)
    if origin is tuple:
        if not isinstance(value, list):
            raise ConfigError(source, key, f"expected a list, got {value!r}")
        (item_tp, _) = typing.get_args(tp)
        return tuple(_convert(v, item_tp, f"{key}[{i}]", source) for i, v in enumerate(value))
    if origin in (typing.Mapping, dict) or tp is typing.Mapping:
        raise AssertionError("mappings are handled by their owner")  # pragma: no cover
    raise AssertionError(f"unsupported config type {tp!r}")  # pragma: no cover


def _build(cls: type, data: dict, prefix: str, source: str) -> Any:
    hints = typing.get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls) if f.name != "source"}
    kwargs: dict[str, Any] = {}
    for k, v in data.items():
        key = f"{prefix}.{k}" if prefix else k
        if k not in names:
            raise ConfigError(source, key, f"unknown key; known keys here: {', '.join(sorted(names))}")
        if cls is PolicyConfig and k == "reason_kinds":
            kwargs[k] = _reason_kinds(v, key, source)
            continue
        if cls is PolicyConfig and k == "sender_side":
            vals = _convert(v, tuple[str, ...], key, source)
            for i, r in enumerate(vals):
                if r not in REASONS:
                    raise ConfigError(source, f"{key}[{i}]", f"unknown reason {r!r}")
            kwargs[k] = vals
            continue
        val = _convert(v, hints[k], key, source)
        if key in _POSITIVE and val <= 0:
            raise ConfigError(source, key, f"must be greater than 0, got {v!r}")
        if key in _CHOICES and val not in _CHOICES[key]:
            raise ConfigError(source, key, f"must be one of {', '.join(sorted(_CHOICES[key]))}, got {v!r}")
        if key == "bounce.verp_max_age_days" and val > 1000:
            raise ConfigError(source, key, f"at most 1000 (the day stamp wraps at 1024), got {v!r}")
        if k == "port" and not 0 <= val <= 65535:
            raise ConfigError(source, key, f"not a port number: {v!r}")
        kwargs[k] = val
    return cls(**kwargs)


def _reason_kinds(value: Any, key: str, source: str) -> dict[str, Kind]:
    if not isinstance(value, dict):
        raise ConfigError(source, key, f"expected a table of reason = kind, got {value!r}")
    merged = dict(DEFAULT_KINDS)
    for reason, kind in value.items():
        if reason not in REASONS:
            raise ConfigError(source, f"{key}.{reason}", "unknown reason")
        merged[reason] = _convert(kind, Kind, f"{key}.{reason}", source)
    return types.MappingProxyType(merged)  # type: ignore[return-value]


def is_url(location: str) -> bool:
    """A PostgreSQL URL rather than a SQLite file name."""
    return location.startswith(("postgresql://", "postgres://"))


def url_problem(url: str) -> str | None:
    """Why ``url`` cannot be a store URL, or None. A password in it is refused: config files and
    command lines are read by people and by ``ps``; it belongs in a file or the environment."""
    from urllib.parse import urlsplit

    if not is_url(url):
        return f"expected postgresql://user@host/dbname, got {url!r}"
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError as exc:
        return f"not a valid URL ({exc})"
    if parts.password is not None or "password=" in parts.query:
        return ("has a password in it; put the password in store.password_file, $PGPASSWORD or ~/.pgpass "
                "instead (the URL is shown in logs and error messages)")
    return None


def from_dict(data: dict, source: str = "<dict>") -> Config:
    cfg = _build(Config, data, "", source)
    if not cfg.server.listeners:
        raise ConfigError(source, "server.listeners", "at least one listener is needed")
    if not cfg.bounce.local_parts:
        raise ConfigError(source, "bounce.local_parts", "at least one bounce local part is needed")
    if len(cfg.bounce.verp_delimiter) != 1:
        raise ConfigError(source, "bounce.verp_delimiter", "must be a single character")
    if cfg.store.url:
        problem = url_problem(cfg.store.url)
        if problem:
            raise ConfigError(source, "store.url", problem)
    if cfg.server.max_inflight_bytes < cfg.server.max_message_size:
        raise ConfigError(source, "server.max_inflight_bytes",
                          f"must be at least server.max_message_size ({cfg.server.max_message_size}), or the "
                          f"largest message could never be stored; got {cfg.server.max_inflight_bytes}")
    mode = cfg.store.file_mode
    if not 0 <= mode <= 0o777 or mode & 0o600 != 0o600:
        raise ConfigError(source, "store.file_mode", f"must be a file mode like 0o640 that lets the owner read and "
                          f"write (0o600 to 0o777), got {oct(mode) if isinstance(mode, int) else mode!r}")
    if bool(cfg.server.tls_cert) != bool(cfg.server.tls_key):
        raise ConfigError(source, "server.tls_cert", "tls_cert and tls_key must be set together")
    _check_webhooks(cfg.web.webhooks, source)
    for key, nets in (("web.pages.trusted_proxies", cfg.web.pages.trusted_proxies),
                      ("server.xforward_from", cfg.server.xforward_from)):
        for i, p in enumerate(nets):
            try:
                ipaddress.ip_network(p, strict=False)
            except ValueError:
                raise ConfigError(source, f"{key}[{i}]", f"not an IP address or network: {p!r}") from None
    return dataclasses.replace(cfg, source=source)


def _check_webhooks(hooks: tuple[Webhook, ...], source: str) -> None:
    seen: set[str] = set()
    for i, h in enumerate(hooks):
        key = f"web.webhooks[{i}]"
        if not h.url.startswith(("http://", "https://")) or len(h.url) < 10:
            raise ConfigError(source, f"{key}.url", f"expected an http:// or https:// URL, got {h.url!r}")
        if h.url in seen:
            raise ConfigError(source, f"{key}.url", f"{h.url} is listed twice")
        seen.add(h.url)
        if len(h.secret) < 16:
            raise ConfigError(source, f"{key}.secret", "needs at least 16 characters (it signs every delivery)")
        for j, e in enumerate(h.events):
            if e not in WEBHOOK_EVENTS:
                raise ConfigError(source, f"{key}.events[{j}]", f"unknown event {e!r}; one of {', '.join(WEBHOOK_EVENTS)}")
        if not h.events:
            raise ConfigError(source, f"{key}.events", "at least one event is needed")


def load_file(path: str | os.PathLike[str]) -> Config:
    p = Path(path)
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(str(p), "-", "file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(str(p), "-", f"cannot read: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(str(p), "-", f"not valid TOML: {exc}") from None
    return from_dict(data, str(p))


def load(path: str | os.PathLike[str] | None = None, environ: typing.Mapping[str, str] | None = None) -> Config:
    """The effective configuration, following the documented search order.

    A relative ``store.path`` is anchored where the daemon keeps its database, so every command
    finds the daemon's file wherever it is run: ``$STATE_DIRECTORY`` under systemd, else the
    unit's state directory for the system config; otherwise it stays relative to the working
    directory (``make run``)."""
    env = os.environ if environ is None else environ
    if path:
        cfg = load_file(path)
    elif env.get("BOUNCED_CONFIG"):
        cfg = load_file(env["BOUNCED_CONFIG"])
    elif SYSTEM_CONFIG.is_file():
        cfg = load_file(SYSTEM_CONFIG)
    else:
        cfg = Config()
    return _anchor_store(cfg, env)


def _anchor_store(cfg: Config, env: typing.Mapping[str, str]) -> Config:
    if Path(cfg.store.path).is_absolute():
        return cfg
    state = env.get("STATE_DIRECTORY")
    if state:
        base = Path(state.split(":")[0])
    elif cfg.source == str(SYSTEM_CONFIG):
        base = SYSTEM_STATE_DIR
    else:
        return cfg
    return dataclasses.replace(cfg, store=dataclasses.replace(cfg.store, path=str(base / cfg.store.path)))


def provenance(cfg: Config, environ: typing.Mapping[str, str] | None = None) -> dict[str, tuple[Any, str]]:
    """Every effective key (``server.max_connections``) with its value and where it came from:
    the config file, ``$STATE_DIRECTORY`` (the anchored store path) or the built-in default."""
    env = os.environ if environ is None else environ
    in_file: set[str] = set()
    if cfg.source != "<defaults>":
        try:
            _flatten(tomllib.loads(Path(cfg.source).read_text(encoding="utf-8")), "", in_file)
        except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
            pass
    out: dict[str, tuple[Any, str]] = {}
    values: set[str] = set()
    flat: dict[str, Any] = {}
    _flatten(to_dict(cfg), "", values, flat)
    for key in sorted(flat):
        if any(key == k or key.startswith(k + ".") or key.startswith(k + "[") for k in in_file):
            origin = cfg.source
        else:
            origin = "built-in default"
        if key == "store.path" and env.get("STATE_DIRECTORY") and flat[key].startswith(env["STATE_DIRECTORY"].split(":")[0]):
            origin += " in $STATE_DIRECTORY"
        elif key == "store.path" and cfg.source == str(SYSTEM_CONFIG) and flat[key].startswith(str(SYSTEM_STATE_DIR)):
            origin += f" in {SYSTEM_STATE_DIR} (the unit's StateDirectory)"
        out[key] = (flat[key], origin)
    return out


def _flatten(data: Any, prefix: str, keys: set[str], flat: dict[str, Any] | None = None) -> None:
    if isinstance(data, dict):
        for k, v in data.items():
            _flatten(v, f"{prefix}.{k}" if prefix else k, keys, flat)
        return
    keys.add(prefix)
    if flat is not None:
        flat[prefix] = data


def to_dict(cfg: Config) -> dict[str, Any]:
    """The effective configuration as plain data (for ``bounced config check``)."""

    def plain(v: Any) -> Any:
        if dataclasses.is_dataclass(v):
            return {f.name: plain(getattr(v, f.name)) for f in dataclasses.fields(v) if f.name != "source"}
        if isinstance(v, tuple):
            return [plain(x) for x in v]
        if isinstance(v, typing.Mapping):
            return {k: plain(x) for k, x in v.items()}
        if isinstance(v, Kind):
            return v.value
        return v

    return plain(cfg)
