"""Fixtures for the supply-chain API tests: companies with keys, a small registry with fee reports,
and a privacy guard that inspects every response body (and queued webhook) each test produces."""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field
from datetime import date, timedelta

import pytest
from sqlalchemy import select
from sqlmodel import Session

from registry.models import FeeReport, Follower, OutboxMessage, Recruiter
from registry.services import accreditation, auditlog, audits, companies, fees, reports
from tests import factories

_chat_ids = itertools.count(7_351_000_001)
# Every response body seen by the API suite (the privacy test checks this is not empty).
SEEN: dict[str, int] = {"bodies": 0}
# Chat ids the fixtures reported from (the registry stores only their keyed hash).
KNOWN_CHAT_IDS: set[str] = set()


@pytest.fixture
def settings(settings):
    """The root settings, with a limit high enough that only the rate-limit tests meet it."""
    return settings.model_copy(update={"api_rate_limit": "100000/minute"})


def identities(engine) -> set[str]:
    """Everything that identifies a worker, as stored: reporter keys, report free text, chat ids."""
    with Session(engine) as s:
        found = set()
        for key, text in s.execute(select(FeeReport.reporter_key, FeeReport.free_text)):
            found.update(v for v in (key, text) if v)
        found.update(str(c) for c in s.scalars(select(Follower.chat_id)))
        return found | KNOWN_CHAT_IDS


def leaks_in(bodies: list[bytes], secrets_: set[str]) -> list[str]:
    leaks = []
    for body in bodies:
        text = body.decode("utf-8", "replace")
        unescaped = text
        try:
            unescaped = json.dumps(json.loads(text), ensure_ascii=False)
        except ValueError:
            pass
        leaks.extend(s for s in secrets_ if s in text or s in unescaped)
    return sorted(set(leaks))


class BodyRecorder:
    """WSGI middleware keeping every answer's body, including those answered in front of Flask
    (registry.api.fast)."""

    def __init__(self, wsgi_app, bodies: list[bytes]):
        self.wsgi_app = wsgi_app
        self.bodies = bodies

    def __call__(self, environ, start_response):
        chunks = self.wsgi_app(environ, start_response)
        try:
            data = b"".join(chunks)
        finally:
            if hasattr(chunks, "close"):
                chunks.close()
        self.bodies.append(data)
        return [data]


@pytest.fixture
def app(app, engine):
    bodies: list[bytes] = []
    app.extensions["test.bodies"] = bodies
    app.wsgi_app = BodyRecorder(app.wsgi_app, bodies)
    yield app
    SEEN["bodies"] += len(bodies)
    with Session(engine) as s:
        bodies = bodies + [json.dumps(p).encode() for p in s.scalars(select(OutboxMessage.payload))]
    leaked = leaks_in(bodies, identities(engine))
    if leaked:
        pytest.fail(f"worker identity in API output or webhooks: {leaked!r}", pytrace=False)


@dataclass
class Keys:
    engine: object
    company_id: int | None = None
    made: list = field(default_factory=list)

    def make(self, company: str = "Acme Garments Ltd", scopes=("read", "suppliers", "webhooks")) -> str:
        with Session(self.engine, expire_on_commit=False) as s:
            auditlog.set_actor(s, "test")
            comp, _ = companies.get_or_create(s, company)
            new = companies.create_api_key(s, comp, scopes=list(scopes))
            s.commit()
            self.company_id = comp.id
            return new.plaintext

    def headers(self, key: str) -> dict:
        return {"Authorization": f"Bearer {key}"}


@pytest.fixture
def keys(engine) -> Keys:
    return Keys(engine)


@pytest.fixture
def key(keys) -> str:
    return keys.make()


@pytest.fixture
def auth(key) -> dict:
    return {"Authorization": f"Bearer {key}"}


@dataclass
class World:
    accredited: Recruiter
    suspended: Recruiter
    applicant: Recruiter
    free_texts: list[str]
    chat_ids: list[int]
    reporter_keys: list[str]


def submit_report(
    s: Session,
    settings,
    rec_id: int | None,
    *,
    category: str,
    chat_id: int,
    free_text: str,
    origin: str = "NP",
    destination: str = "QA",
    amount: str = "1000",
) -> FeeReport:
    data = fees.ReportInput(
        category=category,
        amount=amount,
        currency="USD",
        paid_on=date.today() - timedelta(days=10),
        destination_country=destination,
        origin_country=origin,
        recruiter_id=rec_id,
        free_text=free_text,
        consent=True,
    )
    report, _ = reports.submit(
        s,
        data,
        reporter_key=reports.pseudonym(settings.pseudonym_key, chat_id),
        submission_key=f"test:{chat_id}:{category}",
        fx=fees.fx_table(str(settings.fx_rates_path)),
    )
    return report


@pytest.fixture
def world(engine, settings) -> World:
    """Three invented recruiters: accredited, suspended (with an open major finding and fee reports),
    and an applicant; worker reports carry known chat ids and free text."""
    with Session(engine, expire_on_commit=False) as s:
        auditlog.set_actor(s, "test")
        a = factories.accredited(
            s, name="Sunrise Bridge Manpower Pvt. Ltd.", country="NP", licence="NP-1001/77"
        )
        sus = factories.accredited(
            s, name="Blue Lotus Overseas Pvt. Ltd.", country="NP", licence="NP-2002/78"
        )
        audit = audits.plan(s, sus, kind="special", planned_date=date.today(), actor="test")
        audits.record_outcome(s, audit, performed_date=date.today(), outcome="nonconforming")
        audits.add_finding(s, audit, principle="P2", severity="major", description="passports retained")
        accreditation.decide(s, sus, "suspend", actor="test", reason="passports retained")
        p = factories.recruiter(
            s,
            name="Coral Harbour Recruiters Inc.",
            country="PH",
            licence="PH-3003",
            corridors=(("PH", "AE"),),
        )
        free_texts, chat_ids, keys_ = [], [], []
        plan = (
            [("recruitment_fee", "NP", "QA")] * 6
            + [("medical", "NP", "QA")] * 2
            + [("deposit_or_bond", "NP", "AE")]
        )
        for i, (category, origin, destination) in enumerate(plan):
            chat = next(_chat_ids)
            text = f"Paid the agent Mr Karki-{chat} in cash at the Kalanki office #{i}"
            submit_report(
                s,
                settings,
                sus.id,
                category=category,
                chat_id=chat,
                free_text=text,
                origin=origin,
                destination=destination,
            )
            free_texts.append(text)
            chat_ids.append(chat)
            keys_.append(reports.pseudonym(settings.pseudonym_key, chat))
        chat = next(_chat_ids)
        s.add(Follower(chat_id=chat, recruiter_id=sus.id))
        chat_ids.append(chat)
        s.commit()
        KNOWN_CHAT_IDS.update(str(c) for c in chat_ids)
        return World(a, sus, p, free_texts, chat_ids, keys_)
