"""Store access for an ASGI app: one :class:`Store` per thread, as the store requires.

Primary-key reads (a single lookup, a token) run on the event loop's thread with that thread's
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

    def token(self, token_sha256: str) -> tuple[str, str] | None:
        """(name, scope) of a token, from a per-thread cache that is dropped whenever another
        connection has committed (``Store.data_version``): a revoked token fails on its next
        request, and a lookup costs one PRAGMA instead of a query. Bounded, as wrong tokens are cached too."""
        store = self.here()
        version = store.data_version()
        cache = getattr(self._local, "tokens", None)
        if cache is None or cache[0] != version or len(cache[1]) > 1000:
            cache = (version, {})
            self._local.tokens = cache
        if token_sha256 not in cache[1]:
            cache[1][token_sha256] = store.token_by_hash(token_sha256)
        return cache[1][token_sha256]

    def now(self, fn: Callable[[Store], T]) -> T:
        """Run a quick read on the calling (event loop) thread."""
        return fn(self.here())

    async def run(self, fn: Callable[[Store], T]) -> T:
        """Run ``fn(store)`` in the thread pool with that thread's store."""
        return await run_in_threadpool(lambda: fn(self.here()))

    def close(self) -> None:
        with self._lock:
            stores, self._opened = self._opened, []
        for s in stores:
            s.close()
