"""Workers who follow a recruiter or their own case, and per-chat preferences of the bot.

``Follower`` (a recruiter's status changes) and ``CaseSubscription`` (the decision on the chat's own
fee report) are the only tables that store a raw chat id, needed to send a message;
``ChatPreference`` is keyed by the pseudonymous reporter key. ``reports.forget_chat`` erases all three,
and retention erases a closed report's subscription with its personal data.
"""

from __future__ import annotations

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from registry.models import CaseSubscription, ChatPreference, FeeReport, Follower, Recruiter, id_of
from registry.timeutil import utcnow

MAX_FOLLOWS_PER_CHAT = 50


def follow(session: Session, *, chat_id: int, recruiter: Recruiter, language: str) -> tuple[Follower, bool]:
    """Follow a recruiter (idempotent). Returns (follower, created)."""
    existing = session.scalars(
        select(Follower).where(col(Follower.chat_id) == chat_id, col(Follower.recruiter_id) == recruiter.id)
    ).first()
    if existing is not None:
        if existing.language != language:
            existing.language = language
        return existing, False
    if recruiter.id is None:
        raise RuntimeError("recruiter.id is not None")
    row = Follower(chat_id=chat_id, recruiter_id=recruiter.id, language=language)
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        existing = session.scalars(
            select(Follower).where(
                col(Follower.chat_id) == chat_id, col(Follower.recruiter_id) == recruiter.id
            )
        ).first()
        if existing is None:
            raise
        return existing, False
    return row, True


def unfollow(session: Session, *, chat_id: int, recruiter_id: int) -> bool:
    n = session.exec(
        delete(Follower).where(col(Follower.chat_id) == chat_id, col(Follower.recruiter_id) == recruiter_id)
    ).rowcount
    return bool(n)


def following(session: Session, chat_id: int) -> list[Recruiter]:
    return list(
        session.scalars(
            select(Recruiter)
            .join(Follower, col(Follower.recruiter_id) == col(Recruiter.id))
            .where(col(Follower.chat_id) == chat_id)
            .order_by(col(Follower.created_at))
            .limit(MAX_FOLLOWS_PER_CHAT)
        )
    )


def get_language(session: Session, reporter_key: str) -> str | None:
    pref = session.get(ChatPreference, reporter_key)
    return pref.language if pref is not None else None


def get_origin(session: Session, reporter_key: str) -> str:
    """The country a chat's worker said they are from ("" when not given yet)."""
    pref = session.get(ChatPreference, reporter_key)
    return pref.origin_country if pref is not None else ""


def set_origin(session: Session, *, reporter_key: str, origin: str, language: str) -> None:
    """Remember the worker's country (keyed by pseudonym); a new preference row takes `language`."""
    pref = session.get(ChatPreference, reporter_key)
    if pref is None:
        session.add(ChatPreference(reporter_key=reporter_key, language=language, origin_country=origin))
    else:
        pref.origin_country = origin
        pref.updated_at = utcnow()
        session.add(pref)
    session.flush()


def set_language(session: Session, *, reporter_key: str, chat_id: int, language: str) -> None:
    """Remember a chat's language (keyed by pseudonym) and use it for its follow notifications."""
    pref = session.get(ChatPreference, reporter_key)
    if pref is None:
        session.add(ChatPreference(reporter_key=reporter_key, language=language))
    else:
        pref.language = language
        pref.updated_at = utcnow()
    session.execute(update(Follower).where(col(Follower.chat_id) == chat_id).values(language=language))
    session.execute(
        update(CaseSubscription).where(col(CaseSubscription.chat_id) == chat_id).values(language=language)
    )
    session.flush()


def subscribe_case(session: Session, *, chat_id: int, report: FeeReport, language: str) -> CaseSubscription:
    """Tell this chat when `report` is decided (idempotent: one subscription per report).

    The chat id is stored here only, never with the report; the outbox message names the subscription.
    """
    existing = session.scalars(
        select(CaseSubscription).where(col(CaseSubscription.report_id) == report.id)
    ).first()
    if existing is not None:
        return existing
    row = CaseSubscription(chat_id=chat_id, report_id=id_of(report), language=language)
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        existing = session.scalars(
            select(CaseSubscription).where(col(CaseSubscription.report_id) == report.id)
        ).first()
        if existing is None:
            raise
        return existing
    return row


def forget_chat(session: Session, chat_id: int) -> int:
    """Erase every row that holds this raw chat id (follows and case subscriptions); returns the follows."""
    session.execute(delete(CaseSubscription).where(col(CaseSubscription.chat_id) == chat_id))
    return session.exec(delete(Follower).where(col(Follower.chat_id) == chat_id)).rowcount or 0
