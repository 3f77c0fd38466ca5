"""The open-loop load of the bot benchmark: the verify/report workload, the injector that posts updates
to the bot's webhook at a fixed rate (not waiting for replies), and the tracker that times each update from
injection to the bot's answer arriving at the fake Bot API."""

from __future__ import annotations

import asyncio
import collections
import json
import os
import random
import statistics
import threading
import time

VERIFY_SHARE = 0.8
DRAIN_S = 30.0
LANGS = ["en", "ne", "bn", "tl", "id"]
SECRET = "bench-webhook-secret-" + "0" * 8
PATH = "telegram"


# --- Telegram's side (child process) -------------------------------------------------------------


class Workload:
    """The updates of one bot: verifies from a pool of chats, report chats walking their flow."""

    def __init__(self, targets: list[tuple[str, str, str]], chat_base: int, seed: int, check: bool):
        self.targets = targets
        self.check = check
        self.rng = random.Random(seed)
        self.chat_base = chat_base
        self.verify_chats = 5000
        self.report_chats: list[dict] = []
        self.next_report_chat = 0
        self.msg_ids = iter(range(10_000_000, 10**12))

    def _user(self, chat_id: int) -> tuple[dict, dict]:
        lang = LANGS[chat_id % len(LANGS)]
        return (
            {"id": chat_id, "is_bot": False, "first_name": "W", "language_code": lang},
            {"id": chat_id, "type": "private"},
        )

    def _text(self, update_id: int, chat_id: int, value: str) -> dict:
        user, chat = self._user(chat_id)
        msg = {"message_id": next(self.msg_ids), "date": int(time.time()), "chat": chat, "from": user}
        msg["text"] = value
        if value.startswith("/"):
            msg["entities"] = [{"type": "bot_command", "offset": 0, "length": len(value.split()[0])}]
        return {"update_id": update_id, "message": msg}

    def _tap(self, update_id: int, chat_id: int, data: str, message_id: int) -> dict:
        user, chat = self._user(chat_id)
        return {
            "update_id": update_id,
            "callback_query": {
                "id": f"q{next(self.msg_ids)}",
                "from": user,
                "chat_instance": "b",
                "data": data,
                "message": {"message_id": message_id, "date": int(time.time()), "chat": chat, "text": "."},
            },
        }

    def verify(self, update_id: int) -> tuple[int, dict, tuple[str, str]]:
        pid, name, licence = self.targets[self.rng.randrange(len(self.targets))]
        kind = self.rng.choice(("name", "licence", "id"))
        query = {"name": name, "licence": licence, "id": pid}[kind]
        chat_id = self.chat_base + self.rng.randrange(self.verify_chats)
        return chat_id, self._text(update_id, chat_id, f"/verify {query}"), (kind, pid)

    def report_step(self, update_id: int, active: int) -> tuple[int, dict, tuple[str, str]]:
        while len(self.report_chats) < active:
            pid = self.targets[self.rng.randrange(len(self.targets))][0]
            chat_id = self.chat_base + 1_000_000 + self.next_report_chat
            self.next_report_chat += 1
            menu = next(self.msg_ids)
            steps = [
                ("text", "/report"),
                ("text", pid),
                ("tap", f"r:rec:{pid}"),
                ("tap", "r:org:NP"),
                ("tap", "r:dst:QA"),
                ("tap", "r:cat:recruitment_fee"),
                ("text", "1500 NPR"),
                ("tap", "r:done"),
                ("text", "15.03.2024"),
                ("tap", "r:skip"),
                ("tap", "rc:yes"),
            ]
            self.report_chats.append({"chat": chat_id, "steps": steps, "at": 0, "menu": menu})
        st = self.report_chats.pop(0)  # round robin: the oldest step waits longest
        kind, value = st["steps"][st["at"]]
        st["at"] += 1
        last = st["at"] == len(st["steps"])
        if kind == "text":
            update = self._text(update_id, st["chat"], value)
        else:
            update = self._tap(update_id, st["chat"], value, st["menu"])
        if not last:
            self.report_chats.append(st)
        return st["chat"], update, ("consent" if last else "step", "")


