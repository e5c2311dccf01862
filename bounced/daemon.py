"""The running daemon: listeners, the writer, metrics, signals and systemd notifications.

This is the glue between :mod:`bounced.server` (protocol), :mod:`bounced.writer` (durability),
:mod:`bounced.metrics` and :mod:`bounced.notify`. Lifecycle:

- start: open the store (in the writer thread), bind every listener and the metrics port; any
  failure is a :class:`StartupError` with one line naming the problem (exit status 78, which the
  unit does not restart, when no retry can fix it). Then READY=1. A PostgreSQL server that cannot
  be reached is no failure: the daemon starts, answers 451 at DATA (as when the server goes away
  later), /healthz says why, and the store connects and migrates by itself once the server answers.
  Should it then refuse (wrong password, no such database, a newer schema), the daemon stops with 78.
- SIGHUP: reload the config file; accepted addresses, limits, policy and batching change without
  dropping connections; a bad file is logged and the running config kept.
- SIGTERM/SIGINT: STOPPING=1, stop listening, let messages in DATA finish (their 250 or 451 is
  sent), say 421 to idle connections, commit and close the store, exit 0. Every wait is bounded,
  so the process ends within systemd's stop timeout even when the store is stuck.
- the writer thread gone (it survives its own bugs, so this is the unforeseen): log it, stop as
  above and exit non-zero, so systemd restarts a daemon that could only answer 451.
"""
from __future__ import annotations

import asyncio
import dataclasses
import signal
import time
from collections.abc import Callable, Mapping
from typing import Any

from bounced import config as config_mod
from bounced.config import EXIT_CONFIG, Config, ConfigError
from bounced.health import assess, describe
from bounced.ingest import parse_options
from bounced.logsetup import RateLimited
from bounced.metrics import Metrics, start_http
from bounced.notify import Notifier, watchdog_interval
from bounced.server import (
    SHUTTING_DOWN,
    Delivery,
    ServerState,
    TemporaryFailure,
    factory,
    tls_context,
)
from bounced.store import PermanentStoreError, Store, StoreError, display_url
from bounced.writer import Stored, StoreLike, Writer

OpenStore = Callable[[Config], StoreLike]


class StartupError(Exception):
    """The daemon cannot start; the message is the one line the operator sees, ``exit_code`` the
    status: 1 (the supervisor tries again later) or :data:`EXIT_CONFIG` (no retry can help)."""

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def open_real_store(cfg: Config) -> StoreLike:
    from bounced.configcheck import writable_problem

    if not cfg.store.url:
        why = writable_problem(cfg.store.path)
        if why:  # rather than SQLite's "unable to open database file", which reads like corruption
            raise StoreError(f"{cfg.store.path}: {why}")
    try:
        return Store.open(cfg.store.location, cfg, wait_for_server=True)
    except StoreError:
        raise
    except Exception as exc:  # noqa: BLE001 - whatever went wrong, the operator sees one line naming the file
        raise StoreError(f"{display_url(cfg.store.location)}: cannot open the database: {exc}") from exc


