"""Parsing in child processes, one batch per round trip, so the parser's CPU runs beside the event
loop instead of taking turns with it under one GIL.

Why not a ``ProcessPoolExecutor`` task per message (what ``parse_workers`` used to be): measured
in ``bounced serve``, its per-task futures, feeder and manager threads and wake-ups cost the
daemon's own process about as much CPU as the parse they moved away. One pipe write per batch
and one small read per message cost the parent tens of microseconds a message, against about
280 us of parsing.

The child returns only what it computed (sha256 and the parse result), not the raw bytes, one
answer per message, so the parent knows which message a silent worker is stuck on.

A message gets a time budget (``budget`` CPU seconds): the child's interval timer interrupts a parse
that runs over and answers "stored unparsed" for it, so one hostile message costs at most that
much and is still stored (the SMTP client gets its 250; ``bounced reprocess`` can try again).
That worker then answers what it already holds and exits, and a fresh one takes the next batch
(nothing of an interrupted parse survives). A worker that does not answer within four times the
budget plus 2 s (a parser stuck where the timer cannot reach it) is killed and replaced, and that
message is stored unparsed too, as is one a worker dies on (it may be what killed it). What a
dead worker still held is parsed in the calling thread, with the same code, so the stored result
does not depend on where it was parsed.

A worker that cannot start (dies or stays silent before it is ready) is retried with exponential
back-off, not once per batch, and logged once per interval with a count; meanwhile the calling
thread parses.
"""
from __future__ import annotations

import hashlib
import multiprocessing
import signal
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any

from bounced.ingest import Incoming, prepare, safe_prepare
from bounced.model import ParseResult
from bounced.parse import ParseOptions

Job = tuple[bytes, str, tuple[str, ...], datetime]  # raw, mail_from, rcpt_tos, received_at
Answer = tuple[str, ParseResult]  # sha256, result

_READY = "ready"
_WARM_UP = (b"From: MAILER-DAEMON@mx.example\nSubject: Undelivered Mail Returned to Sender\nMIME-Version: 1.0\n"
            b"Content-Type: multipart/report; report-type=delivery-status; boundary=b\n\n--b\n\nNot delivered.\n"
            b"--b\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example\n\n"
            b"Final-Recipient: rfc822; a@b.example\nAction: failed\nStatus: 5.1.1\n"
            b"Diagnostic-Code: smtp; 550 5.1.1 user unknown\n\n--b\nContent-Type: message/rfc822\n\n"
            b"From: c@d.example\nTo: a@b.example\nMessage-ID: <w@d.example>\nSubject: hi\n\nhi\n--b--\n")
_OVER_BUDGET = "not parsed: parsing took longer than "  # how unparsed() words a message over budget
DEFAULT_BUDGET = 2.0  # CPU seconds per message; the worst hostile input takes ~0.1 s (bench/hostile.py)


class ParseTimeout(BaseException):
    """Raised in the child by its CPU-time interval timer (ITIMER_PROF: time the child spends
    waiting for a busy machine's cores does not count against a message). A BaseException, so that
    the parser's own ``except Exception`` (which turns any bug into an error result) does not
    swallow it."""


def _on_alarm(_signum: int, _frame: Any) -> None:
    raise ParseTimeout


def unparsed(why: str) -> ParseResult:
    """The result stored for a message that was not parsed (it is kept raw, for reprocess)."""
    return ParseResult(format="unknown", error=f"not parsed: {why}")


def over_budget(result: ParseResult) -> bool:
    return (result.error or "").startswith(_OVER_BUDGET)


