"""A fake Telegram Bot API server on 127.0.0.1 (real HTTP, a free port) for the bot's tests and benchmark.

It serves queued updates to getUpdates (long polling, honouring offset and timeout), answers the
methods the bot calls with {"ok": true, "result": ...} as Telegram does, and records every call so
tests can assert on the replies. Requests arrive form-encoded (python-telegram-bot's default, with
JSON-encoded values for objects) or as JSON.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl

BOT_USER = {
    "id": 4242,
    "is_bot": True,
    "first_name": "FairRecruit",
    "username": "FairRecruitBot",
    "can_join_groups": False,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
}
JSON_FIELDS = {"reply_markup", "allowed_updates", "commands", "entities", "link_preview_options", "scope"}


@dataclass
class Call:
    method: str
    params: dict
    at: float
    result: object = None

    @property
    def text(self) -> str | None:
        return self.params.get("text")

    @property
    def callback_data(self) -> list[str]:
        markup = self.params.get("reply_markup") or {}
        return [b.get("callback_data") for row in markup.get("inline_keyboard", []) for b in row]

    @property
    def buttons(self) -> list[str]:
        markup = self.params.get("reply_markup") or {}
        return [b.get("text") for row in markup.get("inline_keyboard", []) for b in row]


@dataclass
class FakeBotAPI:
    token: str = "123456:TEST-token"
    calls: list[Call] = field(default_factory=list)
    fail_methods: dict = field(default_factory=dict)  # method -> number of times to answer 500

    def __post_init__(self):
        self._updates: list[dict] = []
        self._cond = threading.Condition()
        self._ids = itertools.count(1000)
        self._update_ids = itertools.count(1)
        self._server: ThreadingHTTPServer | None = None
        self._listeners: list = []
        self._closed = False

    # --- server ---------------------------------------------------------------------------------

    def start(self) -> FakeBotAPI:
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # one reply = one segment: no 40 ms delayed-ACK stalls

            def log_message(self, *args):  # quiet
                pass

            def do_POST(self):  # noqa: N802
                api._handle(self)

            do_GET = do_POST  # noqa: N815

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="fake-bot-api",
            daemon=True,
        ).start()
        return self

    def release_polls(self) -> None:
        """From now on getUpdates answers at once (lets a client stop polling without waiting)."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    def stop(self) -> None:
        self.release_polls()
        if self._server:
            self._server.shutdown()
            self._server.server_close()

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    # --- updates --------------------------------------------------------------------------------

    def next_update_id(self) -> int:
        return next(self._update_ids)

    def next_message_id(self) -> int:
        return next(self._ids)

    def push(self, update: dict) -> None:
        with self._cond:
            self._updates.append(update)
            self._cond.notify_all()

    def pending(self) -> int:
        with self._cond:
            return len(self._updates)

    def on_call(self, listener) -> None:
        """listener(call) runs in the server thread after each recorded call."""
        self._listeners.append(listener)

    def _get_updates(self, params: dict) -> list[dict]:
        offset = int(params.get("offset") or 0)
        timeout = float(params.get("timeout") or 0)
        limit = int(params.get("limit") or 100)
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                self._updates = [u for u in self._updates if u["update_id"] >= offset]
                if self._updates or self._closed:
                    return self._updates[:limit]
                left = deadline - time.monotonic()
                if left <= 0:
                    return []
                self._cond.wait(left)

    # --- methods --------------------------------------------------------------------------------

    def _message(self, params: dict, message_id: int | None = None) -> dict:
        chat_id = int(params.get("chat_id") or 0)
        msg = {
            "message_id": message_id or self.next_message_id(),
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private", "first_name": "Worker"},
            "from": BOT_USER,
        }
        if "text" in params:
            msg["text"] = params["text"]
        if params.get("reply_markup"):
            msg["reply_markup"] = params["reply_markup"]
        return msg

    def _answer(self, method: str, params: dict):
        m = method.lower()
        if m == "getme":
            return BOT_USER
        if m == "getupdates":
            return self._get_updates(params)
        if m in {
            "deletewebhook",
            "setwebhook",
            "setmycommands",
            "answercallbackquery",
            "close",
            "logout",
            "deletemycommands",
            "sendchataction",
        }:
            return True
        if m == "getwebhookinfo":
            return {"url": "", "has_custom_certificate": False, "pending_update_count": 0}
        if m == "sendmessage":
            return self._message(params)
        if m in {"editmessagetext", "editmessagereplymarkup"}:
            return self._message(params, int(params.get("message_id") or 0))
        if m == "getfile":
            fid = params.get("file_id", "")
            return {
                "file_id": fid,
                "file_unique_id": "u" + fid[-8:],
                "file_size": 1234,
                "file_path": f"photos/{fid}.jpg",
            }
        return None

    def _handle(self, req: BaseHTTPRequestHandler) -> None:
        path = req.path.split("?", 1)[0]
        length = int(req.headers.get("Content-Length") or 0)
        body = req.rfile.read(length) if length else b""
        prefix = f"/bot{self.token}/"
        if not path.startswith(prefix):
            return self._send(req, 404, {"ok": False, "error_code": 404, "description": "Not Found"})
        method = path[len(prefix) :]
        params = self._parse(req.headers.get("Content-Type") or "", body, req.path)
        if self.fail_methods.get(method, 0) > 0:
            self.fail_methods[method] -= 1
            return self._send(
                req, 500, {"ok": False, "error_code": 500, "description": "Internal Server Error"}
            )
        result = self._answer(method, params)
        if result is None:
            return self._send(
                req, 404, {"ok": False, "error_code": 404, "description": "Not Found: method not found"}
            )
        if method != "getUpdates":
            call = Call(method, params, time.monotonic(), result)
            self.calls.append(call)
            for listener in self._listeners:
                listener(call)
        self._send(req, 200, {"ok": True, "result": result})

    @staticmethod
    def _parse(content_type: str, body: bytes, raw_path: str) -> dict:
        if "application/json" in content_type:
            return json.loads(body or b"{}")
        pairs = parse_qsl(body.decode() if body else raw_path.partition("?")[2], keep_blank_values=True)
        params = {}
        for k, v in pairs:
            if k in JSON_FIELDS or (v[:1] in "{[" and k != "text"):
                try:
                    v = json.loads(v)
                except ValueError:
                    pass
            params[k] = v
        return params

    @staticmethod
    def _send(req: BaseHTTPRequestHandler, status: int, payload: dict) -> None:
        data = json.dumps(payload).encode()
        req.send_response(status)
        req.send_header("Content-Type", "application/json")
        req.send_header("Content-Length", str(len(data)))
        try:
            req.end_headers()
            req.wfile.write(data)
        except OSError:  # the client went away (e.g. the bot stopped polling)
            req.close_connection = True