class Tracker:
    """Answers of the bot, matched to updates in order per chat (each update gets one answer)."""

    def __init__(self, check: bool):
        self.check = check  # the echo bot's answers are not checked (it only repeats)
        self.lock = threading.Lock()
        self.waiting: dict[int, collections.deque] = collections.defaultdict(collections.deque)
        self.outstanding = 0
        self.latencies: list[float] = []
        self.errors: list[str] = []
        self.verify = collections.Counter()
        self.codes = 0

    def offer(self, chat_id: int, at: float, expect: tuple[str, str]) -> None:
        with self.lock:
            self.waiting[chat_id].append((at, expect))
            self.outstanding += 1

    def on_call(self, call) -> None:
        if call.method not in ("sendMessage", "editMessageText"):
            return
        now = time.monotonic()
        chat_id = int(call.params.get("chat_id") or 0)
        with self.lock:
            queue = self.waiting.get(chat_id)
            if not queue:
                return
            at, (kind, pid) = queue.popleft()
            self.outstanding -= 1
            self.latencies.append(now - at)
            body = call.text or ""
            if not self.check:
                return
            if body.startswith("Sorry") or "went wrong" in body:
                self.errors.append(body[:80])
            if kind in ("name", "licence", "id"):
                shown = pid in body or any(pid in (d or "") for d in call.callback_data)
                self.verify[(kind, shown)] += 1
            elif kind == "consent":
                if "FR-" in body:
                    self.codes += 1
                else:
                    self.errors.append("no case code: " + body[:60])


class Injector:
    """POSTs updates to the webhook over a few keep-alive connections, each at its own moment."""

    def __init__(self, port: int, connections: int = 64):
        self.port = port
        self.idle: asyncio.Queue = asyncio.Queue()
        self.opened = 0
        self.max = connections
        self.failures = 0
        self.chats: dict[int, asyncio.Lock] = {}
        self.head = (
            f"POST /{PATH} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n"
            f"X-Telegram-Bot-Api-Secret-Token: {SECRET}\r\n"
        ).encode()

    async def _conn(self):
        if self.idle.empty() and self.opened < self.max:
            self.opened += 1
            return await asyncio.open_connection("127.0.0.1", self.port)
        return await self.idle.get()

    async def post(self, chat_id: int, body: bytes) -> None:
        # One chat's updates reach the webhook one after the other, in order, as Telegram sends them:
        # the next one leaves when the bot has taken the previous one (not when it has answered it).
        lock = self.chats.setdefault(chat_id, asyncio.Lock())
        async with lock:
            await self._post(body)

    async def _post(self, body: bytes) -> None:
        reader, writer = await self._conn()
        try:
            writer.write(self.head + b"Content-Length: %d\r\n\r\n" % len(body) + body)
            status = await reader.readline()
            length = 0
            while (line := await reader.readline()) not in (b"\r\n", b""):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            if length:
                await reader.readexactly(length)
            if b" 200 " not in status:
                self.failures += 1
            self.idle.put_nowait((reader, writer))
        except OSError:
            self.failures += 1
            self.opened -= 1
            writer.close()

    async def close(self) -> None:
        while not self.idle.empty():
            _r, w = self.idle.get_nowait()
            w.close()


async def run_step(api, work: Workload, port: int, rate: float, seconds: float, step_gap: float) -> dict:
    tracker = Tracker(check=work.check)
    api._listeners[:] = [tracker.on_call]
    injector = Injector(port)
    n = max(1, int(rate * seconds))
    report_active = max(2, round((1 - VERIFY_SHARE) * rate * step_gap))
    lags, tasks = [], set()
    t0 = time.monotonic() + 0.05
    for i in range(n):
        due = t0 + i / rate
        delay = due - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        update_id = api.next_update_id()
        if work.rng.random() < VERIFY_SHARE:
            chat_id, update, expect = work.verify(update_id)
        else:
            chat_id, update, expect = work.report_step(update_id, report_active)
        body = json.dumps(update).encode()
        now = time.monotonic()
        lags.append(now - due)
        tracker.offer(chat_id, now, expect)
        task = asyncio.ensure_future(injector.post(chat_id, body))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    sent_for = time.monotonic() - t0
    deadline = time.monotonic() + DRAIN_S
    while (tracker.outstanding or tasks) and time.monotonic() < deadline:
        await asyncio.sleep(0.02)
    await injector.close()
    with tracker.lock:
        lat = sorted(x * 1000 for x in tracker.latencies)
        missing = tracker.outstanding
        return {
            "rate": rate,
            "updates": n,
            "sent_rate": n / sent_for if sent_for > 0 else float(n),
            "answered": len(lat),
            "missing": missing,
            "p50": pct(lat, 50),
            "p95": pct(lat + [float("inf")] * missing, 95),
            "p99": pct(lat + [float("inf")] * missing, 99),
            "max": lat[-1] if lat else float("inf"),
            "errors": tracker.errors[:5],
            "error_count": len(tracker.errors),
            "post_failures": injector.failures,
            "injector_lag_p95": pct(sorted(x * 1000 for x in lags), 95),
            "verify": {f"{k}:{'shown' if ok else 'not shown'}": v for (k, ok), v in tracker.verify.items()},
            "codes": tracker.codes,
            "load_average_1min": round(os.getloadavg()[0], 1),
        }


def pct(values: list[float], q: int) -> float:
    if not values:
        return float("inf")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]
