"""The single writer: one thread owns the store and commits messages in small batches.

Why a thread: SQLite allows one writer at a time, and a commit (fsync) is the expensive part, so
every message that arrives while a commit runs rides on the next one (group commit). Each
submitted message gets a :class:`concurrent.futures.Future` that is resolved only after the
transaction holding it has committed, so the SMTP layer can answer 250 knowing the bytes are on
disk, or 451 when the store failed. Parsing (``bounced.ingest.prepare``) happens before the commit,
never on the event loop: in this thread, or with ``parse_workers`` in child processes
(:mod:`bounced.parseworker`) that a feeder thread hands each message to as it arrives, so parsing
uses another core and overlaps the commit of earlier messages.

A failed batch is retried one message at a time, so one message the store cannot take does not
hold back the others; store failures are logged once per interval, not once per message.

The thread must outlive its own bookkeeping: a submitter or a health probe that gave up cancels
its future, so a future may be cancelled or settled by the time the writer resolves it, and that
is normal, not a reason to die. Anything else that escapes a step is logged and costs that step
only. Should the thread end anyway without :meth:`Writer.close`, ``on_death`` is called so the
daemon exits non-zero and its supervisor restarts it, instead of answering 451 for ever.
"""
from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import hashlib
import queue
import threading
import time
import traceback
from collections.abc import Callable, Sequence
from concurrent.futures import Future, InvalidStateError
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Protocol, TypeVar

from bounced.ingest import Incoming, IngestOutcome, safe_prepare
from bounced.parse import ParseOptions
from bounced.parseworker import DEFAULT_BUDGET, ParsePool, Pending, unparsed
from bounced.store import PermanentStoreError, StoreError, StoreUnavailable


class StoreLike(Protocol):
    def ingest_many(self, items: Sequence[Incoming]) -> list[IngestOutcome]: ...
    def check_writable(self) -> None: ...
    def check_health(self) -> None: ...
    def close(self) -> None: ...
    def reconfigure(self, config: Any) -> None: ...
    # optional: def known_sha256s(self, shas: Sequence[str]) -> set[str]  (skips parsing resent mail)


@dataclass(frozen=True)
class WriterStatus:
    """What the writer did lately, read from memory (for /healthz: a probe must not write).
    Ages and durations in seconds; an error field of None means that step succeeded."""

    alive: bool
    queued: int  # messages and controls waiting for the writer thread
    busy_for: float | None  # the commit in progress has run this long; None when idle
    last_commit_age: float | None  # None: nothing committed yet
    last_commit_error: str | None
    last_check_age: float | None  # the health tick's read-only check
    last_check_error: str | None
    workers: str  # parse workers, in words


@dataclass(frozen=True)
class Stored:
    """What a submitter gets back once its message is committed."""

    incoming: Incoming
    outcome: IngestOutcome


@dataclass
class _Job:
    raw: bytes
    mail_from: str
    rcpt_tos: tuple[str, ...]
    received_at: datetime
    incoming: Incoming | None
    source: str | None = None  # the sending host's address, stored with the message
    future: Future = field(default_factory=Future)
    waiter: asyncio.Future | None = None  # submit_async: the event loop's side of ``future``


@dataclass
class _Control:
    """Work for the writer thread other than messages (health check, store reopen)."""

    action: Callable[[], Any]
    future: Future = field(default_factory=Future)


_T = TypeVar("_T")


@dataclass
class _Parsing:
    """A batch on its way to the store: parsed (``items``) or handed to the workers (``pending``)."""

    batch: list[_Job]
    items: list[Incoming] | None
    pending: Pending | None = None


_STOP = object()
_LONE_MAX = 64 * 1024  # a lone message up to this size is parsed in the feeder (~ms worst case)
_CLOSE = object()  # _next: commit the batch as it is


