"""Lookups in a process of their own (bot/lookups.py, the production default): the bot answers exactly
as with lookups in its own threads, sees recruiters registered after the process started, and goes on
answering when the process is killed."""

from __future__ import annotations

import os
import pickle
import signal
import time

import pytest
from sqlalchemy import exc

from bot import lookups
from tests.functional.bot.conftest import bot_settings, make_registry
from tests.functional.bot.harness import BotHarness


@pytest.fixture
def with_process(tmp_path, engine):
    """(the bot with one lookup process, the invented registry of the bot tests)"""
    data = make_registry(engine)
    h = BotHarness(bot_settings(tmp_path, engine, lookup_processes=1), engine).start()
    yield h, data
    h.stop()


def _processes(h: BotHarness) -> list[int]:
    return h.app.bot_data["lookups"].pids()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _ask(h: BotHarness, data: dict) -> dict[str, str]:
    """The same questions, typed as workers type them, in English, Nepali and Bengali chats."""
    en, ne, bn = h.chat("en"), h.chat("ne"), h.chat("bn")
    pid = data["ok"]
    return {
        "id": en.send("/verify " + pid.lower()).text,
        "name": en.send("/verify Himal Sunrise Overseas").text,
        "look-alike": en.send("/verify Himal Overseas").text,
        "candidates": en.send("/verify Everest Bridge Employment").text,
        "ne id spaced": ne.send(f"/verify {pid[:2]} {pid[3:].lower()}").text,
        "ne devanagari name": ne.send("/verify हिमाल सनराइज ओभरसिज").text,
        "bn question": bn.send("/verify Coral Bay Manpower Agency ki thik ache?").text,
        "bn candidates": bn.send("/verify everest bridge employmnt").text,
        "bn tap": bn.tap(f"card:{data['similar'][0]}").text,
    }


def test_answers_are_those_of_lookups_in_the_bots_threads(with_process, tmp_path, engine):
    h, data = with_process
    there = _ask(h, data)
    (worker,) = _processes(h)
    assert _alive(worker) and worker != os.getpid()
    assert h.app.bot_data["lookups"].answered() >= 9  # the questions were answered there
    assert "✅ Accredited until" in there["id"] and "Himal Sunrise Overseas Pvt. Ltd." in there["id"]
    assert "✅" not in there["look-alike"]
    assert "Did you mean one of these?" in there["candidates"]
    assert "Himal Sunrise Overseas Pvt. Ltd." in there["ne id spaced"]
    assert there["ne id spaced"] != there["id"]  # the same card, in Nepali
    assert "Coral Bay Manpower Agency" in there["bn question"] and "⛔" in there["bn question"]
    assert "Everest Bridge Employment North" in there["bn tap"]  # a misspelt name, then a candidate tapped

    threads = BotHarness(bot_settings(tmp_path / "t", engine, lookup_processes=0), engine).start()
    try:
        assert threads.app.bot_data["lookups"].pids() == []
        assert _ask(threads, data) == there
    finally:
        threads.stop()

    # registered after the lookup process built its index: found by name at once
    from registry.db import session_scope
    from registry.services import auditlog
    from tests import factories

    with session_scope(engine) as s:
        auditlog.set_actor(s, "test")
        factories.recruiter(s, name="Zanskar Valley Placements", country="NP")
    assert "Zanskar Valley Placements" in h.chat("en").send("/verify Zanskar Valley Placements").text


def test_a_killed_lookup_process_fails_no_answer_and_is_replaced(with_process):
    h, data = with_process
    chat = h.chat("en")
    assert "✅ Accredited until" in chat.send(f"/verify {data['ok']}").text
    (worker,) = _processes(h)
    os.kill(worker, signal.SIGKILL)
    # until a new process is ready, lookups are answered from the bot's own process
    assert "✅ Accredited until" in chat.send(f"/verify {data['ok']}").text
    deadline = time.monotonic() + 60
    while _processes(h) in ([], [worker]) and time.monotonic() < deadline:
        time.sleep(0.05)
    (replacement,) = _processes(h)
    assert replacement != worker and _alive(replacement) and not _alive(worker)
    lookups_ = h.app.bot_data["lookups"]
    before = lookups_.answered()
    assert "✅ Accredited until" in chat.send(f"/verify {data['ok']}").text  # by the new process
    assert lookups_.answered() == before + 1


class Unpicklable(Exception):
    """An error that cannot cross to another process (as some drivers' errors cannot)."""

    def __reduce__(self):
        raise TypeError("cannot pickle")


