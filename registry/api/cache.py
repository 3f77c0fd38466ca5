"""Short-lived memory of the API's hottest reads, per web process: which API key a bearer token is,
and a recruiter's status answer.

Companies poll the status of the same recruiters over and over; without this memory every poll costs
two database round trips (the key, the summary) on top of the rate-limit round trip.

Freshness:

- Every commit made in this process (any engine, any session or connection) empties every cache at
  once, so a process never answers from before its own changes: a key revoked or a decision made through
  this process is seen by its next request.
- A change made by another process (another web worker, the compliance workers, the CLI) is seen within
  ``api_cache_seconds`` (FAIRRECRUIT_API_CACHE_SECONDS, default 30) for a recruiter's status, and within
  5 seconds (or ``api_cache_seconds`` if lower) for a key's revocation or new scopes. Status changes are
  rare, human decisions, announced to subscribed companies by webhook as well. 0 turns the memory off.

Only successful lookups are kept (an unknown key or public id is looked up again every time).
"""

from __future__ import annotations

import random
import threading
import weakref
from collections.abc import Hashable

from cachetools import TLRUCache
from sqlalchemy import event
from sqlalchemy.engine import Engine

KEY_SECONDS = 5.0

_ALL: weakref.WeakSet[ProcessCache] = weakref.WeakSet()


class ProcessCache:
    """A bounded, thread-safe map whose entries expire between ``ttl`` / 2 and ``ttl`` seconds after
    they were stored (spread, so entries stored together are not all looked up again at once)."""

    def __init__(self, maxsize: int, ttl: float):
        self.ttl = ttl
        self._lock = threading.Lock()
        self._data: TLRUCache | None = TLRUCache(maxsize=maxsize, ttu=self._expires) if ttl > 0 else None
        _ALL.add(self)

    def _expires(self, _key, _value, now: float) -> float:
        return now + self.ttl * (0.5 + random.random() / 2)

    def get(self, key: Hashable):
        if self._data is None:
            return None
        with self._lock:
            return self._data.get(key)

    def put(self, key: Hashable, value) -> None:
        if self._data is None:
            return
        with self._lock:
            self._data[key] = value

    def clear(self) -> None:
        if self._data is None:
            return
        with self._lock:
            self._data.clear()

    def __len__(self) -> int:
        if self._data is None:
            return 0
        with self._lock:
            self._data.expire()
            return len(self._data)


def clear_all() -> None:
    for cache in list(_ALL):
        cache.clear()


# Execution option of a connection whose commit changes nothing these caches hold (recording that an API
# key was used): its commit leaves them as they are.
KEEP = "keep_api_cache"


@event.listens_for(Engine, "commit")
def _after_any_commit(conn) -> None:
    # Fires for every connection of every engine in this process (ORM sessions included) when it
    # commits; cheaper than deciding which commits could matter.
    if not conn.get_execution_options().get(KEEP):
        clear_all()


class ApiCaches:
    """The caches of one application (kept in ``app.extensions["fairrecruit.api_cache"]``)."""

    def __init__(self, ttl: float):
        self.keys = ProcessCache(maxsize=1024, ttl=min(ttl, KEY_SECONDS))  # sha-256 of a token -> KeyInfo
        self.recruiters = ProcessCache(maxsize=20_000, ttl=ttl)  # public id -> (id, summary, JSON)
