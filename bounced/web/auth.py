"""API tokens: ``Authorization: Bearer <token>`` on every endpoint except /healthz.

A token is 256 random bits shown once; the store keeps only its SHA-256 (with that much entropy a
slow password hash buys nothing, and a lookup stays one primary-key read). Scopes are ranked, each
including the ones before it: read < activity < write < admin. Authentication is checked before
anything is looked up, so a 401 or 403 never tells whether an address exists.
"""
from __future__ import annotations

import hashlib
import secrets
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


def authenticate(access: StoreAccess, header: str | None) -> Principal | None:
    if not header:
        return None
    kind, _, token = header.partition(" ")
    if kind.lower() != "bearer" or not token.strip():
        return None
    found = access.here().token_by_hash(hash_token(token.strip()))  # one primary-key read, on this thread
    return Principal(*found) if found else None


_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="bounced"'}


def require(request: Request, scope: str) -> Principal:
    """The caller, if its token has ``scope``; else a 401 or 403 problem."""
    who = authenticate(request.app.state.access, request.headers.get("authorization"))
    if who is None:
        raise Problem(401, "a valid API token is required: Authorization: Bearer <token> "
                           "(create one with `bounced token create NAME --scope read`)", headers=_CHALLENGE)
    if not who.allows(scope):
        raise Problem(403, f"token {who.name!r} has scope {who.scope!r}; this needs {scope!r} or higher")
    return who