def _parse_within(job: Job, options: ParseOptions, budget: float) -> Answer:
    raw, mail_from, rcpt_tos, received_at = job
    try:
        signal.setitimer(signal.ITIMER_PROF, budget)
        try:
            inc = prepare(raw, mail_from, rcpt_tos, options, received_at)
        finally:
            signal.setitimer(signal.ITIMER_PROF, 0)
        return inc.sha256, inc.result
    except ParseTimeout:
        return hashlib.sha256(raw).hexdigest(), unparsed(f"parsing took longer than {budget:g}s")
    except Exception:  # noqa: BLE001 - prepare's own failure: the same answer as in the parent
        inc = safe_prepare(raw, mail_from, rcpt_tos, options, received_at)
        return inc.sha256, inc.result


def _serve(conn: Connection, budget: float = DEFAULT_BUDGET) -> None:
    """The child: parse batches until the parent closes the pipe (or dies, which closes it too)."""
    # the parent decides when to stop on Ctrl-C (which reaches the whole foreground group). SIGTERM
    # keeps its default: multiprocessing's exit handler terminates daemonic children with it and
    # then waits, so a child ignoring it would hold the process open for ever; the unit's
    # KillMode=mixed sends systemd's SIGTERM to the parent only, and a worker gone early costs
    # nothing (the parent parses what it held)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGPROF, _on_alarm)
    # import and build the parser's tables before saying ready, so the first message's budget
    # is spent on that message
    safe_prepare(_WARM_UP, "", (), ParseOptions(), datetime.now())
    retiring = False  # after a message over budget: finish what is queued, then exit to be replaced
    try:
        conn.send(_READY)
        while not (retiring and not conn.poll(0)):
            try:
                options, jobs = conn.recv()
            except (EOFError, OSError):
                return
            for job in jobs:
                answer = _parse_within(job, options, budget)
                retiring = retiring or over_budget(answer[1])
                conn.send(answer)
    except OSError:  # the parent is gone
        return


class _RateLog:
    """One log line per event per ``interval`` seconds, with how many were not logged."""

    def __init__(self, log: Any, interval: float, clock: Callable[[], float]) -> None:
        self.log, self.interval, self.clock = log, interval, clock
        self._last: dict[str, float] = {}
        self._unlogged: dict[str, int] = {}

    def error(self, event: str, **fields: Any) -> None:
        if self.log is None:
            return
        now = self.clock()
        last = self._last.get(event)
        if last is not None and now - last < self.interval:
            self._unlogged[event] = self._unlogged.get(event, 0) + 1
            return
        self._last[event] = now
        self.log.error(event, **fields, unlogged_since_last=self._unlogged.pop(event, 0))


class _Worker:
    """One child process and the parent's end of its pipe."""

    def __init__(self, ctx: Any, budget: float) -> None:
        self.conn, child = ctx.Pipe()
        self.proc: BaseProcess = ctx.Process(target=_serve, args=(child, budget), name="bounced-parse", daemon=True)
        self.proc.start()
        child.close()  # only the child holds it now: its exit shows up here as EOF
        self.ready = False
        self.retiring = False  # it answered a message over budget: it exits once its queue is empty

    def stop(self, timeout: float = 5.0) -> None:
        try:
            self.conn.close()
        except OSError:
            pass
        self.proc.join(timeout)
        if self.proc.is_alive():
            self.proc.kill()
            self.proc.join(timeout)


@dataclass(frozen=True)
class Pending:
    """A batch handed to the workers: chunk ``i`` went to ``workers[i]`` (None: parse it here)."""

    options: ParseOptions
    chunks: list[list[Job]]
    workers: list["_Worker | None"]


