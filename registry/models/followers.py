from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from registry.timeutil import utcnow


class Follower(SQLModel, table=True):
    """A chat that asked to hear about one recruiter's status changes.

    The only table that stores a raw chat id (needed to send the message); /forget erases it.
    """

    __tablename__ = "follower"
    __table_args__ = (UniqueConstraint("chat_id", "recruiter_id", name="uq_follower_chat_recruiter"),)

    id: int | None = Field(default=None, primary_key=True)
    chat_id: int = Field(sa_column=Column(BigInteger, nullable=False, index=True))
    recruiter_id: int = Field(foreign_key="recruiter.id", index=True)
    language: str = Field(default="en", max_length=8)
    created_at: datetime = Field(default_factory=utcnow)


class CaseSubscription(SQLModel, table=True):
    """A chat that sent a fee report and is told when the report is decided (triaged or revised).

    Like ``Follower``, it holds a raw chat id (needed to send the message) and nothing else about the
    worker; ``/forget`` and retention erase it. Never audit-logged, never in a webhook or the API.
    """

    __tablename__ = "case_subscription"

    id: int | None = Field(default=None, primary_key=True)
    chat_id: int = Field(sa_column=Column(BigInteger, nullable=False, index=True))
    report_id: int = Field(foreign_key="fee_report.id", unique=True)
    language: str = Field(default="en", max_length=8)
    created_at: datetime = Field(default_factory=utcnow)


class ChatPreference(SQLModel, table=True):
    """Per-chat preferences, keyed by the pseudonymous key (never the chat id)."""

    __tablename__ = "chat_preference"

    reporter_key: str = Field(primary_key=True, max_length=64)
    language: str = Field(default="en", max_length=8)
    # The worker's own country, as they gave it in a fee report (asked once; the report's origin).
    origin_country: str = Field(default="", max_length=2, sa_column_kwargs={"server_default": ""})
    updated_at: datetime = Field(default_factory=utcnow)
