"""Logging: JSON lines for journald, console rendering on a terminal, one line per event."""
from __future__ import annotations

import io
import json
from collections.abc import Iterator

import pytest
import structlog

from bounced.logsetup import configure


class FakeTTY(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture(autouse=True)
def _reset() -> Iterator[None]:
    yield
    structlog.reset_defaults()


def test_json_lines_when_not_a_terminal() -> None:
    out = io.StringIO()
    log = configure("auto", "info", stream=out)
    log.info("message", sha256="ab" * 32, rcpt_tos=["bounces@x.example"], kinds=["hard"])
    log.debug("hidden")
    lines = out.getvalue().splitlines()
    assert len(lines) == 1
    rec = json.loads(lines[0])
    assert rec["event"] == "message" and rec["kinds"] == ["hard"] and rec["level"] == "info" and "timestamp" in rec


def test_console_on_a_terminal() -> None:
    out = FakeTTY()
    configure("auto", "info", stream=out).info("ready", port=2525)
    text = out.getvalue()
    assert "ready" in text and "port" in text
    with pytest.raises(ValueError):
        json.loads(text)


@pytest.mark.parametrize("fmt,is_json", [("json", True), ("console", False)])
def test_explicit_format_wins(fmt: str, is_json: bool) -> None:
    out = FakeTTY()
    configure(fmt, "warning", stream=out).warning("store_recovered")
    text = out.getvalue().strip()
    assert text.startswith("{") is is_json
