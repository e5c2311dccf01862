"""The outbound mailer's view of the suppression list.

SQLite: reads go through one cached read-only connection (WAL readers never block the daemon's
writer and are never blocked by it); a transient SQLITE_BUSY (a checkpoint, a schema change) is
retried so "database is locked" never reaches the caller.

PostgreSQL (a postgresql:// URL): each thread that looks up holds one connection taken from a
psycopg pool (the pool bounds how many; taking and returning a connection per lookup cost more
than the lookup itself, 570 vs 220 us here); a connection the server dropped goes back to the
pool to be replaced, and while the server cannot be reached a lookup raises StoreError (the
caller decides whether to hold its mail).
Both answer from the same definition of "active now" as the store and the view, with the
database's own clock.
"""
from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
import weakref
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from bounced.addresses import InvalidAddress, normalize
from bounced.config import Config, StoreConfig, is_url

_RETRIES = 50
_COLUMNS = "kind, reason, suppressed_at, expires_at"


@dataclass(frozen=True, slots=True)
class Suppressed:
    address: str  # as the caller gave it
    key: str  # normalized
    kind: str
    reason: str
    suppressed_at: str | None
    expires_at: str | None


class SuppressionList:
    """``SuppressionList(path_or_url).is_suppressed("a@example.com")`` before every send."""

    def __init__(self, path: str | os.PathLike[str], config: Config | None = None, *, pool_size: int = 4) -> None:
        self.path = str(path)
        self._config = config or Config()
        self._ro: sqlite3.Connection | None = None
        self._pool: Any = None
        self._pool_size = pool_size
        self._local = threading.local()  # this thread's connection from the pool
        self._held: list[Any] = []
        self._case_sensitive: bool | None = None
        self._one = self._many = ""

    # ---------------------------------------------------------------- connections
    def _conn(self) -> sqlite3.Connection:
        if self._ro is None:
            from bounced.store import _SQLITE_NOW, ACTIVE_NOW, StoreError, readonly_uri

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
            # "now" is taken by SQLite, and only for a row that exists: no per-call time formatting in Python
            active = ACTIVE_NOW.format(now=_SQLITE_NOW)
            self._one = f"SELECT {_COLUMNS} FROM suppressions WHERE address = ? AND {active}"
            # one statement for any number of addresses (no variable limit); the primary key answers
            # each json_each value and the filter runs only on the rows found
            self._many = (f"SELECT address, {_COLUMNS} FROM suppressions "
                          f"WHERE address IN (SELECT value FROM json_each(?)) AND {active}")
            self._ro = conn
        return self._ro

    def _pg(self) -> Any:
        if self._pool is None:
            from psycopg_pool import ConnectionPool

            from bounced.store import _PG_NOW, ACTIVE_NOW, StoreError, display_url, read_password

            kwargs: dict[str, Any] = {"autocommit": True}
            password = read_password(self._config)
            if password is not None:
                kwargs["password"] = password
            pool = ConnectionPool(self.path, min_size=1, max_size=self._pool_size, kwargs=kwargs, open=False,
                                  timeout=10, name="bounced-reader")
            pool.open()
            try:
                with pool.connection() as conn:
                    row = conn.execute("SELECT value FROM meta WHERE key = 'local_part_case_sensitive'").fetchone()
            except Exception as exc:  # noqa: BLE001 - one line naming the database, whatever failed
                pool.close()
                raise StoreError(f"{display_url(self.path)}: not a usable bounced database ({' '.join(str(exc).split())})") from None
            self._case_sensitive = bool(int(row[0])) if row else self._config.store.local_part_case_sensitive
            active = ACTIVE_NOW.format(now=_PG_NOW)
            self._one = f"SELECT {_COLUMNS} FROM suppressions WHERE address = %s AND {active}"
            self._many = f"SELECT address, {_COLUMNS} FROM suppressions WHERE address = ANY(%s) AND {active}"
            self._pool = pool
            # a SuppressionList dropped without close(): close the pool then, in the dropping thread
            # (left to the garbage collector, the pool may be collected in its own worker thread,
            # which cannot join itself)
            self._finalizer = weakref.finalize(self, _close_pool, pool, self._held)
        return self._pool

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
            self._pg() if is_url(self.path) else self._conn()
        try:
            return normalize(address, case_sensitive=bool(self._case_sensitive))
        except InvalidAddress:
            return None

    def _fetch(self, many: bool, param: Any) -> list[tuple]:
        if is_url(self.path):
            return self._fetch_pg(self._many if many else self._one, param)
        conn = self._ro or self._conn()
        sql, params = (self._many, (json.dumps(param),)) if many else (self._one, (param,))
        try:
            return conn.execute(sql, params).fetchall()
        except sqlite3.OperationalError:
            return self._retry(lambda: conn.execute(sql, params).fetchall())

    def _fetch_pg(self, sql: str, param: Any) -> list[tuple]:
        import psycopg
        from psycopg_pool import PoolTimeout

        from bounced.store import StoreError, display_url

        pool = self._pg()
        conn = getattr(self._local, "conn", None)
        try:
            if conn is None:
                conn = self._local.conn = pool.getconn()
                self._held.append(conn)
            return conn.execute(sql, (param,), prepare=True).fetchall()
        except (psycopg.Error, PoolTimeout) as exc:
            if conn is not None and (conn.closed or conn.broken):
                self._local.conn = None
                self._held.remove(conn)
                pool.putconn(conn)  # the pool replaces it
            raise StoreError(f"{display_url(self.path)}: cannot read: {' '.join(str(exc).split())}") from None

    # ---------------------------------------------------------------- lookups
    def is_suppressed(self, address: str) -> bool:
        """True when mail to ``address`` must not be sent. A malformed address is not suppressed
        (it cannot be in the list); validate addresses with ``bounced check``."""
        key = self._key(address)
        return key is not None and bool(self._fetch(False, key))

    def get(self, address: str) -> Suppressed | None:
        key = self._key(address)
        rows = self._fetch(False, key) if key is not None else []
        return Suppressed(address, key, *rows[0]) if rows and key is not None else None

    def check(self, addresses: list[str] | tuple[str, ...]) -> list[Suppressed]:
        """The suppressed ones among ``addresses``, in input order, with kind and reason."""
        pairs = [(a, self._key(a)) for a in addresses]
        keys = list(dict.fromkeys(k for _, k in pairs if k is not None))
        if not keys:
            return []
        found = {row[0]: row for row in self._fetch(True, keys)}
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
        if self._pool is not None:
            self._finalizer()  # puts the held connections back and closes the pool, once
            self._local = threading.local()
            self._pool = None

    def __enter__(self) -> "SuppressionList":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _close_pool(pool: Any, held: list[Any]) -> None:
    for conn in held:
        pool.putconn(conn)
    held.clear()
    pool.close()


__all__ = ["SuppressionList", "Suppressed", "StoreConfig"]