class FailingServices:
    """A lookup process's services whose database fails with such an error (and whose card has a bug)."""

    def lookup(self, _query):
        raise exc.OperationalError("SELECT 1", {}, Unpicklable("server closed the connection"))

    def card(self, _public_id):
        raise Unpicklable("a bug")

    def search(self, query):
        return [query.upper()]


def test_a_database_error_in_the_lookup_process_reaches_the_bot_as_its_sqlalchemy_class(monkeypatch):
    monkeypatch.setattr(lookups, "_services", FailingServices())
    with pytest.raises(exc.OperationalError) as raised:
        lookups._call("lookup", "RA-ABCDE")
    again = pickle.loads(pickle.dumps(raised.value))  # what crosses back to the bot's process
    assert isinstance(again, exc.OperationalError)
    assert "OperationalError" in str(again)


def test_only_lookups_run_there():
    import asyncio

    from registry.settings import Settings

    processes = lookups.LookupProcesses(Settings(env="test"), object(), 0)

    with pytest.raises(ValueError, match="not a lookup"):
        asyncio.run(processes.run("forget", "123"))


def test_lookup_processes_that_cannot_start_leave_the_lookups_to_the_bots_threads(monkeypatch):
    import asyncio
    import sys

    from registry.settings import Settings

    class Here:
        def lookup(self, query):
            return ("nothing", [query])

    processes = lookups.LookupProcesses(Settings(env="test"), Here(), 1)
    monkeypatch.setattr(processes, "_command", lambda: [sys.executable, "-c", "import os; os.abort()"])

    async def run():
        await processes.start()
        try:
            return await processes.lookup("Himal"), processes.pids()
        finally:
            await processes.stop()

    assert asyncio.run(run()) == (("nothing", ["Himal"]), [])


def test_an_answer_frame_carries_the_error_or_its_class_name(monkeypatch):
    monkeypatch.setattr(lookups, "_services", FailingServices())
    ident, ok, err = pickle.loads(lookups._answer(7, "lookup", "RA-ABCDE"))
    assert (ident, ok, type(err)) == (7, False, exc.OperationalError)
    ident, ok, err = pickle.loads(lookups._answer(8, "card", "RA-ABCDE"))
    assert (ident, ok, type(err), str(err)) == (8, False, RuntimeError, "Unpicklable")
    assert pickle.loads(lookups._answer(9, "search", "himal")) == (9, True, ["HIMAL"])


def test_a_lookup_process_plans_its_statements_once_on_postgresql(tmp_path, engine):
    """Generic plans on PostgreSQL (the status card's statement was planned again at every lookup);
    the same cards either way."""
    from sqlalchemy import text

    from bot.services import BotServices
    from registry.db import make_engine

    data = make_registry(engine)
    settings = bot_settings(tmp_path, engine)
    looking = lookups.lookup_engine(settings, make_engine)
    try:
        with looking.connect() as conn:
            if engine.dialect.name == "postgresql":
                assert conn.execute(text("SHOW plan_cache_mode")).scalar() == "force_generic_plan"
        there, here = BotServices(settings, looking), BotServices(settings, engine)
        for _ in range(7):  # past the runs after which the server may switch to a generic plan
            assert there.card(data["ok"]) == here.card(data["ok"])
            assert there.lookup("Himal Sunrise Overseas") == here.lookup("Himal Sunrise Overseas")
    finally:
        looking.dispose()


def test_a_lookup_tries_again_to_start_a_process_that_could_not_start(monkeypatch):
    import asyncio
    import sys

    from registry.settings import Settings

    class Here:
        def lookup(self, query):
            return ("here", [query])

    monkeypatch.setattr(lookups, "RETRY_AFTER", 0.0)
    processes = lookups.LookupProcesses(Settings(env="test"), Here(), 1)
    monkeypatch.setattr(processes, "_command", lambda: [sys.executable, "-c", "import os; os.abort()"])
    # a lookup process that answers from a stand-in for the registry (no database to build an index of)
    child = (
        "import sys, bot.lookups as m; m._start = lambda settings: None; "
        "m._call = lambda method, arg: ('there', [arg]); m.serve(int(sys.argv[1]))"
    )

    async def run():
        await processes.start()
        try:
            answers = [await processes.lookup("Himal")]
            monkeypatch.setattr(processes, "_command", lambda: [sys.executable, "-c", child])
            deadline = time.monotonic() + 30
            while answers[-1][0] != "there" and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
                answers.append(await processes.lookup("Himal"))
            return answers, processes.pids()
        finally:
            await processes.stop()

    answers, pids = asyncio.run(run())
    assert answers[0] == ("here", ["Himal"]) and answers[-1] == ("there", ["Himal"])
    assert len(pids) == 1
