"""The one class that owns SQL: every query bounced runs against its database is in this module.

Why it looks like this:
- One transaction per batch (``ingest_many``): the daemon's writer group-commits messages and only
  then releases their 250 replies, so the raw bytes, events and suppression changes of a message
  are durable together or not at all.
- The per-address policy state lives in the ``suppressions`` row, so ingest needs one primary-key
  read per recipient and no history scan, whatever the size of ``events``.
- Parameters only; no SQL is built from input. The schema has a version and forward migrations;
  a file from a newer bounced is refused rather than misread.
- Two engines, one store: SQLite (a file, the embedded default) and PostgreSQL (several MX hosts on
  one database). The SQL is written once in the subset both understand (``?`` parameters,
  ``ON CONFLICT ... DO UPDATE``, ``RETURNING``, ``FILTER``, times as ISO-8601 text that compares as
  strings); what differs is a :class:`Dialect` of a few fragments: how a write transaction begins,
  "now" as text, the larger of two values, the catalogue query, and how an address is locked.
- Concurrency on PostgreSQL: every read-modify-write of an address's state first takes a
  transaction-scoped advisory lock on that address (a batch takes all of its addresses at once, in
  one global order, so two daemons cannot deadlock on them). Events for one address therefore apply
  one after another whichever daemon receives them, even for an address with no row yet (which
  ``SELECT ... FOR UPDATE`` could not lock); a deadlock or serialization failure anywhere else is
  retried as a whole transaction. SQLite needs none of this: ``BEGIN IMMEDIATE`` takes the file.
- Nothing outside this module sees SQL except the documented ``active_suppressions`` view that
  mailers in other languages read, which has the same columns and meaning on both engines.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import secrets
import sqlite3
import time
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, fields
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import sqlite_utils

from bounced import breaker, changes, keyfiles, policy, trust, xforward
from bounced import reprocess as reprocessing
from bounced.addresses import InvalidAddress, domain_of, normalize
from bounced.config import Config, StoreRules, is_url, url_problem
from bounced.ingest import Incoming, IngestOutcome
from bounced.model import ActiveSuppression, Kind, ParseResult, SuppressionRow
from bounced.policy import State
from bounced.signing import SIG_HEADER, Keyring
from bounced.timeutil import from_text, to_text, utcnow

SCHEMA_VERSION = 8
_STATE_FIELDS = [f.name for f in fields(State)]
_TIME_FIELDS = {"first_event_at", "last_event_at", "soft_first_at", "suppressed_at", "expires_at", "lifted_at"}


class StoreError(Exception):
    """The store cannot do what was asked; the message names the file and the cause."""


class UnknownEvent(LookupError):
    """No event has the number asked for (an API answers 404, not 409 as for an event in the wrong state)."""


class StoreUnavailable(StoreError):
    """The database server cannot be reached or accepts no writes right now (down, restarting,
    a standby during failover): nothing about the messages at hand, so retrying them one by one
    is pointless; a later try may succeed."""


class PermanentStoreError(StoreError):
    """A problem no retry fixes: the server refused the password or the user, the database does not
    exist, the connection string is wrong, or the schema is newer than this bounced or not bounced's.
    The daemon exits with EX_CONFIG (78) on it, which its unit does not restart."""


# What the server says (libpq passes connection failures on as text only, without their SQLSTATE)
# when a connection attempt fails for a reason no retry fixes: (phrase, SQLSTATE it stands for).
# Anything else (refused, timed out, no route, "the database system is starting up", too many
# clients, a name that does not resolve yet at boot) is retried. A server set to translate its
# messages (lc_messages) is therefore retried on these too: wrong, but loud (logged per interval,
# /healthz 503) and never a lost message.
_PERMANENT_CONNECT = (
    ("password authentication failed", "28P01"),
    ("no password supplied", "28P01 (libpq: no password in store.password_file, $PGPASSWORD or ~/.pgpass)"),
    ("no pg_hba.conf entry", "28000"),
    ("does not exist", "3D000 or 28000"),  # database "x" / role "x" does not exist
    ("permission denied for database", "42501"),
    ("is not permitted to log in", "28000"),
)


def _connect_error(shown: str, exc: BaseException) -> StoreError:
    """A failed connection attempt as the StoreError class that says whether to retry it."""
    import psycopg

    text = _one_line(exc)
    if not isinstance(exc, psycopg.OperationalError):  # a connection string libpq cannot parse
        return PermanentStoreError(f"{shown}: bad connection string: {text}")
    if any(phrase in text for phrase, _ in _PERMANENT_CONNECT):
        return PermanentStoreError(f"{shown}: the server refused the connection: {text}")
    return StoreUnavailable(f"{shown}: cannot connect: {text}")


# every table a bounced database has; one missing means a damaged or foreign file
TABLES = ("meta", "messages", "events", "suppressions", "activity", "audit", "sent", "held", "api_tokens",
          "activity_log", "changes", "webhook_outbox", "alerts")


def readonly_uri(path: str | os.PathLike[str]) -> str:
    """The SQLite URI opening ``path`` read-only. Built by :meth:`pathlib.Path.as_uri`, which
    percent-encodes ``#``, ``?`` and ``%``: pasted into ``file:...`` they would end the path and
    start a query (creating a stray file and losing ``mode=ro``) or be decoded as an escape."""
    return Path(path).resolve().as_uri() + "?mode=ro"


def _create_file(path: str, mode: int) -> None:
    """Create the database file with ``mode`` (store.file_mode), whatever the umask, before SQLite
    would create it 0644: it holds raw bounces. SQLite gives its -wal and -shm files the mode of
    the database file, so they follow."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    except FileExistsError:
        return
    try:
        os.fchmod(fd, mode)
    finally:
        os.close(fd)


def _why_unopenable(path: str, readonly: bool) -> str | None:
    """The permission problem behind SQLite's "unable to open database file" (which reads like a
    damaged file), in the words of ``bounced config check``; None when it is not one."""
    from bounced.configcheck import run_as, writable_problem

    if not readonly:
        return writable_problem(path)
    if Path(path).exists() and not os.access(path, os.R_OK):
        return f"{path} is not readable by {run_as()}"
    return None


@dataclass
class _Tally:
    """What one message's events did, for its IngestOutcome."""

    events: int = 0
    untrusted: int = 0
    held: int = 0
    suppressing: int = 0
    tripped: list[str] = field(default_factory=list)
    capped: str | None = None  # the source whose cap this message reached first
    actions: list[str] = field(default_factory=list)  # what the policy did, per event


_DECIDED = {"release": "released", "discard": "discarded"}  # held.status after an operator's decision


def _message_id(raw: str | None) -> str | None:
    """A Message-ID as the ``sent`` table keys it: without angle brackets and blanks."""
    mid = (raw or "").strip().strip("<>").strip()
    return mid or None


@dataclass(frozen=True, slots=True)
class AddressReport:
    address: str
    state: dict[str, Any] | None
    active_now: bool
    events: list[dict[str, Any]]
    audit: list[dict[str, Any]]
    last_activity_at: str | None
    activity: list[dict[str, Any]]


def _create_schema(db: sqlite_utils.Database) -> None:
    db["meta"].create({"key": str, "value": str}, pk="key")
    db["messages"].create({
        "id": int, "received_at": str, "mail_from": str, "rcpt_tos": str, "size": int, "sha256": str,
        "raw": bytes, "raw_pruned_at": str, "parse_status": str, "format": str, "error": str, "message_id": str,
    }, pk="id", not_null={"received_at", "sha256", "parse_status"})
    db["messages"].create_index(["sha256"], unique=True)
    db["messages"].create_index(["received_at"])
    db["events"].create({
        "id": int, "message_id": int, "address": str, "domain": str, "at": str, "kind": str, "reason": str,
        "status": str, "reply_code": str, "diagnostic": str, "remote_mta": str, "action": str,
        "feedback_type": str, "original_message_id": str, "original_headers": str, "policy_action": str,
    }, pk="id", foreign_keys=[("message_id", "messages", "id")], not_null={"address", "at", "kind", "reason"})
    db["events"].create_index(["address", "at"])
    db["events"].create_index(["at"])
    db["events"].create_index(["message_id"])
    db["suppressions"].create({
        "address": str, "domain": str, "active": int, "kind": str, "reason": str, "source": str,
        "first_event_at": str, "last_event_at": str, "soft_count": int, "soft_first_at": str,
        "suppressed_at": str, "expires_at": str, "lifted_at": str, "lifted_by": str, "lifted_reason": str,
    }, pk="address", not_null={"active"})
    db["suppressions"].create_index(["active", "kind"])
    db["suppressions"].create_index(["domain"])
    db["activity"].create({"address": str, "last_at": str, "source": str}, pk="address")
    db["audit"].create({
        "id": int, "at": str, "actor": str, "action": str, "address": str, "kind": str, "reason": str, "detail": str,
    }, pk="id", not_null={"at", "actor", "action"})
    db["audit"].create_index(["address", "at"])
    _create_view(db)


def _create_view(db: sqlite_utils.Database) -> None:
    db.execute(f"CREATE VIEW active_suppressions AS SELECT {_VIEW_COLUMNS} FROM suppressions "
               f"WHERE {ACTIVE_NOW.format(now=_SQLITE_NOW)}")


_SUPPRESSION_COLUMNS = ("address TEXT PRIMARY KEY NOT NULL, domain TEXT, active INTEGER NOT NULL, kind TEXT, "
                        "reason TEXT, source TEXT, first_event_at TEXT, last_event_at TEXT, soft_count INTEGER, "
                        "soft_first_at TEXT, suppressed_at TEXT, expires_at TEXT, lifted_at TEXT, lifted_by TEXT, "
                        "lifted_reason TEXT")


def _suppressions_without_rowid(db: sqlite_utils.Database) -> None:
    """v2. The mailer reads the suppression list by address before every send: a WITHOUT ROWID
    table answers from the primary-key b-tree alone instead of index-then-table. The (active, kind)
    index goes: without statistics the planner preferred it to the primary key for
    ``address IN (...) AND active = 1`` and scanned every active row (4 s for 10,000 addresses at
    1M suppressions). The partial index keeps ``list --kind`` and the active count cheap."""
    names = [c.split()[0] for c in _SUPPRESSION_COLUMNS.split(", ")]
    db.execute("DROP VIEW IF EXISTS active_suppressions")
    db.execute(f"CREATE TABLE suppressions_v2 ({_SUPPRESSION_COLUMNS}) WITHOUT ROWID")
    db.execute(f"INSERT INTO suppressions_v2 ({', '.join(names)}) SELECT {', '.join(names)} FROM suppressions")
    db.execute("DROP TABLE suppressions")
    db.execute("ALTER TABLE suppressions_v2 RENAME TO suppressions")
    db.execute("CREATE INDEX idx_suppressions_domain ON suppressions (domain)")
    db.execute("CREATE INDEX idx_suppressions_active_kind ON suppressions (kind, reason) WHERE active = 1")
    _create_view(db)


def _covering_count_indexes(db: sqlite_utils.Database) -> None:
    """v3. ``inspect stats`` counts active suppressions and unparsed messages on every call; at
    1M suppressions and 1M messages those were full scans (315 and 98 ms warm, seconds cold since
    the messages table holds the raw bytes). The active index now carries every column the count
    and ``list --kind`` read (``active`` too, or SQLite will not treat it as covering), and unparsed
    messages get a partial index of their own: 40 ms and 0.1 ms (see bench/README.md)."""
    db.execute("DROP INDEX IF EXISTS idx_suppressions_active_kind")
    db.execute("CREATE INDEX idx_suppressions_active_kind ON suppressions (kind, reason, expires_at, active) "
               "WHERE active = 1")
    db.execute("CREATE INDEX idx_messages_failed ON messages (id) WHERE parse_status = 'failed'")


def _web_api_tables(db: sqlite_utils.Database) -> None:
    """v4. What ``bounced web`` needs. API tokens, stored only as SHA-256 hashes (a token is 256
    random bits, so a fast hash is enough: nothing to brute-force). Every activity time the mailer
    reports (``activity`` kept only the last, so ``reprocess`` replayed a click between two bounces
    as if it came after them). ``changes``: the durable, ordered feed of suppression changes; its
    AUTOINCREMENT id is the cursor, never reused even after rows are deleted. ``webhook_outbox``:
    one row per change and receiver, written in the change's own transaction, so a crash between
    the commit and the POST loses nothing."""
    db.execute("CREATE TABLE api_tokens (name TEXT PRIMARY KEY NOT NULL, scope TEXT NOT NULL, "
               "token_sha256 TEXT NOT NULL UNIQUE, created_at TEXT NOT NULL, created_by TEXT)")
    db.execute("CREATE TABLE activity_log (id INTEGER PRIMARY KEY, address TEXT NOT NULL, at TEXT NOT NULL, "
               "type TEXT NOT NULL, source TEXT)")
    db.execute("CREATE INDEX idx_activity_log_address ON activity_log (address, at)")
    db.execute("INSERT INTO activity_log (address, at, type, source) SELECT address, last_at, 'activity', source "
               "FROM activity WHERE source IS NOT 'delivery report'")
    db.execute("CREATE TABLE changes (id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, recorded_at TEXT NOT NULL, "
               "address TEXT NOT NULL, change TEXT NOT NULL, kind TEXT, reason TEXT, source TEXT, actor TEXT, "
               "expires_at TEXT)")
    db.execute("CREATE INDEX idx_changes_address ON changes (address, id)")
    db.execute("CREATE TABLE webhook_outbox (id INTEGER PRIMARY KEY AUTOINCREMENT, change_id INTEGER NOT NULL "
               "REFERENCES changes(id), url TEXT NOT NULL, status TEXT NOT NULL DEFAULT 'pending', "
               "attempts INTEGER NOT NULL DEFAULT 0, created_at TEXT NOT NULL, next_at TEXT NOT NULL, "
               "delivered_at TEXT, last_error TEXT)")
    db.execute("CREATE INDEX idx_outbox_pending ON webhook_outbox (url, id) WHERE status = 'pending'")
    db.execute("CREATE INDEX idx_outbox_url_status ON webhook_outbox (url, status)")


def _web_users_and_sessions(db: sqlite_utils.Database) -> None:
    """v5. People who sign in to the support page (``bounced user add``) and their sessions. Only
    hashes are kept: argon2 for passwords, SHA-256 for the random session and sign-in tokens (256
    random bits need no slow hash). ``purpose`` tells a browser session from a one-time sign-in link."""
    db.execute("CREATE TABLE users (name TEXT PRIMARY KEY NOT NULL, role TEXT NOT NULL, password_hash TEXT, "
               "created_at TEXT NOT NULL, updated_at TEXT NOT NULL) WITHOUT ROWID")
    db.execute("CREATE TABLE web_sessions (token_hash TEXT PRIMARY KEY NOT NULL, user TEXT NOT NULL, "
               "purpose TEXT NOT NULL, csrf TEXT NOT NULL, created_at TEXT NOT NULL, expires_at TEXT NOT NULL) "
               "WITHOUT ROWID")
    db.execute("CREATE INDEX idx_web_sessions_user ON web_sessions (user)")


