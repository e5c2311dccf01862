"""The one class that owns SQL. (Contract stub; the store issue fills it in.)

Contract used by the daemon and the CLI:

    store = Store.open(path, config)        # creates/migrates; raises StoreError (clear message)
    outcomes = store.ingest_many(items)     # list[Incoming] -> list[IngestOutcome], ONE transaction:
                                            # messages + events + suppression updates; on any failure
                                            # nothing is committed and StoreError is raised
    store.check_writable()                  # raises StoreError when a write would fail (for /healthz)
    store.close()
"""
from __future__ import annotations


class StoreError(Exception):
    """The store cannot do what was asked; the message names the file and the cause."""
