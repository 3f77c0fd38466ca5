"""The bot's Bot API client (bot.telegram_http) over real sockets: answers, timeouts, refused
connections, the pool's limit, file uploads, and no token in its errors."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from contextlib import contextmanager

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, InputFile
from telegram.error import BadRequest, NetworkError, TimedOut
from telegram.request import RequestData
from telegram.request._requestparameter import RequestParameter

from bot.telegram_http import AiohttpRequest, RegistryBot
from tests.functional.bot.fakebotapi import FakeBotAPI

TOKEN = "123456:TEST-token-secret-part"


@contextmanager
def raw_server(
    answer_after: float | None, body: bytes = b'{"ok":true,"result":true}', status: bytes = b"200 OK"
):
    """A server that records each request and answers after `answer_after` seconds (None: never)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    requests: list[bytes] = []
    stop = threading.Event()

    def handle(conn: socket.socket) -> None:
        with conn:
            conn.settimeout(5)
            data = b""
            while b"\r\n\r\n" not in data:
                data += conn.recv(65536)
            head, _, rest = data.partition(b"\r\n\r\n")
            length = next(
                (
                    int(h.split(b":")[1])
                    for h in head.split(b"\r\n")
                    if h.lower().startswith(b"content-length")
                ),
                0,
            )
            while len(rest) < length:
                rest += conn.recv(65536)
            requests.append(head + b"\r\n\r\n" + rest)
            if answer_after is None:
                stop.wait(10)
                return
            time.sleep(answer_after)
            conn.sendall(
                b"HTTP/1.1 "
                + status
                + b"\r\nContent-Type: application/json\r\nConnection: close\r\n"
                + f"Content-Length: {len(body)}\r\n\r\n".encode()
                + body
            )

    def accept() -> None:
        sock.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = sock.accept()
            except OSError:
                continue
            threading.Thread(target=handle, args=(conn,), daemon=True).start()

    t = threading.Thread(target=accept, daemon=True)
    t.start()
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}", requests
    finally:
        stop.set()
        t.join(2)
        sock.close()


def run(coro):
    return asyncio.run(coro)


async def _call(req: AiohttpRequest, url: str, **timeouts):
    await req.initialize()
    try:
        return await req.do_request(url + f"/bot{TOKEN}/getMe", "POST", RequestData([]), **timeouts)
    finally:
        await req.shutdown()


def test_a_bot_talks_to_the_bot_api_through_it():
    api = FakeBotAPI(token=TOKEN).start()
    try:

        async def go():
            bot = Bot(TOKEN, base_url=api.base_url, request=AiohttpRequest(4))
            async with bot:
                sent = await bot.send_message(77, "Grüße — নমস্কার", reply_markup=None)
                results = await asyncio.gather(*(bot.send_message(78, f"m{i}") for i in range(20)))
            return sent, results

        sent, results = run(go())
        assert sent.chat.id == 77 and sent.text == "Grüße — নমস্কার"
        assert [m.text for m in results] == [f"m{i}" for i in range(20)]
        texts = [c.text for c in api.calls if c.method == "sendMessage"]
        assert texts[0] == "Grüße — নমস্কার" and sorted(texts[1:]) == sorted(f"m{i}" for i in range(20))
    finally:
        api.stop()


def test_an_answer_slower_than_the_read_timeout_is_a_timeout():
    with raw_server(answer_after=None) as (url, _):
        started = time.monotonic()
        with pytest.raises(TimedOut):
            run(_call(AiohttpRequest(2, read_timeout=0.3), url))
        assert time.monotonic() - started < 3


def test_a_call_may_wait_longer_than_the_default_read_timeout():
    # A long poll passes its own read timeout, longer than the client's default.
    with raw_server(answer_after=0.6) as (url, requests):
        status, body = run(_call(AiohttpRequest(2, read_timeout=0.2), url, read_timeout=3.0))
    assert status == 200 and json.loads(body) == {"ok": True, "result": True}
    assert requests[0].startswith(b"POST /bot" + TOKEN.encode() + b"/getMe HTTP/1.1")


def test_a_full_pool_times_out_after_the_pool_timeout():
    with raw_server(answer_after=None) as (url, _):

        async def go():
            req = AiohttpRequest(1, read_timeout=5, connect_timeout=0.1, pool_timeout=0.2)
            await req.initialize()
            hanging = asyncio.ensure_future(req.do_request(url + "/x", "POST"))
            await asyncio.sleep(0.1)
            started = time.monotonic()
            try:
                with pytest.raises(TimedOut):
                    await req.do_request(url + "/y", "POST")
                return time.monotonic() - started
            finally:
                hanging.cancel()
                await req.shutdown()

        waited = run(go())
        assert 0.2 <= waited < 2


