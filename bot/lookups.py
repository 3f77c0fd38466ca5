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

The loop talks to each process over a socket of its own, with asyncio streams: a lookup costs the loop
one write and one read, and no thread (a ``ProcessPoolExecutor`` hands each call and each answer
through two threads of the bot's process and one of the lookup process; on the benchmark that was a
tenth of the bot's CPU per update). Frames are a 4-byte length and JSON (a lookup) or a pickle (its
answer: the cards, read only by the bot that started the process).

A process that dies (killed, out of memory) fails only the lookups it held: they are run again in the
bot's own threads, and a new process is started. A process that cannot be started is tried again by a
lookup at least RETRY_AFTER seconds later; meanwhile the bot's threads look up. A database error there is raised here as the same
SQLAlchemy error class, so the bot answers it as any other ("cannot reach our records").
"""

from __future__ import annotations

import asyncio
import gc
import itertools
import json
import logging
import pickle  # nosec B403
import signal
import socket
import struct
import sys
import time
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import exc

from registry.settings import Settings

log = logging.getLogger(__name__)

_services: Any = None  # in a lookup process: its BotServices
_FRAME = struct.Struct("!I")
READY = "ready"
RETRY_AFTER = 30.0  # seconds between two tries to start a lookup process that failed to start


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
    _services = BotServices(settings, lookup_engine(settings, make_engine))
    try:
        _services.warm()
    except exc.SQLAlchemyError:  # not reachable yet: the first lookup builds the index
        log.warning("lookup process: could not build the search index at start")
    # The index is some hundred thousand long-lived objects: the collector's full passes over them would
    # stall lookups for tens of milliseconds each (as registry.wsgi does for the web's).
    gc.freeze()


# Every statement of a lookup process reads recruiters by key (ids, a public id, a licence key). On
# PostgreSQL its connections plan each statement once (a generic plan): left to choose, the server planned
# the status card's statement again at every run (its estimate for a generic plan of `id = ANY(ids)`
# is for ten ids), and that planning was two thirds of the server's CPU per lookup.
GENERIC_PLANS = "-c plan_cache_mode=force_generic_plan"


def lookup_engine(settings: Settings, make_engine: Any) -> Any:
    """The engine of a lookup process: generic plans on PostgreSQL."""
    if settings.sqlalchemy_url.startswith("postgresql"):
        return make_engine(settings, connect_args={"options": GENERIC_PLANS})
    return make_engine(settings)


# What a lookup process runs: BotServices' reads of recruiters (search and cards).
METHODS = frozenset({"lookup", "search", "card"})


def _call(method: str, arg: str) -> Any:
    try:
        return getattr(_services, method)(arg)
    except exc.SQLAlchemyError as err:
        # The driver's error may not cross processes; its SQLAlchemy class does (the bot answers by it).
        cls = type(err) if isinstance(err, exc.DBAPIError) else exc.OperationalError
        raise cls(None, None, RuntimeError(type(err).__name__)) from None  # type: ignore[call-arg]


def _answer(ident: int, method: str, arg: str) -> bytes:
    """The frame answering one lookup: (ident, True, result) or (ident, False, the exception)."""
    try:
        return pickle.dumps((ident, True, _call(method, arg)))
    except Exception as err:  # noqa: BLE001 - every failure is raised again in the bot's process
        try:
            return pickle.dumps((ident, False, err))
        except Exception:  # noqa: BLE001 - an exception that cannot cross: its class name does
            return pickle.dumps((ident, False, RuntimeError(type(err).__name__)))


def serve(fd: int) -> None:
    """A lookup process: the settings (first frame), then lookups until the bot closes the socket."""
    sock = socket.socket(fileno=fd)
    incoming, outgoing = sock.makefile("rb"), sock.makefile("wb")

    def read() -> bytes | None:
        head = incoming.read(_FRAME.size)
        if len(head) < _FRAME.size:
            return None  # the bot closed the socket (or ended): so does this process
        return incoming.read(_FRAME.unpack(head)[0])

    def write(payload: bytes) -> None:
        outgoing.write(_FRAME.pack(len(payload)) + payload)
        outgoing.flush()

    settings = read()
    if settings is None:
        return
    _start(settings.decode())
    write(pickle.dumps((0, True, READY)))
    while (frame := read()) is not None:
        ident, method, arg = json.loads(frame)
        write(_answer(ident, method, arg))


class _Gone(Exception):
    """The lookup process ended before it answered."""


@dataclass(eq=False)
class _Process:
    """One lookup process, seen from the bot: its socket's streams and the lookups it holds."""

    proc: asyncio.subprocess.Process
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    waiting: dict[int, asyncio.Future] = field(default_factory=dict)
    answered: int = 0
    alive: bool = True

    @property
    def pid(self) -> int:
        return self.proc.pid

    async def read_frame(self) -> tuple[int, bool, Any]:
        head = await self.reader.readexactly(_FRAME.size)
        body = await self.reader.readexactly(_FRAME.unpack(head)[0])
        # The answer of the bot's own child process (which receives JSON, never a pickle).
        return pickle.loads(body)  # noqa: S301  # nosec B301

    def send(self, payload: bytes) -> None:
        self.writer.write(_FRAME.pack(len(payload)) + payload)

    def fail_all(self) -> None:
        self.alive = False
        waiting, self.waiting = self.waiting, {}
        for fut in waiting.values():
            if not fut.done():
                fut.set_exception(_Gone())


