"""Telegram bot capacity: open-loop load against the real python-telegram-bot Application in webhook
mode, with 100,000 recruiters loaded, on SQLite and PostgreSQL, against an echo bot at the same rates.

How the load is made. Telegram's side runs in its own process (as Telegram runs on its own machines):
the fake Bot API server of the functional tests (real HTTP) and an injector that POSTs updates to the
bot's webhook listener (the production transport: `fairrecruit bot --webhook`, with the secret-token
header) at a fixed rate, each at its own moment, without waiting for the bot's replies (open loop:
a slow bot gets a queue, not fewer updates). The mix: 80 % `/verify` by name, licence number or
FairRecruit ID (a third each, random recruiters of the 100,000), 20 % steps of fee reports (each
report chat walks /report, recruiter, category, amount, date, destination, receipt, consent; a chat's
next step comes a few seconds after its previous one, as a person types).

Measured: each update's latency from the moment the injector offers it (before it waits for a free
connection to the webhook) to the moment the bot's answer (sendMessage or editMessageText) reaches the
fake Bot API. Rates step up (BENCH_BOT_RATES); per step: p50/p95/p99, answers missing after the step
drained, error answers. The result is the highest rate at which p95 stays <= 150 ms (goal: the bot at
>= 150 updates/s). The baseline is an echo bot built by the same `application_builder` (same update
processor, same HTTP pool, same webhook listener) whose one handler answers every update the way the
bot answers it (a new message, or for a button an edit of the message plus the button's answer),
measured at the same rates, step by step alternating with the bot, in the same run.

Why the webhook: it is how the bot runs in production behind a public address, and it lets the
injector decide the moment each update arrives. Long polling (getUpdates from the fake server) works
too, but hands updates over in batches when the bot asks, which hides the arrival rate.

Before the steps each bot gets a short warm-up (not counted) at the lowest rate; the bot starts its
lookup process (bot/lookups.py, production default: one) and that process builds its search index
before the first update, as `fairrecruit bot` does. Each step prints the machine's load average and the
CPU time per update of the bot's process, of its lookup process (the recruiter searches and status
cards run there) and of Telegram's side: on a shared machine the highest rate follows the CPU left to
the bot, the CPU time per update does much less.

Scale: BENCH_BOT_RECRUITERS (100000), BENCH_BOT_REPORTS (100000, loaded before the run),
BENCH_BOT_RATES ("10,25,50,75,100,125,150,175,200,250,300"), BENCH_BOT_SECONDS per step (15),
BENCH_BOT_DATABASES ("sqlite,postgresql"), BENCH_BOT_PG_ADMIN_URL. `python -m bench --scale 0.01 bot`
(any scale below 1): a run of a few seconds on 300 recruiters, every step taken (checks that the code
works; its figures mean nothing).
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import secrets
import socket
import tempfile
import threading
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, func, select, text

from bench.httpload import process_cpu
from bench.openloop import PATH, SECRET, VERIFY_SHARE, Workload, run_step

TINY = False  # set by main(scale < 1): a run of a few seconds on 300 recruiters
RECRUITERS = REPORTS = 0
RATES: list[int] = []
SECONDS = WARMUP_SECONDS = STEP_GAP_S = 0.0
DATABASES = os.environ.get("BENCH_BOT_DATABASES", "sqlite,postgresql").split(",")
PG_ADMIN_URL = os.environ.get(
    "BENCH_BOT_PG_ADMIN_URL",
    os.environ.get("FAIRRECRUIT_BENCH_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"),
)


def _configure(scale: float) -> None:
    global TINY, RECRUITERS, REPORTS, RATES, SECONDS, WARMUP_SECONDS, STEP_GAP_S
    TINY = scale < 1
    env = os.environ.get
    RECRUITERS = int(env("BENCH_BOT_RECRUITERS", "300" if TINY else "100000"))
    REPORTS = int(env("BENCH_BOT_REPORTS", "300" if TINY else "100000"))
    RATES = [
        int(r)
        for r in env("BENCH_BOT_RATES", "10,20" if TINY else "10,25,50,75,100,125,150,175,200,250,300").split(
            ","
        )
    ]
    SECONDS = float(env("BENCH_BOT_SECONDS", "4" if TINY else "15"))
    WARMUP_SECONDS = 1.0 if TINY else 5.0
    # A report chat's next step comes about this long after its previous one (tiny: short, so that
    # reports are completed within the few seconds of the run).
    STEP_GAP_S = 0.5 if TINY else 3.0


GOAL_RATE = 150
GOAL_P95_MS = 150.0


def _telegram_side(conn) -> None:
    """Child process: the fake Bot API server and the injector."""
    from tests.functional.bot.fakebotapi import FakeBotAPI

    api = FakeBotAPI().start()
    conn.send((api.token, api.base_url))
    loop = asyncio.new_event_loop()
    works: dict[str, Workload] = {}
    while True:
        msg = conn.recv()
        if msg[0] == "stop":
            break
        if msg[0] == "targets":
            targets = msg[1]
            works = {
                label: Workload(targets, chat_base=base, seed=i, check=label == "bot")
                for i, (label, base) in enumerate((("bot", 500_000_000), ("echo", 700_000_000)))
            }
            conn.send("ok")
            continue
        _cmd, label, port, rate, seconds, step_gap = msg
        cpu = time.process_time()
        result = loop.run_until_complete(run_step(api, works[label], port, rate, seconds, step_gap))
        result["telegram_side_cpu_s"] = time.process_time() - cpu
        conn.send(result)
    api.stop()
    loop.close()


# --- the bot's side (this process) ---------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Running:
    """An Application in webhook mode on its own event loop thread, as `fairrecruit bot --webhook`."""

    def __init__(self, app):
        from bot.app import new_event_loop

        self.app = app
        self.port = _free_port()
        self.loop = new_event_loop()  # the bot's own (bot.app.new_event_loop), as `fairrecruit bot` runs it
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    def _run(self, coro):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(120)

    def __enter__(self) -> Running:
        self.thread.start()

        async def up():
            await self.app.initialize()
            if self.app.post_init:  # as Application.run_webhook does
                await self.app.post_init(self.app)
            await self.app.updater.start_webhook(
                listen="127.0.0.1",
                port=self.port,
                url_path=PATH,
                webhook_url=f"http://127.0.0.1:{self.port}/{PATH}",
                secret_token=SECRET,
                allowed_updates=["message", "callback_query"],
            )
            await self.app.start()

        self._run(up())
        return self

    def __exit__(self, *exc) -> None:
        async def down():
            await self.app.updater.stop()
            await self.app.stop()
            await self.app.shutdown()

        self._run(down())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


def echo_application(settings):
    """The baseline: the bot's Application setup with one handler that answers like the bot does."""
    from telegram import Update
    from telegram.ext import TypeHandler

    from bot.app import application_builder
    from bot.handlers.common import reply

    async def echo(update: Update, context) -> None:
        if update.callback_query is not None:
            await reply(update, update.callback_query.data or ".")
        elif update.effective_chat is not None and update.effective_message is not None:
            await reply(update, update.effective_message.text or ".")

    app = application_builder(settings).build()
    app.add_handler(TypeHandler(Update, echo))
    return app