def _trust_and_held(db: sqlite_utils.Database) -> None:
    """v6. Only genuine bounces suppress (issue 15): each event says whether its message proved it
    answers mail we sent (``trusted``: 1 yes, 0 no, 2 promoted by an operator; NULL = stored
    before this version, when everything counted) and why; ``sent`` keeps the Message-IDs a mailer
    registered with their recipients; ``held`` keeps suppressions the breaker or the per-message
    cap set aside for an operator. The partial index serves the breaker's per-domain count of
    hard bounces over a time range."""
    db.execute("ALTER TABLE events ADD COLUMN trusted INTEGER")
    db.execute("ALTER TABLE events ADD COLUMN trust_note TEXT")
    db.execute("CREATE INDEX idx_events_hard_domain ON events (domain, at, trusted) WHERE kind = 'hard'")
    db.execute("CREATE INDEX idx_events_untrusted ON events (at) WHERE trusted = 0")
    db.execute("CREATE TABLE sent (message_id TEXT NOT NULL, address TEXT NOT NULL, registered_at TEXT NOT NULL, "
               "expires_at TEXT NOT NULL, PRIMARY KEY (message_id, address)) WITHOUT ROWID")
    db.execute("CREATE INDEX idx_sent_expires ON sent (expires_at)")
    db.execute("CREATE TABLE held (event_id INTEGER PRIMARY KEY, address TEXT NOT NULL, domain TEXT NOT NULL, "
               "at TEXT NOT NULL, kind TEXT NOT NULL, reason TEXT NOT NULL, cause TEXT NOT NULL, "
               "status TEXT NOT NULL DEFAULT 'pending', decided_at TEXT, decided_by TEXT, decided_reason TEXT)")
    db.execute("CREATE INDEX idx_held_status ON held (status, domain)")


def _alerts_and_sources(db: sqlite_utils.Database) -> None:
    """v7. Alerts and where bounces come from (issue 15). ``alerts``: what the webhooks report
    besides suppression changes (a breaker trip, a source over its cap, an operator's decision on
    held suppressions), each with its details as JSON; the outbox now points at a change or at an
    alert, so ``change_id`` may be NULL (SQLite cannot drop a NOT NULL: the outbox is rebuilt, its
    ids kept). ``messages.source_addr``: the address of the host that sent the bounce (from
    XFORWARD, else the SMTP peer), which the per-source cap counts by."""
    db.execute("CREATE TABLE alerts (id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, type TEXT NOT NULL, "
               "detail TEXT NOT NULL)")
    db.execute("CREATE TABLE webhook_outbox_v7 (id INTEGER PRIMARY KEY AUTOINCREMENT, change_id INTEGER "
               "REFERENCES changes(id), alert_id INTEGER REFERENCES alerts(id), url TEXT NOT NULL, "
               "status TEXT NOT NULL DEFAULT 'pending', attempts INTEGER NOT NULL DEFAULT 0, created_at TEXT NOT NULL, "
               "next_at TEXT NOT NULL, delivered_at TEXT, last_error TEXT, "
               "CHECK ((change_id IS NULL) <> (alert_id IS NULL)))")
    db.execute("INSERT INTO webhook_outbox_v7 (id, change_id, url, status, attempts, created_at, next_at, delivered_at, "
               "last_error) SELECT id, change_id, url, status, attempts, created_at, next_at, delivered_at, last_error "
               "FROM webhook_outbox")
    db.execute("DROP TABLE webhook_outbox")
    db.execute("ALTER TABLE webhook_outbox_v7 RENAME TO webhook_outbox")
    db.execute("CREATE INDEX idx_outbox_pending ON webhook_outbox (url, id) WHERE status = 'pending'")
    db.execute("CREATE INDEX idx_outbox_url_status ON webhook_outbox (url, status)")
    db.execute("ALTER TABLE messages ADD COLUMN source_addr TEXT")
    db.execute("CREATE INDEX idx_messages_source ON messages (source_addr, received_at) WHERE source_addr IS NOT NULL")


def _final_recipients(db: sqlite_utils.Database) -> None:
    """v8. ``events.final_recipient``: the address that really failed when a forwarder or alias
    expanded the one we mailed (RFC 3464 2.3.1/2.3.2); the event itself is keyed on the latter."""
    db.execute("ALTER TABLE events ADD COLUMN final_recipient TEXT")

# version -> function bringing a database at the previous version to this one; applied in order at open
MIGRATIONS: dict[int, Any] = {1: _create_schema, 2: _suppressions_without_rowid, 3: _covering_count_indexes,
                              4: _web_api_tables, 5: _web_users_and_sessions, 6: _trust_and_held,
                              7: _alerts_and_sources, 8: _final_recipients}


# ------------------------------------------------------------------------------ the two engines
# "Active now", written once: the store's listings, the reader and the view all use it. ``{now}``
# is the current time as store text: a parameter from Python, or the engine's own clock in the view
# and the reader (no per-call time formatting in Python).
ACTIVE_NOW = "active = 1 AND (expires_at IS NULL OR expires_at > {now})"

_SQLITE_NOW = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"
# a scalar subquery, so PostgreSQL formats the time once per statement (an InitPlan), not once per
# row: 64 -> 29 ms for a 10,000-address check()
_PG_NOW = "(SELECT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'))"
_VIEW_COLUMNS = "address, domain, kind, reason, source, suppressed_at, expires_at, last_event_at"


@dataclass(frozen=True)
class Dialect:
    """What differs between the engines; everything else is the same SQL text."""

    name: str
    begin: str  # starts a write transaction
    now: str  # SQL expression: the current time as store text
    greatest: str  # SQL function: the larger of two values
    has_table: str  # one row when table ? exists in the store's namespace
    locks: bool  # advisory address locks (several writers on one database)
    errors: tuple[type[BaseException], ...]
    retryable: tuple[type[BaseException], ...] = ()
    unavailable: tuple[type[BaseException], ...] = ()  # the server, not the statement
    any_of: str = "IN (SELECT value FROM json_each(?))"  # "column <any_of>": one parameter, a list of values
    pack: Callable[[list], Any] = json.dumps  # that parameter from a Python list


SQLITE = Dialect("sqlite", "BEGIN IMMEDIATE", _SQLITE_NOW, "max",
                 "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", False, (sqlite3.Error,))


def _pg_dialect() -> Dialect:
    import psycopg

    return Dialect("postgresql", "BEGIN", _PG_NOW, "GREATEST",
                   "SELECT 1 FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = ?",
                   True, (psycopg.Error,), (psycopg.errors.DeadlockDetected, psycopg.errors.SerializationFailure),
                   (psycopg.OperationalError, psycopg.errors.ReadOnlySqlTransaction), "= ANY(?)", list)


# advisory lock namespaces (the first key of pg_advisory_xact_lock(int, int)): bounced's own, so
# another application's advisory locks on the same database cannot collide with them
_LOCK_SCHEMA = 0x626F756E  # "boun"
_LOCK_ADDRESS = 0x63656400  # "ced\\0"
_RETRIES = 5
# seconds between attempts to reach a server that is down: doubling from the first to the last,
# so a long outage costs a connection attempt every 5 s, and mail is accepted at most 5 s after the
# server is back (a message arriving meanwhile answers 451 at once with the last cause)
_RECONNECT_PAUSE = (1.0, 5.0)
_FEED_LOCK = 1 << 40  # in Store._locked: this transaction holds the change feed's lock (not an address id)


def _lock_id(key: str) -> int:
    """A stable 32-bit number for an address (a collision only makes two addresses wait for each other)."""
    return int.from_bytes(hashlib.blake2b(key.encode(), digest_size=4).digest(), "big", signed=True)


def display_url(url: str) -> str:
    """The URL as it may be shown: without a password even if one was given."""
    return re.sub(r"^(\w+://[^:@/]*):[^@/]*@", r"\1@", url)


class _Row(tuple):
    """A result row read by position or by column name, like sqlite3.Row, so the store's code and
    its tests read rows the same way from both engines."""

    __slots__ = ()
    _names: dict[str, int] = {}

    def __getitem__(self, k: Any) -> Any:  # type: ignore[override]
        return tuple.__getitem__(self, self._names[k] if isinstance(k, str) else k)

    def keys(self) -> list[str]:
        return list(self._names)


def _row_factory(cursor: Any) -> Callable[[Sequence[Any]], _Row]:
    names = {d.name: i for i, d in enumerate(cursor.description or ())}
    cls = type("Row", (_Row,), {"__slots__": (), "_names": names})
    return cls  # type: ignore[return-value]


class _PgConnection:
    """A psycopg connection that takes the store's SQL as written for SQLite's module: ``?``
    parameters (turned into ``%s`` once per statement text), explicit BEGIN/COMMIT in autocommit
    mode, rows readable by name. psycopg prepares a statement on the server after a few uses."""

    def __init__(self, url: str, password: str | None, readonly: bool, connect_timeout: int = 10) -> None:
        import psycopg

        kwargs: dict[str, Any] = {"autocommit": True, "connect_timeout": connect_timeout, "row_factory": _row_factory}
        if password is not None:
            kwargs["password"] = password
        self.raw = psycopg.connect(url, **kwargs)
        self._psycopg = psycopg
        self._sql: dict[str, str] = {}
        if readonly:
            self.raw.execute("SET default_transaction_read_only = on")

    def _q(self, sql: str) -> str:
        q = self._sql.get(sql)
        if q is None:
            q = self._sql[sql] = sql.replace("%", "%%").replace("?", "%s")
        return q

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        return self.raw.execute(self._q(sql), tuple(params) or None)

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> Any:
        cur = self.raw.cursor()
        cur.executemany(self._q(sql), list(rows))
        return cur

    def executemany_returning(self, sql: str, rows: list[Sequence[Any]]) -> list[Any]:
        """Run ``sql`` (one RETURNING column) for each row in one pipelined round trip; the first
        value each returned, or None where it returned no row."""
        if not rows:
            return []
        cur = self.raw.cursor()
        cur.executemany(self._q(sql), rows, returning=True)
        out = []
        while True:
            row = cur.fetchone()
            out.append(row[0] if row else None)
            if not cur.nextset():
                break
        return out

    @property
    def in_transaction(self) -> bool:
        return self.raw.info.transaction_status != self._psycopg.pq.TransactionStatus.IDLE

    @property
    def usable(self) -> bool:
        return not (self.raw.closed or self.raw.broken)

    def close(self) -> None:
        self.raw.close()


class _NotConnected:
    """The connection of a store opened with ``wait_for_server`` before the server answered: not
    usable, and any statement run on it first connects (``connect``: Store._connected), so no
    method of the store can be left holding a connection that never was."""

    usable = False
    in_transaction = False

    def __init__(self, connect: Callable[[], Any]) -> None:
        self._connect = connect

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        return self._connect().execute(sql, params)

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> Any:
        return self._connect().executemany(sql, rows)

    def close(self) -> None:
        pass


def _pg_schema(conn: Any) -> None:
    """PostgreSQL at version 3 in one step: the same tables, columns and meaning as SQLite's v1-v3.
    Text compares byte-wise (COLLATE "C") as in SQLite, so times and addresses sort the same;
    ids are identity columns that a copy from SQLite may set explicitly."""
    t = 'TEXT COLLATE "C"'
    ident = "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"
    for ddl in (
        f"CREATE TABLE meta (key {t} PRIMARY KEY, value TEXT)",
        f"CREATE TABLE messages (id {ident}, received_at {t} NOT NULL, mail_from TEXT, rcpt_tos TEXT, size BIGINT, "
        f"sha256 {t} NOT NULL UNIQUE, raw BYTEA, raw_pruned_at {t}, parse_status {t} NOT NULL, format {t}, "
        f"error TEXT, message_id TEXT)",
        "CREATE INDEX idx_messages_received_at ON messages (received_at)",
        "CREATE INDEX idx_messages_failed ON messages (id) WHERE parse_status = 'failed'",
        f"CREATE TABLE events (id {ident}, message_id BIGINT REFERENCES messages (id), address {t} NOT NULL, "
        f"domain {t}, at {t} NOT NULL, kind {t} NOT NULL, reason {t} NOT NULL, status {t}, reply_code {t}, "
        f"diagnostic TEXT, remote_mta TEXT, action {t}, feedback_type {t}, original_message_id TEXT, "
        f"original_headers TEXT, policy_action {t})",
        "CREATE INDEX idx_events_address_at ON events (address, at)",
        "CREATE INDEX idx_events_at ON events (at)",
        "CREATE INDEX idx_events_message_id ON events (message_id)",
        f"CREATE TABLE suppressions (address {t} PRIMARY KEY, domain {t}, active SMALLINT NOT NULL, kind {t}, "
        f"reason {t}, source {t}, first_event_at {t}, last_event_at {t}, soft_count INTEGER, soft_first_at {t}, "
        f"suppressed_at {t}, expires_at {t}, lifted_at {t}, lifted_by TEXT, lifted_reason TEXT)",
        "CREATE INDEX idx_suppressions_domain ON suppressions (domain)",
        "CREATE INDEX idx_suppressions_active_kind ON suppressions (kind, reason, expires_at) WHERE active = 1",
        f"CREATE TABLE activity (address {t} PRIMARY KEY, last_at {t}, source {t})",
        f"CREATE TABLE audit (id {ident}, at {t} NOT NULL, actor TEXT NOT NULL, action {t} NOT NULL, address {t}, "
        f"kind {t}, reason TEXT, detail TEXT)",
        "CREATE INDEX idx_audit_address_at ON audit (address, at)",
        f"CREATE VIEW active_suppressions AS SELECT {_VIEW_COLUMNS} FROM suppressions "
        f"WHERE {ACTIVE_NOW.format(now=_PG_NOW)}",
    ):
        conn.execute(ddl)


