"""Support-page accounts: the roles, what each may do, and password and token hashing.

Passwords are hashed with argon2id (argon2-cffi's defaults, RFC 9106's second recommended option),
so a stolen database does not yield them; session and sign-in tokens are 256 random bits and are
stored as SHA-256, which is enough for a secret nobody chose.
"""
from __future__ import annotations

import hashlib
import re
import secrets
from enum import IntEnum

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError


class Role(IntEnum):
    """Ordered: each role may do what the ones below it may."""

    VIEWER = 1  # read states, histories, lists and stats
    SUPPORT = 2  # also lift and suppress by hand
    ADMIN = 3  # also read raw bounces (personal data) and manage tokens


ROLE_NAMES = {r.name.lower(): r for r in Role}
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@+-]{0,63}")
MIN_PASSWORD = 10


def check_name(name: str) -> str:
    """A user name as the audit trail will show it; raises ValueError naming the bad input."""
    if not _NAME.fullmatch(name):
        raise ValueError(f"invalid user name {name!r}: 1-64 letters, digits or . _ @ + -, starting with a letter or digit")
    return name


def check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise ValueError(f"password too short: at least {MIN_PASSWORD} characters")
    return password


class Passwords:
    """argon2id hashing; one instance per process (it only holds the cost parameters)."""

    def __init__(self) -> None:
        self._ph = PasswordHasher()

    def hash(self, password: str) -> str:
        return self._ph.hash(password)

    def verify(self, stored_hash: str | None, password: str) -> bool:
        """True when ``password`` matches; a missing hash (proxy-only user) never matches."""
        if not stored_hash:
            self._ph.hash(password)  # same cost either way: timing does not tell who exists
            return False
        try:
            return self._ph.verify(stored_hash, password)
        except (VerificationError, InvalidHashError):
            return False


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
