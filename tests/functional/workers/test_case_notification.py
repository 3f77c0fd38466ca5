"""A worker who reports a fee through the bot is told, in their language, when the report is decided:
the real bot (fake Bot API) takes the report and subscribes the chat to the case; an auditor's triage
writes an outbox message in the same transaction; a real Celery worker delivers it to the Bot API.
/forget ends it. Redis + PostgreSQL, and the SQLite broker + SQLite."""

from __future__ import annotations

import json
import time
from datetime import date

import pytest
from celery.contrib.testing.worker import start_worker
from sqlalchemy import select

from bot.i18n import gettext_for
from registry import notifications
from registry.db import session_scope
from registry.models import Alert, AuditLogEntry, CaseSubscription, FeeReport, OutboxMessage
from registry.services import auditlog, delivery, fees, follow, outbox
from registry.services import reports as report_service
from registry.services.fees import ReportInput
from registry.settings import CONFIG_DIR
from tests import factories
from tests.functional.bot.conftest import make_registry
from tests.functional.bot.fakebotapi import FakeBotAPI
from tests.functional.bot.harness import BotHarness
from tests.functional.bot.test_report import case_code_in, walk
from tests.functional.workers.conftest import make_settings, wait_for
from workers.app import create_celery

AUDITOR = "auditor@example.org"


@pytest.fixture
def telegram_and_bot(stack):
    settings, engine = stack
    api = FakeBotAPI().start()
    settings.telegram_bot_token = api.token
    settings.telegram_api_base_url = api.base_url
    bot = BotHarness(settings, engine, api).start()
    yield api, bot
    bot.stop()  # stops the fake Bot API too


@pytest.fixture
def celery_app(stack, telegram_and_bot):
    settings, _engine = stack
    app = create_celery(settings)  # this process enqueues a dispatch after each commit with messages
    yield app
    outbox.set_commit_hook(None)
    app.dispose_engine()


def sent_to(api: FakeBotAPI, chat_id: int, after: int = 0) -> list[str]:
    return [
        c.text
        for c in api.calls[after:]
        if c.method == "sendMessage" and str(c.params.get("chat_id")) == str(chat_id) and c.text
    ]


def decide(engine, code: str, *, status: str, revise: bool = False) -> None:
    with session_scope(engine, write=True) as s:
        auditlog.set_actor(s, AUDITOR)
        rep = s.scalars(select(FeeReport).where(FeeReport.case_code == code)).one()
        if revise:
            report_service.revise_triage(s, rep, status=status, reason="new evidence", actor=AUDITOR)
        else:
            report_service.triage(s, rep, status=status, note="receipt checked", actor=AUDITOR)


def test_the_worker_is_told_in_their_language_when_the_report_is_decided(stack, telegram_and_bot, celery_app):
    _settings, engine = stack
    api, bot = telegram_and_bot
    data = make_registry(engine)
    chat = bot.chat("en")
    walk(chat, data["ok"], 8)
    thanks = chat.tap("rc:yes").text
    code = case_code_in(thanks)
    # the thank-you: the case code, how to follow it, and that the worker will be told
    assert "/mycases" in thanks
    assert "We will send you a message here when your report has been decided." in thanks
    chat.send("/language")
    chat.tap("lang:ne")
    assert gettext_for("ne")("Your cases:") in chat.send("/mycases").text
    with session_scope(engine) as s:
        sub = s.scalars(select(CaseSubscription)).one()
        rep = s.scalars(select(FeeReport).where(FeeReport.case_code == code)).one()
        assert (sub.chat_id, sub.report_id, sub.language) == (chat.id, rep.id, "ne")
        assert str(chat.id) not in str(rep.model_dump())  # the report holds the pseudonym only

    with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=15):
        before = len(api.calls)
        decide(engine, code, status="substantiated")
        [text] = wait_for(lambda: sent_to(api, chat.id, before), 30, what="the worker's message")
        with session_scope(engine) as s:
            [msg] = s.scalars(
                select(OutboxMessage).where(OutboxMessage.event_type == outbox.CASE_DECIDED)
            ).all()
            assert msg.target_id == sub.id and str(chat.id) not in json.dumps(msg.payload)
        assert text == notifications.case_decided("ne", msg.payload)
        assert code in text and "/mycases" in text and "अनुचित" in text  # "unfairly", in Nepali
        wait_for(lambda: all(m.status == "delivered" for m in messages(engine)), 10, what="delivered status")

        before = len(api.calls)
        decide(engine, code, status="unsubstantiated", revise=True)
        [text] = wait_for(lambda: sent_to(api, chat.id, before), 30, what="the revised decision")
        assert code in text and "निर्णय बदलिएको छ" in text and "/report" in text

        # /forget: the subscription goes, and no later decision reaches the chat
        chat.send("/forget")
        chat.tap("f:yes")
        with session_scope(engine) as s:
            assert s.scalars(select(CaseSubscription)).all() == []
        before = len(api.calls)
        decide(engine, code, status="duplicate", revise=True)
        celery_app.send_task("workers.tasks.dispatch_outbox")
        time.sleep(1.0)
    assert sent_to(api, chat.id, before) == []
    assert [m.payload["data"]["status"] for m in messages(engine)] == ["substantiated", "unsubstantiated"]
    with session_scope(engine) as s:
        assert "case_subscription" not in {e.entity for e in s.scalars(select(AuditLogEntry))}
        assert not [e for e in s.scalars(select(AuditLogEntry)) if str(chat.id) in e.data]


def messages(engine) -> list[OutboxMessage]:
    with session_scope(engine) as s:
        return list(
            s.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.event_type == outbox.CASE_DECIDED)
                .order_by(OutboxMessage.id)
            )
        )


def test_a_message_whose_subscription_was_erased_before_delivery_is_dropped(engine, tmp_path):
    """/forget (or retention) between the decision and the delivery: nothing is sent, no alert is raised."""
    settings = make_settings(tmp_path, engine, "memory://")
    with session_scope(engine, write=True) as s:
        auditlog.set_actor(s, AUDITOR)
        rec = factories.accredited(s)
        rep = s.get(FeeReport, make_report(s, rec))
        follow.subscribe_case(s, chat_id=777, report=rep, language="id")
        report_service.triage(s, rep, status="duplicate", note="checked", actor=AUDITOR)
    with session_scope(engine, write=True) as s:
        follow.forget_chat(s, 777)
    with session_scope(engine, write=True) as s:
        msg = delivery.claim_one(s, lease_seconds=30)
        outcome = delivery.build_request(s, msg, settings)
        assert outcome == delivery.Outcome(False, delivery.Reason.follower_gone, permanent=True)
        assert delivery.record(s, msg.id, outcome, settings) == "dead"
    with session_scope(engine) as s:
        assert s.scalars(select(Alert)).all() == []


def make_report(s, rec) -> int:
    rep, _ = report_service.submit(
        s,
        ReportInput(
            category="medical",
            amount="100",
            currency="USD",
            paid_on=date(2025, 1, 10),
            destination_country="QA",
            recruiter_id=rec.id,
            consent=True,
        ),
        reporter_key="k" * 64,
        submission_key="gone-1",
        fx=fees.fx_table(str(CONFIG_DIR / "fx_rates.csv")),
    )
    return rep.id
