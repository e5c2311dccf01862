"""Errors as RFC 9457 problem details (``application/problem+json``), each naming what was wrong."""
from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from bounced.store import StoreError

_log = logging.getLogger("bounced.web")

PROBLEM_TYPE = "https://github.com/bounced-daemon/bounced/blob/main/README.md#errors"
TITLES = {400: "Bad request", 401: "Unauthorized", 403: "Forbidden", 404: "Not found", 405: "Method not allowed",
          409: "Conflict", 413: "Content too large", 415: "Unsupported media type", 422: "Unprocessable content",
          500: "Internal server error", 503: "Service unavailable"}


class Problem(Exception):
    """Raised by an endpoint; becomes a problem-details response."""

    def __init__(self, status: int, detail: str, *, headers: dict[str, str] | None = None, **extra: Any) -> None:
        super().__init__(detail)
        self.status, self.detail, self.headers, self.extra = status, detail, headers, extra


def response(status: int, detail: str, instance: str | None = None, headers: dict[str, str] | None = None,
             **extra: Any) -> Response:
    body = {"type": f"{PROBLEM_TYPE}-{status}", "title": TITLES.get(status, "Error"), "status": status,
            "detail": detail, **({"instance": instance} if instance else {}), **extra}
    return JSONResponse(body, status_code=status, headers=headers, media_type="application/problem+json")


async def on_problem(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Problem)
    return response(exc.status, exc.detail, request.url.path, exc.headers, **exc.extra)


async def on_http(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    detail = exc.detail if exc.detail and exc.detail != HTTPStatus(exc.status_code).phrase else {
        404: f"no such endpoint: {request.method} {request.url.path}",
        405: f"{request.method} is not allowed on {request.url.path}",
    }.get(exc.status_code, TITLES.get(exc.status_code, "error"))
    return response(exc.status_code, str(detail), request.url.path, dict(exc.headers or {}))


async def on_store_error(request: Request, exc: Exception) -> Response:
    """The database is locked past the busy timeout, full or unreadable: the client may retry."""
    return response(503, str(exc), request.url.path, {"Retry-After": "1"})


async def on_error(request: Request, exc: Exception) -> Response:
    _log.error("unhandled error in %s %s", request.method, request.url.path, exc_info=exc)
    return response(500, f"internal error ({type(exc).__name__}); the bounced web log has the details",
                    request.url.path)


HANDLERS = {Problem: on_problem, HTTPException: on_http, StoreError: on_store_error, Exception: on_error}
