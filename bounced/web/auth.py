"""API tokens: ``Authorization: Bearer <token>`` on every endpoint except /healthz.

A token is 256 random bits shown once; the store keeps only its SHA-256 (with that much entropy a
slow password hash buys nothing, and a lookup stays one primary-key read). A revoked token is
refused within a second (:class:`Authenticator`). Scopes are ranked, each
including the ones before it: read < activity < write < admin. Authentication is checked before
anything is looked up, so a 401 or 403 never tells whether an address exists.
"""
from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass

from starlette.requests import Request

from bounced.web.access import StoreAccess
from bounced.web.problems import Problem

SCOPES = ("read", "activity", "write", "admin")
_RANK = {s: i for i, s in enumerate(SCOPES)}
PREFIX = "bnc_"


@dataclass(frozen=True, slots=True)
class Principal:
    name: str  # the token's name: the actor in the audit trail
    scope: str

    def allows(self, scope: str) -> bool:
        return _RANK[self.scope] >= _RANK[scope]


def new_token() -> str:
    return PREFIX + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def check_scope(scope: str) -> str:
    if scope not in _RANK:
        raise ValueError(f"unknown scope {scope!r}; one of {', '.join(SCOPES)}")
    return scope


class Authenticator:
    """Tokens to principals. A valid token is remembered for ``ttl`` seconds (the token's store
    read and hash cost more than the rest of a lookup request: bench/http.py), so a revoked token
    stops working within that time; an invalid one is checked every time. Called on the event
    loop's thread only, so a plain dict serves."""

    def __init__(self, access: StoreAccess, ttl: float = 1.0) -> None:
        self.access, self.ttl = access, ttl
        self._seen: dict[str, tuple[Principal, float]] = {}

    def __call__(self, header: str | None) -> Principal | None:
        if not header:
            return None
        now = time.monotonic()
        hit = self._seen.get(header)
        if hit is not None and now - hit[1] < self.ttl:
            return hit[0]
        kind, _, token = header.partition(" ")
        found = (self.access.here().token_by_hash(hash_token(token.strip()))
                 if kind.lower() == "bearer" and token.strip() else None)
        if found is None:
            self._seen.pop(header, None)
            return None
        if len(self._seen) >= 1000:  # more live tokens than any deployment has: start over
            self._seen.clear()
        who = self._seen[header] = (Principal(*found), now)
        return who[0]


_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="bounced"'}


def require(request: Request, scope: str) -> Principal:
    """The caller, if its token has ``scope``; else a 401 or 403 problem."""
    who = request.app.state.authenticate(request.headers.get("authorization"))
    if who is None:
        raise Problem(401, "a valid API token is required: Authorization: Bearer <token> "
                           "(create one with `bounced token create NAME --scope read`)", headers=_CHALLENGE)
    if not who.allows(scope):
        raise Problem(403, f"token {who.name!r} has scope {who.scope!r}; this needs {scope!r} or higher")
    return who
