"""Prometheus metrics on their own registry, and the small HTTP listener that serves them.

One :class:`Metrics` per daemon (no global registry, so tests can run several daemons in one
process). The listener answers ``/metrics`` and ``/healthz`` (200 when ingest works, 503 with the cause
otherwise; see :mod:`bounced.health`) and nothing else; it runs on the daemon's event loop, no
thread, within fixed limits on connections, header size and time.
"""
from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import time
from collections.abc import Iterator

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    GCCollector,
    PlatformCollector,
    ProcessCollector,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

HealthCheck = Callable[[], Awaitable[tuple[str | None, str]]]  # (None = healthy, else the problem; detail)


OUTCOMES = ("stored", "duplicate", "parse_failed")
# what the policy did with an event (bounced.policy Change.action; "expired+..." counts as its second part)
POLICY_ACTIONS = ("suppressed", "renewed", "counted", "reset", "recorded", "ignored", "untrusted", "held")
SUPPRESSION_KINDS = ("hard", "soft", "complaint")


class SuppressionGauge(Collector):
    """``bounced_active_suppressions{kind}``, read from the store at most every ``ttl`` seconds
    (a scrape every few seconds must not become a query every few seconds)."""

    def __init__(self, read: Callable[[], dict[str, int]], ttl: float = 15.0) -> None:
        self.read, self.ttl = read, ttl
        self._cached: dict[str, int] | None = None
        self._at = 0.0

    def collect(self) -> Iterator[GaugeMetricFamily]:
        now = time.monotonic()
        if self._cached is None or now - self._at >= self.ttl:
            try:
                self._cached, self._at = self.read(), now
            except Exception:  # noqa: BLE001 - a scrape must not fail because the store is busy
                pass
        g = GaugeMetricFamily("bounced_active_suppressions", "Active suppressions in the store, by kind",
                              labels=["kind"])
        counts = self._cached or {}
        for kind in sorted(set(SUPPRESSION_KINDS) | set(counts)):
            g.add_metric([kind], counts.get(kind, 0))
        yield g
REJECT_CAUSES = ("unknown_recipient", "too_many_recipients", "too_big", "too_many_connections", "timeout",
                 "store_unavailable", "internal_error", "too_many_from_client", "junk_commands", "session_time",
                 "bad_address", "memory_budget", "xforward_denied", "xforward_syntax")


class Metrics:
    """The daemon's counters; method names say what happened, labels are the operator's words."""

    def __init__(self, suppressions: Callable[[], dict[str, int]] | None = None) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        # the standard process_* (memory, CPU, open fds) and python_* (gc, version) series
        ProcessCollector(registry=r)
        PlatformCollector(registry=r)
        GCCollector(registry=r)
        if suppressions is not None:
            r.register(SuppressionGauge(suppressions))
        self.policy = Counter("bounced_policy_outcomes", "What the policy did with each stored event",
                              ["action"], registry=r)
        for action in POLICY_ACTIONS:
            self.policy.labels(action=action)
        self.messages = Counter("bounced_messages", "Messages stored, by outcome (stored, duplicate, parse_failed)",
                                ["outcome"], registry=r)
        self.events = Counter("bounced_events", "Recipient results stored, by kind and reason",
                              ["kind", "reason"], registry=r)
        self.rejects = Counter("bounced_rejects", "SMTP commands or connections refused, by cause",
                               ["cause"], registry=r)
        self.commit_seconds = Histogram("bounced_store_commit_seconds", "Time to commit one batch to the store",
                                        buckets=(.0005, .001, .002, .005, .01, .02, .05, .1, .25, .5, 1, 2.5, 5, 10),
                                        registry=r)
        self.batch_size = Histogram("bounced_store_batch_size", "Messages committed per batch (group commit)",
                                    buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256), registry=r)
        self.store_failures = Counter("bounced_store_failures", "Batches the store could not commit", registry=r)
        self.connections = Gauge("bounced_active_connections", "Open SMTP/LMTP connections", registry=r)
        self.untrusted = Counter("bounced_untrusted_events", "Recipient results recorded without effect: no proof "
                                 "the bounce answers mail we sent (bounce.trust)", registry=r)
        self.held = Counter("bounced_held_suppressions", "Suppressions held for an operator (breaker, per-message "
                            "or per-source cap)", registry=r)
        self.breaker_trips = Counter("bounced_breaker_trips", "Times a recipient domain's hard-bounce breaker tripped",
                                     ["domain"], registry=r)
        # no label: a source is an IP address, and a label per address would grow without bound
        self.source_cap_trips = Counter("bounced_source_cap_trips", "Times a sending host reached "
                                        "breaker.max_per_source and its new hard suppressions began to be held",
                                        registry=r)
        for outcome in OUTCOMES:  # known label values start at 0, so rates and alerts work from the start
            self.messages.labels(outcome=outcome)
        for cause in REJECT_CAUSES:
            self.rejects.labels(cause=cause)

    def reject(self, cause: str) -> None:
        self.rejects.labels(cause=cause).inc()

    def policy_outcome(self, action: str) -> None:
        self.policy.labels(action=action.rpartition("+")[2]).inc()

    def batch(self, size: int, seconds: float, ok: bool) -> None:
        self.batch_size.observe(size)
        self.commit_seconds.observe(seconds)
        if not ok:
            self.store_failures.inc()

    def render(self) -> bytes:
        return generate_latest(self.registry)


