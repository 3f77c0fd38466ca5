"""Admin-panel users: argon2id password hashes, roles, sign-in and the end of sessions.

Sign-in says nothing about which addresses exist: an unknown, inactive or malformed address costs the
same argon2 verification as a real one (against a dummy hash of the same parameters) and gets the
same answer. There is no per-account lock a stranger could trigger; throttling is the edge's, by a hash
of the address and by client (registry.web.auth).

Every session carries the user's ``session_version`` from sign-in; bumping it (``end_sessions``) ends
all of the user's sessions at once. Sign-out, deactivation, a password change, a role change and a
change of second factor bump it.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import datetime
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from email_validator import EmailNotValidError, validate_email
from sqlalchemy import select
from sqlmodel import Session, col

from registry.errors import Conflict, InvalidInput, NotFound
from registry.models import Role, User
from registry.services import passwords
from registry.timeutil import utcnow

_hasher = PasswordHasher()  # argon2id with the library's recommended parameters
MIN_PASSWORD_LENGTH = passwords.MIN_LENGTH


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_password(user: User, password: str) -> bool:
    try:
        return _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@cache
def _dummy_hash(time_cost: int, memory_cost: int, parallelism: int, hash_len: int, salt_len: int) -> str:
    hasher = PasswordHasher(time_cost, memory_cost, parallelism, hash_len, salt_len)
    return hasher.hash("not a real password: nobody signs in with it")


def _verify_nothing(password: str) -> None:
    """Spend what a real verification costs (same hasher parameters), for an address with no account."""
    h = _hasher
    dummy = _dummy_hash(h.time_cost, h.memory_cost, h.parallelism, h.hash_len, h.salt_len)
    with contextlib.suppress(VerificationError, InvalidHashError):
        _hasher.verify(dummy, password)


def normalize_email(email: str) -> str:
    try:
        return validate_email((email or "").strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as e:
        raise InvalidInput(f"invalid e-mail address: {e}", field="email", code="email_invalid") from None


def _check_role(role: str) -> None:
    if role not in Role.__members__:
        raise InvalidInput(
            f"unknown role {role!r}; one of: {', '.join(Role)}",
            field="role",
            code="unknown_role",
            params={"role": role},
        )


def create(session: Session, *, email: str, role: str, password: str) -> User:
    """A new user; the password must pass the password rule (registry.services.passwords)."""
    email = normalize_email(email)
    _check_role(role)
    passwords.check(password, email=email)
    if session.scalars(select(User).where(col(User.email) == email)).first() is not None:
        raise Conflict(f"a user with e-mail {email} already exists", field="email", code="email_taken")
    user = User(email=email, role=role, password_hash=hash_password(password))
    session.add(user)
    session.flush()
    return user


def by_email(session: Session, email: str) -> User | None:
    return session.scalars(select(User).where(col(User.email) == (email or "").strip().lower())).first()


# --- sign-in ----------------------------------------------------------------------------------------


@dataclass
class LoginResult:
    """The outcome of checking an address and password: `user` only when they are right."""

    user: User | None

    @property
    def ok(self) -> bool:
        return self.user is not None

    @property
    def needs_second_factor(self) -> bool:
        return self.user is not None and self.user.totp_enabled_at is not None


def authenticate(session: Session, email: str, password: str, *, now: datetime | None = None) -> LoginResult:
    """Check an address and password. Unknown, inactive and malformed addresses cost the same hashing
    time as real ones and get the same answer. Only a success writes (last sign-in, a rehash);
    the caller commits."""
    try:
        user = by_email(session, normalize_email(email))
    except InvalidInput:
        user = None
    if user is None or not user.active:
        _verify_nothing(password or "")
        return LoginResult(None)
    if not check_password(user, password or ""):
        return LoginResult(None)
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    if user.totp_enabled_at is None:
        user.last_login_at = now or utcnow()
    session.flush()
    return LoginResult(user)


def signed_in(session: Session, user: User, *, now: datetime | None = None) -> None:
    """Record a completed sign-in (after the second factor, when there is one)."""
    user.last_login_at = now or utcnow()
    session.flush()


# --- sessions ---------------------------------------------------------------------------------------


def end_sessions(session: Session, user: User) -> int:
    """End every session of `user` (each stored the version it signed in with); the new version."""
    user.session_version = (user.session_version or 0) + 1
    session.flush()
    return user.session_version


def session_is_current(user: User | None, version: object) -> bool:
    """Whether a session that signed in with `version` still belongs to an active `user`."""
    return user is not None and user.active and isinstance(version, int) and version == user.session_version


def change_password(
    session: Session, user: User, *, current: str, new: str, now: datetime | None = None
) -> User:
    """Change one's own password (the current one is asked again); every session of the user ends."""
    if not check_password(user, current or ""):
        raise InvalidInput(
            "the current password is not right", field="current_password", code="password_wrong"
        )
    if new == current:
        raise InvalidInput(
            "the new password must differ from the current one", field="password", code="password_unchanged"
        )
    passwords.check(new, email=user.email)
    user.password_hash = hash_password(new)
    user.password_changed_at = now or utcnow()
    end_sessions(session, user)
    return user


# --- administration ---------------------------------------------------------------------------------


def get(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"no user {user_id}", code="user_not_found", params={"id": user_id})
    return user


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.email)))


def set_role(session: Session, user: User, role: str, *, actor_id: int | None = None) -> User:
    """Change a user's role; their sessions end, so the new role applies from their next sign-in."""
    _check_role(role)
    if actor_id == user.id and role != Role.admin:
        raise InvalidInput(
            "you cannot take the admin role away from yourself", field="role", code="own_admin_role"
        )
    if user.role != role:
        user.role = role
        end_sessions(session, user)
    session.flush()
    return user


def set_active(session: Session, user: User, active: bool, *, actor_id: int | None = None) -> User:
    """Deactivate (every session ends at once) or reactivate (old sessions stay ended)."""
    if actor_id == user.id and not active:
        raise InvalidInput("you cannot deactivate your own account", field="active", code="own_account")
    if user.active != active:
        user.active = active
        end_sessions(session, user)
    session.flush()
    return user
