"""What /healthz says, decided from the writer's recent state alone (no I/O here).

Why from recent state: a probe that writes costs a transaction each (385 probes/s cut ingest by
a quarter), and a write that succeeds says little about the deliveries failing beside it. So the
answer is what the writer last did: its last commit, how long the one in progress has run, the
health tick's read-only check of the file and schema, the queue and the parse workers.
"""
from __future__ import annotations

from bounced.writer import WriterStatus


def assess(s: WriterStatus, stall_after: float) -> str | None:
    """None when ingest works, else the cause, worded for the operator (the first line of a 503).
    Stable while the cause lasts (ages are in :func:`describe`), so a change can be logged once."""
    if not s.alive:
        return "the store writer is not running"
    if s.last_commit_error is not None:
        return f"the last commit failed: {s.last_commit_error}"
    if s.last_check_error is not None:
        return f"store check failed: {s.last_check_error}"
    if s.busy_for is not None and s.busy_for > stall_after:
        return f"a commit has been running for more than {stall_after:.0f}s (the store is busy or stuck)"
    return None


def describe(s: WriterStatus) -> str:
    """One line of detail under the verdict, for the operator reading the probe."""

    def age(a: float | None, err: str | None) -> str:
        return "never" if a is None else f"{a:.1f}s ago, {'ok' if err is None else 'failed'}"

    busy = "idle" if s.busy_for is None else f"committing for {s.busy_for:.1f}s"
    return (f"writer: {'running' if s.alive else 'stopped'}, {busy}; queued: {s.queued}; "
            f"last commit: {age(s.last_commit_age, s.last_commit_error)}; "
            f"last check: {age(s.last_check_age, s.last_check_error)}; parse workers: {s.workers}")
