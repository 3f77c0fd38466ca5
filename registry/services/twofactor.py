"""The second factor of admin-panel users: TOTP (RFC 6238, via pyotp) and one-use recovery codes.

Enrolment: ``start`` stores a new secret (encrypted: registry.services.secretbox) while the user scans
it; ``confirm`` with a right code turns it on and returns ten recovery codes, to be shown once (only
their SHA-256 is stored). At sign-in ``verify`` accepts a current code (each time step once: a code
cannot be replayed) or an unused recovery code. Turning the factor on or off ends the user's other
sessions. The encryption key comes from the edge (derived from SECRET_KEY); services never read settings.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime

import pyotp
from sqlalchemy import delete, func, select
from sqlmodel import Session, col

from registry.errors import Conflict, InvalidInput
from registry.models import RecoveryCode, User, id_of
from registry.services import secretbox
from registry.services.users import check_password, end_sessions
from registry.timeutil import utcnow

ISSUER = "FairRecruit"
RECOVERY_CODES = 10
# Recovery codes: 10 characters of an alphabet without look-alikes (about 50 bits), shown as xxxxx-xxxxx.
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
# Codes of the step before and after the current one are accepted too (clock drift, typing time).
VALID_WINDOW = 1


def _context(user: User) -> str:
    return f"user:{user.id}"


def secret_of(user: User, key: bytes) -> str:
    if not user.totp_secret:
        raise Conflict("no second factor is set up", code="totp_not_started")
    try:
        return secretbox.unseal(key, user.totp_secret, context=_context(user))
    except secretbox.Unreadable:
        raise Conflict(
            "the second factor cannot be read (the secret key changed); an administrator must reset it",
            code="totp_unreadable",
        ) from None


def is_enabled(user: User) -> bool:
    return user.totp_enabled_at is not None


def start(session: Session, user: User, key: bytes) -> str:
    """A new secret for `user` to scan (not yet in force); a pending one is replaced."""
    if is_enabled(user):
        raise Conflict("the second factor is already on", code="totp_already_enabled")
    secret = pyotp.random_base32()
    user.totp_secret = secretbox.seal(key, secret, context=_context(user))
    user.totp_last_step = None
    session.flush()
    return secret


def provisioning_uri(user: User, secret: str) -> str:
    """The otpauth:// URI an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)


def _code(code: str) -> str:
    return "".join(ch for ch in (code or "") if not ch.isspace() and ch != "-").lower()


def _totp_step(user: User, secret: str, code: str, now: datetime) -> int | None:
    """The time step `code` belongs to (within the window), or None."""
    if not (len(code) == 6 and code.isdigit()):
        return None
    totp = pyotp.TOTP(secret)
    step = int(now.timestamp()) // totp.interval
    for s in range(step - VALID_WINDOW, step + VALID_WINDOW + 1):
        if hmac.compare_digest(totp.generate_otp(s), code):
            return s
    return None


def confirm(session: Session, user: User, code: str, key: bytes, *, now: datetime | None = None) -> list[str]:
    """Turn the second factor on with a code from the app; returns the recovery codes (shown once)."""
    now = now or utcnow()
    if is_enabled(user):
        raise Conflict("the second factor is already on", code="totp_already_enabled")
    step = _totp_step(user, secret_of(user, key), _code(code), now)
    if step is None:
        raise InvalidInput(
            "that code is not right; check the time on your phone and enter the current code",
            field="code",
            code="totp_wrong",
        )
    user.totp_enabled_at = now
    user.totp_last_step = step
    end_sessions(session, user)
    return new_recovery_codes(session, user, now=now)


def _hash_code(code: str) -> str:
    return hashlib.sha256(_code(code).encode()).hexdigest()


def new_recovery_codes(session: Session, user: User, *, now: datetime | None = None) -> list[str]:
    """Replace the user's recovery codes with ten new ones; returns them (only hashes are kept)."""
    if not is_enabled(user):
        raise Conflict("turn the second factor on first", code="totp_not_enabled")
    session.execute(delete(RecoveryCode).where(col(RecoveryCode.user_id) == user.id))
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(10))
        codes.append(f"{raw[:5]}-{raw[5:]}")
    session.add_all(
        RecoveryCode(user_id=id_of(user), code_hash=_hash_code(c), created_at=now or utcnow()) for c in codes
    )
    session.flush()
    return codes


def recovery_codes_left(session: Session, user: User) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(RecoveryCode)
            .where(col(RecoveryCode.user_id) == user.id, col(RecoveryCode.used_at).is_(None))
        )
        or 0
    )


def verify(session: Session, user: User, code: str, key: bytes, *, now: datetime | None = None) -> str | None:
    """Check a sign-in's second factor: "totp" or "recovery" for what was accepted, None when wrong.
    An accepted TOTP step or recovery code cannot be used again; the caller commits."""
    now = now or utcnow()
    if not is_enabled(user):
        return None
    entered = _code(code)
    step = _totp_step(user, secret_of(user, key), entered, now)
    if step is not None:
        if user.totp_last_step is not None and step <= user.totp_last_step:
            return None  # this code (or an older one) was used already
        user.totp_last_step = step
        session.flush()
        return "totp"
    if len(entered) != 10:
        return None
    row = session.scalars(
        select(RecoveryCode).where(
            col(RecoveryCode.user_id) == user.id,
            col(RecoveryCode.code_hash) == _hash_code(entered),
            col(RecoveryCode.used_at).is_(None),
        )
    ).first()
    if row is None:
        return None
    row.used_at = now
    session.flush()
    return "recovery"


def disable(session: Session, user: User, *, password: str, required: bool = False) -> User:
    """Turn one's own second factor off (the password is asked again); other sessions end."""
    if required:
        raise Conflict("administrators must keep a second factor on in this registry", code="totp_required")
    if not check_password(user, password or ""):
        raise InvalidInput("the password is not right", field="password", code="password_wrong")
    return reset(session, user)


def reset(session: Session, user: User) -> User:
    """Remove the second factor and recovery codes (an admin or the operator, for a lost phone)."""
    user.totp_secret = None
    user.totp_enabled_at = None
    user.totp_last_step = None
    session.execute(delete(RecoveryCode).where(col(RecoveryCode.user_id) == user.id))
    end_sessions(session, user)
    return user
