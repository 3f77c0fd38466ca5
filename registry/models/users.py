"""Admin-panel users, their second factor (TOTP and recovery codes) and one-time reveal slots."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlmodel import Field, SQLModel

from registry.timeutil import utcnow


class Role(StrEnum):
    admin = "admin"
    auditor = "auditor"
    viewer = "viewer"


class User(SQLModel, table=True):
    __tablename__ = "user_account"

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=200, unique=True, index=True)
    password_hash: str = Field(max_length=200)
    role: str = Field(default=Role.viewer, max_length=12)
    active: bool = True
    # Every session stores the version it was signed in with; bumping it ends all of them at once
    # (sign-out, deactivation, password change, role change, second-factor changes).
    session_version: int = 0
    password_changed_at: datetime | None = None
    # TOTP (RFC 6238): the secret is stored encrypted (registry.services.secretbox). Set while enrolment
    # is pending; `totp_enabled_at` says whether sign-in asks for a code. `totp_last_step` is the last
    # time step accepted, so a code cannot be used twice.
    totp_secret: str | None = Field(default=None, max_length=300)
    totp_enabled_at: datetime | None = None
    totp_last_step: int | None = None
    last_login_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)


class RecoveryCode(SQLModel, table=True):
    """A one-use second-factor recovery code; only its SHA-256 is stored."""

    __tablename__ = "user_recovery_code"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", index=True)
    code_hash: str = Field(max_length=64)
    used_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)


class RevealSlot(SQLModel, table=True):
    """A secret to show its owner once (a new API key, a webhook secret, recovery codes).

    The browser's session holds only the slot's id; the payload is encrypted here and deleted when it
    is shown, so a reload finds nothing and the secret never travels in a cookie or a redirect."""

    __tablename__ = "reveal_slot"

    id: str = Field(primary_key=True, max_length=64)
    user_id: int = Field(foreign_key="user_account.id", index=True)
    kind: str = Field(max_length=40)
    payload: str
    created_at: datetime = Field(default_factory=utcnow, index=True)
