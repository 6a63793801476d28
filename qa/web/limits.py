"""How often one client may do something: a sliding window per key (a user name or an address).

The web app counts questions (chat and /ask, `Settings.questions_per_minute`) and login attempts
(`Settings.logins_per_minute`, per address and per user name). A client over its limit gets a
Dutch message (or HTTP 429 for a login), never a traceback.
"""

from __future__ import annotations

import ipaddress
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass

#: Keys kept at most; past this, keys whose window has passed are dropped (a flood of addresses).
MAX_KEYS = 10_000


class RateLimiter:
    """At most `limit` events per `window` seconds per key; thread-safe. A limit of 0 allows everything."""

    def __init__(self, limit: int, window: float = 60.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.window = window
        self.clock = clock
        self._events: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def allow(self, *keys: str) -> bool:
        """Count one event for every key unless one of them is at its limit; whether it was allowed."""
        if self.limit <= 0:
            return True
        now = self.clock()
        with self._lock:
            if len(self._events) > MAX_KEYS:
                self._forget(now)
            windows = [self._window(key, now) for key in keys]
            if any(len(events) >= self.limit for events in windows):
                return False
            for events in windows:
                events.append(now)
            return True

    def blocked(self, *keys: str) -> bool:
        """Whether one of the keys is at its limit, without counting an event."""
        if self.limit <= 0:
            return False
        now = self.clock()
        with self._lock:
            return any(len(self._window(key, now)) >= self.limit for key in keys)

    def count(self, *keys: str) -> None:
        """Count one event for every key (whatever the limit)."""
        now = self.clock()
        with self._lock:
            for key in keys:
                self._window(key, now).append(now)

    def _window(self, key: str, now: float) -> deque[float]:
        events = self._events.setdefault(key, deque())
        while events and events[0] <= now - self.window:
            events.popleft()
        return events

    def _forget(self, now: float) -> None:
        for key in [k for k, events in self._events.items() if not events or events[-1] <= now - self.window]:
            del self._events[key]


@dataclass(frozen=True)
class TrustedProxies:
    """The reverse proxies (addresses or networks, `Settings.trusted_proxies`) whose X-Forwarded-For is believed.

    A client's address is the direct peer's, unless that peer is a trusted proxy: then it is the last
    address in X-Forwarded-For that is not one (each proxy appends the address it was reached from, so
    what a client writes in the header itself stands further left and is never taken)."""

    networks: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = ()

    @classmethod
    def of(cls, entries: Sequence[str]) -> TrustedProxies:
        return cls(tuple(ipaddress.ip_network(entry.strip(), strict=False) for entry in entries))

    def trusts(self, host: str) -> bool:
        try:
            address = ipaddress.ip_address(host.strip().strip("[]"))
        except ValueError:
            return False
        return any(address in network for network in self.networks)

    def client(self, peer: str | None, forwarded_for: str | None) -> str:
        """The address rate limits count for a request from `peer` with this X-Forwarded-For (all its values,
        comma-separated)."""
        if not peer:
            return "unknown"
        if not forwarded_for or not self.trusts(peer):
            return peer
        hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
        return next((hop for hop in reversed(hops) if not self.trusts(hop)), peer)