def test_a_refused_connection_is_a_network_error_without_the_token():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    with pytest.raises(NetworkError) as err:
        run(_call(AiohttpRequest(1, connect_timeout=2), f"http://127.0.0.1:{port}"))
    assert not isinstance(err.value, TimedOut)
    assert "aiohttp.ClientConnectorError" in str(err.value) and "ECONNREFUSED" in str(err.value)
    assert TOKEN not in str(err.value) and "TEST-token" not in str(err.value)


def test_files_are_sent_as_multipart_with_the_other_fields():
    with raw_server(answer_after=0) as (url, requests):
        data = RequestData(
            [
                RequestParameter("chat_id", 5, None),
                RequestParameter("caption", "receipt", None),
                RequestParameter(
                    "document", "attach://doc", [InputFile(b"%PDF-1.4 bytes", filename="r.pdf")]
                ),
            ]
        )

        async def go():
            req = AiohttpRequest(1)
            await req.initialize()
            try:
                return await req.do_request(url + "/sendDocument", "POST", data)
            finally:
                await req.shutdown()

        status, _ = run(go())
    assert status == 200
    raw = requests[0]
    assert b"multipart/form-data" in raw.split(b"\r\n\r\n")[0]
    assert b'name="chat_id"' in raw and b'name="caption"' in raw and b"receipt" in raw
    assert b'filename="r.pdf"' in raw and b"%PDF-1.4 bytes" in raw


def test_it_must_be_initialized_and_shuts_down_twice_quietly():
    async def go():
        req = AiohttpRequest(1)
        with pytest.raises(RuntimeError, match="not initialized"):
            await req.do_request("http://127.0.0.1:1/x", "POST")
        await req.initialize()
        await req.shutdown()
        await req.shutdown()
        with pytest.raises(RuntimeError, match="not initialized"):
            await req.do_request("http://127.0.0.1:1/x", "POST")
        await req.initialize()  # again after a shutdown, as Application.initialize may do
        await req.shutdown()

    run(go())
    with pytest.raises(ValueError):
        AiohttpRequest(0)


def test_the_bots_sends_make_the_same_requests_and_read_no_message():
    api = FakeBotAPI(token=TOKEN).start()
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Yes", callback_data="rc:yes")]])
    try:

        async def go():
            bot = RegistryBot(TOKEN, base_url=api.base_url, request=AiohttpRequest(4))
            async with bot:
                sent = await bot.send_text(77, "Grüße — নমস্কার", markup)
                plain = await bot.send_text(77, "no keyboard")
                edited = await bot.edit_text(77, 1000, "edited", markup)
                standard = await bot.send_message(77, "Grüße — নমস্কার", reply_markup=markup)
            return sent, plain, edited, standard

        sent, plain, edited, standard = run(go())
        assert sent is None and plain is None and edited is None
        first, second, edit, through_ptb = [c for c in api.calls if c.method != "getMe"]
        # the same request as python-telegram-bot's own send_message
        assert first.method == through_ptb.method == "sendMessage"
        assert first.params == through_ptb.params
        assert first.params["reply_markup"] == {
            "inline_keyboard": [[{"text": "Yes", "callback_data": "rc:yes"}]]
        }
        assert "reply_markup" not in second.params
        assert edit.method == "editMessageText"
        assert {k: str(v) for k, v in edit.params.items() if k != "reply_markup"} == {
            "chat_id": "77",
            "message_id": "1000",
            "text": "edited",
        }
        assert edit.params["reply_markup"] == first.params["reply_markup"]
    finally:
        api.stop()


def test_a_refused_edit_is_a_bad_request():
    """The reply falls back to a new message on BadRequest (a message too old to edit): it is raised."""
    body = b'{"ok":false,"error_code":400,"description":"Bad Request: message can\\u0027t be edited"}'
    with raw_server(answer_after=0, body=body, status=b"400 Bad Request") as (url, requests):

        async def go():
            req = AiohttpRequest(2)
            await req.initialize()  # the client only: the bot's own start would ask getMe first
            try:
                await RegistryBot(TOKEN, base_url=url + "/bot", request=req).edit_text(77, 5, "edited")
            finally:
                await req.shutdown()

        with pytest.raises(BadRequest, match="can't be edited"):
            run(go())
    assert requests[-1].startswith(b"POST /bot" + TOKEN.encode() + b"/editMessageText HTTP/1.1")
