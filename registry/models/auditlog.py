from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from registry.timeutil import utcnow


class AuditLogEntry(SQLModel, table=True):
    """Append-only, hash-chained record of every change.

    Entries form one chain per recruiter (``chain`` = the recruiter's id) and one for everything about
    no recruiter (chain 0, which also holds every entry written before chains were per recruiter);
    anchors, which pin the heads of the other chains, form chain -1. ``seq`` is the position in the
    chain; ``id`` orders all entries by when they were written.
    hash = sha256(prev_hash + canonical JSON of (seq, at, actor, action, entity, entity_id, data)).
    """

    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_entity", "entity", "entity_id"),
        UniqueConstraint("chain", "seq", name="uq_audit_log_chain_seq"),
    )

    id: int | None = Field(default=None, primary_key=True)
    chain: int = Field(default=0)
    seq: int
    at: datetime = Field(default_factory=utcnow)
    actor: str = Field(max_length=200)
    action: str = Field(max_length=20)
    entity: str = Field(max_length=40)
    entity_id: str = Field(max_length=40)
    recruiter_id: int | None = Field(default=None, index=True)
    data: str = Field(sa_type=Text)
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)


class AuditChain(SQLModel, table=True):
    """The head of each audit-log chain: its last entry's position and hash (the row writers lock to
    append to that chain), and how far the last anchor pinned it."""

    __tablename__ = "audit_chain"

    chain: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    seq: int = 0
    hash: str = Field(max_length=64)
    anchored_seq: int = 0
