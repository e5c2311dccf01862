"""Store access for an ASGI app: one :class:`Store` per thread, as the store requires.

Primary-key reads (a single lookup, a token: ``here()``) run on the event loop's thread with that thread's
store: a WAL reader never waits for the daemon's writer and the read takes microseconds, less than
a hop to the thread pool. Everything else (writes, which may wait for the writer's lock, and big
reads) runs in the thread pool, each worker thread with its own store.
"""
from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

from starlette.concurrency import run_in_threadpool

from bounced.store import Store

T = TypeVar("T")
StoreOpener = Callable[[], Store]


class StoreAccess:
    def __init__(self, opener: StoreOpener) -> None:
        self._opener = opener
        self._local = threading.local()
        self._lock = threading.Lock()
        self._opened: list[Store] = []

    def here(self) -> Store:
        """This thread's store (opened on first use)."""
        store = getattr(self._local, "store", None)
        if store is None:
            store = self._opener()
            self._local.store = store
            with self._lock:
                self._opened.append(store)
        return store

    async def run(self, fn: Callable[[Store], T]) -> T:
        """Run ``fn(store)`` in the thread pool with that thread's store."""
        return await run_in_threadpool(lambda: fn(self.here()))

    def close(self) -> None:
        with self._lock:
            stores, self._opened = self._opened, []
        for s in stores:
            s.close()
