"""Parsing in child processes, one batch per round trip, so the parser's CPU runs beside the event
loop instead of taking turns with it under one GIL.

Why not a ``ProcessPoolExecutor`` task per message (what ``parse_workers`` used to be): measured
in ``bounced serve``, its per-task futures, feeder and manager threads and wake-ups cost the
daemon's own process about as much CPU as the parse they moved away. One pipe write and one
read per batch cost the parent about 15 us a message, against about 280 us of parsing.

The child returns only what it computed (sha256 and the parse result), not the raw bytes. A
worker that dies, hangs or breaks its pipe is stopped and replaced on a later batch; the messages
it held are parsed in the calling thread instead, with the same code, so a crashing parser never
costs a message and the stored result does not depend on where it was parsed.
"""
from __future__ import annotations

import multiprocessing
import signal
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any

from bounced.ingest import Incoming, safe_prepare
from bounced.model import ParseResult
from bounced.parse import ParseOptions

Job = tuple[bytes, str, tuple[str, ...], datetime]  # raw, mail_from, rcpt_tos, received_at


def _serve(conn: Connection) -> None:
    """The child: parse batches until the parent closes the pipe (or dies, which closes it too)."""
    # the parent decides when to stop on Ctrl-C (which reaches the whole foreground group). SIGTERM
    # keeps its default: multiprocessing's exit handler terminates daemonic children with it and
    # then waits, so a child ignoring it would hold the process open for ever; the unit's
    # KillMode=mixed sends systemd's SIGTERM to the parent only, and a worker gone early costs
    # nothing (the parent parses what it held)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    while True:
        try:
            options, jobs = conn.recv()
        except (EOFError, OSError):
            return
        out: list[tuple[str, ParseResult]] = []
        for raw, mail_from, rcpt_tos, received_at in jobs:
            inc = safe_prepare(raw, mail_from, rcpt_tos, options, received_at)
            out.append((inc.sha256, inc.result))
        try:
            conn.send(out)
        except OSError:  # the parent is gone
            return


class _Worker:
    """One child process and the parent's end of its pipe."""

    def __init__(self, ctx: Any) -> None:
        self.conn, child = ctx.Pipe()
        self.proc: BaseProcess = ctx.Process(target=_serve, args=(child,), name="bounced-parse", daemon=True)
        self.proc.start()
        child.close()  # only the child holds it now: its exit shows up here as EOF

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

    ``timeout`` bounds one round trip: a parser stuck in a child is killed rather than holding
    the writer (the batch is then parsed in the calling thread). ``log`` hears about workers that
    fail or cannot start.
    """

    def __init__(self, workers: int, *, timeout: float = 60.0, log: Any = None,
                 context: Callable[[], Any] = lambda: multiprocessing.get_context("spawn")) -> None:
        self.size, self.timeout, self._log = workers, timeout, log
        self._ctx = context()
        self._workers: list[_Worker | None] = [None] * workers

    def start(self) -> None:
        for i in range(self.size):
            self._ensure(i)

    def running(self) -> int:
        """Workers alive now (for /healthz)."""
        return sum(1 for w in list(self._workers) if w is not None and w.proc.is_alive())

    def _ensure(self, i: int) -> _Worker | None:
        w = self._workers[i]
        if w is not None and w.proc.is_alive():
            return w
        if w is not None:
            self._fail(i, w, f"exited (exit code {w.proc.exitcode})")
        try:
            self._workers[i] = _Worker(self._ctx)
        except Exception as exc:  # noqa: BLE001 - parsing still works in the calling thread
            self._workers[i] = None
            self._report("parse_worker_failed", f"cannot start: {exc!r}")
        return self._workers[i]

    def _report(self, event: str, error: str) -> None:
        if self._log is not None:
            self._log.error(event, error=error, action="parsing in the writer thread meanwhile")

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
            results = self._receive(i, w, len(chunk)) if w is not None else None
            if results is None:
                out.extend(safe_prepare(raw, mf, rc, pending.options, at) for raw, mf, rc, at in chunk)
                continue
            out.extend(Incoming(raw=raw, sha256=sha, mail_from=mf, rcpt_tos=rc, received_at=at, result=result)
                       for (raw, mf, rc, at), (sha, result) in zip(chunk, results, strict=True))
        return out

    def answered(self, pending: Pending) -> bool:
        """Would :meth:`receive` return without waiting for a worker? (It must be the oldest
        batch not yet received.) A broken pipe counts as an answer: receive handles it."""
        for w in pending.workers:
            try:
                if w is not None and not w.conn.poll(0):
                    return False
            except (OSError, ValueError):
                pass
        return True

    def _receive(self, i: int, w: _Worker, expected: int) -> list[tuple[str, ParseResult]] | None:
        try:
            if not w.conn.poll(self.timeout):
                self._fail(i, w, f"no answer within {self.timeout:.0f}s")
                return None
            results = w.conn.recv()
        except (EOFError, OSError) as exc:
            self._fail(i, w, f"exited ({exc!r}, exit code {w.proc.exitcode})")
            return None
        if not isinstance(results, list) or len(results) != expected:
            self._fail(i, w, "answered out of step")
            return None
        return results

    def _fail(self, i: int, w: _Worker, error: str) -> None:
        """Stop worker ``w`` (slot ``i``); the next send starts a new one. The sender and the
        receiver may both notice the same failure: only the first clears the slot."""
        if self._workers[i] is w:
            self._workers[i] = None
            self._report("parse_worker_failed", error)
        w.stop(0)

    def close(self) -> None:
        for i, w in enumerate(self._workers):
            if w is not None:
                w.stop()
            self._workers[i] = None

    def kill(self) -> None:
        """Kill every worker now, from any thread: for a shutdown that cannot wait for the writer."""
        for w in list(self._workers):
            if w is not None and w.proc.is_alive():
                w.proc.kill()
                w.proc.join(5)
