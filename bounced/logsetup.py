"""structlog configured once at startup: JSON lines on stdout (journald), console on a terminal.

The daemon writes one line per message; stdlib logging (aiosmtpd's own chatter) is kept at
warning level on stderr so it never drowns those lines.
"""
from __future__ import annotations

import logging
import os
import sys
import time
from collections.abc import Callable, Mapping
from typing import Any, TextIO

import structlog

_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING, "error": logging.ERROR}


# syslog priorities (sd-daemon(3)): journald reads a "<N>" prefix on a line written to the journal stream
PRIORITIES = {"debug": 7, "info": 6, "warning": 4, "error": 3, "critical": 2, "exception": 3}


def to_journal(stream: TextIO, environ: Mapping[str, str]) -> bool:
    """True when ``stream`` is the journal (systemd sets JOURNAL_STREAM to its device:inode)."""
    want = environ.get("JOURNAL_STREAM", "")
    try:
        st = os.fstat(stream.fileno())
    except (OSError, ValueError, AttributeError):
        return False
    return bool(want) and want == f"{st.st_dev}:{st.st_ino}"


def _with_priority(renderer: Any) -> Any:
    def render(logger: Any, name: str, event_dict: dict[str, Any]) -> str:
        return f"<{PRIORITIES.get(event_dict.get('level', name), 6)}>" + renderer(logger, name, event_dict)

    return render


def configure(fmt: str = "auto", level: str = "info", stream: TextIO | None = None,
              environ: Mapping[str, str] | None = None) -> Any:
    """Configure structlog for this process and return a logger. ``fmt``: auto, json or console.

    Written to the journal, each line carries its priority, so ``journalctl -p err`` shows errors."""
    out = stream or sys.stdout
    console = fmt == "console" or (fmt == "auto" and out.isatty())
    renderer: Any = structlog.dev.ConsoleRenderer(colors=out.isatty()) if console else structlog.processors.JSONRenderer()
    if to_journal(out, os.environ if environ is None else environ):
        renderer = _with_priority(renderer)
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(_LEVELS[level]),
        logger_factory=structlog.PrintLoggerFactory(file=out),
        cache_logger_on_first_use=False,
    )
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr,
                        format="%(asctime)s %(name)s %(levelname)s %(message)s")
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    return structlog.get_logger("bounced")


class RateLimited:
    """One log line per key per ``interval`` seconds; the lines held back in between are counted in
    the next one (``held_back``), so a client probing random recipients cannot flood the journal."""

    def __init__(self, log: Any, event: str, level: str = "warning", interval: float = 10.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.log, self.event, self.level, self.interval, self.clock = log, event, level, interval, clock
        self._seen: dict[str, tuple[float, int]] = {}

    def __call__(self, key: str, **fields: Any) -> None:
        now = self.clock()
        last, held = self._seen.get(key, (None, 0))
        if last is None or now - last >= self.interval:
            getattr(self.log, self.level)(self.event, cause=key, held_back=held, **fields)
            self._seen[key] = (now, 0)
        else:
            self._seen[key] = (last, held + 1)
