"""Progress of a long command on the operator's terminal: count, share done and an estimate.

Only on a terminal (stderr a TTY): in a pipe or under cron the command prints its one summary
line instead, so logs do not fill with carriage returns.
"""
from __future__ import annotations

import sys
import time
from typing import TextIO


def _clock(seconds: float) -> str:
    s = int(seconds)
    return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60}:{s % 60:02d}"


class Progress:
    """``with Progress("checked", total) as p: ... p.advance(n)``; silent when not on a terminal."""

    def __init__(self, label: str, total: int | None = None, stream: TextIO | None = None,
                 interval: float = 0.2) -> None:
        self.label, self.total, self.done = label, total, 0
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty()
        self.interval = interval
        self._start = time.monotonic()
        self._last = 0.0

    def line(self) -> str:
        elapsed = time.monotonic() - self._start
        if not self.total:
            return f"{self.label} {self.done:,} ({_clock(elapsed)})"
        share = min(self.done / self.total, 1.0)
        eta = f", about {_clock(elapsed / share - elapsed)} left" if 0 < share < 1 else ""
        return f"{self.label} {self.done:,} of {self.total:,} ({share:.0%}){eta}"

    def advance(self, n: int = 1) -> None:
        self.done += n
        now = time.monotonic()
        if self.enabled and (now - self._last >= self.interval or (self.total and self.done >= self.total)):
            self._last = now
            self.stream.write("\r" + self.line() + "\x1b[K")
            self.stream.flush()

    def __enter__(self) -> "Progress":
        return self

    def __exit__(self, *exc: object) -> None:
        if self.enabled and self.done:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