# PostgreSQL's migrations: a new database starts at the baseline (the schema SQLite reached by
# v1-v3); each later version has one function per engine under the same number.
def _pg_web_api_tables(conn: Any) -> None:
    """v4 on PostgreSQL: what :func:`_web_api_tables` does on SQLite. ``changes`` ids come from an
    identity column; since two daemons may commit at once, a feed reader's cursor stays exact only
    because every transaction that records a change takes one lock first (``_lock_feed``), so the
    ids commit in order."""
    t = 'TEXT COLLATE "C"'
    ident = "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"
    for ddl in (
        f"CREATE TABLE api_tokens (name {t} PRIMARY KEY, scope {t} NOT NULL, token_sha256 {t} NOT NULL UNIQUE, "
        f"created_at {t} NOT NULL, created_by TEXT)",
        f"CREATE TABLE activity_log (id {ident}, address {t} NOT NULL, at {t} NOT NULL, type {t} NOT NULL, source {t})",
        "CREATE INDEX idx_activity_log_address ON activity_log (address, at)",
        "INSERT INTO activity_log (address, at, type, source) SELECT address, last_at, 'activity', source "
        "FROM activity WHERE source IS DISTINCT FROM 'delivery report'",
        f"CREATE TABLE changes (id {ident}, at {t} NOT NULL, recorded_at {t} NOT NULL, address {t} NOT NULL, "
        f"change {t} NOT NULL, kind {t}, reason {t}, source {t}, actor TEXT, expires_at {t})",
        "CREATE INDEX idx_changes_address ON changes (address, id)",
        f"CREATE TABLE webhook_outbox (id {ident}, change_id BIGINT NOT NULL REFERENCES changes (id), url TEXT NOT NULL, "
        f"status {t} NOT NULL DEFAULT 'pending', attempts INTEGER NOT NULL DEFAULT 0, created_at {t} NOT NULL, "
        f"next_at {t} NOT NULL, delivered_at {t}, last_error TEXT)",
        "CREATE INDEX idx_outbox_pending ON webhook_outbox (url, id) WHERE status = 'pending'",
        "CREATE INDEX idx_outbox_url_status ON webhook_outbox (url, status)",
    ):
        conn.execute(ddl)


def _pg_web_users_and_sessions(conn: Any) -> None:
    """v5 on PostgreSQL: what :func:`_web_users_and_sessions` does on SQLite (``user`` is a reserved
    word there, so the store always writes the column as "user")."""
    t = 'TEXT COLLATE "C"'
    for ddl in (
        f"CREATE TABLE users (name {t} PRIMARY KEY, role {t} NOT NULL, password_hash TEXT, created_at {t} NOT NULL, "
        f"updated_at {t} NOT NULL)",
        f'CREATE TABLE web_sessions (token_hash {t} PRIMARY KEY, "user" {t} NOT NULL, purpose {t} NOT NULL, '
        f"csrf TEXT NOT NULL, created_at {t} NOT NULL, expires_at {t} NOT NULL)",
        'CREATE INDEX idx_web_sessions_user ON web_sessions ("user")',
    ):
        conn.execute(ddl)


def _pg_trust_and_held(conn: Any) -> None:
    """v6 on PostgreSQL: what :func:`_trust_and_held` does on SQLite."""
    t = 'TEXT COLLATE "C"'
    for ddl in (
        "ALTER TABLE events ADD COLUMN trusted SMALLINT",
        "ALTER TABLE events ADD COLUMN trust_note TEXT",
        "CREATE INDEX idx_events_hard_domain ON events (domain, at, trusted) WHERE kind = 'hard'",
        "CREATE INDEX idx_events_untrusted ON events (at) WHERE trusted = 0",
        f"CREATE TABLE sent (message_id {t} NOT NULL, address {t} NOT NULL, registered_at {t} NOT NULL, "
        f"expires_at {t} NOT NULL, PRIMARY KEY (message_id, address))",
        "CREATE INDEX idx_sent_expires ON sent (expires_at)",
        f"CREATE TABLE held (event_id BIGINT PRIMARY KEY, address {t} NOT NULL, domain {t} NOT NULL, at {t} NOT NULL, "
        f"kind {t} NOT NULL, reason {t} NOT NULL, cause TEXT NOT NULL, status {t} NOT NULL DEFAULT 'pending', "
        f"decided_at {t}, decided_by TEXT, decided_reason TEXT)",
        "CREATE INDEX idx_held_status ON held (status, domain)",
    ):
        conn.execute(ddl)


def _pg_alerts_and_sources(conn: Any) -> None:
    """v7 on PostgreSQL: what :func:`_alerts_and_sources` does on SQLite (here the NOT NULL can be dropped)."""
    t = 'TEXT COLLATE "C"'
    for ddl in (
        f"CREATE TABLE alerts (id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, at {t} NOT NULL, "
        f"type {t} NOT NULL, detail TEXT NOT NULL)",
        "ALTER TABLE webhook_outbox ALTER COLUMN change_id DROP NOT NULL",
        "ALTER TABLE webhook_outbox ADD COLUMN alert_id BIGINT REFERENCES alerts (id)",
        "ALTER TABLE webhook_outbox ADD CONSTRAINT webhook_outbox_one_subject "
        "CHECK ((change_id IS NULL) <> (alert_id IS NULL))",
        f"ALTER TABLE messages ADD COLUMN source_addr {t}",
        "CREATE INDEX idx_messages_source ON messages (source_addr, received_at) WHERE source_addr IS NOT NULL",
    ):
        conn.execute(ddl)


def _pg_final_recipients(conn: Any) -> None:
    """v8 on PostgreSQL: what :func:`_final_recipients` does on SQLite."""
    conn.execute("ALTER TABLE events ADD COLUMN final_recipient TEXT")


PG_BASELINE = 3
PG_MIGRATIONS: dict[int, Any] = {3: _pg_schema, 4: _pg_web_api_tables, 5: _pg_web_users_and_sessions,
                                 6: _pg_trust_and_held, 7: _pg_alerts_and_sources,
                                 8: _pg_final_recipients}


def _identity(path: str) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_dev, st.st_ino


def _state_from_row(row: Any) -> State | None:
    if row is None:
        return None
    values = {}
    for name in _STATE_FIELDS:
        v = row[name]
        values[name] = from_text(v) if name in _TIME_FIELDS else (bool(v) if name == "active" else v)
    values["soft_count"] = values["soft_count"] or 0
    return State(**values)


def _state_params(address: str, s: State) -> tuple:
    out: list[Any] = [address, domain_of(address)]
    for name in _STATE_FIELDS:
        v = getattr(s, name)
        out.append(to_text(v) if isinstance(v, datetime) else (int(v) if isinstance(v, bool) else v))
    return tuple(out)


_INSERT_MESSAGE = (
    "INSERT INTO messages (received_at, mail_from, rcpt_tos, size, sha256, raw, parse_status, format, error, "
    "message_id, source_addr) VALUES (?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT (sha256) DO NOTHING RETURNING id")


def _parse_status(r: ParseResult) -> str:
    return "failed" if r.error and not r.recipients else ("ok" if r.recipients else "empty")


_INSERT_EVENT = (
    "INSERT INTO events (message_id, address, domain, at, kind, reason, status, reply_code, diagnostic, remote_mta, "
    "action, feedback_type, original_message_id, original_headers, policy_action, trusted, trust_note, final_recipient) "
    "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)")

_UPSERT_STATE = (
    f"INSERT INTO suppressions (address, domain, {', '.join(_STATE_FIELDS)}) "
    f"VALUES ({', '.join('?' * (len(_STATE_FIELDS) + 2))}) ON CONFLICT (address) DO UPDATE SET "
    + ", ".join(f"{c} = excluded.{c}" for c in ["domain", *_STATE_FIELDS])
)


# ------------------------------------------------------------------------------ copying a store
# What ``bounced store migrate`` reads and writes, table by table; bounced/storecopy.py runs it.
_COPY_SKIP_META = {"schema_version", "last_health_check", "copied_from"}


@dataclass(frozen=True, slots=True)
class TableShape:
    name: str
    columns: tuple[str, ...]
    key: tuple[str, ...]  # the primary key the copy walks in order

    def key_of(self, row: tuple) -> tuple:
        return tuple(row[self.columns.index(k)] for k in self.key)


