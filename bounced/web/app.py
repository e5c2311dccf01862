"""The ASGI application of ``bounced web`` (Starlette).

``create_app(config, store_opener)`` builds it; nothing global, so tests run several apps in one
process. Routes: ``/healthz`` (no token), ``/metrics`` (read scope), the API under ``/api/v1``
(``bounced.web.api``). Background work while the app runs: the expiry sweep (puts expired soft
suppressions into the change feed) and, when ``[[web.webhooks]]`` are configured, the delivery loop.
"""
from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Mount, Route

from bounced.config import Config
from bounced.store import StoreError
from bounced.web import api, problems
from bounced.web.access import StoreAccess, StoreOpener
from bounced.web.auth import Authenticator, require
from bounced.web.pages.app import pages_app
from bounced.web.webhooks import Deliverer, WebhookMetrics


async def healthz(request: Request) -> Response:
    try:
        await request.app.state.access.run(lambda s: s.check_writable())
    except StoreError as exc:
        return PlainTextResponse(f"{exc}\n", status_code=503)
    return PlainTextResponse("ok\n")


async def metrics(request: Request) -> Response:
    require(request, "read")
    return Response(generate_latest(request.app.state.registry), media_type=CONTENT_TYPE_LATEST)


async def _sweep_forever(access: StoreAccess, interval: float, batch: int = 1000) -> None:
    while True:
        with contextlib.suppress(StoreError):
            while await access.run(lambda s: s.sweep_expired(limit=batch)) == batch:
                await asyncio.sleep(0.05)  # let the daemon's writer in between batches
        await asyncio.sleep(interval)


_JSON_HEADERS = [(b"content-type", b"application/json")]


class BouncedApp(Starlette):
    """Starlette, with the single-address lookup answered before its middleware and routing
    (``api.lookup_fast``): the endpoint mailers call before every send."""

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        try:
            body = api.lookup_fast(scope, self.state) if scope["type"] == "http" else None
        except StoreError:  # the routed endpoint answers it with a problem detail (503)
            body = None
        if body is None:
            await super().__call__(scope, receive, send)
            return
        await send({"type": "http.response.start", "status": 200,
                    "headers": [*_JSON_HEADERS, (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})


def create_app(config: Config, store_opener: StoreOpener) -> BouncedApp:
    """The app over the store that ``store_opener`` opens (called once per thread)."""
    access = StoreAccess(store_opener)
    access.here()  # the first open migrates the schema (PostgreSQL down: once it connects), before any worker thread could race it
    registry = CollectorRegistry(auto_describe=True)
    hook_metrics = WebhookMetrics(registry, [h.url for h in config.web.webhooks])

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        tasks = [asyncio.create_task(_sweep_forever(access, config.web.sweep_interval))]
        if config.web.webhooks:
            tasks.append(asyncio.create_task(Deliverer(config.web, access, hook_metrics).run()))
        try:
            yield
        finally:
            for t in tasks:
                t.cancel()
            for t in tasks:
                with contextlib.suppress(asyncio.CancelledError):
                    await t
            access.close()

    app = BouncedApp(
        routes=[
            Route("/healthz", healthz, methods=["GET", "HEAD"]),
            Route("/metrics", metrics, methods=["GET"]),
            Mount("/api/v1", routes=api.routes()),
            *([Mount("/", app=pages_app(config, access))] if config.web.pages.enabled else []),
        ],
        exception_handlers=problems.HANDLERS,  # type: ignore[arg-type]
        lifespan=lifespan,
    )
    app.state.config, app.state.access, app.state.registry = config, access, registry
    app.state.authenticate = Authenticator(access)
    return app