class FailureLog:
    """Log a recurring failure once per ``interval`` seconds with a count, and its recovery once."""

    def __init__(self, log: Any, interval: float = 60.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.log, self.interval, self.clock = log, interval, clock
        self.failing = False
        self.suppressed = 0
        self.last = 0.0

    def failure(self, cause: str, affected: int) -> None:
        now = self.clock()
        if not self.failing or now - self.last >= self.interval:
            self.log.error("store_unavailable", cause=cause, messages=affected + self.suppressed,
                           action="answering 451 4.3.0; the sending MTA will retry")
            self.failing, self.last, self.suppressed = True, now, 0
        else:
            self.suppressed += affected

    def success(self) -> None:
        if self.failing:
            self.log.warning("store_recovered", unlogged_failures=self.suppressed)
            self.failing, self.suppressed = False, 0


class Writer:
    """Owns the store in one thread; ``submit`` from any thread, get a Future of :class:`Stored`."""

    def __init__(self, open_store: Callable[[], StoreLike], *, batch_max: int = 64, batch_wait_ms: float = 2.0,
                 parse_options: Callable[[], ParseOptions] = ParseOptions, log: Any = None,
                 on_batch: Callable[[int, float, bool], None] | None = None,
                 failure_log_interval: float = 60.0, more_coming: Callable[[int], bool] | None = None,
                 parse_workers: int = 0, on_death: Callable[[str], None] | None = None,
                 parse_budget: float = DEFAULT_BUDGET, on_permanent: Callable[[str], None] | None = None) -> None:
        self._open_store = open_store
        self._on_death = on_death
        # a PermanentStoreError before the store was ever usable (one opened with wait_for_server
        # connects later): the daemon exits with EX_CONFIG, as it would have at start had the server
        # been up. Once usable, the same error is a store failure like any other: 451 and /healthz.
        self._on_permanent = on_permanent
        self._usable_once = False
        self._parse_workers = parse_workers
        self._parse_budget = parse_budget
        # the feeder's own connection, to look up sha256s before parsing (one store per thread)
        self._lookup: tuple[Callable[[], StoreLike], StoreLike | None] | None = None
        self._pool: ParsePool | None = None
        self.batch_max, self.batch_wait_ms = batch_max, batch_wait_ms
        self._parse_options = parse_options
        self._on_batch = on_batch
        # more_coming(n): are messages beyond the n in hand on their way? (None: assume so) Lets a
        # lone client skip the batch wait while busy periods still fill batches.
        self._more_coming = more_coming
        self._log = log if log is not None else _NullLog()
        self._failures = FailureLog(self._log, failure_log_interval)
        self._unavailable = False  # the last failed batch failed because the database was away
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        # with parse workers: batches handed to them, in order, from the feeder to the writer thread
        self._parsed: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._carry: _Parsing | None = None
        self._thread: threading.Thread | None = None
        self._store: StoreLike | None = None
        self._closed = False
        # for status(): set by the writer thread only, read from anywhere (each a single assignment)
        self._busy_since: float | None = None
        self._last_commit: tuple[float, str | None] | None = None
        self._last_check: tuple[float, str | None] | None = None

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> None:
        """Open the store in the writer thread; raise StoreError here if it cannot be opened. A
        store that opened but whose server cannot be reached (StoreUnavailable from the first
        check) is kept: messages are answered 451 until the store connects by itself."""
        opened: Future = Future()
        self._thread = threading.Thread(target=self._run, args=(opened,), name="bounced-writer", daemon=True)
        self._thread.start()
        opened.result()  # re-raises the StoreError from the thread

    def close(self, timeout: float | None = None) -> bool:
        """Commit everything already submitted, close the store, stop the thread. With ``timeout``
        the wait is bounded; a writer still busy then (a commit stuck on a lock) is left to die
        with the process, and its parse workers are killed here so nothing keeps the process
        alive. True when the thread has ended."""
        if self._thread is None:
            return True
        if not self._closed:
            self._closed = True
            self._queue.put(_STOP)
        self._thread.join(timeout)
        ended = not self._thread.is_alive()
        if not ended or self._pool is not None:
            pool = self._pool
            if pool is not None:
                _quiet(pool.kill)
        return ended

    @property
    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    # -- API -------------------------------------------------------------------------------
    def submit(self, raw: bytes, mail_from: str, rcpt_tos: Sequence[str], incoming: Incoming | None = None,
               received_at: datetime | None = None) -> Future:
        return self._submit(_Job(raw, mail_from, tuple(rcpt_tos), received_at or datetime.now(timezone.utc),
                                 incoming)).future

    def submit_async(self, raw: bytes, mail_from: str, rcpt_tos: Sequence[str],
                     source: str | None = None) -> asyncio.Future:
        """:meth:`submit` from a coroutine: an asyncio future of :class:`Stored`. The writer wakes
        all of a batch's waiters with one ``call_soon_threadsafe`` (one self-pipe write and loop
        wake-up per batch, where ``wrap_future`` costs one per message); cancelling the waiter
        cancels the submission if the writer has not picked it up yet."""
        loop = asyncio.get_running_loop()
        job = _Job(raw, mail_from, tuple(rcpt_tos), datetime.now(timezone.utc), None, source,
                   waiter=loop.create_future())
        job.waiter.add_done_callback(lambda w: job.future.cancel() if w.cancelled() else None)
        self._submit(job)
        if job.future.done():
            _copy_results([job])
        return job.waiter

    def _submit(self, job: _Job) -> _Job:
        if self._closed:
            job.future.set_exception(StoreError("the writer is shutting down"))
        else:
            self._queue.put(job)
        return job

    def check_writable(self) -> Future:
        """Future resolving to None when the store can be written, else to the StoreError text."""

        def check() -> str | None:
            try:
                assert self._store is not None
                self._store.check_writable()
            except StoreError as exc:
                return str(exc)
            except Exception as exc:  # noqa: BLE001
                return f"store check failed: {exc!r}"
            return None

        return self._control(check)

    def reconfigure(self, config: Any, open_store: Callable[[], StoreLike]) -> Future:
        """Reloaded settings for the open store, which keeps its connection (``Store.reconfigure``);
        ``open_store`` is what a later reopen after a failure uses."""
        store = self._store

        def apply() -> None:
            store.reconfigure(config)
            self._open_store = open_store

        return self._control(apply)

    def check_health(self) -> Future:
        """Future of None, after the store's read-only health check (file still ours, every table
        there) has run in the writer thread and been recorded for :meth:`status`. Only while the
        last commit failed does it also try a write, to notice the store taking writes again."""

        def check() -> None:
            assert self._store is not None
            try:
                self._store.check_health()
                if self._failures.failing or (self._last_commit is not None and self._last_commit[1] is not None):
                    self._store.check_writable()
                    self._last_commit = (time.monotonic(), None)
                    self._failures.success()
            except StoreError as exc:
                self._last_check = (time.monotonic(), str(exc))
                if isinstance(exc, StoreUnavailable):  # no mail needed to log the cause once per interval
                    self._failures.failure(str(exc), 0)
                self._permanent(exc)
            except Exception as exc:  # noqa: BLE001 - a health check reports, it does not raise
                self._last_check = (time.monotonic(), f"store check failed: {exc!r}")
            else:
                self._last_check = (time.monotonic(), None)
                self._usable_once = True

        return self._control(check)

    def status(self, now: float | None = None) -> WriterStatus:
        """The writer's recent state, without touching the store."""
        now = time.monotonic() if now is None else now
        busy, commit, check = self._busy_since, self._last_commit, self._last_check
        pool = self._pool
        if self._parse_workers <= 0:
            workers = "none configured (parsing in the writer thread)"
        elif pool is None:
            workers = "not started"
        else:
            workers = f"{pool.running()} of {self._parse_workers} running"
        return WriterStatus(
            alive=self.alive, queued=self._queue.qsize() + self._parsed.qsize(),
            busy_for=None if busy is None else now - busy,
            last_commit_age=None if commit is None else now - commit[0],
            last_commit_error=None if commit is None else commit[1],
            last_check_age=None if check is None else now - check[0],
            last_check_error=None if check is None else check[1], workers=workers)

    def _control(self, action: Callable[[], Any]) -> Future:
        c = _Control(action)
        if self._closed:
            c.future.set_exception(StoreError("the writer is shutting down"))
        else:
            self._queue.put(c)
        return c.future

    # -- the thread ------------------------------------------------------------------------
    def _run(self, opened: Future) -> None:
        """The thread: :meth:`_serve`, and a report to ``on_death`` if it ends unasked."""
        try:
            self._serve(opened)
        except BaseException as exc:  # noqa: BLE001 - reported below; the thread ends either way
            self._log.error("writer_died", error=repr(exc), traceback=traceback.format_exc())
        finally:
            if opened.done() and opened.exception() is None and not self._closed:
                self._fail_queued("the store writer stopped")
                if self._on_death is not None:
                    _quiet(self._on_death, "the store writer stopped unexpectedly")

    def _fail_queued(self, why: str) -> None:
        """Settle what is still queued, so no submitter waits for a writer that is gone."""
        self._closed = True
        for q in (self._queue, self._parsed):
            while True:
                try:
                    item = q.get_nowait()
                except queue.Empty:
                    break
                jobs = item.batch if isinstance(item, _Parsing) else [item]
                for job in jobs:
                    if isinstance(job, (_Job, _Control)):
                        _settle(job.future, error=StoreError(why))
                self._wake([j for j in jobs if isinstance(j, _Job)])

    def _serve(self, opened: Future) -> None:
        try:
            self._store = self._open_store()
            try:
                self._store.check_writable()
                self._usable_once = True
            except StoreUnavailable as exc:  # the server is away: 451 until the store reconnects
                self._failures.failure(str(exc), 0)
                self._last_check = (time.monotonic(), str(exc))
        except BaseException as exc:  # noqa: BLE001 - reported to start()
            if self._store is not None:
                _quiet(self._store.close)
            opened.set_exception(exc if isinstance(exc, StoreError) else StoreError(f"cannot open store: {exc!r}"))
            return
        feeder: threading.Thread | None = None
        if self._parse_workers > 0:
            self._pool = ParsePool(self._parse_workers, log=self._log, budget=self._parse_budget)
            self._pool.start()
            feeder = threading.Thread(target=self._feed, name="bounced-parse-feeder", daemon=True)
            feeder.start()
        opened.set_result(None)
        stopping = False
        while not stopping:
            batch: list[_Job] = []
            try:
                if self._pool is None:
                    jobs, controls, stopping = self._collect(linger=True)
                    batch, items = self._parse_here(jobs)
                else:
                    batch, items, controls, stopping = self._collect_parsed()
                if batch:
                    self._guarded(self._commit, batch, items)
                    self._wake(batch)
                for c in controls:
                    _run_control(c)
            except BaseException as exc:  # noqa: BLE001 - a bug in the bookkeeping costs one round, not the writer
                for job in batch:
                    _settle(job.future, error=StoreError(f"internal writer error: {exc!r}"))
                self._wake(batch)
                if not isinstance(exc, Exception):
                    raise  # not a bug but the end (SystemExit and the like): _run reports it
                self._log.error("writer_bug", error=repr(exc), traceback=traceback.format_exc())
        _quiet(self._store.close)
        if feeder is not None:
            feeder.join()
        if self._pool is not None:
            _quiet(self._pool.close)

    def _parse_here(self, jobs: list[_Job]) -> tuple[list[_Job], list[Incoming]]:
        p = self._guarded(self._start_parse, jobs, False) if jobs else None
        return (p.batch, p.items or []) if p is not None else ([], [])

    def _parsed_already(self, p: _Parsing) -> bool:
        return p.pending is None or self._pool is None or self._pool.answered(p.pending)

    def _feed(self) -> None:
        """With parse workers: hand messages to them as soon as they arrive, so parsing overlaps
        the commit of earlier ones; the writer thread takes them from ``_parsed`` in order."""
        stopping = False
        try:
            while not stopping:
                jobs, controls, stopping = self._collect(linger=False)
                if jobs:
                    self._parsed.put(self._guarded(self._start_parse, jobs, True))
                for c in controls:
                    self._parsed.put(c)
        except Exception as exc:  # noqa: BLE001 - then the writer stops too: not alive, so unhealthy
            self._log.error("writer_bug", error=repr(exc), traceback=traceback.format_exc())
        finally:
            if self._lookup is not None and self._lookup[1] is not None:
                _quiet(self._lookup[1].close)
            self._parsed.put(_STOP)

    def _collect_parsed(self) -> tuple[list[_Job], list[Incoming], list[_Control], bool]:
        """What the feeder handed over, up to batch_max, lingering like :meth:`_collect`. Only the
        first batch is waited for while the workers parse it; later ones join only when already
        parsed, so the messages that are ready commit (and get their 250) while the rest parse."""
        batch: list[_Job] = []
        items: list[Incoming] = []
        deadline: float | None = None
        item = self._carry or self._parsed.get()
        self._carry = None
        while True:
            if item is _STOP:
                return batch, items, [], True
            if isinstance(item, _Control):
                return batch, items, [item], False
            if item is not None:  # None: the feeder failed that batch already
                if batch and (len(batch) + len(item.batch) > self.batch_max or not self._parsed_already(item)):
                    self._carry = item
                    return batch, items, [], False
                parsed = self._guarded(self._finish_parse, item.batch, item)
                if parsed is not None:
                    batch += item.batch
                    items += parsed
            item, deadline = self._next(self._parsed, len(batch), deadline, linger=True)
            if item is _CLOSE:
                return batch, items, [], False

    def _guarded(self, step: Callable[..., _T], batch: list[_Job], *args: Any) -> _T | None:
        """``step(batch, *args)``; a bug in it costs that batch a 451 (None), not the writer."""
        try:
            return step(batch, *args)
        except Exception as exc:  # noqa: BLE001
            self._log.error("writer_bug", error=repr(exc), traceback=traceback.format_exc())
            for job in batch:
                _settle(job.future, error=StoreError(f"internal writer error: {exc!r}"))
            self._wake(batch)
            return None

    @staticmethod
    def _wake(jobs: list[_Job]) -> None:
        """Hand the results of ``jobs`` to their event loops, one call per loop."""
        by_loop: dict[asyncio.AbstractEventLoop, list[_Job]] = {}
        for job in jobs:
            if job.waiter is not None and job.future.done():
                by_loop.setdefault(job.waiter.get_loop(), []).append(job)
        for loop, woken in by_loop.items():
            _quiet(loop.call_soon_threadsafe, _copy_results, woken)  # a closed loop has nobody waiting

    def _collect(self, linger: bool) -> tuple[list[_Job], list[_Control], bool]:
        """Block for the first message, then take what else is queued, and with ``linger`` what
        arrives within batch_wait_ms."""
        batch: list[_Job] = []
        controls: list[_Control] = []
        deadline: float | None = None
        item = self._queue.get()
        while True:
            if item is _STOP:
                return batch, controls, True
            if isinstance(item, _Control):
                controls.append(item)
                return batch, controls, False  # run controls between batches, promptly
            if item.future.set_running_or_notify_cancel():  # False: the client went away first
                batch.append(item)
            if len(batch) >= self.batch_max:
                return batch, controls, False
            item, deadline = self._next(self._queue, len(batch), deadline, linger)
            if item is _CLOSE:
                return batch, controls, False

    def _next(self, q: queue.SimpleQueue[Any], have: int, deadline: float | None,
              linger: bool) -> tuple[Any, float | None]:
        """The next item for a batch of ``have`` messages: one already queued at once; with an empty
        batch, blocking for it; otherwise, with ``linger`` and more on its way, what arrives before
        the batch's deadline (set batch_wait_ms after the first wait). :data:`_CLOSE` when the
        batch should be committed as it is. Returns the deadline to pass back in."""
        try:
            return q.get_nowait(), deadline
        except queue.Empty:
            pass
        if not have:
            return q.get(), deadline
        if not linger or (self._more_coming is not None and not self._more_coming(have)):
            return _CLOSE, deadline
        if deadline is None:
            deadline = time.monotonic() + self.batch_wait_ms / 1000
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return _CLOSE, deadline
        try:
            return q.get(timeout=remaining), deadline
        except queue.Empty:
            return _CLOSE, deadline

    def _start_parse(self, batch: list[_Job], use_pool: bool) -> "_Parsing":
        """Parse what the submitters did not and the store does not hold already: in the workers
        when there are some, except a lone small message with nothing else on its way (the event
        loop is idle then, and a round trip to a worker would only add latency; a large one goes to
        the workers, whose time budget bounds what a hostile message can cost)."""
        options = self._parse_options()
        self._skip_stored([j for j in batch if j.incoming is None], in_writer=not use_pool)
        todo = [j for j in batch if j.incoming is None]
        lone = (len(todo) == 1 and len(todo[0].raw) <= _LONE_MAX and self._more_coming is not None
                and not self._more_coming(len(batch)))
        if self._pool is None or not use_pool or not todo or lone:
            return _Parsing(batch, [j.incoming or safe_prepare(j.raw, j.mail_from, j.rcpt_tos, options, j.received_at)
                                    for j in batch])
        return _Parsing(batch, None, self._pool.send([(j.raw, j.mail_from, j.rcpt_tos, j.received_at) for j in todo],
                                                     options))

    def _skip_stored(self, jobs: list[_Job], in_writer: bool) -> None:
        """Give the messages the store already holds a placeholder instead of a parse: the commit
        finds them duplicates and answers 250, so a client resending a message that is slow to
        parse costs a sha256 and a lookup, not the parse again. A failed lookup only costs the parse."""
        if not jobs:
            return
        try:
            store = self._store if in_writer else self._lookup_store()
            known_sha256s = getattr(store, "known_sha256s", None)
            if known_sha256s is None:
                return
            shas = [hashlib.sha256(j.raw).hexdigest() for j in jobs]
            known = known_sha256s(shas)
        except Exception:  # noqa: BLE001 - StoreError, a lock: parse as if new
            return
        for job, sha in zip(jobs, shas, strict=True):
            if sha in known:
                job.incoming = Incoming(raw=job.raw, sha256=sha, mail_from=job.mail_from, rcpt_tos=job.rcpt_tos,
                                        received_at=job.received_at, result=unparsed("already stored (same sha256)"))

    def _lookup_store(self) -> StoreLike | None:
        """The feeder thread's own store, reopened when the writer's was (config reload); None
        when it cannot be opened (tried again only after a reopen: the lookup is an optimisation)."""
        opener = self._open_store
        if self._lookup is None or self._lookup[0] is not opener:
            if self._lookup is not None and self._lookup[1] is not None:
                _quiet(self._lookup[1].close)
            self._lookup = (opener, None)
            self._lookup = (opener, opener())
        return self._lookup[1]

    def _finish_parse(self, batch: list[_Job], p: "_Parsing") -> list[Incoming]:
        if p.items is not None:
            return p.items
        assert self._pool is not None and p.pending is not None
        parsed = iter(self._pool.receive(p.pending))
        return [j.incoming or next(parsed) for j in p.batch]

    def _commit(self, batch: list[_Job], items: list[Incoming]) -> None:
        # the source travels beside the parse (workers never see it) and joins the record here
        items = [dataclasses.replace(item, source=job.source) if job.source and item.source is None else item
                 for job, item in zip(batch, items, strict=True)]
        outcomes, error = self._ingest(items)
        if error is None:
            return self._settle(batch, items, outcomes)
        if len(batch) == 1 or self._unavailable:  # the database is away: one message alone would fail too
            self._failures.failure(error, len(batch))
            for job in batch:
                _settle(job.future, error=StoreError(error))
            return
        for job, item in zip(batch, items, strict=True):  # isolate: one bad message must not block the rest
            single, single_error = self._ingest([item])
            if single_error is None:
                self._settle([job], [item], single)
            else:
                self._failures.failure(single_error, 1)
                _settle(job.future, error=StoreError(single_error))

    def _ingest(self, items: list[Incoming]) -> tuple[list[IngestOutcome], str | None]:
        assert self._store is not None
        started = time.perf_counter()
        self._busy_since = time.monotonic()
        outcomes: list[IngestOutcome] = []
        error: str | None = None
        self._unavailable = False
        try:
            outcomes = list(self._store.ingest_many(items))
            if len(outcomes) != len(items):
                error = f"store returned {len(outcomes)} outcomes for {len(items)} messages"
        except StoreError as exc:
            error = str(exc) or type(exc).__name__
            self._unavailable = isinstance(exc, StoreUnavailable)
            self._permanent(exc)
        except Exception as exc:  # noqa: BLE001 - a store bug must become a 451, not a dead writer
            error = f"unexpected store error: {exc!r}"
            self._log.error("store_bug", error=repr(exc), traceback=traceback.format_exc())
        self._last_commit, self._busy_since = (time.monotonic(), error), None
        self._usable_once = self._usable_once or error is None
        if self._on_batch is not None:
            _quiet(self._on_batch, len(items), time.perf_counter() - started, error is None)
        return outcomes, error

    def _permanent(self, exc: StoreError) -> None:
        if isinstance(exc, PermanentStoreError) and not self._usable_once and self._on_permanent is not None:
            _quiet(self._on_permanent, str(exc))

    def _settle(self, batch: list[_Job], items: list[Incoming], outcomes: list[IngestOutcome]) -> None:
        self._failures.success()
        for job, item, outcome in zip(batch, items, outcomes, strict=True):
            _settle(job.future, Stored(item, outcome))
            if item.result.recipients_cut and not outcome.duplicate:
                self._log.warning("recipients_cut", sha256=item.sha256, kept=len(item.result.recipients),
                                  cut=item.result.recipients_cut,
                                  action="stored whole; the recipients beyond the parse limit have no event")


def _settle(future: Future, result: Any = None, *, error: BaseException | None = None) -> None:
    """Resolve ``future`` unless its owner gave up on it (cancelled) or it is settled already:
    both are normal (a probe timed out, a batch failed twice), and neither may kill the writer."""
    with contextlib.suppress(InvalidStateError):
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)


def _run_control(c: _Control) -> None:
    """Run a control unless whoever asked has already given up (a health probe that timed out)."""
    if not c.future.set_running_or_notify_cancel():
        return
    try:
        result = c.action()
    except BaseException as exc:  # noqa: BLE001 - handed to whoever asked
        _settle(c.future, error=exc)
    else:
        _settle(c.future, result)


def _copy_results(jobs: list[_Job]) -> None:
    """On the event loop: each job's settled Future into its waiter."""
    for job in jobs:
        w = job.waiter
        if w is None or w.done():
            continue
        if job.future.cancelled():
            w.cancel()
        elif (exc := job.future.exception()) is not None:
            w.set_exception(exc)
        else:
            w.set_result(job.future.result())


def _quiet(fn: Callable[..., Any], *args: Any) -> None:
    try:
        fn(*args)
    except Exception:  # noqa: BLE001 - cleanup and callbacks must not kill the writer
        pass


class _NullLog:
    def __getattr__(self, name: str) -> Callable[..., None]:
        return lambda *a, **k: None
