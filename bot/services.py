"""What the bot asks of the registry: one unit of work per call, run in a thread by the handlers.

Each method opens its own session, calls registry services, and commits once (services never
commit). The raw chat id goes only to ``registry.services.follow``; everything else sees the
pseudonymous key.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import bindparam, select
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from registry.db import DriverReads, reading, session_scope
from registry.errors import NotFound
from registry.models import ChatPreference, FeeReport, Recruiter, id_of
from registry.services import auditlog, fees, follow, lookup, name_index, recruiters, reports, standing
from registry.services.fees import ReportInput, ReportLine
from registry.settings import Settings
from registry.timeutil import today

ACTOR = "bot"
MAX_CANDIDATES = 5
# A chat's remembered language (follow.get_language), read straight on the driver.
_LANGUAGE = select(col(ChatPreference.language)).where(col(ChatPreference.reporter_key) == bindparam("key"))


@dataclass(frozen=True)
class Card:
    """What the bot shows about a recruiter."""

    id: int
    public_id: str
    name: str
    country: str
    status: str  # accreditation status, validity applied (registry.services.standing)
    since: date | None
    valid_until: date | None
    licence_status: str
    last_audit: date | None
    corridors: tuple[tuple[str, str], ...] = ()
    licence_authority: str = ""
    licence_number: str = ""
    official_address: str = ""
    official_phone: str = ""
    parent_name: str = ""  # a sub-agent: the agency it works for
    parent_public_id: str = ""


@dataclass(frozen=True)
class Case:
    case_code: str
    status: str
    recruiter: str
    created: date
    paid_on: date | None = None
    paid_on_precision: str = "day"


@dataclass
class Draft:
    """A fee report being written in the chat (kept in memory until it is submitted)."""

    recruiter_id: int | None = None
    recruiter_text: str = ""
    recruiter_name: str = ""
    origin_country: str = ""
    corridors: tuple[tuple[str, str], ...] = ()
    category: str = ""
    amount: Decimal | None = None
    currency: str = ""
    paid_on: date | None = None
    paid_on_precision: str = "day"  # "month": only a month and year were given
    destination_country: str = ""
    receipt_file_id: str | None = None
    # The fees already added ({"category", "amount", "currency"}); category/amount/currency above are
    # the one being written.
    lines: list = field(default_factory=list)
    extra: dict = field(default_factory=dict)


class BotServices:
    def __init__(self, settings: Settings, engine: Engine):
        self.settings = settings
        self.engine = engine
        self._reading: tuple[Engine, Engine] | None = None
        self.fx = fees.fx_table(str(settings.fx_rates_path))

    @property
    def reader(self) -> Engine:
        """The engine for the units of work below that only read (registry.db.reading)."""
        if self._reading is None or self._reading[0] is not self.engine:
            self._reading = (self.engine, reading(self.engine))
        return self._reading[1]

    @contextmanager
    def _write(self) -> Iterator[Session]:
        """A unit of work that writes: one transaction, committed once at the end.

        On SQLite the transaction takes the write lock at once (BEGIN IMMEDIATE), so concurrent
        writers wait for each other instead of failing.
        """
        with session_scope(self.engine, write=True) as session:
            auditlog.set_actor(session, ACTOR)
            yield session

    # --- identities ---------------------------------------------------------------------------

    def reporter_key(self, chat_id: int) -> str:
        return reports.pseudonym(self.settings.pseudonym_key, chat_id)

    def submission_key(self, chat_id: int, anchor: str) -> str:
        """Stable key of one submission: the chat's pseudonym and the message that confirmed it."""
        raw = f"{self.reporter_key(chat_id)}:{anchor}".encode()
        return "tg:" + hashlib.sha256(raw).hexdigest()

    # --- recruiters ---------------------------------------------------------------------------

    def _cards(self, session: Session, recs: list[Recruiter]) -> list[Card]:
        """Status cards of several recruiters from their standing (one query, not one per recruiter)."""
        return self._cards_of(session, [id_of(r) for r in recs])

    def _cards_of(self, session: Session, ids: list[int]) -> list[Card]:
        """Status cards by recruiter id, in the order given (ids of no recruiter are left out)."""
        found = standing.standing_of_many(session, ids, as_of=today())
        cards = []
        for rid in ids:
            st = found.get(rid)
            if st is None:
                continue
            cards.append(
                Card(
                    id=rid,
                    public_id=st.public_id,
                    name=st.legal_name,
                    country=st.country,
                    status=st.status,
                    since=st.since_date,
                    valid_until=st.valid_until,
                    licence_status=st.licence_status,
                    last_audit=st.last_audit,
                    corridors=st.corridors,
                    licence_authority=st.licence_authority,
                    licence_number=st.licence_number,
                    official_address=st.official_address,
                    official_phone=st.official_phone,
                    parent_name=st.parent.legal_name if st.parent else "",
                    parent_public_id=st.parent.public_id if st.parent else "",
                )
            )
        return cards

    def _card(self, session: Session, rec: Recruiter) -> Card:
        return self._cards(session, [rec])[0]

    def warm(self) -> None:
        """Build the search index now (it is built on first use otherwise)."""
        with Session(self.engine) as session:
            name_index.warm(session)

    def search(self, query: str) -> list[Card]:
        with Session(self.reader) as session:
            found = recruiters.search_recruiter_ids(session, query, limit=MAX_CANDIDATES)
            return self._cards_of(session, [rid for rid, _score in found])

    def lookup(self, query: str) -> tuple[str, list[Card]]:
        """What a worker's text asks to verify (registry.services.lookup): its kind and the cards of
        the recruiter it names for certain (EXACT) or of the candidates (CANDIDATES), best first."""
        with Session(self.reader) as session:
            answer = lookup.lookup(session, query)
            return answer.kind, self._cards(session, [c.recruiter for c in answer.candidates])

    def card(self, public_id: str) -> Card | None:
        with Session(self.reader) as session:
            try:
                rec = recruiters.get_by_public_id(session, public_id)
            except NotFound:
                return None
            return self._card(session, rec)

    # --- reports ------------------------------------------------------------------------------

    def submit(
        self, chat_id: int, draft: Draft, submission_key: str, language: str | None = None
    ) -> tuple[str, bool]:
        """Store the report (once) and commit. Returns (case code, created).

        In the same transaction the chat is subscribed to the case (raw chat id in that table only), so
        it is told, in `language` (default: the chat's saved language), when the report is decided.
        """
        lines = [
            ReportLine(category=x["category"], amount=x["amount"], currency=x["currency"])
            for x in draft.lines
        ]
        first = lines[0] if lines else None
        data = ReportInput(
            category=first.category if first else draft.category,
            amount=first.amount if first else (draft.amount or Decimal(0)),
            currency=first.currency if first else draft.currency,
            lines=lines,
            paid_on=draft.paid_on,
            paid_on_precision=draft.paid_on_precision,
            destination_country=draft.destination_country,
            origin_country=draft.origin_country,
            recruiter_id=draft.recruiter_id,
            recruiter_text=draft.recruiter_text,
            channel="telegram",
            receipt_file_id=draft.receipt_file_id,
            consent=True,
        )
        with self._write() as session:
            report, created = reports.submit(
                session,
                data,
                reporter_key=self.reporter_key(chat_id),
                submission_key=submission_key,
                fx=self.fx,
                daily_limit=self.settings.reports_per_chat_per_day,
            )
            follow.subscribe_case(
                session,
                chat_id=chat_id,
                report=report,
                language=language or follow.get_language(session, self.reporter_key(chat_id)) or "en",
            )
            code = report.case_code
        return code, created

    def reports_left(self, chat_id: int) -> int:
        """How many more reports this chat may send today (the daily limit)."""
        with Session(self.reader) as session:
            sent = reports.reports_today(session, self.reporter_key(chat_id))
        return max(self.settings.reports_per_chat_per_day - sent, 0)

    def submitted(self, submission_key: str) -> str | None:
        """The case code of an already committed submission, if any."""
        with Session(self.reader) as session:
            return session.scalar(
                select(FeeReport.case_code).where(FeeReport.submission_key == submission_key)
            )

    def cases(self, chat_id: int) -> list[Case]:
        with Session(self.reader) as session:
            rows = reports.cases_of(session, self.reporter_key(chat_id))
            names = {}
            ids = {r.recruiter_id for r in rows if r.recruiter_id}
            if ids:
                names = dict(
                    session.execute(
                        select(Recruiter.id, Recruiter.legal_name).where(Recruiter.id.in_(ids))
                    ).all()
                )
            return [
                Case(
                    case_code=r.case_code,
                    status=r.triage_status,
                    recruiter=names.get(r.recruiter_id) or r.recruiter_text,
                    created=r.created_at.date(),
                    paid_on=r.paid_on,
                    paid_on_precision=r.paid_on_precision,
                )
                for r in rows
            ]

    def to_usd(self, amount: Decimal, currency: str, on: date) -> Decimal | None:
        return self.fx.to_usd(amount, currency, on)

    # --- follows and preferences --------------------------------------------------------------

    def follow(self, chat_id: int, public_id: str, language: str) -> tuple[Card | None, bool]:
        with self._write() as session:
            try:
                rec = recruiters.get_by_public_id(session, public_id)
            except NotFound:
                return None, False
            _row, created = follow.follow(session, chat_id=chat_id, recruiter=rec, language=language)
            card = self._card(session, rec)
        return card, created

    def unfollow(self, chat_id: int, public_id: str) -> Card | None:
        with self._write() as session:
            try:
                rec = recruiters.get_by_public_id(session, public_id)
            except NotFound:
                return None
            follow.unfollow(session, chat_id=chat_id, recruiter_id=rec.id)
            return self._card(session, rec)

    def following(self, chat_id: int) -> list[Card]:
        with Session(self.reader) as session:
            return self._cards(session, follow.following(session, chat_id))

    def language(self, chat_id: int) -> str | None:
        # Before the first update of each chat this process sees: one statement on the driver.
        reads = DriverReads(self.engine)
        try:
            row = reads.first(_LANGUAGE, {"key": self.reporter_key(chat_id)})
        finally:
            reads.close()
        return row[0] if row is not None else None

    def origin(self, chat_id: int) -> str:
        with Session(self.reader) as session:
            return follow.get_origin(session, self.reporter_key(chat_id))

    def set_origin(self, chat_id: int, origin: str, language: str) -> None:
        with self._write() as session:
            follow.set_origin(
                session, reporter_key=self.reporter_key(chat_id), origin=origin, language=language
            )

    def set_language(self, chat_id: int, language: str) -> None:
        with self._write() as session:
            follow.set_language(
                session, reporter_key=self.reporter_key(chat_id), chat_id=chat_id, language=language
            )

    def forget(self, chat_id: int) -> dict:
        with self._write() as session:
            return reports.forget_chat(session, chat_id=chat_id, reporter_key=self.reporter_key(chat_id))
