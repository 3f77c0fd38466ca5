"""Admin-panel users: argon2id password hashes, roles, login throttling."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from email_validator import EmailNotValidError, validate_email
from sqlalchemy import select
from sqlmodel import Session

from registry.errors import Conflict, InvalidInput
from registry.models import Role, User

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
        raise InvalidInput(f"invalid e-mail address: {e}", field="email") from None


def create(session: Session, *, email: str, role: str, password: str) -> User:
    email = normalize_email(email)
    if role not in Role.__members__:
        raise InvalidInput(f"unknown role {role!r}; one of: {', '.join(Role)}", field="role")
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise InvalidInput(f"the password must have at least {MIN_PASSWORD_LENGTH} characters", field="password")
    if session.scalars(select(User).where(User.email == email)).first() is not None:
        raise Conflict(f"a user with e-mail {email} already exists", field="email")
    user = User(email=email, role=role, password_hash=hash_password(password))
    session.add(user)
    session.flush()
    return user


def by_email(session: Session, email: str) -> User | None:
    return session.scalars(select(User).where(User.email == (email or "").strip().lower())).first()