class ParsePool:
    """``workers`` child processes; :meth:`prepare_many` splits a batch between them.

    ``budget`` is the time one message may take (see the module docstring); ``timeout`` bounds
    the wait for a new worker to be ready. A slot whose worker cannot start is retried after
    ``backoff`` seconds, doubling up to ``max_backoff``. ``log`` hears about workers that fail or
    cannot start and about messages over budget, at most once per ``log_interval`` seconds each.
    """

    def __init__(self, workers: int, *, timeout: float = 20.0, log: Any = None,
                 context: Callable[[], Any] = lambda: multiprocessing.get_context("spawn"),
                 budget: float = DEFAULT_BUDGET, backoff: float = 1.0, max_backoff: float = 60.0,
                 log_interval: float = 60.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.size, self.timeout, self.budget = workers, timeout, budget
        self.backoff, self.max_backoff, self._clock = backoff, max_backoff, clock
        self._log = _RateLog(log, log_interval, clock)
        self._ctx = context()
        self._workers: list[_Worker | None] = [None] * workers
        self._retired: list[_Worker] = []  # replaced while still answering what they held
        self._start_failures = [0] * workers  # consecutive, per slot
        self._retry_at = [0.0] * workers

    def start(self) -> None:
        for i in range(self.size):
            self._ensure(i)

    def running(self) -> int:
        """Workers alive now (for /healthz)."""
        return sum(1 for w in list(self._workers) if w is not None and w.proc.is_alive())

    @property
    def hard_limit(self) -> float:
        """How long the parent waits (wall clock) for one answer before it kills the worker: the
        child's own CPU-time timer should have answered well before, even on a busy machine."""
        return 4 * self.budget + 2

    def _ensure(self, i: int) -> _Worker | None:
        w = self._workers[i]
        if w is not None and w.proc.is_alive() and not w.retiring:
            return w
        self._retired = [r for r in self._retired if r.proc.is_alive()]
        if w is not None and (w.retiring or w.proc.exitcode == 0):
            # it retired after a message over budget (exit 0 before the receiver heard of it):
            # replaced now, and left to answer its queue (its answers stay readable until then)
            self._workers[i] = None
            self._retired.append(w)
        elif w is not None:
            self._fail(i, w, f"exited (exit code {w.proc.exitcode})")
        if self._clock() < self._retry_at[i]:
            return None  # backing off: the calling thread parses meanwhile
        try:
            self._workers[i] = _Worker(self._ctx, self.budget)
        except Exception as exc:  # noqa: BLE001 - parsing still works in the calling thread
            self._workers[i] = None
            self._start_failed(i, f"cannot start: {exc!r}")
        return self._workers[i]

    def _start_failed(self, i: int, error: str) -> None:
        self._start_failures[i] += 1
        delay = min(self.max_backoff, self.backoff * 2 ** (self._start_failures[i] - 1))
        self._retry_at[i] = self._clock() + delay
        self._log.error("parse_worker_failed", error=error, retry_in=round(delay, 1),
                        action="parsing in the writer thread meanwhile")

    def prepare_many(self, jobs: Sequence[Job], options: ParseOptions) -> list[Incoming]:
        """Incoming records for ``jobs``, in order; never raises for a worker's trouble."""
        return self.receive(self.send(jobs, options))

    def send(self, jobs: Sequence[Job], options: ParseOptions) -> "Pending":
        """Hand ``jobs`` to the workers and return at once; :meth:`receive` gets the results.
        One thread sends and one receives, in the same order (each worker answers in turn)."""
        n = max(1, min(self.size, len(jobs)))
        step = -(-len(jobs) // n)
        chunks = [list(jobs[k:k + step]) for k in range(0, len(jobs), step)]
        sent: list[_Worker | None] = []
        for i, chunk in enumerate(chunks):
            w = self._ensure(i)
            if w is not None:
                try:
                    w.conn.send((options, chunk))
                except Exception as exc:  # noqa: BLE001 - a broken pipe or an unpicklable job
                    self._fail(i, w, f"send: {exc!r}")
                    w = None
            sent.append(w)
        return Pending(options, chunks, sent)

    def receive(self, pending: "Pending") -> list[Incoming]:
        """The Incoming records of a :meth:`send`, in order; what a worker failed to answer is
        parsed here."""
        out: list[Incoming] = []
        for i, (w, chunk) in enumerate(zip(pending.workers, pending.chunks, strict=True)):
            answers = self._receive(i, w, chunk) if w is not None else []
            for (raw, mf, rc, at), answer in zip(chunk, answers + [None] * (len(chunk) - len(answers)), strict=True):
                if answer is None:
                    out.append(safe_prepare(raw, mf, rc, pending.options, at))
                else:
                    out.append(Incoming(raw=raw, sha256=answer[0], mail_from=mf, rcpt_tos=rc, received_at=at,
                                        result=answer[1]))
        return out

    def answered(self, pending: Pending) -> bool:
        """Would :meth:`receive` start without waiting for a worker? (It must be the oldest
        batch not yet received.) A broken pipe counts as an answer: receive handles it."""
        for w in pending.workers:
            try:
                if w is not None and not w.conn.poll(0):
                    return False
            except (OSError, ValueError):
                pass
        return True

    def _ready(self, i: int, w: _Worker) -> bool:
        """Wait for a new worker's "ready"; a worker that dies or stays silent first could not start."""
        if w.ready:
            return True
        try:
            if w.conn.poll(self.timeout) and w.conn.recv() == _READY:
                w.ready = True
                self._start_failures[i] = 0
                return True
            why = f"not ready within {self.timeout:.0f}s"
        except (EOFError, OSError) as exc:
            why = f"exited before it was ready ({exc!r}, exit code {w.proc.exitcode})"
        self._fail(i, w, why)
        return False

    def _receive(self, i: int, w: _Worker, chunk: list[Job]) -> list[Answer | None]:
        """The answers to ``chunk``, one per message while the worker gives them; a message it is
        stuck on (or died on) is answered "unparsed" here; the rest are left to the caller (None)."""
        if not self._ready(i, w):
            return []
        out: list[Answer | None] = []
        for raw, *_ in chunk:
            try:
                if not w.conn.poll(self.hard_limit):
                    self._fail(i, w, f"no answer within {self.hard_limit:g}s")
                    out.append((hashlib.sha256(raw).hexdigest(), unparsed("the parse worker was stuck on it")))
                    return out
                answer = w.conn.recv()
            except (EOFError, OSError) as exc:
                w.proc.join(1)
                if w.retiring or w.proc.exitcode == 0:  # it retired before this batch reached it: parse it here
                    return out
                self._fail(i, w, f"exited ({exc!r}, exit code {w.proc.exitcode})")
                out.append((hashlib.sha256(raw).hexdigest(), unparsed("the parse worker died while parsing it")))
                return out
            if not (isinstance(answer, tuple) and len(answer) == 2 and isinstance(answer[1], ParseResult)):
                self._fail(i, w, "answered out of step")
                return out
            if over_budget(answer[1]):
                w.retiring = True  # its parser was interrupted mid-way: a fresh process for what follows
                self._log.error("parse_over_budget", sha256=answer[0], budget=self.budget,
                                action="stored unparsed, the worker replaced; bounced reprocess can retry it")
            out.append(answer)
        return out

    def _fail(self, i: int, w: _Worker, error: str) -> None:
        """Stop worker ``w`` (slot ``i``); the next send starts a new one. The sender and the
        receiver may both notice the same failure: only the first clears the slot."""
        if self._workers[i] is w:
            self._workers[i] = None
            if w.ready:
                self._log.error("parse_worker_failed", error=error, action="replacing it")
            else:  # it never got going: a start failure, retried with back-off
                self._start_failed(i, error)
        w.stop(0)

    def close(self) -> None:
        for w in self._retired:
            w.stop()
        self._retired = []
        for i, w in enumerate(self._workers):
            if w is not None:
                w.stop()
            self._workers[i] = None

    def kill(self) -> None:
        """Kill every worker now, from any thread: for a shutdown that cannot wait for the writer."""
        for w in [*self._workers, *self._retired]:
            if w is not None and w.proc.is_alive():
                w.proc.kill()
                w.proc.join(5)