class CopyMixin:
    """The catalogue reads, batched reads and writes, and per-table digests of a store copy."""

    conn: Any
    dialect: Dialect

    def copy_tables(self) -> list[TableShape]:
        """Every table of this (SQLite) store, parents before the tables that reference them."""
        names = [r[0] for r in self.conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite%' ORDER BY name")]
        parents = {n: {r[2] for r in self.conn.execute("SELECT * FROM pragma_foreign_key_list(?)", (n,))} - {n}
                   for n in names}
        ordered: list[str] = []
        while len(ordered) < len(names):
            ready = [n for n in names if n not in ordered and parents[n] <= set(ordered)]
            if not ready:
                raise StoreError(f"foreign keys form a cycle among {sorted(set(names) - set(ordered))}")
            ordered += ready
        out = []
        for n in ordered:
            info = self.conn.execute("SELECT name, pk FROM pragma_table_info(?) ORDER BY cid", (n,)).fetchall()
            keys = tuple(r[0] for r in sorted((r for r in info if r[1]), key=lambda r: r[1]))
            if not keys:
                raise StoreError(f"table {n}: the copy needs a primary key to walk the table in order")
            out.append(TableShape(n, tuple(r[0] for r in info), keys))
        return out

    def _select(self, t: TableShape) -> str:
        where = " WHERE key NOT IN ('" + "', '".join(sorted(_COPY_SKIP_META)) + "')" if t.name == "meta" else ""
        return f"SELECT {', '.join(t.columns)} FROM {t.name}{where}"

    def copy_count(self, t: TableShape) -> int:
        return self.conn.execute(f"SELECT count(*) FROM ({self._select(t)}) AS c").fetchone()[0]

    def copy_read(self, t: TableShape, after: tuple | None, limit: int) -> list[tuple]:
        """Up to ``limit`` rows with a key above ``after`` (None: from the start), in key order."""
        sql = self._select(t)
        key = ", ".join(t.key)
        cond = (" AND " if " WHERE " in sql else " WHERE ") + f"({key}) > ({', '.join('?' * len(t.key))})"
        if after is None:
            return [tuple(r) for r in self.conn.execute(f"{sql} ORDER BY {key} LIMIT ?", (limit,))]
        return [tuple(r) for r in self.conn.execute(f"{sql}{cond} ORDER BY {key} LIMIT ?", (*after, limit))]

    def copy_last_key(self, t: TableShape) -> tuple | None:
        row = self.conn.execute(f"{self._select(t)} ORDER BY {', '.join(k + ' DESC' for k in t.key)} LIMIT 1").fetchone()
        return t.key_of(tuple(row)) if row else None

    def copy_write(self, t: TableShape, rows: list[tuple]) -> None:
        """One batch in one transaction; a row already there is left as it is (a re-run)."""
        cols = ", ".join(t.columns)
        on_conflict = "DO UPDATE SET value = excluded.value" if t.name == "meta" else "DO NOTHING"
        sql = (f"INSERT INTO {t.name} ({cols}) VALUES ({', '.join('?' * len(t.columns))}) "
               f"ON CONFLICT ({', '.join(t.key)}) {on_conflict}")
        self._write(lambda: self.conn.executemany(sql, rows), f"cannot copy into {t.name}")  # type: ignore[attr-defined]

    def copy_digest(self, t: TableShape, batch: int = 5000) -> str:
        """sha256 over every copied row in key order, values in one spelling for both engines."""
        h = hashlib.sha256()
        after = None
        while rows := self.copy_read(t, after, batch):
            for r in rows:
                h.update(repr(tuple(v.hex() if isinstance(v, (bytes, memoryview)) else v for v in r)).encode())
            after = t.key_of(rows[-1])
        return h.hexdigest()

    def copy_finish(self, tables: list[TableShape]) -> None:
        """Identity columns continue after the copied ids (PostgreSQL)."""
        if self.dialect.name != "postgresql":
            return

        def run() -> None:
            for t in tables:
                if len(t.key) != 1:
                    continue
                k = t.key[0]
                if self.conn.execute("SELECT pg_get_serial_sequence(?, ?)", (t.name, k)).fetchone()[0]:
                    self.conn.execute(f"SELECT setval(pg_get_serial_sequence(?, ?), max({k})) FROM {t.name} "
                                      f"HAVING max({k}) IS NOT NULL", (t.name, k))

        self._write(run, "cannot set the id sequences")  # type: ignore[attr-defined]

    def copy_origin(self, origin: str | None = None) -> str | None:
        """The copy's source as recorded in this store's meta (set it with ``origin``)."""
        if origin is not None:
            self._write(lambda: self._set_meta("copied_from", origin))  # type: ignore[attr-defined]
        row = self.conn.execute("SELECT value FROM meta WHERE key = 'copied_from'").fetchone()
        return row[0] if row else None

    def copy_has_data(self) -> bool:
        return any(self.conn.execute(f"SELECT 1 FROM {t} LIMIT 1").fetchone()
                   for t in ("messages", "events", "suppressions", "audit", "activity"))


class Store(CopyMixin):
    """The bounced database. Open with :meth:`open`; one instance per thread."""

    def __init__(self, path: str, conn: Any, config: Config, readonly: bool, dialect: Dialect = SQLITE,
                 reconnect: Callable[[], Any] | None = None) -> None:
        # ``path`` is where the store is, as people may see it: the file, or the URL without a password
        self.path, self.conn, self.readonly, self.dialect = path, conn, readonly, dialect
        self.rules = StoreRules.of(config)  # all the store reads of the config once open
        self.case_sensitive = config.store.local_part_case_sensitive
        self._reconnect = reconnect
        # the last failed connect: (monotonic time, the error, failures in a row); see _ensure_connected
        self._down: tuple[float, StoreError, int] | None = None
        self._set_up = True  # migrated and checked; False until a store opened with wait_for_server connects
        self._locked: set[int] = set()  # address locks this transaction holds (PostgreSQL)
        self._pending_events: list[tuple] = []  # events of the batch not written yet
        self._sent: dict[str, list[tuple[str, str]]] | None = None  # the batch's registrations, read once
        self._trips: dict[tuple[str, str], dict[str, Any]] = {}  # (alert type, subject) -> details, this transaction
        self._identity = _identity(path)  # the file opened, to notice it deleted or replaced
        self.keyring: Keyring | None = None  # loaded at open for writers when trust is not open
        self._one_sql = self._ONE.format(now=dialect.now)
        # SQLite: lookup_one's own cursor, rows as plain tuples (a cursor and a sqlite3.Row per call
        # cost more than the read itself). The statement is reset when fetchone reaches its end, so
        # no read transaction outlives the call.
        self._one_cursor = None
        if dialect is SQLITE:
            self._one_cursor = conn.cursor()
            self._one_cursor.row_factory = None

    # ---------------------------------------------------------------- opening
    @classmethod
    def open(cls, path: str | os.PathLike[str], config: Config | None = None, *, readonly: bool = False,
             wait_for_server: bool = False) -> "Store":
        """The SQLite file at ``path``, or the PostgreSQL database when ``path`` is a postgresql:// URL.

        ``wait_for_server`` (PostgreSQL; the daemon and ``bounced web``): a server that cannot be
        reached now is no error here; the store connects, migrates and checks the schema on first
        use, and until then every use raises StoreUnavailable. A :class:`PermanentStoreError` is
        raised at once either way."""
        config = config or Config()
        path = str(path)
        if is_url(path):
            return cls._open_pg(path, config, readonly, wait_for_server)
        try:
            if readonly:
                if not Path(path).exists():
                    raise StoreError(f"{path}: no such database")
                conn = sqlite3.connect(readonly_uri(path), uri=True, isolation_level=None, check_same_thread=False)
            else:
                parent = Path(path).resolve().parent
                if not parent.is_dir():
                    raise StoreError(f"{path}: directory {parent} does not exist")
                if (why := _why_unopenable(path, readonly)) is not None:
                    raise StoreError(f"{path}: {why}")
                _create_file(path, config.store.file_mode)
                conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            conn.row_factory = sqlite3.Row
            conn.execute(f"PRAGMA busy_timeout = {int(config.store.busy_timeout_ms)}")
            conn.execute("PRAGMA foreign_keys = ON")
            if not readonly:
                mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
                if str(mode).lower() != "wal":
                    raise StoreError(f"{path}: cannot switch to WAL mode (got {mode})")
                conn.execute("PRAGMA synchronous = FULL")  # a 250 survives power loss, not only a crash
            store = cls(path, conn, config, readonly)
            store._migrate()
            store._check_tables()
            if not readonly and config.bounce.trust != "open":
                store.keyring = keyfiles.load(config, path)
        except StoreError:
            raise
        except sqlite3.DatabaseError as exc:
            why = _why_unopenable(path, readonly)
            raise StoreError(f"{path}: {why}" if why else f"{path}: not a usable bounced database ({exc})") from None
        except OSError as exc:
            raise StoreError(f"{path}: {exc.strerror or exc}") from None
        except keyfiles.KeyFileError as exc:
            raise StoreError(str(exc)) from None
        return store

    @classmethod
    def _open_pg(cls, url: str, config: Config, readonly: bool, wait_for_server: bool = False) -> "Store":
        shown = display_url(url)
        problem = url_problem(url)
        if problem and "password" not in problem:  # a password given in code (not config) is used, never shown
            raise PermanentStoreError(f"{shown}: {problem}")
        dialect = _pg_dialect()
        keyring = None
        if not readonly and config.bounce.trust != "open":
            try:  # bounce.verp_secret_files, the same on every MX host; else a secret beside store.path
                keyring = keyfiles.load(config)
            except keyfiles.KeyFileError as exc:
                raise StoreError(str(exc)) from None

        def connect() -> _PgConnection:
            password = read_password(config)  # read again on each connect: a rotated password is picked up
            try:
                return _PgConnection(url, password, readonly, config.store.connect_timeout)
            except dialect.errors as exc:
                raise _connect_error(shown, exc) from None

        try:
            conn: Any = connect()
        except StoreUnavailable as exc:
            if not wait_for_server:
                raise
            conn = exc
        store = cls(shown, conn, config, readonly, dialect, connect)
        store.keyring = keyring
        if isinstance(conn, StoreUnavailable):
            store.conn = _NotConnected(store._connected)
            store._set_up = False
            store._down = (time.monotonic(), conn, 1)
            return store
        try:
            store._set_up_schema()
        except BaseException:
            store.close()
            raise
        return store

    def _set_up_schema(self) -> None:
        """Migrate and check the schema on a fresh connection (PostgreSQL), each failure classed:
        the server going away meanwhile is StoreUnavailable, a schema this bounced cannot use or a
        user without the rights to create it is PermanentStoreError."""
        import psycopg

        try:
            self._migrate()
            self._check_tables()
        except StoreUnavailable:
            raise
        except StoreError as exc:
            raise PermanentStoreError(str(exc)) from None
        except self.dialect.unavailable as exc:
            raise StoreUnavailable(f"{self.path}: cannot migrate or check the schema: {_one_line(exc)}") from None
        except psycopg.errors.InsufficientPrivilege as exc:
            raise PermanentStoreError(f"{self.path}: cannot create or migrate the schema: {_one_line(exc)}") from None
        except self.dialect.errors as exc:
            raise StoreError(f"{self.path}: not a usable bounced database ({_one_line(exc)})") from None
        self._set_up = True

    def reconfigure(self, config: Config) -> None:
        """Reloaded policy, trust and breaker settings, on the open connection: a SIGHUP does not
        reopen the database (where the database is and how to reach it change only on restart).
        Nothing changes when the new VERP secret files cannot be read."""
        keyring = None
        if not self.readonly and config.bounce.trust != "open":
            try:
                keyring = keyfiles.load(config, None if self._reconnect else self.path)
            except keyfiles.KeyFileError as exc:
                raise StoreError(str(exc)) from None
        self.rules, self.keyring = StoreRules.of(config), keyring

    def _has_table(self, name: str) -> bool:
        return self.conn.execute(self.dialect.has_table, (name,)).fetchone() is not None

    def _version(self) -> int:
        if not self._has_table("meta"):
            if self._has_table("messages") or (self.dialect is SQLITE and self.conn.execute(
                    "SELECT count(*) FROM sqlite_master WHERE type='table'").fetchone()[0]):
                raise PermanentStoreError(f"{self.path}: this database is not a bounced database (no meta table)")
            return 0
        row = self.conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
        return int(row[0]) if row else 0

    def _migrate(self) -> None:
        version = self._version()
        if version > SCHEMA_VERSION:
            raise PermanentStoreError(f"{self.path}: database schema version {version} is newer than this bounced "
                                      f"understands ({SCHEMA_VERSION}); upgrade bounced")
        if version < SCHEMA_VERSION:
            self._upgrade(version)
        row = self.conn.execute("SELECT value FROM meta WHERE key='local_part_case_sensitive'").fetchone()
        self.case_sensitive = bool(int(row[0])) if row else self.case_sensitive

    def _check_tables(self) -> None:
        """A bounced database missing a table would start and then answer 451 to everything:
        refuse it at open, naming what is missing."""
        missing = [t for t in TABLES if not self._has_table(t)]
        if missing:
            raise PermanentStoreError(f"{self.path}: damaged bounced database: missing table(s) {', '.join(missing)}; "
                                      "restore it from a backup")

    def _check_file(self) -> None:
        """The path still names the file we have open. A deleted or replaced database would take
        every later message with it (SQLite writes on into the unlinked inode), so it is an error."""
        if self._reconnect is not None:
            return  # PostgreSQL: no file
        now = _identity(self.path)
        if now != self._identity:
            what = "deleted" if now is None else "replaced by another file"
            raise StoreError(f"{self.path}: the database file was {what} while bounced had it open; "
                             "refusing to store into it; restart bounced (after restoring the file if it was not meant)")

    def check_health(self) -> None:
        """Read-only: the file is still ours and has every table (the daemon's health tick)."""
        try:
            self._ensure_connected()
            self._check_file()
            self._check_tables()
        except self.dialect.unavailable as exc:
            raise StoreUnavailable(self._fail(exc, "cannot read").args[0]) from None
        except self.dialect.errors as exc:
            raise self._fail(exc, "cannot read") from None

    def _upgrade(self, version: int) -> None:
        if self.readonly:
            raise StoreError(f"{self.path}: database schema version {version} needs migrating; open it read-write once")

        def run() -> None:
            if self.dialect.locks:  # two daemons starting together: the second waits, then finds it done
                self.conn.execute("SELECT pg_advisory_xact_lock(?, 0)", (_LOCK_SCHEMA,))
            current = self._version()
            if current >= SCHEMA_VERSION:
                return
            if self.dialect is SQLITE:
                db = sqlite_utils.Database(self.conn)
                for v in sorted(v for v in MIGRATIONS if current < v <= SCHEMA_VERSION):
                    MIGRATIONS[v](db)
            else:
                for v in sorted(v for v in PG_MIGRATIONS if max(current, PG_BASELINE - 1) < v <= SCHEMA_VERSION):
                    PG_MIGRATIONS[v](self.conn)
            self._set_meta("schema_version", str(SCHEMA_VERSION))
            self.conn.execute("INSERT INTO meta (key, value) VALUES ('local_part_case_sensitive', ?) "
                              "ON CONFLICT (key) DO NOTHING", (str(int(self.case_sensitive)),))

        self._write(run, "cannot create or migrate the schema", wrap=False)

    def _set_meta(self, key: str, value: str) -> None:
        self.conn.execute("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                          (key, value))

    def close(self) -> None:
        try:
            self.conn.close()
        except self.dialect.errors:
            pass

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def key(self, address: str) -> str:
        """The normalized lookup key; raises InvalidAddress (and StoreUnavailable before a store
        opened with ``wait_for_server`` has read whether local parts are case-sensitive)."""
        if not self._set_up:
            self._ensure_connected()
        return normalize(address, case_sensitive=self.case_sensitive)

    def _fail(self, exc: BaseException, what: str) -> StoreError:
        return StoreError(f"{self.path}: {what}: {_one_line(exc)}")

    def check_writable(self) -> None:
        self._write(lambda: self._set_meta("last_health_check", to_text(utcnow())))

    def _rollback(self) -> None:
        try:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
        except self.dialect.errors:
            pass

    # ---------------------------------------------------------------- the one transaction helper
    def _write(self, fn: Callable[[], Any], what: str = "cannot write", *, wrap: bool = True) -> Any:
        """Run ``fn`` in one write transaction and commit; any failure rolls everything back and
        (``wrap``) becomes a StoreError naming the store and the cause. On PostgreSQL a lost
        connection is reopened before the next transaction, and a deadlock or serialization
        failure runs ``fn`` again (it must start from what it reads, as every caller here does)."""
        for attempt in range(_RETRIES):
            begun = False
            try:
                self._ensure_connected()
                self._locked.clear()
                self.conn.execute(self.dialect.begin)
                begun = True
                out = fn()
                self.conn.execute("COMMIT")
                return out
            except self.dialect.retryable:
                self._rollback()
                if attempt == _RETRIES - 1:
                    raise
            except self.dialect.unavailable as exc:
                self._rollback()
                if not begun and attempt == 0 and self._reconnect is not None:
                    continue  # the connection died while idle (a server restart): nothing was sent, reconnect
                if not wrap:
                    raise
                raise StoreUnavailable(self._fail(exc, what).args[0]) from None
            except self.dialect.errors as exc:
                self._rollback()
                if not wrap:
                    raise
                raise self._fail(exc, what) from None
            except BaseException:
                self._rollback()
                raise
        raise AssertionError("unreachable")

    def _ensure_connected(self) -> None:
        """PostgreSQL: a connection the server or the network dropped, or never made (a store opened
        with ``wait_for_server``), is made now, and the schema migrated and checked if it has not
        been yet. While the server cannot be reached this raises the last failure at once, and tries
        again only after a pause that doubles with each failure (:data:`_RECONNECT_PAUSE`), so the
        daemon answers 451 without waiting on every batch.

        A refusal no retry fixes (:class:`PermanentStoreError`) stays one until the store has been
        usable once: a daemon that was storing mail keeps answering 451 and retrying through a
        password rotated on the server before the file (the file is read on each attempt)."""
        if self._reconnect is None or self.conn.usable:
            return
        if self._down is not None:
            first, last = _RECONNECT_PAUSE
            since, error, failures = self._down
            if time.monotonic() - since < min(last, first * 2 ** (failures - 1)):
                raise error
        try:
            self.conn.close()
        except self.dialect.errors:
            pass
        failures = self._down[2] + 1 if self._down is not None else 1
        try:
            self.conn = self._reconnect()
            if not self._set_up:
                self._set_up_schema()
        except StoreError as exc:
            if self.conn.usable:
                self.conn.close()
            if isinstance(exc, PermanentStoreError) and self._set_up:
                exc = StoreUnavailable(str(exc))
            self._down = (time.monotonic(), exc, failures)
            raise exc from None
        self._down = None

    def _connected(self) -> Any:
        self._ensure_connected()
        return self.conn

    def _lock(self, keys: Iterable[str]) -> None:
        """Take the addresses' advisory locks until COMMIT, in one global order (PostgreSQL only)."""
        if self.dialect.locks:
            ids = sorted({_lock_id(k) for k in keys} - self._locked)
            self._locked.update(ids)
            if ids:
                self.conn.executemany("SELECT pg_advisory_xact_lock(?, ?)", [(_LOCK_ADDRESS, i) for i in ids])

    # ---------------------------------------------------------------- ingest
    def ingest_many(self, items: Sequence[Incoming]) -> list[IngestOutcome]:
        """Store messages, their events and the suppression changes in ONE transaction. The states
        of every address in the batch are locked (PostgreSQL) and read in one statement each, not
        per recipient: round trips, not rows, are what a commit on a database server costs."""
        self._check_file()
        keys = set()
        for it in items:
            for rec in it.result.recipients:
                try:
                    keys.add(self.key(rec.recipient))
                except InvalidAddress:
                    pass

        def run() -> list[IngestOutcome]:
            self._lock(keys)
            states = self._load_states(keys)
            before = dict(states)
            self._pending_events.clear()
            self._trips.clear()
            self._sent = self._registrations(items)
            try:
                ids = self._insert_messages(items)
                outcomes = [self._ingest_one(it, i, states) for it, i in zip(items, ids, strict=True)]
            finally:
                self._sent = None
            self._flush_events()
            self._write_states({k: s for k, s in states.items() if s is not before[k]}, before=before)
            self._trip_alerts()
            return outcomes

        return self._write(run, "cannot store messages")

    def known_sha256s(self, shas: Sequence[str]) -> set[str]:
        """Which of ``shas`` are stored already: the writer looks a message up before parsing it,
        so a resent message (the same bytes) is not parsed again."""
        known: set[str] = set()
        for k in range(0, len(shas), 500):
            part = list(shas[k:k + 500])
            rows = self.conn.execute(f"SELECT sha256 FROM messages WHERE sha256 IN ({','.join('?' * len(part))})", part)
            known.update(r[0] for r in rows)
        return known

    def _insert_messages(self, items: Sequence[Incoming]) -> list[int | None]:
        """Each message's new id, or None for one stored already (its sha256 is unique). On
        PostgreSQL all in one pipelined round trip; SQLite answers each in microseconds."""
        # zlib level 1: on the corpus 85 vs 100 us per message and a 2.39 vs 2.48 size ratio against level 6
        rows = [(to_text(it.received_at), it.mail_from, json.dumps(list(it.rcpt_tos)), len(it.raw), it.sha256,
                 zlib.compress(it.raw, 1), _parse_status(it.result), it.result.format, it.result.error,
                 it.result.message_id, it.source) for it in items]
        if self._reconnect is None:
            return [(r[0] if (r := self.conn.execute(_INSERT_MESSAGE, row).fetchone()) else None) for row in rows]
        return self.conn.executemany_returning(_INSERT_MESSAGE, rows)

    def _ingest_one(self, it: Incoming, msg_id: int | None, states: dict[str, State | None]) -> IngestOutcome:
        r = it.result
        status = _parse_status(r)
        if msg_id is None:
            return IngestOutcome(it.sha256, None, True, 0, status == "failed")
        t = self._store_events(msg_id, r, it.received_at, states, it.rcpt_tos, it.source)
        return IngestOutcome(it.sha256, msg_id, False, t.events, status == "failed", t.untrusted, t.held,
                             tuple(t.tripped), t.capped, tuple(t.actions))

    def _store_events(self, msg_id: int, r: ParseResult, at: datetime, states: dict[str, State | None],
                      rcpt_tos: Sequence[str], source: str | None = None) -> "_Tally":
        pol = self.rules.policy
        headers = json.dumps(dict(r.original_headers)) if r.original_headers else None
        keyed = []
        for rec in r.recipients:
            try:
                keyed.append((self.key(rec.recipient), rec))
            except InvalidAddress:
                continue  # the raw message is kept; reprocess can recover it after a parser fix
        verdicts = trust.assess([k for k, _ in keyed], self._evidence(r, rcpt_tos, at), self.rules.bounce,
                                self.keyring, at, self.key)
        tally = _Tally()
        for key, rec in keyed:
            verdict = verdicts[key]
            kind = policy.effective_kind(str(rec.kind), rec.reason, pol)
            hold = None
            if not verdict.trusted:
                action = "untrusted"
                tally.untrusted += 1
            else:
                if key not in states:
                    states[key] = self._load_state(key)
                change = policy.apply_event(states[key], kind, rec.reason, at, pol)
                action = change.action
                tally.suppressing += kind in (Kind.HARD, Kind.COMPLAINT)  # the cap counts these, suppressed yet or not
                if action.endswith("suppressed"):
                    hold = self._hold_cause(key, kind, at, tally, source)
                if hold is None:
                    states[key] = change.state
                else:
                    action = "held"
            event = (msg_id, key, domain_of(key), to_text(at), kind, rec.reason, rec.status, rec.reply_code,
                     rec.diagnostic[:4000], rec.remote_mta, rec.action, rec.feedback_type, r.original_message_id,
                     headers, action, int(verdict.trusted), verdict.why, rec.final_recipient)
            if hold is None:
                self._pending_events.append(event)  # written together by _flush_events
            else:
                self._flush_events()
                event_id = self.conn.execute(_INSERT_EVENT + " RETURNING id", event).fetchone()[0]
                self._insert_held(event_id, key, at, kind, rec.reason, hold)
                tally.held += 1
            if kind == Kind.DELIVERED and verdict.trusted:
                self._touch_activity(key, at, "delivery report")
            tally.actions.append(action)
            tally.events += 1
        return tally

    def _insert_held(self, event_id: int, key: str, at: datetime, kind: str, reason: str, cause: str) -> None:
        """A held row; on reprocess an operator's earlier decision on the same event is kept."""
        decided = None
        for a in self.conn.execute("SELECT at, actor, action, reason, detail FROM audit WHERE address = ? AND "
                                   "action IN ('release', 'discard') ORDER BY at DESC, id DESC", (key,)):
            d = json.loads(a["detail"])
            if d.get("event_at") == to_text(at) and a["reason"] == reason:
                decided = (_DECIDED[a["action"]], a["at"], a["actor"], d.get("why"))
                break
        status, decided_at, by, why = decided or ("pending", None, None, None)
        self.conn.execute("INSERT INTO held (event_id, address, domain, at, kind, reason, cause, status, decided_at, "
                          "decided_by, decided_reason) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                          (event_id, key, domain_of(key), to_text(at), kind, reason, cause, status, decided_at, by, why))

    def _evidence(self, r: ParseResult, rcpt_tos: Sequence[str], at: datetime) -> trust.Evidence:
        sig = next((v for n, v in r.original_headers if n.lower() == SIG_HEADER.lower()), None)
        mid = _message_id(r.original_message_id)
        registered: frozenset[str] = frozenset()
        if mid and self.rules.bounce.trust == "bound":
            rows = self._sent.get(mid) if self._sent is not None else self.conn.execute(
                "SELECT address, expires_at FROM sent WHERE message_id = ?", (mid,)).fetchall()
            registered = frozenset(a for a, expires in rows or () if expires > to_text(at))
        return trust.Evidence(tuple(rcpt_tos), r.original_message_id, sig, registered, r.original_mail_from)

    def _hold_cause(self, key: str, kind: str, at: datetime, tally: "_Tally", source: str | None) -> str | None:
        """Why this new suppression is held instead of applied, or None to apply it."""
        b = self.rules.breaker
        if tally.suppressing > b.max_per_message:
            return f"per-message cap: more than {b.max_per_message} suppressions from one message"
        if kind != Kind.HARD:
            return None
        return self._source_cap(source, at, tally) or (self._breaker(key, at, tally) if b.enabled else None)

    def _breaker(self, key: str, at: datetime, tally: "_Tally") -> str | None:
        b = self.rules.breaker
        domain = domain_of(key)
        window_start = at - timedelta(minutes=b.window_minutes)
        self._flush_events()  # the count includes this batch's earlier events
        count = ("SELECT count(*) FROM events WHERE kind = 'hard' AND domain = ? AND at >= ? AND at <= ? "
                 "AND (trusted IS NULL OR trusted = 1)")
        in_window = self.conn.execute(count, (domain, to_text(window_start), to_text(at))).fetchone()[0] + 1
        baseline = self.conn.execute(count.replace("at <= ?", "at < ?"),
                                     (domain, to_text(window_start - timedelta(days=b.baseline_days)),
                                      to_text(window_start))).fetchone()[0]
        reading = breaker.read(in_window, baseline, b)
        if not reading.tripped:
            return None
        already = self.conn.execute("SELECT 1 FROM held WHERE domain = ? AND status = 'pending' AND cause LIKE "
                                    "'breaker:%' LIMIT 1", (domain,)).fetchone()
        if not already and domain not in tally.tripped:
            tally.tripped.append(domain)
            self._trips[("breaker.tripped", domain)] = {
                "at": at, "domain": domain, "window_hard": reading.window_hard, "window_minutes": b.window_minutes,
                "threshold": round(reading.threshold, 2), "baseline_hard": baseline, "baseline_days": b.baseline_days}
        return (f"breaker: {reading.window_hard} hard bounces for {domain} within {b.window_minutes} min, "
                f"over the threshold {reading.threshold:.1f}")

    def _source_cap(self, source: str | None, at: datetime, tally: "_Tally") -> str | None:
        """The per-source cap: at most ``breaker.max_per_source`` new hard suppressions from one
        sending host within ``breaker.source_window_minutes``. Counted as the breaker counts, by the
        source's trusted hard bounces (not by what the policy made of them, which a reprocess
        changes): bounces for addresses suppressed already are rare, since mailers stop sending
        to them. An unknown source, or one of our own
        relays (``server.xforward_from``: the MTA in front, when it did not forward the client's
        address), is not capped: all mail would share it."""
        b = self.rules.breaker
        if not source or xforward.allowed(source, self.rules.relays):
            return None
        self._flush_events()
        since = to_text(at - timedelta(minutes=b.source_window_minutes))
        # counted only up to the cap: a source's burst costs each new suppression at most cap rows
        done = self.conn.execute(
            "SELECT count(*) FROM (SELECT 1 FROM events e JOIN messages m ON m.id = e.message_id WHERE "
            "m.source_addr = ? AND m.received_at >= ? AND m.received_at <= ? AND e.kind = 'hard' AND "
            "(e.trusted IS NULL OR e.trusted = 1) LIMIT ?) AS upto",
            (source, since, to_text(at), b.max_per_source)).fetchone()[0]
        if done < b.max_per_source:
            return None
        already = self.conn.execute(
            "SELECT 1 FROM held h JOIN events e ON e.id = h.event_id JOIN messages m ON m.id = e.message_id "
            "WHERE h.status = 'pending' AND h.cause LIKE 'source_cap:%' AND m.source_addr = ? LIMIT 1",
            (source,)).fetchone()
        if not already and ("source_cap.tripped", source) not in self._trips:
            tally.capped = source
            self._trips[("source_cap.tripped", source)] = {
                "at": at, "source": source, "window_hard": done, "cap": b.max_per_source,
                "window_minutes": b.source_window_minutes}
        return (f"source_cap: more than {b.max_per_source} new hard suppressions from {source} "
                f"within {b.source_window_minutes} min")

    def _trip_alerts(self) -> None:
        """One alert per breaker or source cap that tripped in this transaction, with what it holds."""
        for (typ, subject), detail in self._trips.items():
            if typ == "breaker.tripped":
                held = self.conn.execute("SELECT count(*) FROM held WHERE domain = ? AND status = 'pending' AND "
                                         "cause LIKE 'breaker:%'", (subject,)).fetchone()[0]
            else:
                held = self.conn.execute(
                    "SELECT count(*) FROM held h JOIN events e ON e.id = h.event_id JOIN messages m ON "
                    "m.id = e.message_id WHERE h.status = 'pending' AND h.cause LIKE 'source_cap:%' AND "
                    "m.source_addr = ?", (subject,)).fetchone()[0]
            at = detail.pop("at")
            self._record_alert(typ, at, {**detail, "held": held})
        self._trips.clear()

    def _record_alert(self, typ: str, at: datetime, detail: dict[str, Any]) -> None:
        """An alert, and an outbox row for every webhook subscribed to its type (same transaction)."""
        now = to_text(utcnow())
        alert_id = self.conn.execute("INSERT INTO alerts (at, type, detail) VALUES (?,?,?) RETURNING id",
                                     (to_text(at), typ, json.dumps(detail, sort_keys=True))).fetchone()[0]
        hooks = [(alert_id, h.url, now, now) for h in self.rules.webhooks if typ in h.events]
        if hooks:
            self.conn.executemany("INSERT INTO webhook_outbox (alert_id, url, created_at, next_at) VALUES (?,?,?,?)",
                                  hooks)

    def _flush_events(self) -> None:
        """Write the queued events in one statement (a single round trip on PostgreSQL)."""
        if self._pending_events:
            self.conn.executemany(_INSERT_EVENT, self._pending_events)
            self._pending_events.clear()

    def _registrations(self, items: Sequence[Incoming]) -> dict[str, list[tuple[str, str]]] | None:
        """``sent`` rows for the batch's original Message-IDs, read once (trust = bound only)."""
        if self.rules.bounce.trust != "bound":
            return None
        mids = sorted({m for it in items if (m := _message_id(it.result.original_message_id))})
        out: dict[str, list[tuple[str, str]]] = {}
        if mids:
            for row in self.conn.execute(f"SELECT message_id, address, expires_at FROM sent "
                                         f"WHERE message_id {self.dialect.any_of}", (self.dialect.pack(mids),)):
                out.setdefault(row[0], []).append((row[1], row[2]))
        return out

    def _load_state(self, key: str) -> State | None:
        """An address's state, locked until COMMIT on PostgreSQL."""
        self._lock((key,))
        return _state_from_row(self.conn.execute("SELECT * FROM suppressions WHERE address = ?", (key,)).fetchone())

    def _load_states(self, keys: Iterable[str]) -> dict[str, State | None]:
        """The states of ``keys`` (already locked), None for an address without one."""
        keys = list(keys)
        out: dict[str, State | None] = dict.fromkeys(keys)
        if keys:
            for row in self.conn.execute(f"SELECT * FROM suppressions WHERE address {self.dialect.any_of}",
                                         (self.dialect.pack(keys),)):
                out[row["address"]] = _state_from_row(row)
        return out

    def _write_states(self, states: dict[str, State | None], actor: str = "policy",
                      before: dict[str, State | None] | None = None) -> None:
        """Persist new states, and every suppression change they make into the feed and the outbox.
        ``before``: the states as read at the start of the transaction, when the caller has them
        (else each is read again)."""
        rows = []
        for k, s in states.items():
            if s is None:
                continue
            rows.append(_state_params(k, s))
            for ch in changes.between(before[k] if before is not None else self._load_state(k), s):
                self._record_change(k, ch, actor)
        if rows:
            self.conn.executemany(_UPSERT_STATE, rows)

    def _record_change(self, key: str, ch: changes.ChangeRecord, actor: str) -> None:
        now = to_text(utcnow())
        if self.dialect.locks and _FEED_LOCK not in self._locked:
            # PostgreSQL: feed ids come from a sequence, and two daemons' transactions could commit
            # them out of order (a reader past id 11 would never see 10). One lock from the first
            # change to COMMIT makes the ids commit in order; it is taken after the address locks,
            # always last, so it cannot deadlock with them.
            self.conn.execute("SELECT pg_advisory_xact_lock(?, 1)", (_LOCK_SCHEMA,))
            self._locked.add(_FEED_LOCK)
        change_id = self.conn.execute(
            "INSERT INTO changes (at, recorded_at, address, change, kind, reason, source, actor, expires_at) "
            "VALUES (?,?,?,?,?,?,?,?,?) RETURNING id",
            (to_text(ch.at), now, key, ch.change, ch.kind, ch.reason, ch.source,
             "policy" if ch.change == "expired" else actor,
             to_text(ch.expires_at) if ch.expires_at else None)).fetchone()[0]
        hooks = [(change_id, h.url, now, now) for h in self.rules.webhooks if ch.change in h.events]
        if hooks:
            self.conn.executemany("INSERT INTO webhook_outbox (change_id, url, created_at, next_at) VALUES (?,?,?,?)", hooks)

    def _touch_activity(self, key: str, at: datetime, source: str) -> None:
        self.conn.execute(
            "INSERT INTO activity (address, last_at, source) VALUES (?,?,?) ON CONFLICT (address) DO UPDATE SET "
            f"last_at = {self.dialect.greatest}(activity.last_at, excluded.last_at), source = excluded.source",
            (key, to_text(at), source))

    # ---------------------------------------------------------------- writes by people and mailers
    def record_activity(self, address: str, when: datetime | None = None, source: str = "mailer") -> None:
        self.record_activities([(address, when or utcnow(), "activity")], source=source)

    def record_activities(self, items: Sequence[tuple[str, datetime, str]], source: str = "mailer") -> int:
        """Activity the mailer saw, as (address, at, type): every time is kept (replay needs them all)
        and each starts the address's soft run over. All or nothing: a malformed address raises
        :class:`InvalidAddress` naming it before anything is written."""
        keyed = [(self.key(a), at, typ) for a, at, typ in items]

        def run() -> int:
            self.conn.executemany("INSERT INTO activity_log (address, at, type, source) VALUES (?,?,?,?)",
                                  [(k, to_text(at), typ, source) for k, at, typ in keyed])
            self._lock(k for k, _, _ in keyed)
            before = self._load_states({k for k, _, _ in keyed})
            states = dict(before)
            for k, at, _typ in sorted(keyed, key=lambda x: x[1]):
                self._touch_activity(k, at, source)
                states[k] = policy.apply_activity(states[k], at).state
            self._write_states(states, before=before)
            return len(keyed)

        return self._write(run)

    def sweep_expired(self, now: datetime | None = None, limit: int = 1000) -> int:
        """Write down up to ``limit`` soft suppressions past ``expires_at`` so the feed and webhooks
        report them; bounded so one sweep never holds the write lock long enough to delay ingest."""
        now = now or utcnow()

        def run() -> int:
            keys = [r[0] for r in self.conn.execute(
                "SELECT address FROM suppressions WHERE active = 1 AND expires_at IS NOT NULL AND expires_at <= ? "
                "LIMIT ?", (to_text(now), limit))]
            self._lock(keys)
            before = self._load_states(keys)  # read again under the locks: a daemon may have renewed one
            states = {k: policy.apply_expiry(st, now).state for k, st in before.items() if st is not None}
            self._write_states(states, before=before)
            return len(keys)

        return self._write(run)

    def _audit(self, at: datetime, actor: str, action: str, key: str, kind: str | None, reason: str, detail: dict | None = None) -> None:
        self.conn.execute("INSERT INTO audit (at, actor, action, address, kind, reason, detail) VALUES (?,?,?,?,?,?,?)",
                          (to_text(at), actor, action, key, kind, reason, json.dumps(detail) if detail else None))

    def suppress(self, address: str, reason: str, *, kind: str = "hard", by: str = "operator",
                 when: datetime | None = None, source: str = "manual", expires: datetime | None = None) -> State:
        key, at = self.key(address), when or utcnow()
        if kind not in {k.value for k in Kind}:
            raise ValueError(f"unknown kind {kind!r}")

        def run() -> State:
            state = policy.apply_manual_suppress(self._load_state(key), kind, reason, at, source, expires).state
            self._write_states({key: state}, by)
            self._audit(at, by, "import" if source == "import" else "suppress", key, kind, reason,
                        {"expires_at": to_text(expires)} if expires else None)
            return state

        return self._write(run)

    def unsuppress(self, address: str, reason: str, *, by: str = "operator", when: datetime | None = None) -> State:
        key, at = self.key(address), when or utcnow()
        if not reason or not reason.strip():
            raise ValueError("a reason is required to lift a suppression")

        def run() -> State:
            before = self._load_state(key)
            if before is None or not before.is_active(at):
                raise LookupError(f"{key} is not suppressed")
            state = policy.apply_lift(before, at, by, reason).state
            self._write_states({key: state}, by)
            self._audit(at, by, "unsuppress", key, before.kind, reason,
                        {"was_kind": before.kind, "was_reason": before.reason})
            return state

        return self._write(run)

    def import_suppressions(self, rows: Iterable[SuppressionRow], by: str = "import") -> tuple[int, list[str]]:
        """Suppressions from another list, each with its own dates and source (kept in the audit
        detail so ``reprocess`` replays them unchanged); returns (imported, errors)."""
        rows = list(rows)  # a retried transaction reads them again
        errors: list[str] = []
        count = 0

        def run() -> None:
            nonlocal count
            errors.clear()
            count = 0
            for row in rows:
                try:
                    key = self.key(row.address)
                except InvalidAddress as exc:
                    errors.append(str(exc))
                    continue
                at = row.created_at or utcnow()
                source = row.source or "import"
                state = policy.apply_manual_suppress(self._load_state(key), row.kind, row.reason, at, source,
                                                     row.expires_at).state
                self._write_states({key: state}, by)
                self._audit(at, by, "import", key, row.kind, row.reason,
                            {"source": source, "expires_at": to_text(row.expires_at) if row.expires_at else None})
                count += 1

        self._write(run)
        return count, errors

    # ---------------------------------------------------------------- trust: registered mail, promotion, held
    def register_sent(self, message_id: str, recipients: Iterable[str], *, when: datetime | None = None) -> int:
        """Remember that ``message_id`` went to ``recipients`` (for ``trust = bound`` without signing), for
        ``bounce.sent_keep_days``; expired registrations are dropped on the way. Returns how many were kept."""
        mid, at = _message_id(message_id), when or utcnow()
        if not mid:
            raise ValueError(f"invalid Message-ID {message_id!r}: empty")
        keys = sorted({self.key(r) for r in recipients})
        if not keys:
            raise ValueError(f"no recipients given for Message-ID {message_id!r}")
        expires = to_text(at + timedelta(days=self.rules.bounce.sent_keep_days))

        def run() -> int:
            self.conn.execute("DELETE FROM sent WHERE expires_at <= ?", (to_text(at),))
            self.conn.executemany("INSERT INTO sent (message_id, address, registered_at, expires_at) VALUES (?,?,?,?) "
                                  "ON CONFLICT (message_id, address) DO UPDATE SET registered_at = "
                                  "excluded.registered_at, expires_at = excluded.expires_at",
                                  [(mid, k, to_text(at), expires) for k in keys])
            return len(keys)

        return self._write(run)

    def _event_for_decision(self, event_id: int) -> Any:
        row = self.conn.execute("SELECT id, address, at, kind, reason, trusted, trust_note FROM events WHERE id = ?",
                                (event_id,)).fetchone()
        if row is None:
            raise UnknownEvent(f"no event {event_id}")
        return row

    def promote(self, event_id: int, reason: str, *, by: str = "operator", when: datetime | None = None) -> State | None:
        """Let an untrusted event count after all (the operator vouches for it); audited with ``reason``."""
        if not reason or not reason.strip():
            raise ValueError("a reason is required to promote an untrusted event")

        def run() -> State | None:
            e = self._event_for_decision(event_id)
            if e["trusted"] != 0:
                raise LookupError(f"event {event_id} is not untrusted")
            self._audit(when or utcnow(), by, "promote", e["address"], e["kind"], e["reason"],
                        {"event_id": event_id, "event_at": e["at"], "why": reason, "was": e["trust_note"]})
            self.conn.execute("UPDATE events SET trusted = 2, policy_action = 'promoted' WHERE id = ?", (event_id,))
            self._replay(e["address"], by)
            return self._load_state(e["address"])

        return self._write(run)

    def held(self, *, status: str | None = "pending", domain: str | None = None,
             limit: int | None = 100) -> list[dict[str, Any]]:
        """Held suppressions, newest first."""
        where, args = [], []
        if status:
            where.append("status = ?")
            args.append(status)
        if domain:
            where.append("domain = ?")
            args.append(domain.lower())
        sql = ("SELECT event_id, at, address, domain, kind, reason, cause, status, decided_at, decided_by, "
               "decided_reason FROM held")
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY at DESC, event_id DESC"
        if limit:
            sql += " LIMIT ?"
            args.append(int(limit))
        return self._rows(sql, args)

    def decide_held(self, event_ids: Iterable[int] | None, release: bool, reason: str, *, domain: str | None = None,
                    by: str = "operator", when: datetime | None = None) -> int:
        """Release (apply) or discard pending held suppressions: the given events, or all of ``domain``."""
        if not reason or not reason.strip():
            raise ValueError("a reason is required to release or discard held suppressions")
        at = when or utcnow()
        action = "release" if release else "discard"

        def run() -> int:
            if event_ids is not None:
                rows = [self.conn.execute("SELECT * FROM held WHERE event_id = ?", (int(i),)).fetchone() for i in event_ids]
                missing = [str(i) for i, r in zip(event_ids, rows) if r is None or r["status"] != "pending"]
                if missing:
                    raise LookupError(f"not pending: event {', '.join(missing)}")
            else:
                if not domain:
                    raise ValueError("give event ids or a domain")
                rows = self.conn.execute("SELECT * FROM held WHERE status = 'pending' AND domain = ? ORDER BY at, event_id",
                                         (domain.lower(),)).fetchall()
            if rows:  # first, so a receiver hears of the decision before the suppressions it applies
                self._record_alert(f"held.{_DECIDED[action]}", at, {
                    "held": len(rows), "event_ids": [h["event_id"] for h in rows],
                    "domains": sorted({h["domain"] for h in rows}), "actor": by, "reason": reason})
            for h in rows:
                self.conn.execute("UPDATE held SET status = ?, decided_at = ?, decided_by = ?, decided_reason = ? "
                                  "WHERE event_id = ?", (_DECIDED[action], to_text(at), by, reason, h["event_id"]))
                self._audit(at, by, action, h["address"], h["kind"], h["reason"],
                            {"event_id": h["event_id"], "event_at": h["at"], "why": reason, "cause": h["cause"]})
                self.conn.execute("UPDATE events SET policy_action = ? WHERE id = ?", (_DECIDED[action], h["event_id"]))
                if release:
                    self._replay(h["address"], by)
            return len(rows)

        return self._write(run)

    # ---------------------------------------------------------------- reprocess (bounced/reprocess.py drives it)
    def reprocess(self, reparse: reprocessing.Reparse, since: datetime | None = None, *,
                  batch: int = reprocessing.BATCH, progress: Callable[[int], object] | None = None) -> dict[str, int]:
        """Re-parse stored messages and rebuild the state of the addresses they touch: see
        :func:`bounced.reprocess.run`."""
        return reprocessing.run(self, reparse, since, batch=batch, progress=progress)

    def transaction(self, fn: Callable[[], Any]) -> Any:
        """Run ``fn``, which calls this store's steps, in one write transaction (:meth:`_write`)."""
        return self._write(fn)

    def reprocess_ids(self, since: datetime | None) -> list[int]:
        """The ids of the messages received since ``since`` (all when None), oldest first."""
        q, args = "SELECT id FROM messages", ()
        if since is not None:
            q, args = q + " WHERE received_at >= ?", (to_text(since),)
        return [r[0] for r in self._rows_raw(q + " ORDER BY received_at, id", args)]

    def stored_messages(self, ids: Sequence[int]) -> list[reprocessing.StoredMessage]:
        """The messages ``ids`` with their raw bytes (None once pruned), oldest first."""
        marks = ",".join("?" * len(ids))
        rows = self._rows_raw(f"SELECT id, received_at, mail_from, rcpt_tos, raw, source_addr FROM messages "
                              f"WHERE id IN ({marks}) ORDER BY received_at, id", ids)
        return [reprocessing.StoredMessage(row["id"], from_text(row["received_at"]), row["mail_from"] or "",
                                           tuple(json.loads(row["rcpt_tos"] or "[]")),
                                           zlib.decompress(row["raw"]) if row["raw"] is not None else None,
                                           row["source_addr"])
                for row in rows]

    def suppressed_addresses(self) -> list[str]:
        """Every address with a suppressions row."""
        return [r[0] for r in self._rows_raw("SELECT address FROM suppressions")]

    def _rows_raw(self, sql: str, args: Sequence[Any] = ()) -> list[Any]:
        try:
            self._ensure_connected()
            return self.conn.execute(sql, tuple(args)).fetchall()
        except self.dialect.errors as exc:
            raise self._fail(exc, "cannot read") from None

    def replace_events(self, parsed: Sequence[tuple[reprocessing.StoredMessage, ParseResult]]) -> tuple[set[str], int]:
        """In the caller's transaction: the messages' events replaced by those of their new parse
        results (through ingest's trust, breaker and policy steps) and their parse status updated.
        The addresses touched, before and after, are locked first in one order (PostgreSQL:
        daemons may be writing). Returns those addresses and how many events were stored."""
        self._pending_events.clear()
        affected: set[str] = set()
        events = 0
        if self.dialect.locks:
            keys = {r[0] for r in self.conn.execute(
                f"SELECT DISTINCT address FROM events WHERE message_id {self.dialect.any_of}",
                (self.dialect.pack([m.id for m, _ in parsed]),))}
            for _, result in parsed:
                for rec in result.recipients:
                    try:
                        keys.add(self.key(rec.recipient))
                    except InvalidAddress:
                        pass
            self._lock(keys)
        for m, result in parsed:
            affected.update(r[0] for r in self.conn.execute("SELECT address FROM events WHERE message_id = ?", (m.id,)))
            # operators' promote/release decisions live on in the audit log, which replay applies
            self.conn.execute("DELETE FROM held WHERE event_id IN (SELECT id FROM events WHERE message_id = ?)", (m.id,))
            self.conn.execute("DELETE FROM events WHERE message_id = ?", (m.id,))
            status = _parse_status(result)
            self.conn.execute("UPDATE messages SET parse_status = ?, format = ?, error = ?, message_id = ? WHERE id = ?",
                              (status, result.format, result.error, result.message_id, m.id))
            scratch: dict[str, State | None] = {}
            events += self._store_events(m.id, result, m.received_at, scratch, m.rcpt_tos, m.source).events
            affected.update(scratch)
        self._flush_events()
        self._trips.clear()  # a replay holds as the first pass did, but raises no alert again
        return affected, events

    def replay(self, keys: Iterable[str], actor: str = "reprocess") -> None:
        """In the caller's transaction: rebuild each address's state from its history (locked
        together first, on PostgreSQL)."""
        keys = list(keys)
        self._lock(keys)
        for key in keys:
            self._replay(key, actor)

    def _replay(self, key: str, actor: str = "reprocess") -> None:
        """Rebuild one address's state from its events, activity and audit log (replayed by
        :func:`bounced.reprocess.replay`); a change it makes goes into the change feed under ``actor``
        (the operator who promoted or released). Locked on PostgreSQL, if the caller does not hold
        the lock yet."""
        self._lock((key,))
        out = reprocessing.replay(self._history(key), self.rules.policy)
        if out.actions:
            self.conn.executemany("UPDATE events SET policy_action = ? WHERE id = ?",
                                  [(action, event_id) for event_id, action in out.actions])
        if out.state is None:
            self.conn.execute("DELETE FROM suppressions WHERE address = ?", (key,))
        else:
            self._write_states({key: out.state}, actor)

    def _history(self, key: str) -> reprocessing.History:
        """What an address's state is rebuilt from, each part in time order. Untrusted and held
        events change nothing; an operator's promote or release (audit) applies them."""
        events = self.conn.execute("SELECT id, at, kind, reason FROM events e WHERE address = ? AND "
                                   "(trusted IS NULL OR trusted = 1) AND NOT EXISTS (SELECT 1 FROM held h WHERE "
                                   "h.event_id = e.id) ORDER BY at, id", (key,)).fetchall()
        audit = self.conn.execute("SELECT at, action, kind, reason, actor, detail FROM audit WHERE address = ? "
                                  "ORDER BY at, id", (key,)).fetchall()
        activity = self.conn.execute("SELECT at FROM activity_log WHERE address = ? ORDER BY at, id", (key,)).fetchall()
        return reprocessing.History(tuple(reprocessing.PastEvent(*e) for e in events),
                                    tuple(reprocessing.Decision(*a) for a in audit),
                                    tuple(a[0] for a in activity))

    # ---------------------------------------------------------------- retention
    def prune_raw(self, older_than: datetime) -> int:
        """Drop raw bytes of messages received before ``older_than``; events stay."""
        def run() -> int:
            cur = self.conn.execute("UPDATE messages SET raw = NULL, raw_pruned_at = ? WHERE received_at < ? AND raw IS NOT NULL",
                                    (to_text(utcnow()), to_text(older_than)))
            return cur.rowcount

        return self._write(run)

    # an alert older than the cutoff that no webhook still has to receive (nothing but the outbox reads alerts)
    _PRUNABLE_ALERT = ("at < ? AND NOT EXISTS (SELECT 1 FROM webhook_outbox o WHERE o.alert_id = alerts.id "
                       "AND NOT (o.status = 'delivered' AND o.delivered_at < ?))")

    def prune_outbox(self, older_than: datetime) -> tuple[int, int]:
        """Delete webhook outbox rows delivered before ``older_than`` (their receivers have them, and
        the changes feed keeps the changes themselves; pending and failed rows stay for the operator),
        then the alerts from before it that no outbox row needs any more. Returns both counts."""
        cutoff = to_text(older_than)

        def run() -> tuple[int, int]:
            alerts = self.conn.execute(f"SELECT count(*) FROM alerts WHERE {self._PRUNABLE_ALERT}",
                                       (cutoff, cutoff)).fetchone()[0]
            rows = self.conn.execute("DELETE FROM webhook_outbox WHERE status = 'delivered' AND delivered_at < ?",
                                     (cutoff,)).rowcount
            self.conn.execute(f"DELETE FROM alerts WHERE {self._PRUNABLE_ALERT}", (cutoff, cutoff))
            return rows, alerts

        return self._write(run)

    # ---------------------------------------------------------------- reads
    def _rows(self, sql: str, args: Sequence[Any] = ()) -> list[dict[str, Any]]:
        try:
            self._ensure_connected()
            return [dict(r) for r in self.conn.execute(sql, tuple(args))]
        except self.dialect.errors as exc:
            raise self._fail(exc, "cannot read") from None

    def address_report(self, address: str) -> AddressReport:
        key = self.key(address)
        state = self._rows("SELECT * FROM suppressions WHERE address = ?", (key,))
        st = _state_from_row(self.conn.execute("SELECT * FROM suppressions WHERE address = ?", (key,)).fetchone())
        events = self._rows("SELECT e.id, e.at, e.kind, e.reason, e.status, e.reply_code, e.diagnostic, e.remote_mta, "
                            "e.final_recipient, e.action, e.policy_action, e.trusted, e.trust_note, e.message_id, e.original_message_id, "
                            "h.status AS held_status, h.cause AS held_cause FROM events e "
                            "LEFT JOIN held h ON h.event_id = e.id WHERE e.address = ? ORDER BY e.at, e.id", (key,))
        audit = self._rows("SELECT at, actor, action, kind, reason, detail FROM audit WHERE address = ? ORDER BY at, id", (key,))
        act = self._rows("SELECT last_at FROM activity WHERE address = ?", (key,))
        log = self._rows("SELECT at, type, source FROM activity_log WHERE address = ? ORDER BY at, id", (key,))
        return AddressReport(key, state[0] if state else None, bool(st and st.is_active(utcnow())), events, audit,
                             act[0]["last_at"] if act else None, log)

    def list_suppressions(self, *, kind: str | None = None, reason: str | None = None, domain: str | None = None,
                          since: datetime | None = None, until: datetime | None = None, active: bool | None = True,
                          limit: int | None = 100, mode: str = "list") -> Any:
        where, args = self._active_where(active)
        sql = ("SELECT address, active, kind, reason, source, suppressed_at, expires_at, soft_count, last_event_at, "
               "lifted_at, lifted_by, lifted_reason FROM suppressions")
        return self._filtered(sql, where, args, kind=kind, reason=reason, domain=domain, time_column="suppressed_at",
                              since=since, until=until, order="suppressed_at DESC, address", limit=limit, mode=mode)

    def recent_suppressions(self, *, kind: str | None = None, reason: str | None = None, domain: str | None = None,
                            since: datetime | None = None, until: datetime | None = None, active: bool | None = True,
                            offset: int = 0, limit: int = 50) -> list[dict[str, Any]]:
        """The support page's browse list: active ones newest first, lifted ones by when they were lifted,
        or both by whichever happened last; dates filter that same moment."""
        where, args = self._active_where(active, ended="lifted_at IS NOT NULL")
        moment = {True: "suppressed_at", False: "lifted_at", None: "coalesce(lifted_at, suppressed_at)"}[active]
        sql = (f"SELECT address, active, kind, reason, source, suppressed_at, expires_at, lifted_at, lifted_by, "
               f"lifted_reason, {moment} AS moment FROM suppressions")
        return self._filtered(sql, where, args, kind=kind, reason=reason, domain=domain, time_column=moment,
                              since=since, until=until, order="moment DESC, address", limit=limit, offset=offset)

    def events(self, *, address: str | None = None, kind: str | None = None, reason: str | None = None,
               domain: str | None = None, since: datetime | None = None, until: datetime | None = None,
               limit: int | None = 100, untrusted: bool = False, mode: str = "list") -> Any:
        where, args = [], []
        if address:
            where.append("address = ?")
            args.append(self.key(address))
        if untrusted:
            where.append("trusted = 0")
        sql = ("SELECT id, at, address, kind, reason, status, reply_code, diagnostic, remote_mta, final_recipient, "
               "policy_action, message_id, trust_note FROM events")
        return self._filtered(sql, where, args, kind=kind, reason=reason, domain=domain, time_column="at",
                              since=since, until=until, order="at DESC, id DESC", limit=limit, mode=mode)

    _ENDED = "(active = 0 OR expires_at <= ?) AND (lifted_at IS NOT NULL OR expires_at IS NOT NULL)"

    @classmethod
    def _active_where(cls, active: bool | None, ended: str = _ENDED) -> tuple[list[str], list[Any]]:
        """The start of a suppressions listing's filter: active now (True), ended (False: lifted or
        expired, unless ``ended`` says otherwise) or all (None); each ``?`` is now."""
        if active is None:
            return [], []
        cond = ACTIVE_NOW.format(now="?") if active else ended
        return [cond], [to_text(utcnow())] * cond.count("?")

    def _filtered(self, sql: str, where: list[str], args: list[Any], *, kind: str | None, reason: str | None,
                  domain: str | None, time_column: str, since: datetime | None, until: datetime | None,
                  order: str, limit: int | None, mode: str = "list", offset: int = 0) -> Any:
        """The listing filters the CLI offers; column names come from this module, values are parameters.

        ``mode``: "list" (rows), "count" (how many match, ignoring the limit, so a listing can say
        what it left out) or "stream" (an iterator, for ``--all`` and exports of any size)."""
        for col, val in (("kind", kind), ("reason", reason), ("domain", domain.lower() if domain else None)):
            if val:
                where.append(f"{col} = ?")
                args.append(val)
        for op, when in ((">=", since), ("<", until)):
            if when:
                where.append(f"{time_column} {op} ?")
                args.append(to_text(when))
        if where:
            sql += " WHERE " + " AND ".join(where)
        if mode == "count":
            return self._rows(f"SELECT count(*) AS n FROM ({sql})", args)[0]["n"]
        sql += f" ORDER BY {order}"
        if mode == "stream":
            return self._stream(sql, args)
        if limit:
            sql += " LIMIT ? OFFSET ?"
            args.extend((int(limit), int(offset)))
        return self._rows(sql, args)

    _STATS_COLUMNS = {"reason": "reason", "domain": "domain", "kind": "kind", "day": "substr(at, 1, 10)"}

    def stats(self, *, since: datetime | None = None, by: str = "reason") -> dict[str, list[dict[str, Any]]]:
        """Event counts grouped ``by``, plus sender-side problems by receiving domain in their own list."""
        col = self._STATS_COLUMNS.get(by)
        if col is None:
            raise ValueError(f"cannot group by {by!r}; one of {', '.join(self._STATS_COLUMNS)}")
        cond, args = ("WHERE at >= ?", [to_text(since)]) if since else ("", [])
        groups = self._rows(f"SELECT {col} AS {by}, count(*) AS events, count(DISTINCT address) AS addresses, "
                            f"count(*) FILTER (WHERE kind = 'hard') AS hard, count(*) FILTER (WHERE kind = 'soft') AS soft, "
                            f"count(*) FILTER (WHERE kind = 'complaint') AS complaint "
                            f"FROM events {cond} GROUP BY 1 ORDER BY events DESC, 1", args)
        sender = sorted(self.rules.policy.sender_side)
        marks = ", ".join("?" * len(sender))
        sender_cond = ("WHERE " if not cond else cond + " AND ") + f"reason IN ({marks})"
        sender_rows = self._rows(f"SELECT domain, reason, count(*) AS events, max(at) AS last_at FROM events "
                                 f"{sender_cond} GROUP BY domain, reason ORDER BY events DESC, domain", [*args, *sender]) if sender else []
        totals = self._rows(f"SELECT (SELECT count(*) FROM suppressions WHERE {ACTIVE_NOW.format(now='?')}) AS active_suppressions, "
                            "(SELECT count(*) FROM messages) AS messages, "
                            "(SELECT count(*) FROM messages WHERE parse_status = 'failed') AS unparsed, "
                            "(SELECT count(*) FROM held WHERE status = 'pending') AS held_pending, "
                            "(SELECT count(*) FROM events WHERE trusted = 0) AS untrusted_events",
                            (to_text(utcnow()),))
        return {"groups": groups, "sender_side": sender_rows, "totals": totals}

    def _stream(self, sql: str, args: Sequence[Any]) -> Iterator[dict[str, Any]]:
        try:
            self._ensure_connected()
            for r in self.conn.execute(sql, tuple(args)):
                yield dict(r)
        except self.dialect.errors as exc:
            raise self._fail(exc, "cannot read") from None

    def message(self, message_id: int) -> dict[str, Any] | None:
        rows = self._rows("SELECT * FROM messages WHERE id = ?", (message_id,))
        if not rows:
            return None
        row = rows[0]
        row["raw"] = zlib.decompress(row["raw"]) if row["raw"] is not None else None
        row["events"] = self._rows("SELECT address, final_recipient, kind, reason, status, reply_code, diagnostic, remote_mta, "
                                   "policy_action, trust_note FROM events WHERE message_id = ? ORDER BY id", (message_id,))
        return row

    def iter_suppressions(self) -> Iterator[dict[str, Any]]:
        now = to_text(utcnow())
        for r in self.conn.execute("SELECT address, kind, reason, source, suppressed_at, expires_at FROM suppressions "
                                   f"WHERE {ACTIVE_NOW.format(now='?')} ORDER BY address", (now,)):
            yield dict(r)

    # ---------------------------------------------------------------- the web API's reads and writes

    def lookup(self, keys: Sequence[str]) -> dict[str, tuple[str, str, str, str, str | None]]:
        """The active suppressions among normalized ``keys`` as key -> (kind, reason, source,
        suppressed_at, expires_at): one statement for any number of keys, the primary key answering
        each (10,000 keys: ~30 ms)."""
        sql = (f"SELECT address, kind, reason, source, suppressed_at, expires_at FROM suppressions "
               f"WHERE address {self.dialect.any_of} AND {ACTIVE_NOW.format(now='?')}")
        try:
            self._ensure_connected()
            rows = self.conn.execute(sql, (self.dialect.pack(list(keys)), to_text(utcnow()))).fetchall()
        except self.dialect.errors as exc:
            raise self._fail(exc, "cannot read") from None
        return {r[0]: tuple(r[1:]) for r in rows}  # type: ignore[misc]

    # "now" is taken by the database, and only for a row that exists; the last event joined by its id
    _ONE = ("SELECT s.kind, s.reason, s.source, s.suppressed_at, s.expires_at, s.last_event_at, e.status, "
            "e.reply_code, e.diagnostic FROM suppressions s LEFT JOIN events e ON e.id = (SELECT id FROM events "
            "WHERE address = s.address ORDER BY at DESC, id DESC LIMIT 1) WHERE s.address = ? AND s.active = 1 "
            "AND (s.expires_at IS NULL OR s.expires_at > {now})")

    def lookup_one(self, key: str) -> ActiveSuppression | None:
        """One address's active suppression with its last event's status and diagnostic, in one
        statement (the hot path of ``GET /api/v1/suppressions/{address}``). Read fresh every call:
        the primary key answers it in microseconds, and a cache would need the daemon's commits to
        invalidate it."""
        try:
            if self._one_cursor is not None:  # SQLite: the primary-key read, nothing else
                row = self._one_cursor.execute(self._one_sql, (key,)).fetchone()
            else:
                self._ensure_connected()
                row = self.conn.execute(self._one_sql, (key,)).fetchone()
        except self.dialect.errors as exc:
            raise self._fail(exc, "cannot read") from None
        return None if row is None else ActiveSuppression._make(row)

    def suppression_page(self, *, kind: str | None = None, reason: str | None = None, domain: str | None = None,
                         since: datetime | None = None, until: datetime | None = None, active: bool | None = True,
                         after: str | None = None, limit: int = 500) -> list[dict[str, Any]]:
        """One page of the list in address order, starting after the key ``after`` (a stable cursor:
        rows added or lifted meanwhile never make a page repeat or skip another address)."""
        where, args = self._active_where(active)
        if after is not None:
            where.append("address > ?")
            args.append(after)
        sql = ("SELECT address, domain, active, kind, reason, source, suppressed_at, expires_at, soft_count, "
               "last_event_at, lifted_at, lifted_by, lifted_reason FROM suppressions")
        return self._filtered(sql, where, args, kind=kind, reason=reason, domain=domain, time_column="suppressed_at",
                              since=since, until=until, order="address", limit=limit)

    def changes_after(self, after: int, limit: int) -> list[dict[str, Any]]:
        return self._rows("SELECT id, at, recorded_at, address, change, kind, reason, source, actor, expires_at "
                          "FROM changes WHERE id > ? ORDER BY id LIMIT ?", (after, limit))

    # tokens: only their SHA-256 is stored
    def create_token(self, name: str, scope: str, token_sha256: str, *, by: str = "operator") -> None:
        def run() -> None:
            if self.conn.execute("SELECT 1 FROM api_tokens WHERE name = ?", (name,)).fetchone():
                raise ValueError(f"a token named {name!r} exists; revoke it first or pick another name")
            at = utcnow()
            self.conn.execute("INSERT INTO api_tokens (name, scope, token_sha256, created_at, created_by) VALUES (?,?,?,?,?)",
                              (name, scope, token_sha256, to_text(at), by))
            self.conn.execute("INSERT INTO audit (at, actor, action, detail) VALUES (?,?,?,?)",
                              (to_text(at), by, "token_create", json.dumps({"name": name, "scope": scope})))

        self._write(run)

    def revoke_token(self, name: str, *, by: str = "operator") -> None:
        def run() -> None:
            if self.conn.execute("DELETE FROM api_tokens WHERE name = ?", (name,)).rowcount == 0:
                raise LookupError(f"no token named {name!r}")
            self.conn.execute("INSERT INTO audit (at, actor, action, detail) VALUES (?,?,?,?)",
                              (to_text(utcnow()), by, "token_revoke", json.dumps({"name": name})))

        self._write(run)

    def tokens(self) -> list[dict[str, Any]]:
        return self._rows("SELECT name, scope, created_at, created_by FROM api_tokens ORDER BY name")

    def token_by_hash(self, token_sha256: str) -> tuple[str, str] | None:
        rows = self._rows("SELECT name, scope FROM api_tokens WHERE token_sha256 = ?", (token_sha256,))
        return (rows[0]["name"], rows[0]["scope"]) if rows else None

    # the webhook outbox
    def outbox_next(self, url: str) -> dict[str, Any] | None:
        """The oldest undelivered event for one receiver: delivery is strictly in change order, so
        in order per address."""
        rows = self._rows("SELECT o.id, o.attempts, o.created_at, o.next_at, c.id AS change_id, c.at, c.address, "
                          "c.change, c.kind, c.reason, c.source, c.actor, c.expires_at, a.id AS alert_id, "
                          "a.at AS alert_at, a.type AS alert_type, a.detail AS alert_detail FROM webhook_outbox o "
                          "LEFT JOIN changes c ON c.id = o.change_id LEFT JOIN alerts a ON a.id = o.alert_id "
                          "WHERE o.url = ? AND o.status = 'pending' ORDER BY o.id LIMIT 1", (url,))
        return rows[0] if rows else None

    def outbox_done(self, outbox_id: int, *, delivered: bool, error: str | None = None,
                    next_at: datetime | None = None) -> None:
        """Delivered; or failed for good (``next_at`` None); or to be tried again at ``next_at``."""
        now = to_text(utcnow())
        if delivered:
            sql, args = ("UPDATE webhook_outbox SET status = 'delivered', delivered_at = ?, attempts = attempts + 1 "
                         "WHERE id = ?", (now, outbox_id))
        elif next_at is None:
            sql, args = ("UPDATE webhook_outbox SET status = 'failed', last_error = ?, attempts = attempts + 1 "
                         "WHERE id = ?", (error, outbox_id))
        else:
            sql, args = ("UPDATE webhook_outbox SET next_at = ?, last_error = ?, attempts = attempts + 1 WHERE id = ?",
                         (to_text(next_at), error, outbox_id))
        self._write(lambda: self.conn.execute(sql, args))

    def webhook_status(self) -> list[dict[str, Any]]:
        return self._rows(
            "SELECT url, count(*) FILTER (WHERE status = 'pending') AS pending, count(*) FILTER (WHERE status = "
            "'failed') AS failed, count(*) FILTER (WHERE status = 'delivered') AS delivered, "
            "max(delivered_at) AS last_delivered_at, "
            "(SELECT last_error FROM webhook_outbox w WHERE w.url = o.url AND w.last_error IS NOT NULL "
            "ORDER BY w.id DESC LIMIT 1) AS last_error FROM webhook_outbox o GROUP BY url ORDER BY url")

    # ---------------------------------------------------------------- retention, erasure, backup
    def count_prunable(self, older_than: datetime) -> int:
        """How many messages ``prune_raw(older_than)`` would drop the raw bytes of (``prune --dry-run``)."""
        return self._rows("SELECT count(*) AS n FROM messages WHERE received_at < ? AND raw IS NOT NULL",
                          (to_text(older_than),))[0]["n"]

    def count_prunable_outbox(self, older_than: datetime) -> tuple[int, int]:
        """What ``prune_outbox(older_than)`` would delete: outbox rows, alerts (``prune --dry-run``)."""
        cutoff = to_text(older_than)
        row = self._rows("SELECT (SELECT count(*) FROM webhook_outbox WHERE status = 'delivered' AND delivered_at < ?) "
                         f"AS n, (SELECT count(*) FROM alerts WHERE {self._PRUNABLE_ALERT}) AS a",
                         (cutoff, cutoff, cutoff))[0]
        return row["n"], row["a"]

    def _pseudonym(self, key: str) -> str:
        """A keyed hash of an erased address: the audit can show that (and when) an address was erased,
        and one who holds the database can test a given address, but the list cannot be read back."""
        row = self.conn.execute("SELECT value FROM meta WHERE key = 'erase_key'").fetchone()
        secret = row[0] if row else secrets.token_hex(32)
        if not row:
            self.conn.execute("INSERT INTO meta (key, value) VALUES ('erase_key', ?)", (secret,))
        return "erased:" + hmac.new(bytes.fromhex(secret), key.encode(), hashlib.sha256).hexdigest()[:32]

    def erase(self, address: str, *, by: str = "operator", reason: str = "data subject request") -> dict[str, int]:
        """Remove everything bounced holds about one address (a data-subject erasure): its events, its
        suppression state, activity and audit rows, and the raw bytes of every stored message that names it
        (the message row stays when it also reports on other recipients). One audit row records that an erase
        happened, under a keyed pseudonym of the address. The search of raw messages runs before the write
        transaction, so the daemon is held up only by the deletes."""
        key = self.key(address)
        needles = [n.lower().encode() for n in {key, key.replace("@", "=")}]  # the address, and its VERP form
        mentions: set[int] = set()

        def scan(after: int) -> int:
            """Add the messages after id ``after`` that name the address; returns the last id seen."""
            last = after
            for row in self.conn.execute("SELECT id, raw, mail_from, rcpt_tos FROM messages WHERE id > ? "
                                         "AND raw IS NOT NULL ORDER BY id", (after,)):
                last = row["id"]
                text = zlib.decompress(row["raw"]).lower()
                envelope = f"{row['mail_from'] or ''} {row['rcpt_tos'] or ''}".lower().encode()
                if any(n in text or n in envelope for n in needles):
                    mentions.add(row["id"])
            return last

        scanned = scan(0)
        at = utcnow()

        def run() -> dict[str, int]:
            scan(scanned)  # what arrived during the scan above
            mentions.update(r[0] for r in self.conn.execute("SELECT DISTINCT message_id FROM events WHERE address = ?",
                                                            (key,)))
            self.conn.execute("DELETE FROM held WHERE address = ?", (key,))
            self.conn.execute("DELETE FROM sent WHERE address = ?", (key,))
            out = {"events": self.conn.execute("DELETE FROM events WHERE address = ?", (key,)).rowcount}
            out["messages_deleted"] = out["raw_dropped"] = 0
            for mid in sorted(mentions):
                if self.conn.execute("SELECT 1 FROM events WHERE message_id = ? LIMIT 1", (mid,)).fetchone():
                    self.conn.execute("UPDATE messages SET raw = NULL, raw_pruned_at = ?, mail_from = NULL, "
                                      "rcpt_tos = NULL WHERE id = ?", (to_text(at), mid))
                    out["raw_dropped"] += 1
                else:
                    out["messages_deleted"] += self.conn.execute("DELETE FROM messages WHERE id = ?", (mid,)).rowcount
            out["suppression"] = self.conn.execute("DELETE FROM suppressions WHERE address = ?", (key,)).rowcount
            self.conn.execute("DELETE FROM activity WHERE address = ?", (key,))
            self.conn.execute("DELETE FROM activity_log WHERE address = ?", (key,))
            self.conn.execute("DELETE FROM webhook_outbox WHERE change_id IN (SELECT id FROM changes WHERE address = ?)",
                              (key,))
            out["changes"] = self.conn.execute("DELETE FROM changes WHERE address = ?", (key,)).rowcount
            out["audit"] = self.conn.execute("DELETE FROM audit WHERE address = ?", (key,)).rowcount
            self._audit(at, by, "erase", self._pseudonym(key), None, reason,
                        {k: v for k, v in out.items()})
            return out

        return self._write(run)

    def backup(self, dest: str | os.PathLike[str]) -> int:
        """A consistent copy of the database while the daemon writes (SQLite's online backup API, which
        restarts when a writer changes a page it already copied). Written beside ``dest`` and renamed, so a
        half-written file never has the final name; created 0600. Returns the pages copied."""
        dest = Path(dest)
        if self.dialect is not SQLITE:
            raise StoreError(f"{self.path}: a PostgreSQL store is backed up with PostgreSQL's own tools "
                             "(pg_dump, or base backups and WAL archiving)")
        if dest.exists():
            raise StoreError(f"{dest}: already exists; choose a new file name")
        if not dest.parent.is_dir():
            raise StoreError(f"{dest}: directory {dest.parent} does not exist")
        tmp = dest.with_name(f".{dest.name}.partial")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.close(fd)
        try:
            out = sqlite3.connect(tmp)
            try:
                self.conn.backup(out, pages=1024)
                out.execute("PRAGMA journal_mode = DELETE")
                pages = out.execute("PRAGMA page_count").fetchone()[0]
                check = out.execute("PRAGMA quick_check").fetchone()[0]
            finally:
                out.close()
            if check != "ok":
                raise StoreError(f"{dest}: the copy failed its integrity check ({check})")
            os.replace(tmp, dest)
            return pages
        except sqlite3.Error as exc:
            raise self._fail(exc, f"cannot back up to {dest}") from None
        finally:
            if tmp.exists():
                tmp.unlink()

    def active_by_kind(self) -> dict[str, int]:
        """Active suppressions per kind, for the metrics gauge (the covering partial index answers it)."""
        rows = self._rows("SELECT kind, count(*) AS n FROM suppressions WHERE active = 1 AND (expires_at IS NULL "
                          "OR expires_at > ?) GROUP BY kind", (to_text(utcnow()),))
        return {r["kind"]: r["n"] for r in rows}

    def count_messages(self, since: datetime | None = None) -> int:
        """Stored messages (received since ``since``): the total a reprocess progress bar counts to."""
        if since is None:
            return self._rows("SELECT count(*) AS n FROM messages")[0]["n"]
        return self._rows("SELECT count(*) AS n FROM messages WHERE received_at >= ?", (to_text(since),))[0]["n"]

    @staticmethod
    def schema_version_of(path: str | os.PathLike[str]) -> int | None:
        """The schema version of the file at ``path`` without migrating it (None when unreadable), so a
        command can say before it starts that a migration will run."""
        try:
            conn = sqlite3.connect(Path(path).resolve().as_uri() + "?mode=ro", uri=True)
            try:
                row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
            finally:
                conn.close()
        except sqlite3.Error:
            return None
        return int(row[0]) if row else None

    # ---------------------------------------------------------------- support-page users and sessions
    def add_user(self, name: str, role: str, password_hash: str | None) -> None:
        """A new user; raises ValueError naming the user when it exists already."""
        now = to_text(utcnow())

        def run() -> None:
            cur = self.conn.execute("INSERT INTO users (name, role, password_hash, created_at, updated_at) "
                                    "VALUES (?,?,?,?,?) ON CONFLICT(name) DO NOTHING",
                                    (name, role, password_hash, now, now))
            if cur.rowcount == 0:
                raise ValueError(f"user {name!r} exists already (change the password with `bounced user passwd`)")

        self._write(run)

    def set_password(self, name: str, password_hash: str) -> None:
        """Replace a user's password hash and end every session the user had."""
        def run() -> None:
            cur = self.conn.execute("UPDATE users SET password_hash = ?, updated_at = ? WHERE name = ?",
                                    (password_hash, to_text(utcnow()), name))
            if cur.rowcount == 0:
                raise LookupError(f"no user {name!r}")
            self.conn.execute('DELETE FROM web_sessions WHERE "user" = ?', (name,))

        self._write(run)

    def remove_user(self, name: str) -> None:
        def run() -> None:
            if self.conn.execute("DELETE FROM users WHERE name = ?", (name,)).rowcount == 0:
                raise LookupError(f"no user {name!r}")
            self.conn.execute('DELETE FROM web_sessions WHERE "user" = ?', (name,))

        self._write(run)

    def user(self, name: str) -> dict[str, Any] | None:
        rows = self._rows("SELECT name, role, password_hash, created_at, updated_at FROM users WHERE name = ?", (name,))
        return rows[0] if rows else None

    def users(self) -> list[dict[str, Any]]:
        return self._rows("SELECT name, role, created_at, updated_at FROM users ORDER BY name")

    def create_session(self, token_hash: str, user: str, csrf: str, purpose: str, expires_at: datetime) -> None:
        now = utcnow()

        def run() -> None:
            self.conn.execute("DELETE FROM web_sessions WHERE expires_at <= ?", (to_text(now),))
            self.conn.execute('INSERT INTO web_sessions (token_hash, "user", purpose, csrf, created_at, expires_at) '
                              "VALUES (?,?,?,?,?,?)", (token_hash, user, purpose, csrf, to_text(now), to_text(expires_at)))

        self._write(run)

    def session(self, token_hash: str, purpose: str = "session") -> dict[str, Any] | None:
        """The unexpired session (or sign-in link) with this token hash, joined with its user's role."""
        rows = self._rows('SELECT s."user", s.csrf, s.expires_at, u.role FROM web_sessions s JOIN users u ON u.name = s."user" '
                          "WHERE s.token_hash = ? AND s.purpose = ? AND s.expires_at > ?",
                          (token_hash, purpose, to_text(utcnow())))
        return rows[0] if rows else None

    def take_signin(self, token_hash: str) -> dict[str, Any] | None:
        """Use up a one-time sign-in link: its row is deleted in the same transaction that reads it."""
        def run() -> dict[str, Any] | None:
            row = self.conn.execute('SELECT s."user", u.role FROM web_sessions s JOIN users u ON u.name = s."user" '
                                    "WHERE s.token_hash = ? AND s.purpose = 'signin' AND s.expires_at > ?",
                                    (token_hash, to_text(utcnow()))).fetchone()
            self.conn.execute("DELETE FROM web_sessions WHERE token_hash = ? AND purpose = 'signin'", (token_hash,))
            return dict(row) if row else None

        return self._write(run)

    def end_session(self, token_hash: str) -> None:
        self._write(lambda: self.conn.execute("DELETE FROM web_sessions WHERE token_hash = ?", (token_hash,)))


def read_password(config: Config) -> str | None:
    """The PostgreSQL password from ``store.password_file`` (its first line), or None to let libpq
    find it ($PGPASSWORD, ~/.pgpass). Never logged, never part of an error message."""
    path = config.store.password_file
    if not path:
        return None
    try:
        return Path(path).read_text(encoding="utf-8").splitlines()[0] if Path(path).stat().st_size else ""
    except OSError as exc:
        raise PermanentStoreError(f"store.password_file {path}: {exc.strerror or exc}") from None


def _one_line(exc: BaseException) -> str:
    """A database error as one line (psycopg's carry a DETAIL/HINT on further lines)."""
    return " ".join(str(exc).split()) or type(exc).__name__
