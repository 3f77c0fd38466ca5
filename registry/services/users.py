"""Admin-panel users: argon2id password hashes, roles, login throttling."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from email_validator import EmailNotValidError, validate_email
from sqlalchemy import select
from sqlmodel import Session, col

from registry.errors import Conflict, InvalidInput, NotFound
from registry.models import Role, User
from registry.timeutil import utcnow

_hasher = PasswordHasher()  # argon2id with the library's recommended parameters
MIN_PASSWORD_LENGTH = 10


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_password(user: User, password: str) -> bool:
    try:
        return _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def normalize_email(email: str) -> str:
    try:
        return validate_email((email or "").strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as e:
        raise InvalidInput(f"invalid e-mail address: {e}", field="email", code="email_invalid") from None


def create(session: Session, *, email: str, role: str, password: str) -> User:
    email = normalize_email(email)
    if role not in Role.__members__:
        raise InvalidInput(
            f"unknown role {role!r}; one of: {', '.join(Role)}",
            field="role",
            code="unknown_role",
            params={"role": role},
        )
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise InvalidInput(
            f"the password must have at least {MIN_PASSWORD_LENGTH} characters",
            field="password",
            code="password_too_short",
            params={"min": MIN_PASSWORD_LENGTH},
        )
    if session.scalars(select(User).where(col(User.email) == email)).first() is not None:
        raise Conflict(f"a user with e-mail {email} already exists", field="email", code="email_taken")
    user = User(email=email, role=role, password_hash=hash_password(password))
    session.add(user)
    session.flush()
    return user


def by_email(session: Session, email: str) -> User | None:
    return session.scalars(select(User).where(col(User.email) == (email or "").strip().lower())).first()


# --- login, throttling and locking ------------------------------------------------------------

_DUMMY_HASH = _hasher.hash("not-a-real-password-0123456789")


@dataclass
class LoginResult:
    """The outcome of one login attempt. `failures` counts consecutive failures (for slowing down)."""

    user: User | None
    ok: bool
    failures: int = 0
    locked_until: datetime | None = None

    @property
    def locked(self) -> bool:
        return self.locked_until is not None


def authenticate(
    session: Session,
    email: str,
    password: str,
    *,
    max_failures: int = 5,
    lock_minutes: int = 15,
    now: datetime | None = None,
) -> LoginResult:
    """Check a login. Consecutive failures lock the account for `lock_minutes` after `max_failures`.

    Unknown and inactive accounts cost the same hashing time as real ones and say nothing more.
    Changes (failure counter, lock, last login) are flushed; the caller commits.
    """
    now = now or utcnow()
    try:
        user = by_email(session, normalize_email(email))
    except InvalidInput:
        user = None
    if user is None or not user.active:
        with contextlib.suppress(VerificationError, InvalidHashError):
            _hasher.verify(_DUMMY_HASH, password or "")
        return LoginResult(None, False)
    if user.locked_until is not None and user.locked_until > now:
        return LoginResult(user, False, failures=user.failed_logins, locked_until=user.locked_until)
    if check_password(user, password or ""):
        user.failed_logins = 0
        user.locked_until = None
        user.last_login_at = now
        if _hasher.check_needs_rehash(user.password_hash):
            user.password_hash = hash_password(password)
        session.flush()
        return LoginResult(user, True)
    user.failed_logins += 1
    failures = user.failed_logins
    locked_until = None
    if failures >= max_failures:
        locked_until = user.locked_until = now + timedelta(minutes=lock_minutes)
        user.failed_logins = 0  # a fresh series of attempts once the lock has expired
    session.flush()
    return LoginResult(user, False, failures=failures, locked_until=locked_until)


def get(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"no user {user_id}", code="user_not_found", params={"id": user_id})
    return user


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.email)))


def set_role(session: Session, user: User, role: str, *, actor_id: int | None = None) -> User:
    if role not in Role.__members__:
        raise InvalidInput(
            f"unknown role {role!r}; one of: {', '.join(Role)}",
            field="role",
            code="unknown_role",
            params={"role": role},
        )
    if actor_id == user.id and role != Role.admin:
        raise InvalidInput(
            "you cannot take the admin role away from yourself", field="role", code="own_admin_role"
        )
    user.role = role
    session.flush()
    return user


def set_active(session: Session, user: User, active: bool, *, actor_id: int | None = None) -> User:
    if actor_id == user.id and not active:
        raise InvalidInput("you cannot deactivate your own account", field="active", code="own_account")
    user.active = active
    session.flush()
    return user


def unlock(session: Session, user: User) -> User:
    user.locked_until = None
    user.failed_logins = 0
    session.flush()
    return user