class LookupProcesses:
    """The lookup processes of one bot (started by ``start``, ended by ``stop``)."""

    def __init__(self, settings: Settings, services: Any, processes: int) -> None:
        self.settings = settings
        self.services = services  # the bot's own: runs a lookup when its process failed
        self.processes = processes
        self._running: list[_Process] = []
        self._starting = 0  # processes being started now
        self._retry_at = 0.0  # after a failed start: when the next may be tried (time.monotonic)
        self._stopping = False
        self._ids = itertools.count(1)
        self._tasks: set[asyncio.Task] = set()

    @staticmethod
    def _command() -> list[str]:
        return [sys.executable, "-c", "import sys, bot.lookups as m; m.serve(int(sys.argv[1]))"]

    async def _spawn(self) -> _Process:
        """A new lookup process, once it has built its index and answered that it is ready."""
        here, there = socket.socketpair()
        try:
            proc = await asyncio.create_subprocess_exec(
                *self._command(),
                str(there.fileno()),
                pass_fds=(there.fileno(),),
                stdin=asyncio.subprocess.DEVNULL,
            )
        except BaseException:
            here.close()
            raise
        finally:
            there.close()
        reader, writer = await asyncio.open_unix_connection(sock=here)
        p = _Process(proc, reader, writer)
        try:
            p.send(self.settings.model_dump_json().encode())
            if await p.read_frame() != (0, True, READY):
                raise RuntimeError("the lookup process did not start as expected")
        except BaseException:
            await self._end(p)
            raise
        task = asyncio.create_task(self._read_answers(p))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return p

    async def _read_answers(self, p: _Process) -> None:
        try:
            while True:
                ident, ok, value = await p.read_frame()
                fut = p.waiting.pop(ident, None)
                p.answered += 1
                if fut is not None and not fut.done():
                    if ok:
                        fut.set_result(value)
                    else:
                        fut.set_exception(value)
        except (asyncio.IncompleteReadError, ConnectionError, OSError, pickle.UnpicklingError, EOFError):
            pass
        finally:
            p.fail_all()
            if p in self._running:
                self._running.remove(p)
                await self._end(p)
                if not self._stopping:
                    log.warning(
                        "a lookup process ended; looking up in the bot's process until a new one is ready"
                    )
                    self._replace()

    def _replace(self) -> None:
        self._starting += 1  # counted at once: a lookup right after this does not start another

        async def replace() -> None:
            try:
                p = await self._spawn()
            except Exception:  # noqa: BLE001 - the bot's threads go on looking up; a later lookup tries again
                log.exception("could not start a new lookup process")
                self._retry_at = time.monotonic() + RETRY_AFTER
                return
            finally:
                self._starting -= 1
            if self._stopping:
                await self._end(p)
            else:
                self._running.append(p)

        task = asyncio.create_task(replace())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def start(self) -> None:
        """Start the processes and wait until they answer (each builds its index before it takes a lookup)."""
        if self.processes <= 0:
            return
        self._stopping, self._starting = False, 0
        started = await asyncio.gather(
            *(self._spawn() for _ in range(self.processes)), return_exceptions=True
        )
        failed = [s for s in started if isinstance(s, BaseException)]
        ok = [s for s in started if isinstance(s, _Process)]
        if failed:
            # The bot must answer even so: lookups run in its own threads.
            log.error(
                "the lookup processes did not start (%s); looking up in the bot's process",
                type(failed[0]).__name__,
            )
            for p in ok:
                await self._end(p)
            self._retry_at = time.monotonic() + RETRY_AFTER
            return
        self._running = ok

    async def run(self, method: str, arg: str) -> Any:
        """``BotServices.<method>(arg)`` (lookup, search or card) in a lookup process."""
        if method not in METHODS:
            raise ValueError(f"not a lookup: {method}")
        here = getattr(self.services, method)
        running = [p for p in self._running if p.alive]
        if (
            len(running) + self._starting < self.processes
            and not self._stopping
            and time.monotonic() >= self._retry_at
        ):
            self._replace()  # a process that could not be started (or replaced) is tried again
        if not running:
            return await asyncio.to_thread(here, arg)
        p = min(running, key=lambda r: len(r.waiting))  # the process with the fewest lookups waiting
        ident = next(self._ids)
        fut = asyncio.get_running_loop().create_future()
        p.waiting[ident] = fut
        try:
            p.send(json.dumps([ident, method, arg]).encode())
            return await fut
        except (_Gone, ConnectionError, OSError):
            p.waiting.pop(ident, None)
            return await asyncio.to_thread(here, arg)

    async def lookup(self, query: str) -> tuple[str, list]:
        return await self.run("lookup", query)

    async def search(self, query: str) -> list:
        return await self.run("search", query)

    async def card(self, public_id: str) -> Any:
        return await self.run("card", public_id)

    def pids(self) -> list[int]:
        """The process ids of the lookup processes that take lookups now."""
        return [p.pid for p in self._running if p.alive]

    def answered(self) -> int:
        """How many lookups the running processes have answered."""
        return sum(p.answered for p in self._running)

    @staticmethod
    async def _end(p: _Process, wait: float = 10.0) -> None:
        p.alive = False
        p.writer.close()  # the process reads the end of its socket and exits
        try:
            await asyncio.wait_for(p.proc.wait(), wait)
        except TimeoutError:
            p.proc.kill()
            await p.proc.wait()

    async def stop(self) -> None:
        self._stopping = True
        running, self._running = self._running, []
        await asyncio.gather(*(self._end(p) for p in running))
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
