"""Copy a SQLite store into PostgreSQL (``bounced store migrate --to URL``), then prove the copy.

Table by table, parents first, in primary-key order, one transaction per batch. Every batch that
committed is a prefix of its table, so an interrupted run resumes after the largest key already
in the target; a row found there is left alone. The target must be empty, or a copy of the same
source started earlier (its meta row ``copied_from`` says which): mixing a copy into a database
that daemons already write to would collide on ids. At the end every table is counted and
digested on both sides (sha256 over the rows in key order) and the two are printed side by side.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bounced.store import SCHEMA_VERSION, Store, StoreError, TableShape


@dataclass(frozen=True, slots=True)
class TableCheck:
    table: str
    source_rows: int
    target_rows: int
    source_digest: str
    target_digest: str

    @property
    def same(self) -> bool:
        return self.source_rows == self.target_rows and self.source_digest == self.target_digest


def origin_of(source: Store) -> str:
    return str(Path(source.path).resolve())


def copy_store(source: Store, target: Store, *, batch: int = 1000,
               progress: Callable[[str, int], None] = lambda table, n: None) -> list[TableShape]:
    """Copy every table of ``source`` into ``target``; ``progress(table, rows)`` after each batch."""
    if source.dialect.name != "sqlite":
        raise StoreError(f"{source.path}: the copy reads a SQLite store")
    origin = origin_of(source)
    recorded = target.copy_origin()
    if recorded is None and target.copy_has_data():
        raise StoreError(f"{target.path}: already holds bounced data that is not a copy of {origin}; "
                         "copy into an empty database")
    if recorded is not None and recorded != origin:
        raise StoreError(f"{target.path}: holds a copy of {recorded}, not of {origin}")
    target.copy_origin(origin)
    tables = source.copy_tables()
    for t in tables:
        after = None if t.name == "meta" else target.copy_last_key(t)  # meta: a few rows, set as the file has them
        while rows := source.copy_read(t, after, batch):
            target.copy_write(t, rows)
            after = t.key_of(rows[-1])
            progress(t.name, len(rows))
    target.copy_finish(tables)
    return tables


def verify(source: Store, target: Store, tables: list[TableShape]) -> list[TableCheck]:
    return [TableCheck(t.name, source.copy_count(t), target.copy_count(t), source.copy_digest(t),
                       target.copy_digest(t)) for t in tables]


__all__ = ["SCHEMA_VERSION", "TableCheck", "copy_store", "verify"]
