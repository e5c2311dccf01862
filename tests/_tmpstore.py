"""TEMPORARY stand-in for bounced.store.Store until the store branch is merged; delete then.

Only the contract the daemon needs (open / ingest_many / check_writable / close) over a real
SQLite file, so the daemon's tests can run before the real store lands. Run as
``python -m tests._tmpstore serve ...`` to start the CLI with it when the real one is missing.
"""
from __future__ import annotations

import json
import sqlite3
import sys
from collections.abc import Sequence

import bounced.store
from bounced.ingest import Incoming, IngestOutcome
from bounced.store import StoreError


class TmpStore:
    def __init__(self, path: str, db: sqlite3.Connection) -> None:
        self.path, self.db = path, db

    @classmethod
    def open(cls, path: str, config: object = None, *, readonly: bool = False) -> "TmpStore":
        try:
            db = sqlite3.connect(path, isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("CREATE TABLE IF NOT EXISTS messages (id INTEGER PRIMARY KEY, sha256 TEXT UNIQUE, raw BLOB,"
                       " mail_from TEXT, rcpt_tos TEXT, format TEXT, error TEXT)")
        except sqlite3.Error as exc:
            raise StoreError(f"{path}: {exc}") from None
        return cls(path, db)

    def ingest_many(self, items: Sequence[Incoming]) -> list[IngestOutcome]:
        out = []
        try:
            self.db.execute("BEGIN IMMEDIATE")
            for it in items:
                cur = self.db.execute("INSERT OR IGNORE INTO messages (sha256, raw, mail_from, rcpt_tos, format, error)"
                                      " VALUES (?,?,?,?,?,?)", (it.sha256, it.raw, it.mail_from,
                                                                json.dumps(it.rcpt_tos), it.result.format, it.result.error))
                dup = cur.rowcount == 0
                out.append(IngestOutcome(it.sha256, None if dup else cur.lastrowid, dup, 0, it.result.error is not None))
            self.db.execute("COMMIT")
        except sqlite3.Error as exc:
            if self.db.in_transaction:
                self.db.execute("ROLLBACK")
            raise StoreError(f"{self.path}: {exc}") from None
        return out

    def check_writable(self) -> None:
        try:
            self.db.execute("BEGIN IMMEDIATE")
            self.db.execute("ROLLBACK")
        except sqlite3.Error as exc:
            raise StoreError(f"{self.path}: {exc}") from None

    def close(self) -> None:
        self.db.close()


def real_store_available() -> bool:
    return hasattr(getattr(bounced.store, "Store", None), "ingest_many")


if __name__ == "__main__":
    if not real_store_available():
        bounced.store.Store = TmpStore  # type: ignore[attr-defined]
    from bounced.cli import main

    sys.argv[0] = "bounced"
    main()