@contextmanager
def _database(kind: str, tmp: Path):
    if kind == "sqlite":
        yield f"sqlite:///{tmp / 'bot.db'}"
        return
    name = f"fr_bench_bot_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as e:  # noqa: BLE001 - any failure: PostgreSQL is not there
        admin.dispose()
        print(f"PostgreSQL not available ({type(e).__name__}); skipping its rows", flush=True)
        yield None
        return
    try:
        yield PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _load(engine) -> list[tuple[str, str, str]]:
    from registry.models import Recruiter
    from registry.seed import volume
    from registry.services import fees
    from registry.settings import CONFIG_DIR

    t = time.perf_counter()
    volume.load(
        engine,
        recruiters=RECRUITERS,
        reports=REPORTS,
        pseudonym_key="bench-pseudonym-key-0123456789",
        fx=fees.fx_table(str(CONFIG_DIR / "fx_rates.csv")),
        seed=17,
    )
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql("VACUUM ANALYZE")
        else:
            conn.exec_driver_sql("ANALYZE")
        rows = conn.execute(select(Recruiter.public_id, Recruiter.legal_name, Recruiter.licence_number)).all()
    print(f"  loaded {RECRUITERS} recruiters and {REPORTS} reports in {time.perf_counter() - t:.1f} s")
    return [tuple(r) for r in rows]


def _cpu_of(pids: list[int]) -> float:
    """CPU seconds used so far by these processes (the bot's lookup processes: bot/lookups.py); one that
    ended (replaced) has its part lost from the figure."""
    return sum(process_cpu(pid) for pid in pids)


def _fmt(step: dict) -> str:
    return (
        f"{step['rate']:>4}/s sent {step['sent_rate']:6.1f}/s  p50 {step['p50']:7.1f}  p95 {step['p95']:7.1f}"
        f"  p99 {step['p99']:7.1f} ms  answered {step['answered']}/{step['updates']}"
        f"  errors {step['error_count']}  injector lag p95 {step['injector_lag_p95']:.1f} ms"
        f"  machine load {step['load_average_1min']}  CPU/update: bot process"
        f" {step['bot_process_cpu_ms_per_update']:.1f} ms"
        f" + its lookup process {step.get('lookup_processes_cpu_ms_per_update', 0.0):.1f} ms, Telegram side"
        f" {1000 * step['telegram_side_cpu_s'] / step['updates']:.1f} ms"
    )


