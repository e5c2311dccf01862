"""The outbound mailer's view of the suppression list.

Reads go through one cached read-only connection (WAL readers never block the daemon's writer
and are never blocked by it); a transient SQLITE_BUSY (a checkpoint, a schema change) is retried
so "database is locked" never reaches the caller.
"""
from __future__ import annotations

import os
import sqlite3
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from bounced.addresses import InvalidAddress, normalize
from bounced.config import Config, StoreConfig
from bounced.timeutil import to_text, utcnow

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
            from bounced.store import StoreError

            if not Path(self.path).exists():
                raise StoreError(f"{self.path}: no such database")
            conn = sqlite3.connect(f"file:{Path(self.path).resolve()}?mode=ro", uri=True, isolation_level=None,
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
        self._conn()
        try:
            return normalize(address, case_sensitive=bool(self._case_sensitive))
        except InvalidAddress:
            return None

    _ONE = ("SELECT kind, reason, suppressed_at, expires_at FROM suppressions WHERE address = ? AND active = 1 "
            "AND (expires_at IS NULL OR expires_at > ?)")

    def is_suppressed(self, address: str) -> bool:
        """True when mail to ``address`` must not be sent. A malformed address is not suppressed
        (it cannot be in the list); validate addresses with ``bounced check``."""
        key = self._key(address)
        if key is None:
            return False
        conn = self._conn()
        return self._retry(lambda: conn.execute(self._ONE, (key, to_text(utcnow()))).fetchone()) is not None

    def get(self, address: str) -> Suppressed | None:
        key = self._key(address)
        if key is None:
            return None
        conn = self._conn()
        row = self._retry(lambda: conn.execute(self._ONE, (key, to_text(utcnow()))).fetchone())
        return Suppressed(address, key, row[0], row[1], row[2], row[3]) if row else None

    def check(self, addresses: list[str] | tuple[str, ...]) -> list[Suppressed]:
        """The suppressed ones among ``addresses``, in input order, with kind and reason."""
        keys: dict[str, list[str]] = {}
        for a in addresses:
            k = self._key(a)
            if k is not None:
                keys.setdefault(k, []).append(a)
        if not keys:
            return []
        conn = self._conn()
        now = to_text(utcnow())
        found: dict[str, tuple] = {}
        ordered = list(keys)
        for i in range(0, len(ordered), 500):  # stays under SQLite's variable limit
            chunk = ordered[i:i + 500]
            sql = ("SELECT address, kind, reason, suppressed_at, expires_at FROM suppressions WHERE address IN "
                   f"({','.join('?' * len(chunk))}) AND active = 1 AND (expires_at IS NULL OR expires_at > ?)")
            for row in self._retry(lambda: conn.execute(sql, (*chunk, now)).fetchall()):
                found[row[0]] = row
        out = []
        for a in addresses:
            k = self._key(a)
            if k in found:
                r = found[k]
                out.append(Suppressed(a, k, r[1], r[2], r[3], r[4]))
        return out

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