class Daemon:
    def __init__(self, cfg: Config, *, config_path: str | None = None, open_store: OpenStore = open_real_store,
                 notifier: Notifier | None = None, log: Any = None,
                 environ: Mapping[str, str] | None = None) -> None:
        import structlog

        self.config = cfg
        self.config_path = config_path
        self.open_store = open_store
        self.notifier = notifier or Notifier(None)
        self.log = log or structlog.get_logger("bounced")
        self.environ = environ
        self.metrics = Metrics(suppressions=self._active_by_kind)
        self._reader: Store | None = None  # read-only, for the suppressions gauge
        self._log_reject = RateLimited(self.log, "rejected")
        self.writer: Writer | None = None
        self.state: ServerState | None = None
        self.listeners: list[asyncio.Server] = []
        self.addresses: list[tuple[str, int, bool]] = []  # (host, port, lmtp) actually bound
        self.metrics_server: asyncio.Server | None = None
        self.metrics_address: tuple[str, int] | None = None
        self._stop = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._tasks: set[asyncio.Task] = set()
        self.exit_code = 0
        self.health_interval = 2.0  # seconds between the health tick's read-only store checks
        self.health_cache = 1.0  # seconds a /healthz answer is reused: probes cost nothing
        self._health: tuple[float, str | None, str] | None = None  # (when, problem, detail)
        self._unhealthy: str | None = None  # the problem the tick last logged

    # -- startup -----------------------------------------------------------------------------
    async def start(self, before_ready: Callable[[], None] | None = None) -> None:
        """Open the store, listen, then announce READY=1; ``before_ready`` runs just before that
        (``run`` installs its signal handlers there: systemd may send a reload the moment we are
        ready, and a SIGHUP with its default action would end the process)."""
        self._loop = asyncio.get_running_loop()
        cfg = self.config
        try:
            tls = tls_context(cfg)
        except ValueError as exc:
            raise StartupError(str(exc)) from None
        self.writer = Writer(lambda: self.open_store(self.config), batch_max=cfg.server.batch_max,
                             batch_wait_ms=cfg.server.batch_wait_ms,
                             parse_options=lambda: parse_options(self.config), log=self.log,
                             on_batch=self.metrics.batch,
                             more_coming=lambda n: self.state is not None and self.state.in_data > n,
                             parse_workers=cfg.server.parse_workers,
                             on_death=self._on_writer_death, on_permanent=self._on_store_refused)
        try:
            await asyncio.to_thread(self.writer.start)
        except PermanentStoreError as exc:
            raise StartupError(str(exc), EXIT_CONFIG) from None
        except StoreError as exc:
            raise StartupError(str(exc)) from None
        self.state = ServerState(cfg, self.deliver, on_reject=self._rejected,
                                 on_connections=self.metrics.connections.set, log=self.log, tls=tls)
        try:
            for lst in cfg.server.listeners:
                try:
                    srv = await self._loop.create_server(factory(self.state, lst.lmtp), host=lst.host,
                                                         port=lst.port, reuse_address=True)
                except OSError as exc:
                    raise StartupError(f"cannot listen on {lst.host}:{lst.port}: {exc.strerror or exc}") from None
                self.listeners.append(srv)
                for sock in srv.sockets:
                    host, port = sock.getsockname()[:2]
                    self.addresses.append((host, port, lst.lmtp))
            if cfg.metrics.enabled:
                m = cfg.metrics
                try:
                    self.metrics_server = await start_http(self.metrics, self.health_report, m.host, m.port)
                except OSError as exc:
                    raise StartupError(f"cannot listen for metrics on {m.host}:{m.port}: {exc.strerror or exc}") from None
                self.metrics_address = self.metrics_server.sockets[0].getsockname()[:2]
        except StartupError:
            await self._close_everything()
            raise
        for host, port, lmtp in self.addresses:
            self.log.info("listening", host=host, port=port, protocol="lmtp" if lmtp else "smtp")
        if self.metrics_address:
            self.log.info("metrics_listening", host=self.metrics_address[0], port=self.metrics_address[1])
        self.log.info("ready", config=cfg.source, store=display_url(cfg.store.location))
        if before_ready is not None:
            before_ready()
        self.notifier.ready(f"accepting mail on {len(self.addresses)} listener(s)")
        interval = watchdog_interval(self.environ)
        if interval:
            self._spawn(self._watchdog(interval))
        self._spawn(self._health_tick())

    def _spawn(self, coro: Any) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _watchdog(self, interval: float) -> None:
        while True:
            # no ping when the writer is gone: systemd then restarts us, which is what we want
            if self.writer is not None and self.writer.alive:
                self.notifier.watchdog()
            await asyncio.sleep(interval)

    # -- the sink: one complete message -> committed -----------------------------------------
    async def deliver(self, d: Delivery) -> str:
        assert self.writer is not None and self._loop is not None
        started = time.perf_counter()
        # bounded, so a stuck disk gives the MTA a 451 rather than a hung session; if the commit
        # lands later anyway, the MTA's retry is a duplicate and stored once
        limit = max(30.0, 4 * self.config.store.busy_timeout_ms / 1000)
        try:
            stored: Stored = await asyncio.wait_for(self.writer.submit_async(d.raw, d.mail_from, d.rcpt_tos, d.source),
                                                  limit)
        except StoreError as exc:
            raise TemporaryFailure(str(exc)) from None
        except asyncio.TimeoutError:
            raise TemporaryFailure(f"store commit took longer than {limit:.0f}s") from None
        self._record(d, stored, (time.perf_counter() - started) * 1000)
        return stored.incoming.sha256[:16]

    def _rejected(self, cause: str) -> None:
        """Every refusal is counted; logged at most once per cause every 10 s (``held_back`` counts the rest)."""
        self.metrics.reject(cause)
        if cause != "store_unavailable":  # the writer logs those itself, as errors
            self._log_reject(cause)

    def _active_by_kind(self) -> dict[str, int]:
        if self._reader is None:
            self._reader = Store.open(self.config.store.location, self.config, readonly=True, wait_for_server=True)
        return self._reader.active_by_kind()

    def _record(self, d: Delivery, stored: Stored, ms: float) -> None:
        r, o = stored.incoming.result, stored.outcome
        outcome = "duplicate" if o.duplicate else ("parse_failed" if o.parse_failed else "stored")
        self.metrics.messages.labels(outcome=outcome).inc()
        for action in o.policy:
            self.metrics.policy_outcome(action)
        if not o.duplicate:
            for rr in r.recipients:
                self.metrics.events.labels(kind=str(rr.kind), reason=rr.reason).inc()
            self.metrics.untrusted.inc(o.untrusted)
            self.metrics.held.inc(o.held)
            for domain in o.tripped:
                self.metrics.breaker_trips.labels(domain=domain).inc()
                self.log.warning("breaker_tripped", domain=domain,
                                 action="new hard suppressions for this domain are held: bounced held list")
            if o.capped:
                self.metrics.source_cap_trips.inc()
                self.log.warning("source_cap_tripped", source=o.capped, cap=self.config.breaker.max_per_source,
                                 window_minutes=self.config.breaker.source_window_minutes,
                                 action="new hard suppressions from this host are held: bounced held list")
        self.log.info("message", sha256=stored.incoming.sha256, mail_from=d.mail_from, rcpt_tos=list(d.rcpt_tos),
                      peer=d.peer[0] if isinstance(d.peer, tuple) else str(d.peer), source=d.source, size=len(d.raw),
                      format=r.format, recipients=[rr.recipient for rr in r.recipients],
                      kinds=[str(rr.kind) for rr in r.recipients], reasons=[rr.reason for rr in r.recipients],
                      policy=list(o.policy), parse_error=r.error, duplicate=o.duplicate, events=o.events,
                      untrusted=o.untrusted, held=o.held, ms=round(ms, 2))

    def _on_writer_death(self, why: str) -> None:
        """From the writer thread as it ends unasked."""
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._writer_died, why)

    def _on_store_refused(self, why: str) -> None:
        """From the writer thread: the store connected late and refused us for good."""
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._store_refused, why)

    def _store_refused(self, why: str) -> None:
        if self._stop.is_set():
            return
        self.log.error("store_refused", error=why,
                       action=f"stopping with exit status {EXIT_CONFIG}, which the unit does not restart: "
                              "fix the database or the config, then start bounced again")
        self.exit_code = EXIT_CONFIG
        self._stop.set()

    def _writer_died(self, why: str) -> None:
        if self._stop.is_set():
            return
        self.log.error("writer_died", error=why, action="stopping; exit status 1 so the supervisor restarts bounced")
        self.exit_code = 1
        self._stop.set()

    async def health(self) -> str | None:
        """None when ingest works, else the problem (the verdict of /healthz)."""
        return (await self.health_report())[0]

    async def health_report(self) -> tuple[str | None, str]:
        """(problem or None, one line of detail) from the writer's recent state; no store access,
        and cached for ``health_cache`` seconds, so any probe rate costs ingest nothing."""
        now = time.monotonic()
        if self._health is None or now - self._health[0] >= self.health_cache:
            self._health = (now, *self._assess())
        return self._health[1], self._health[2]

    def _assess(self) -> tuple[str | None, str]:
        if self.writer is None:
            return "the store writer is not running", "writer: not started"
        status = self.writer.status()
        stall = self.config.store.busy_timeout_ms / 1000 + 10.0  # a lock wait fails by then
        return assess(status, stall), describe(status)

    async def _health_tick(self) -> None:
        """Every ``health_interval``: the writer checks, read-only, that the database file is
        still the one it has open and has every table; a change of verdict is logged once."""
        check: asyncio.Future | None = None
        while True:
            if self.writer is not None and self.writer.alive and (check is None or check.done()):
                check = asyncio.wrap_future(self.writer.check_health())
                await asyncio.wait({check}, timeout=self.health_interval)
            problem, _ = self._assess()
            if problem != self._unhealthy:
                if problem is not None:
                    self.log.error("store_unhealthy", cause=problem, action="/healthz answers 503")
                else:
                    self.log.warning("store_healthy", was=self._unhealthy)
                self._unhealthy = problem
            await asyncio.sleep(self.health_interval)

    # -- reload -------------------------------------------------------------------------------
    async def reload(self) -> bool:
        """Re-read the config; True when the new one is in effect. Never raises."""
        self.notifier.reloading()
        try:
            return await self._reload()
        except Exception as exc:  # noqa: BLE001 - a reload must never take the daemon down
            self.log.error("reload_failed", error=repr(exc), kept=self.config.source)
            return False
        finally:
            self.notifier.ready()

    async def _reload(self) -> bool:
        assert self.state is not None and self.writer is not None
        old = self.config
        try:
            new = config_mod.load(self.config_path, self.environ)
        except ConfigError as exc:
            self.log.error("reload_failed", error=str(exc), kept=old.source)
            return False
        try:
            tls = tls_context(new)
        except ValueError as exc:
            self.log.error("reload_failed", error=str(exc), kept=old.source)
            return False
        restart_needed = [k for k, a, b in (
            ("server.listeners", old.server.listeners, new.server.listeners),
            ("metrics", old.metrics, new.metrics),
            ("log", old.log, new.log),
            ("server.parse_workers", old.server.parse_workers, new.server.parse_workers),
            ("store.path", old.store.path, new.store.path),
            ("store.url", old.store.url, new.store.url),
        ) if a != b]
        if restart_needed:
            self.log.warning("reload_partial", needs_restart=restart_needed)
        # what only takes effect on restart stays as it is, so the running config tells the truth
        new = dataclasses.replace(
            new, metrics=old.metrics, log=old.log,
            server=dataclasses.replace(new.server, listeners=old.server.listeners, parse_workers=old.server.parse_workers),
            store=dataclasses.replace(new.store, path=old.store.path, url=old.store.url))
        if (new.policy, new.store, new.bounce, new.breaker) != (old.policy, old.store, old.bounce, old.breaker):
            try:
                await asyncio.wrap_future(self.writer.reconfigure(new, lambda: self.open_store(new)))
            except StoreError as exc:
                self.log.error("reload_failed", error=str(exc), kept=old.source)
                return False
        self.config = new
        self.state.update(new, tls)
        self.writer.batch_max, self.writer.batch_wait_ms = new.server.batch_max, new.server.batch_wait_ms
        changed = [f.name for f in dataclasses.fields(Config) if f.name != "source"
                   and getattr(old, f.name) != getattr(new, f.name)]
        self.log.info("reloaded", config=new.source, changed=changed)
        return True

    # -- shutdown -----------------------------------------------------------------------------
    def request_stop(self) -> None:
        """Ask the daemon to stop; safe from signal handlers and other threads."""
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)

    def request_reload(self) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(lambda: self._spawn(self.reload()))

    async def wait_stopped(self) -> None:
        await self._stop.wait()
        await self.stop()

    async def stop(self) -> None:
        self.notifier.stopping()
        self.log.info("stopping", in_flight=self.state.in_data if self.state else 0)
        for srv in self.listeners:
            srv.close()
        if self.state is not None:
            self.state.stopping = True
            grace = min(self.config.server.data_timeout, 30.0)
            deadline = time.monotonic() + grace
            while self.state.in_data and time.monotonic() < deadline:
                await asyncio.sleep(0.02)
            for conn in list(self.state.connections):
                conn.close_with(SHUTTING_DOWN.format(host=self.state.hostname))
        await self._close_everything()
        self.log.info("stopped")

    async def _close_everything(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        for srv in self.listeners:
            srv.close()
        if self.metrics_server is not None:
            self.metrics_server.close()
        if self._reader is not None:
            self._reader.close()
        if self.writer is not None:
            if not await asyncio.to_thread(self.writer.close, self.writer_close_timeout()):
                self.log.error("writer_stuck", action="exiting without waiting for the store; messages not "
                               "yet acknowledged were answered 451 or will be retried by the MTA")
                self.exit_code = self.exit_code or 1

    def writer_close_timeout(self) -> float:
        """How long a stop waits for the last commit: a busy store gets its busy timeout and some,
        within systemd's TimeoutStopSec (60 s) together with the 30 s grace for messages in DATA."""
        return min(25.0, self.config.store.busy_timeout_ms / 1000 + 5.0)


async def run(cfg: Config, config_path: str | None = None, *, log: Any = None, open_store: OpenStore = open_real_store,
              environ: Mapping[str, str] | None = None) -> int:
    """Run until SIGTERM/SIGINT; SIGHUP reloads. Raises StartupError when it cannot start."""
    daemon = Daemon(cfg, config_path=config_path, open_store=open_store, notifier=Notifier.from_env(environ),
                    log=log, environ=environ)
    loop = asyncio.get_running_loop()

    def handle_signals() -> None:
        loop.add_signal_handler(signal.SIGTERM, daemon.request_stop)
        loop.add_signal_handler(signal.SIGINT, daemon.request_stop)
        loop.add_signal_handler(signal.SIGHUP, daemon.request_reload)

    await daemon.start(before_ready=handle_signals)
    await daemon.wait_stopped()
    return daemon.exit_code
