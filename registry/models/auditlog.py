from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Text
from sqlmodel import Field, SQLModel

from registry.timeutil import utcnow


class AuditLogEntry(SQLModel, table=True):
    """Append-only, hash-chained record of every change.

    hash = sha256(prev_hash + canonical JSON of (seq, at, actor, action, entity, entity_id, data)).
    """

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_entity", "entity", "entity_id"),)

    id: int | None = Field(default=None, primary_key=True)
    seq: int = Field(unique=True)
    at: datetime = Field(default_factory=utcnow)
    actor: str = Field(max_length=200)
    action: str = Field(max_length=20)
    entity: str = Field(max_length=40)
    entity_id: str = Field(max_length=40)
    recruiter_id: int | None = Field(default=None, index=True)
    data: str = Field(sa_type=Text)
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)
