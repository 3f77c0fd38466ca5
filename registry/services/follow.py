"""Workers who follow a recruiter, and per-chat preferences of the bot.

``Follower`` is the only table that stores a raw chat id (needed to send a status-change message);
``ChatPreference`` is keyed by the pseudonymous reporter key. ``reports.forget_chat`` erases both.
"""

from __future__ import annotations

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from registry.models import ChatPreference, Follower, Recruiter
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
    assert recruiter.id is not None
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


def set_language(session: Session, *, reporter_key: str, chat_id: int, language: str) -> None:
    """Remember a chat's language (keyed by pseudonym) and use it for its follow notifications."""
    pref = session.get(ChatPreference, reporter_key)
    if pref is None:
        session.add(ChatPreference(reporter_key=reporter_key, language=language))
    else:
        pref.language = language
        pref.updated_at = utcnow()
    session.execute(update(Follower).where(col(Follower.chat_id) == chat_id).values(language=language))
    session.flush()