def _measure(kind: str, url: str, tmp: Path, here) -> dict:
    from bot.app import build_application, tune_process
    from registry.db import make_engine
    from registry.migrate import upgrade
    from registry.models import FeeReport
    from registry.settings import Settings

    engine = make_engine(url)
    upgrade(engine)
    targets = _load(engine)
    here.send(("targets", targets))
    here.recv()
    with engine.connect() as conn:
        before = conn.scalar(select(func.count()).select_from(FeeReport))
    settings = Settings(
        env="test",
        var_dir=tmp,
        database_url=url,
        pseudonym_key="bench-pseudonym-key-0123456789",
        telegram_bot_token=TOKEN[0],
        telegram_api_base_url=TOKEN[1],
        telegram_webhook_secret=SECRET,
    )
    tune_process()  # as `fairrecruit bot` does
    bots = {
        "echo": Running(echo_application(settings)),
        "bot": Running(build_application(settings, engine, set_commands=False)),
    }
    steps: dict[str, list[dict]] = {"echo": [], "bot": []}
    codes = 0
    with bots["echo"], bots["bot"]:
        for label, running in bots.items():
            here.send(("step", label, running.port, RATES[0], WARMUP_SECONDS, STEP_GAP_S))
            warm = here.recv()
            codes += warm["codes"] if label == "bot" else 0
        for rate in RATES:
            for label, running in bots.items():
                if not TINY and steps[label] and steps[label][-1]["p95"] > GOAL_P95_MS:
                    continue  # saturated at a lower rate already (a tiny run takes every step)
                lookups = running.app.bot_data.get("lookups")
                pids = lookups.pids() if lookups is not None else []
                cpu, cpu_lookups = time.process_time(), _cpu_of(pids)
                here.send(("step", label, running.port, rate, SECONDS, STEP_GAP_S))
                step = here.recv()
                step["bot_process_cpu_ms_per_update"] = 1000 * (time.process_time() - cpu) / step["updates"]
                step["lookup_processes_cpu_ms_per_update"] = (
                    1000 * (_cpu_of(pids) - cpu_lookups) / step["updates"]
                )
                steps[label].append(step)
                codes += step["codes"] if label == "bot" else 0
                print(f"  {kind:<10} {label:<4} {_fmt(step)}", flush=True)
                for e in step["errors"]:
                    print("    error answer:", e)
            if not TINY and all(s and s[-1]["p95"] > GOAL_P95_MS for s in steps.values()):
                break
    with engine.connect() as conn:
        stored = conn.scalar(select(func.count()).select_from(FeeReport)) - before
    engine.dispose()

    def best(label: str) -> int:
        ok = [s["rate"] for s in steps[label] if s["p95"] <= GOAL_P95_MS and not s["missing"]]
        return max(ok) if ok else 0

    return {"steps": steps, "bot": best("bot"), "echo": best("echo"), "codes": codes, "stored": stored}


TOKEN: list[str] = ["", ""]


def main(scale: float = 1.0) -> dict:
    _configure(scale)
    tmp = Path(tempfile.mkdtemp(prefix="bench-bot-"))
    ctx = multiprocessing.get_context("spawn")
    here, there = ctx.Pipe()
    child = ctx.Process(target=_telegram_side, args=(there,), daemon=True)
    child.start()
    TOKEN[:] = here.recv()
    print(
        f"open loop, webhook transport (updates POSTed to the bot's webhook listener), "
        f"{RECRUITERS} recruiters, {int(VERIFY_SHARE * 100)} % verify / "
        f"{100 - int(VERIFY_SHARE * 100)} % report steps, {SECONDS:.0f} s per rate; "
        f"latency = update offered -> answer at the Bot API",
        flush=True,
    )
    rows: list[dict] = []
    params: dict = {
        "recruiters": RECRUITERS,
        "reports_loaded": REPORTS,
        "rates": RATES,
        "seconds_per_rate": SECONDS,
        "transport": "webhook",
        "verify_share": VERIFY_SHARE,
        "seed": secrets.token_hex(2),
    }
    try:
        for kind in DATABASES:
            with _database(kind, tmp) as url:
                if url is None:
                    continue
                label = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}[kind]
                r = _measure(kind, url, tmp, here)
                params[kind] = r["steps"]
                errors = sum(s["error_count"] + s["missing"] for s in r["steps"]["bot"])
                rows += [
                    {
                        "metric": f"bot: highest rate with p95 <= 150 ms ({label})",
                        "value": r["bot"],
                        "unit": "upd/s",
                        "goal": f">= {GOAL_RATE}",
                        "ok": r["bot"] >= GOAL_RATE or TINY,
                    },
                    {
                        "metric": f"echo bot (baseline), same rates ({label})",
                        "value": r["echo"],
                        "unit": "upd/s",
                        "goal": "",
                        "ok": True,
                    },
                    {
                        "metric": f"bot: error or missing answers ({label})",
                        "value": errors,
                        "unit": "",
                        "goal": "= 0",
                        "ok": errors == 0,
                    },
                    {
                        "metric": f"reports stored = case codes sent ({label})",
                        "value": r["stored"],
                        "unit": "rows",
                        "goal": f"= {r['codes']}",
                        "ok": r["stored"] == r["codes"] > 0,
                    },
                ]
    finally:
        here.send(("stop",))
        child.join(30)
    return {"rows": rows, "params": params}


if __name__ == "__main__":
    print(main())