_STATUS = {200: "OK", 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed",
           408: "Request Timeout", 431: "Request Header Fields Too Large", 503: "Service Unavailable"}

# Limits of the HTTP listener: a scraper sends one small GET. Without them 1,100 idle connections
# used up the file descriptors, a 200 KB header line raised an unhandled ValueError and a header
# line every 5 s held a connection for ever.
HTTP_MAX_CONNECTIONS = 32  # more are closed at once, unanswered
HTTP_MAX_LINE = 8192  # bytes in the request line or one header line
HTTP_MAX_HEADERS = 64  # header lines
HTTP_REQUEST_TIME = 5.0  # seconds to send the whole request head


async def start_http(metrics: Metrics, health: HealthCheck, host: str, port: int) -> asyncio.Server:
    """Serve /metrics and /healthz on host:port (HTTP/1.0 style: one request per connection),
    within the limits above."""
    open_connections: set[asyncio.StreamWriter] = set()

    async def read_head(reader: asyncio.StreamReader) -> tuple[int, str]:
        """(0, request line) or (an error status, "")."""
        try:
            async with asyncio.timeout(HTTP_REQUEST_TIME):
                request = await reader.readline()
                for _ in range(HTTP_MAX_HEADERS + 1):
                    if (await reader.readline()) in (b"\r\n", b"\n", b""):
                        return 0, request.decode("latin-1")
                return 431, ""
        except TimeoutError:
            return 408, ""
        except ValueError:  # a line longer than the reader's limit
            return 431, ""

    async def respond(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        status, request = await read_head(reader)
        parts = request.split()
        if status:
            code, ctype, body = status, "text/plain", f"{_STATUS[status].lower()}\n".encode()
        elif len(parts) < 2:
            code, ctype, body = 400, "text/plain", b"bad request\n"
        elif parts[0] not in ("GET", "HEAD"):
            code, ctype, body = 405, "text/plain", b"only GET\n"
        else:
            path = parts[1].split("?", 1)[0]
            if path == "/metrics":
                code, ctype, body = 200, CONTENT_TYPE_LATEST, metrics.render()
            elif path == "/healthz":
                problem, detail = await health()
                code = 200 if problem is None else 503
                ctype, body = "text/plain", f"{problem or 'ok'}\n{detail}\n".encode()
            else:
                code, ctype, body = 404, "text/plain", b"not found; try /metrics or /healthz\n"
        head = (f"HTTP/1.1 {code} {_STATUS[code]}\r\nContent-Type: {ctype}\r\n"
                f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n")
        writer.write(head.encode() + (b"" if parts and parts[0] == "HEAD" else body))
        async with asyncio.timeout(HTTP_REQUEST_TIME):
            await writer.drain()

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if len(open_connections) >= HTTP_MAX_CONNECTIONS:
            writer.transport.abort()
            return
        open_connections.add(writer)
        try:
            await respond(reader, writer)
        except (TimeoutError, ConnectionError, UnicodeError):
            pass
        finally:
            open_connections.discard(writer)
            writer.close()

    return await asyncio.start_server(answer, host, port, limit=HTTP_MAX_LINE)
