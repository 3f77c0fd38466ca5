"""The bot's HTTP client for the Bot API: python-telegram-bot's request interface on aiohttp.

python-telegram-bot's default client (httpx) spent 1.3-2.4 ms of the bot's CPU on each Bot API call on
the benchmark machine; aiohttp spends 0.5-0.7 ms on the same call (same JSON, same answer parsed by
python-telegram-bot). The bot makes one or two calls per update and its event loop is bound to one
core, so this is a third of what the bot can answer per second (bench/README.md, "bot").

Timeouts are python-telegram-bot's, per call: ``connect_timeout`` for the TCP connection,
``read_timeout`` between two reads of the answer (a long poll passes its own), and waiting for a free
connection of the pool together with connecting at most ``pool_timeout + connect_timeout``. aiohttp has
no write timeout; a request body here is a few kilobytes.
"""

from __future__ import annotations

import errno
from typing import Any

import aiohttp
from telegram.error import NetworkError, TimedOut
from telegram.ext import ExtBot
from telegram.request import BaseRequest, RequestData


def _given(value: Any, default: float | None) -> float | None:
    """A timeout passed to the call, or (python-telegram-bot's DEFAULT_NONE) this client's own."""
    return default if isinstance(value, type(BaseRequest.DEFAULT_NONE)) else value


class AiohttpRequest(BaseRequest):
    """A pool of up to ``pool_size`` keep-alive connections to the Bot API."""

    def __init__(
        self,
        pool_size: int = 16,
        *,
        read_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        pool_timeout: float | None = 1.0,
    ) -> None:
        if pool_size < 1:
            raise ValueError("pool_size must be at least 1")
        self.pool_size = pool_size
        self._read_timeout = read_timeout
        self._connect_timeout = connect_timeout
        self._pool_timeout = pool_timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            # The session belongs to the running event loop: made here, not in __init__.
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self.pool_size),
                headers={"User-Agent": self.USER_AGENT},
                # No cookies: the Bot API sets none, and nothing of one answer belongs in the next.
                cookie_jar=aiohttp.DummyCookieJar(),
            )

    async def shutdown(self) -> None:
        session, self._session = self._session, None
        if session is not None and not session.closed:
            await session.close()

    def _timeout(self, read: Any, connect: Any, pool: Any) -> aiohttp.ClientTimeout:
        read_s = _given(read, self._read_timeout)
        connect_s = _given(connect, self._connect_timeout)
        pool_s = _given(pool, self._pool_timeout)
        waited = None if connect_s is None or pool_s is None else connect_s + pool_s
        return aiohttp.ClientTimeout(total=None, connect=waited, sock_connect=connect_s, sock_read=read_s)

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        session = self._session
        if session is None or session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized")
        data: Any = None
        if request_data is not None:
            files = request_data.multipart_data
            data = request_data.json_parameters
            if files:
                form = aiohttp.FormData()
                for name, value in data.items():
                    form.add_field(name, value)
                for name, part in files.items():
                    filename, content, mimetype = part if len(part) == 3 else (*part, None)
                    form.add_field(name, content, filename=filename, content_type=mimetype)
                data = form
        try:
            async with session.request(
                method, url, data=data, timeout=self._timeout(read_timeout, connect_timeout, pool_timeout)
            ) as res:
                return res.status, await res.read()
        except TimeoutError as err:
            raise TimedOut(
                "Timed out: connecting to the Bot API, waiting for a free connection of the pool, or reading its answer"
            ) from err
        except aiohttp.ClientError as err:
            # The class name and the fields tell what failed; no URL (it holds the token).
            raise NetworkError(f"aiohttp.{type(err).__name__}: {_without_url(err)}") from err


def _without_url(err: aiohttp.ClientError) -> str:
    """What failed, from the error's fields (never its message: a message may hold the request's URL,
    and the URL holds the bot token)."""
    if isinstance(err, aiohttp.ClientResponseError):
        return f"HTTP status {err.status}"
    if isinstance(err, aiohttp.ClientConnectorError):
        reason = errno.errorcode.get(err.os_error.errno or 0, type(err.os_error).__name__)
        return f"cannot connect to {err.host}:{err.port} ({reason})"
    return "the connection failed"


class RegistryBot(ExtBot):
    """The bot's Bot API client: python-telegram-bot's, plus sends whose answers nobody reads.

    ``send_message`` and ``edit_message_text`` make Telegram's answer into a ``Message`` (its chat, its
    sender, its entities...). The bot's replies never read it, and making it was a seventh of the bot's
    CPU per update (bench/README.md, "bot"). ``send_text`` and ``edit_text`` make the same request through
    the same machinery (defaults, rate limiter, errors raised as ``TelegramError``) and return nothing."""

    async def send_text(self, chat_id: int, text: str, reply_markup: Any = None) -> None:
        """``sendMessage`` of a text, optionally with a keyboard."""
        await self._post("sendMessage", {"chat_id": chat_id, "text": text, "reply_markup": reply_markup})

    async def edit_text(self, chat_id: int, message_id: int, text: str, reply_markup: Any = None) -> None:
        """``editMessageText`` of a message of the bot's."""
        await self._post(
            "editMessageText",
            {"chat_id": chat_id, "message_id": message_id, "text": text, "reply_markup": reply_markup},
        )
