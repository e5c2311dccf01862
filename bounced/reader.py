"""The outbound mailer's view of the suppression list.

Reads go through one cached read-only connection (WAL readers never block the daemon's writer
and are never blocked by it); a transient SQLITE_BUSY (a checkpoint, a schema change) is retried
so "database is locked" never reaches the caller.
"""
from __future__ import annotations

import json
import os
import sqlite3
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from bounced.addresses import InvalidAddress, normalize
from bounced.config import Config, StoreConfig

_RETRIES = 50


@dataclass(frozen=True, slots=True)
class Suppressed:
    address: str  # as the caller gave it
    key: str  # normalized
    kind: str
    reason: str
    suppressed_at: str | None
    expires_at: str | None


class SuppressionList:
    """``SuppressionList(path).is_suppressed("a@example.com")`` before every send."""

    def __init__(self, path: str | os.PathLike[str], config: Config | None = None) -> None:
        self.path = str(path)
        self._config = config or Config()
        self._ro: sqlite3.Connection | None = None
        self._case_sensitive: bool | None = None

    def _conn(self) -> sqlite3.Connection:
        if self._ro is None:
            from bounced.store import StoreError, readonly_uri

            if not Path(self.path).exists():
                raise StoreError(f"{self.path}: no such database")
            conn = sqlite3.connect(readonly_uri(self.path), uri=True, isolation_level=None,
                                   check_same_thread=False)
            conn.execute(f"PRAGMA busy_timeout = {self._config.store.busy_timeout_ms}")
            try:
                row = self._retry(lambda: conn.execute(
                    "SELECT value FROM meta WHERE key = 'local_part_case_sensitive'").fetchone())
            except sqlite3.DatabaseError as exc:
                conn.close()
                raise StoreError(f"{self.path}: not a usable bounced database ({exc})") from None
            self._case_sensitive = bool(int(row[0])) if row else self._config.store.local_part_case_sensitive
            self._ro = conn
        return self._ro

    @staticmethod
    def _retry(fn):  # type: ignore[no-untyped-def]
        for attempt in range(_RETRIES):
            try:
                return fn()
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) and "busy" not in str(exc) or attempt == _RETRIES - 1:
                    raise
                time.sleep(0.002 * (attempt + 1))
        raise AssertionError("unreachable")

    def _key(self, address: str) -> str | None:
        if self._case_sensitive is None:
            self._conn()
        try:
            return normalize(address, case_sensitive=bool(self._case_sensitive))
        except InvalidAddress:
            return None

    # "now" is taken by SQLite, and only for a row that exists: no per-call time formatting in Python.
    _NOW = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"
    _ONE = ("SELECT kind, reason, suppressed_at, expires_at FROM suppressions WHERE address = ? AND active = 1 "
            f"AND (expires_at IS NULL OR expires_at > {_NOW})")

    _MANY = ("SELECT address, kind, reason, suppressed_at, expires_at FROM suppressions "
             "WHERE address IN (SELECT value FROM json_each(?)) AND active = 1 "
             f"AND (expires_at IS NULL OR expires_at > {_NOW})")

    def _fetch(self, sql: str, params: tuple[str, ...]) -> list[tuple]:
        conn = self._ro or self._conn()
        try:
            return conn.execute(sql, params).fetchall()
        except sqlite3.OperationalError:
            return self._retry(lambda: conn.execute(sql, params).fetchall())

    def is_suppressed(self, address: str) -> bool:
        """True when mail to ``address`` must not be sent. A malformed address is not suppressed
        (it cannot be in the list); validate addresses with ``bounced check``."""
        key = self._key(address)
        return key is not None and bool(self._fetch(self._ONE, (key,)))

    def get(self, address: str) -> Suppressed | None:
        key = self._key(address)
        rows = self._fetch(self._ONE, (key,)) if key is not None else []
        return Suppressed(address, key, *rows[0]) if rows and key is not None else None

    def check(self, addresses: list[str] | tuple[str, ...]) -> list[Suppressed]:
        """The suppressed ones among ``addresses``, in input order, with kind and reason."""
        pairs = [(a, self._key(a)) for a in addresses]
        keys = list(dict.fromkeys(k for _, k in pairs if k is not None))
        if not keys:
            return []
        # one statement for any number of addresses (no variable limit); the primary key answers
        # each json_each value and the view's filter runs only on the rows found
        found = {row[0]: row for row in self._fetch(self._MANY, (json.dumps(keys),))}
        return [Suppressed(a, k, *found[k][1:]) for a, k in pairs if k in found]

    def record_activity(self, address: str, when: datetime | None = None) -> None:
        """The mailer saw this address deliver or engage: its soft-bounce run starts over."""
        from bounced.store import Store

        for attempt in range(_RETRIES):
            try:
                with Store.open(self.path, self._config) as store:
                    store.record_activity(address, when)
                return
            except Exception as exc:  # noqa: BLE001 - retried only when the writer holds the lock
                if ("locked" not in str(exc) and "busy" not in str(exc)) or attempt == _RETRIES - 1:
                    raise
                time.sleep(0.01 * (attempt + 1))

    def close(self) -> None:
        if self._ro is not None:
            self._ro.close()
            self._ro = None

    def __enter__(self) -> "SuppressionList":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


__all__ = ["SuppressionList", "Suppressed", "StoreConfig"]
