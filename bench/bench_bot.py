"""Telegram bot: 1,000 simulated chats, each checking a recruiter (/verify) and sending a fee report
(/report ... consent), through the real python-telegram-bot Application polling a local fake Bot API
server over HTTP (the same fake the functional tests use), with the registry on SQLite.

Chats arrive over time: BENCH_BOT_ACTIVE chats (default 8) are talking to the bot at any moment;
each sends its next message as soon as the bot has answered the previous one. Measured:
  * updates handled per second (goal >= 100): all updates / wall time from the first to the last reply;
  * p95 reply latency (goal <= 150 ms): from the moment an update is offered to the bot (queued on
    the Bot API server) to the moment the bot's answer reaches the server.
Every chat must end with a case code and exactly one stored report.

Scale: BENCH_BOT_CHATS=200 python -m bench bot
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import random
import statistics
import tempfile
import threading
import time
from pathlib import Path

from sqlalchemy import func, select

from bot.app import build_application, tune_process
from registry.db import make_engine, session_scope
from registry.migrate import upgrade
from registry.models import FeeReport
from registry.services import recruiters
from registry.services.recruiters import RecruiterInput
from registry.settings import Settings
from tests.functional.bot.fakebotapi import Call, FakeBotAPI

CHATS = int(os.environ.get("BENCH_BOT_CHATS", "1000"))
ACTIVE = int(os.environ.get("BENCH_BOT_ACTIVE", "8"))
RECRUITERS = 300
GOAL_RATE = 100.0
GOAL_P95_MS = 150.0
LANGS = ["en", "ne", "bn", "tl", "id"]
# Invented names only.
FIRST = [
    "Himal",
    "Coral",
    "Lotus",
    "Sagar",
    "Everest",
    "Bright",
    "Golden",
    "Silver",
    "Green",
    "Blue",
    "Royal",
    "Sunrise",
    "Harbor",
    "Mountain",
    "River",
    "Palm",
    "Crescent",
    "Star",
    "Kanchan",
    "Meghna",
]
SECOND = [
    "Bridge",
    "Path",
    "Gate",
    "Way",
    "Link",
    "Horizon",
    "Valley",
    "Point",
    "Crest",
    "Field",
    "Wave",
    "Line",
    "Trust",
    "Hands",
]
KIND = ["Overseas", "Manpower", "Employment", "Recruiting", "Placement"]


def _registry(engine) -> list[tuple[str, str]]:
    rng = random.Random(7)
    names = set()
    while len(names) < RECRUITERS:
        names.add(f"{rng.choice(FIRST)} {rng.choice(SECOND)} {rng.choice(KIND)} {rng.randint(1, 99)}")
    out = []
    with session_scope(engine) as s:
        for i, name in enumerate(sorted(names)):
            country = ["NP", "BD", "PH", "ID"][i % 4]
            rec = recruiters.create(
                s,
                RecruiterInput(
                    legal_name=name,
                    country=country,
                    licence_authority="BENCH",
                    licence_number=f"B-{i:05d}",
                    corridors=[(country, "QA")],
                ),
                actor="bench",
            )
            out.append((rec.public_id, name))
    return out


class Simulation:
    def __init__(self, api: FakeBotAPI, targets: list[tuple[str, str]]):
        self.api = api
        self.targets = targets
        self.lock = threading.Lock()
        self.latencies: list[float] = []
        self.updates = 0
        self.errors: list[str] = []
        self.codes: set[str] = set()
        self.chats: dict[int, dict] = {}
        self.next_chat = 0
        self.done = threading.Event()
        self.finished = 0
        self.first_push = None
        self.last_reply = None
        api.on_call(self.on_call)

    def script(self, pid: str, name: str):
        return [
            ("text", f"/verify {name}"),
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

    def start_chat(self) -> None:
        i = self.next_chat
        self.next_chat += 1
        chat_id = 900_000_000 + i
        pid, name = self.targets[i % len(self.targets)]
        self.chats[chat_id] = {
            "steps": self.script(pid, name),
            "at": 0,
            "sent": 0.0,
            "msg": None,
            "lang": LANGS[i % len(LANGS)],
        }
        self.send(chat_id)

    def send(self, chat_id: int) -> None:
        st = self.chats[chat_id]
        kind, value = st["steps"][st["at"]]
        user = {"id": chat_id, "is_bot": False, "first_name": "W", "language_code": st["lang"]}
        chat = {"id": chat_id, "type": "private"}
        now = int(time.time())
        if kind == "text":
            msg = {
                "message_id": self.api.next_message_id(),
                "date": now,
                "chat": chat,
                "from": user,
                "text": value,
            }
            if value.startswith("/"):
                msg["entities"] = [{"type": "bot_command", "offset": 0, "length": len(value.split()[0])}]
            update = {"update_id": self.api.next_update_id(), "message": msg}
        else:
            update = {
                "update_id": self.api.next_update_id(),
                "callback_query": {
                    "id": f"q{self.api.next_message_id()}",
                    "from": user,
                    "chat_instance": "b",
                    "data": value,
                    "message": {"message_id": st["msg"], "date": now, "chat": chat, "text": "."},
                },
            }
        st["sent"] = time.monotonic()
        if self.first_push is None:
            self.first_push = st["sent"]
        self.api.push(update)

    def on_call(self, call: Call) -> None:
        if call.method not in ("sendMessage", "editMessageText"):
            return
        chat_id = int(call.params.get("chat_id") or 0)
        with self.lock:
            st = self.chats.get(chat_id)
            if st is None:
                return
            now = time.monotonic()
            self.latencies.append(now - st["sent"])
            self.updates += 1
            self.last_reply = now
            text = call.text or ""
            if text.startswith("Sorry") or "FR-" not in text and st["at"] == len(st["steps"]) - 1:
                self.errors.append(text[:80])
            if "FR-" in text:
                self.codes.add(text.split("FR-", 1)[1][:9])
            st["msg"] = call.result.get("message_id") if isinstance(call.result, dict) else st["msg"]
            st["at"] += 1
            if st["at"] < len(st["steps"]):
                self.send(chat_id)
                return
            self.finished += 1
            if self.next_chat < CHATS:
                self.start_chat()
            elif self.finished == CHATS:
                self.done.set()

    def run(self, timeout: float) -> bool:
        with self.lock:
            for _ in range(min(ACTIVE, CHATS)):
                self.start_chat()
        return self.done.wait(timeout)


def p(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else values[0]


def _driver(conn, targets: list[tuple[str, str]]) -> None:
    """Child process: the fake Bot API and the simulated workers (Telegram's side of the wire)."""
    api = FakeBotAPI().start()
    conn.send((api.token, api.base_url))
    conn.recv()  # the bot is polling
    sim = Simulation(api, targets)
    cpu0 = time.process_time()
    completed = sim.run(timeout=900)
    cpu = time.process_time() - cpu0
    api.release_polls()
    conn.send(
        {
            "completed": completed,
            "cpu": cpu,
            "updates": sim.updates,
            "latencies": sim.latencies,
            "errors": sim.errors,
            "codes": len(sim.codes),
            "wall": (sim.last_reply or 0) - (sim.first_push or 0),
        }
    )
    conn.recv()  # the bot has stopped
    api.stop()


def main() -> dict:
    tmp = Path(tempfile.mkdtemp(prefix="bench-bot-"))
    url = f"sqlite:///{tmp / 'bot.db'}"
    engine = make_engine(url, pool_size=20, max_overflow=10)
    upgrade(engine)
    targets = _registry(engine)
    # The Bot API side runs in its own process, as Telegram runs on its own machines.
    ctx = multiprocessing.get_context("spawn")
    here, there = ctx.Pipe()
    child = ctx.Process(target=_driver, args=(there, targets), daemon=True)
    child.start()
    token, base_url = here.recv()
    settings = Settings(
        env="test",
        var_dir=tmp,
        database_url=url,
        pseudonym_key="bench-pseudonym-key-0123456789",
        telegram_bot_token=token,
        telegram_api_base_url=base_url,
    )
    tune_process()  # as `fairrecruit bot` does
    app = build_application(settings, engine, set_commands=False)
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()

    def run(coro):
        return asyncio.run_coroutine_threadsafe(coro, loop).result(60)

    async def up():
        await app.initialize()
        await app.updater.start_polling(
            poll_interval=0.0, timeout=5, allowed_updates=["message", "callback_query"]
        )
        await app.start()

    async def down():
        await app.updater.stop()
        await app.stop()
        await app.shutdown()

    run(up())
    cpu0 = time.process_time()
    here.send("go")
    result = here.recv()
    cpu = time.process_time() - cpu0
    run(down())
    here.send("stopped")
    child.join(30)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(10)
    loop.close()
    with session_scope(engine) as s:
        stored = s.scalar(select(func.count()).select_from(FeeReport))
    engine.dispose()

    wall, updates, errors, codes = result["wall"], result["updates"], result["errors"], result["codes"]
    completed = result["completed"]
    rate = updates / wall if wall > 0 else 0.0
    lat_ms = [x * 1000 for x in result["latencies"]] or [float("inf")]
    p95, p50 = p(lat_ms, 95), p(lat_ms, 50)
    print(
        f"{CHATS} chats ({ACTIVE} active at a time), {updates} updates in {wall:.1f}s: {rate:.0f}/s, "
        f"p50 {p50:.0f} ms, p95 {p95:.0f} ms, {stored} reports, {len(errors)} errors, "
        f"bot CPU {1000 * cpu / max(updates, 1):.1f} ms/update, Bot API side (fake server and simulated workers) "
        f"CPU {1000 * result['cpu'] / max(updates, 1):.1f} ms/update"
    )
    for e in errors[:5]:
        print("  error reply:", e)
    return {
        "rows": [
            {
                "metric": "updates handled per second",
                "value": round(rate, 1),
                "unit": "upd/s",
                "goal": f">= {GOAL_RATE:.0f}",
                "ok": completed and rate >= GOAL_RATE,
            },
            {
                "metric": "p95 reply latency",
                "value": round(p95, 1),
                "unit": "ms",
                "goal": f"<= {GOAL_P95_MS:.0f}",
                "ok": completed and p95 <= GOAL_P95_MS,
            },
            {"metric": "p50 reply latency", "value": round(p50, 1), "unit": "ms", "goal": "", "ok": True},
            {
                "metric": "bot process CPU time per update",
                "value": round(1000 * cpu / max(updates, 1), 2),
                "unit": "ms",
                "goal": "",
                "ok": True,
            },
            {
                "metric": f"chats finished with a case code (of {CHATS})",
                "value": codes,
                "unit": "chats",
                "goal": f"= {CHATS}",
                "ok": codes == CHATS,
            },
            {
                "metric": "reports stored (one per chat)",
                "value": stored,
                "unit": "rows",
                "goal": f"= {CHATS}",
                "ok": stored == CHATS,
            },
            {"metric": "error replies", "value": len(errors), "unit": "", "goal": "= 0", "ok": not errors},
        ],
        "params": {"chats": CHATS, "active": ACTIVE, "recruiters": RECRUITERS},
    }


if __name__ == "__main__":
    print(main())
