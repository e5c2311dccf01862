"""Webhook delivery: the outbox rows the store writes with each suppression change, POSTed to each
receiver at least once, strictly in change order (so in order per address), signed.

Signature (header ``Bounced-Signature: t=<unix time>,v1=<hex>``): HMAC-SHA256 with the receiver's
secret over ``"<unix time>." + body``, the scheme receivers of Stripe's and GitHub's webhooks
already know. Receivers recompute it, compare in constant time and reject a ``t`` more than a few
minutes old (a replay). ``Bounced-Event-Id`` is the change's id: the same event retried carries the
same id, for deduplication. Alerts (a breaker trip, a source over its cap, an operator's decision
on held suppressions) go through the same outbox with ids ``alert-<n>``. A failed POST waits
``webhook_backoff_initial`` seconds, doubling up to ``webhook_backoff_max``; an event still
undelivered ``webhook_retry_hours`` after it was written is marked failed (visible in ``bounced
webhooks status``) and the next one goes.
"""
from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import time
from datetime import timedelta
from typing import Any

import httpx
from prometheus_client import CollectorRegistry, Counter

from bounced.config import WebConfig, Webhook
from bounced.store import StoreError
from bounced.timeutil import from_text, utcnow
from bounced.web.access import StoreAccess

IDLE_POLL = 0.25  # seconds between outbox reads when a receiver is up to date
OUTCOMES = ("delivered", "retry", "failed")


def _mac(secret: str, timestamp: int, body: bytes) -> str:
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def sign(secret: str, timestamp: int, body: bytes) -> str:
    return f"t={timestamp},v1={_mac(secret, timestamp, body)}"


def verify(secret: str, header: str, body: bytes, *, now: float | None = None, tolerance: float = 300) -> bool:
    """What a receiver does (used by the tests and shown in the README)."""
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    try:
        t = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs((time.time() if now is None else now) - t) > tolerance:
        return False
    return hmac.compare_digest(_mac(secret, t, body), parts.get("v1", ""))


def payload(row: dict[str, Any]) -> dict[str, Any]:
    """The JSON body of one event: the change as the feed shows it, or an alert (``alert-<n>`` ids,
    its type from :data:`bounced.config.ALERT_TYPES`, its details at the top level)."""
    if row.get("alert_id") is not None:
        return {"id": f"alert-{row['alert_id']}", "type": row["alert_type"], "occurred_at": row["alert_at"],
                **json.loads(row["alert_detail"])}
    return {"id": str(row["change_id"]), "type": row["change"], "occurred_at": row["at"], "address": row["address"],
            "kind": row["kind"], "reason": row["reason"], "source": row["source"], "actor": row["actor"],
            "expires_at": row["expires_at"]}


def request_parts(hook: Webhook, body_obj: dict[str, Any], event_id: str) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(body_obj, separators=(",", ":"), ensure_ascii=False).encode()
    return body, {"Content-Type": "application/json", "User-Agent": "bounced-webhooks",
                  "Bounced-Event-Id": event_id, "Bounced-Event-Type": str(body_obj.get("type")),
                  "Bounced-Signature": sign(hook.secret, int(time.time()), body)}


class WebhookMetrics:
    def __init__(self, registry: CollectorRegistry, urls: list[str]) -> None:
        self.deliveries = Counter("bounced_webhook_deliveries", "Webhook POSTs by receiver and outcome "
                                  "(delivered, retry = failed and will be tried again, failed = given up)",
                                  ["url", "outcome"], registry=registry)
        for u in urls:
            for o in OUTCOMES:
                self.deliveries.labels(url=u, outcome=o)


class Deliverer:
    """One loop per receiver; each sends its oldest pending event, waits for the answer, goes on."""

    def __init__(self, web: WebConfig, access: StoreAccess, metrics: WebhookMetrics) -> None:
        self.web, self.access, self.metrics = web, access, metrics

    async def run(self) -> None:
        async with httpx.AsyncClient(timeout=self.web.webhook_timeout, follow_redirects=False, trust_env=False) as client:
            await asyncio.gather(*(self._loop(client, h) for h in self.web.webhooks))

    async def _loop(self, client: httpx.AsyncClient, hook: Webhook) -> None:
        while True:
            try:
                sent = await self._step(client, hook)
            except StoreError:
                sent = False  # the store is busy or gone for a moment: the row is still there
            if not sent:
                await asyncio.sleep(IDLE_POLL)

    async def _step(self, client: httpx.AsyncClient, hook: Webhook) -> bool:
        row = await self.access.run(lambda s: s.outbox_next(hook.url))
        if row is None or from_text(row["next_at"]) > utcnow():  # type: ignore[operator]
            return False
        event = payload(row)
        body, headers = request_parts(hook, event, event["id"])
        error = None
        try:
            r = await client.post(hook.url, content=body, headers=headers)
            if not 200 <= r.status_code < 300:
                error = f"HTTP {r.status_code}"
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        oid = row["id"]
        if error is None:
            await self.access.run(lambda s: s.outbox_done(oid, delivered=True))
            self.metrics.deliveries.labels(url=hook.url, outcome="delivered").inc()
            return True
        now = utcnow()
        if now - from_text(row["created_at"]) > timedelta(hours=self.web.webhook_retry_hours):  # type: ignore[operator]
            await self.access.run(lambda s: s.outbox_done(oid, delivered=False, error=error))
            self.metrics.deliveries.labels(url=hook.url, outcome="failed").inc()
            return True
        delay = min(self.web.webhook_backoff_initial * 2 ** min(row["attempts"], 30), self.web.webhook_backoff_max)
        await self.access.run(lambda s: s.outbox_done(oid, delivered=False, error=error,
                                                      next_at=now + timedelta(seconds=delay)))
        self.metrics.deliveries.labels(url=hook.url, outcome="retry").inc()
        return False


def send_test(hook: Webhook, timeout: float) -> tuple[int, str]:
    """``bounced webhooks test``: one signed sample event; returns the status code and reply text."""
    sample = {"id": "test", "type": "suppressed", "occurred_at": "2026-01-01T00:00:00.000Z",
              "address": "someone@example.com", "kind": "hard", "reason": "user_unknown", "source": "policy",
              "actor": "policy", "expires_at": None, "test": True}
    body, headers = request_parts(hook, sample, "test")
    with contextlib.closing(httpx.Client(timeout=timeout, trust_env=False)) as client:
        r = client.post(hook.url, content=body, headers=headers)
    return r.status_code, r.text[:200]
