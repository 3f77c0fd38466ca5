"""Lookups of recruiters (verify, the search of a report or a follow, a status card) in a process of
their own, beside the bot's event loop.

The bot is one Python process: its event loop (python-telegram-bot, HTTP to Telegram) and the threads
that run its database work share one interpreter lock, so they use one core at most. A lookup (the name
search over every recruiter, the status cards) is the largest part of an update's work; run in a
separate process it takes a core of its own, and the loop goes on answering other chats meanwhile.

``FAIRRECRUIT_BOT_LOOKUP_PROCESSES`` processes (default 1; 0: lookups run in the bot's own threads, as
every other database call does). Each process has its own engine and its own name index, built before
it takes its first lookup and brought up to date like the bot's (registry.services.name_index). The
answers are exactly those of ``BotServices.lookup``: the same function runs there.

A process that dies (killed, out of memory) fails only the lookups it held: they are run again in the
bot's own threads, and the next lookup starts a new process. A database error there is raised here as
the same SQLAlchemy error class, so the bot answers it as any other ("cannot reach our records").
"""

from __future__ import annotations

import asyncio
import gc
import logging
import multiprocessing
import signal
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from sqlalchemy import exc

from registry.settings import Settings

log = logging.getLogger(__name__)

_services: Any = None  # in a lookup process: its BotServices


def _start(settings_json: str) -> None:
    """In a new lookup process: the engine, the services and the name index."""
    global _services
    # Ctrl-C in a terminal reaches the whole process group: the bot ends its lookup processes itself.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    from bot.services import BotServices
    from registry import logs
    from registry.db import make_engine

    settings = Settings.model_validate_json(settings_json)
    logs.setup(settings)
    _services = BotServices(settings, make_engine(settings))
    try:
        _services.warm()
    except exc.SQLAlchemyError:  # not reachable yet: the first lookup builds the index
        log.warning("lookup process: could not build the search index at start")
    # The index is some hundred thousand long-lived objects: the collector's full passes over them would
    # stall lookups for tens of milliseconds each (as registry.wsgi does for the web's).
    gc.freeze()


# What a lookup process runs: BotServices' reads of recruiters (search and cards).
METHODS = frozenset({"lookup", "search", "card"})


def _call(method: str, arg: str) -> Any:
    try:
        return getattr(_services, method)(arg)
    except exc.SQLAlchemyError as err:
        # The driver's error may not cross processes; its SQLAlchemy class does (the bot answers by it).
        cls = type(err) if isinstance(err, exc.DBAPIError) else exc.OperationalError
        raise cls(None, None, RuntimeError(type(err).__name__)) from None  # type: ignore[call-arg]


def _ready() -> bool:
    return _services is not None


class LookupProcesses:
    """The lookup processes of one bot (started by ``start``, ended by ``stop``)."""

    def __init__(self, settings: Settings, services: Any, processes: int) -> None:
        self.settings = settings
        self.services = services  # the bot's own: runs a lookup when its process failed
        self.processes = processes
        self._pool: ProcessPoolExecutor | None = None

    def _new_pool(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            max_workers=self.processes,
            mp_context=multiprocessing.get_context("spawn"),  # no copy of the loop's threads and locks
            initializer=_start,
            initargs=(self.settings.model_dump_json(),),
        )

    async def start(self) -> None:
        """Start the processes and wait until they answer (each builds its index before it takes a lookup)."""
        if self.processes <= 0:
            return
        self._pool = self._new_pool()
        loop = asyncio.get_running_loop()
        try:
            await asyncio.gather(*(loop.run_in_executor(self._pool, _ready) for _ in range(self.processes)))
        except (BrokenProcessPool, OSError):
            # The bot must answer even so: lookups run in its own threads until a process starts.
            log.exception("the lookup processes did not start; looking up in the bot's process")
            pool, self._pool = self._pool, None
            pool.shutdown(wait=False, cancel_futures=True)

    async def run(self, method: str, arg: str) -> Any:
        """``BotServices.<method>(arg)`` (lookup, search or card) in a lookup process."""
        if method not in METHODS:
            raise ValueError(f"not a lookup: {method}")
        here = getattr(self.services, method)
        if self._pool is None:
            return await asyncio.to_thread(here, arg)
        pool = self._pool
        try:
            return await asyncio.get_running_loop().run_in_executor(pool, _call, method, arg)
        except BrokenProcessPool:
            log.warning("a lookup process ended; looking up in the bot's process and starting a new one")
            if self._pool is pool:
                self._pool = self._new_pool()
                pool.shutdown(wait=False, cancel_futures=True)
            return await asyncio.to_thread(here, arg)

    async def lookup(self, query: str) -> tuple[str, list]:
        return await self.run("lookup", query)

    async def search(self, query: str) -> list:
        return await self.run("search", query)

    async def card(self, public_id: str) -> Any:
        return await self.run("card", public_id)

    def pids(self) -> list[int]:
        """The process ids of the lookup processes running now."""
        pool = self._pool
        return [p.pid for p in (pool._processes or {}).values() if p.pid] if pool is not None else []

    def stop(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
