"""Who is asking: sign-in throttling, the trusted reverse-proxy header, and CSRF token checks.

Everything here decides from its inputs; the store keeps the sessions, the app holds one
:class:`LoginLimiter` per process (failed sign-ins are a per-process memory, lost on restart,
which only ever makes the limit looser, never locks anyone out for good).
"""
from __future__ import annotations

import hmac
import ipaddress
import time
from collections import deque
from collections.abc import Callable


class LoginLimiter:
    """At most ``attempts`` failures per key (user name, client address) within ``window`` seconds."""

    def __init__(self, attempts: int, window: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.attempts, self.window, self.clock = attempts, window, clock
        self._failures: dict[str, deque[float]] = {}

    def _recent(self, key: str) -> deque[float]:
        q = self._failures.setdefault(key, deque())
        cutoff = self.clock() - self.window
        while q and q[0] <= cutoff:
            q.popleft()
        if not q:
            del self._failures[key]
            return deque()
        return q

    def blocked(self, *keys: str) -> float:
        """Seconds until the first of ``keys`` may try again; 0 when none is blocked."""
        wait = 0.0
        for k in keys:
            q = self._recent(k)
            if len(q) >= self.attempts:
                wait = max(wait, q[0] + self.window - self.clock())
        return wait

    def failed(self, *keys: str) -> None:
        now = self.clock()
        for k in keys:
            self._failures.setdefault(k, deque()).append(now)
            while len(self._failures[k]) > self.attempts:
                self._failures[k].popleft()

    def succeeded(self, *keys: str) -> None:
        for k in keys:
            self._failures.pop(k, None)


def trusted(client_host: str | None, proxies: tuple[str, ...]) -> bool:
    """True when the TCP peer is one of the configured reverse proxies (an address or a network)."""
    if not client_host or not proxies:
        return False
    try:
        ip = ipaddress.ip_address(client_host)
    except ValueError:
        return False
    return any(ip in ipaddress.ip_network(p, strict=False) for p in proxies)


def same_token(expected: str | None, given: str | None) -> bool:
    """Constant-time comparison; a missing token on either side never matches."""
    return bool(expected) and bool(given) and hmac.compare_digest(str(expected), str(given))
