"""Companies: API keys (shown once, stored hashed, scoped, revocable), supplier lists, webhooks."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlmodel import Session

from registry.errors import InvalidInput, NotFound
from registry.models import ApiKey, Company
from registry.models.companies import API_SCOPES
from registry.timeutil import utcnow

KEY_PREFIX = "fr_live_"


def get_or_create(session: Session, name: str) -> tuple[Company, bool]:
    name = " ".join((name or "").split())
    if len(name) < 2:
        raise InvalidInput("a company name needs at least 2 characters", field="name")
    company = session.scalars(select(Company).where(Company.name == name)).first()
    if company is not None:
        return company, False
    company = Company(name=name)
    session.add(company)
    session.flush()
    return company, True


def get(session: Session, company_id: int) -> Company:
    c = session.get(Company, company_id)
    if c is None:
        raise NotFound(f"no company {company_id}")
    return c


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass
class NewKey:
    key: ApiKey
    plaintext: str  # shown once, never stored


def create_api_key(session: Session, company: Company, *, name: str = "", scopes: list[str] | None = None) -> NewKey:
    scopes = list(scopes or API_SCOPES)
    bad = [s for s in scopes if s not in API_SCOPES]
    if bad:
        raise InvalidInput(f"unknown scope(s) {', '.join(bad)}; known: {', '.join(API_SCOPES)}", field="scopes")
    prefix = secrets.token_hex(4)
    secret = secrets.token_urlsafe(32)
    plaintext = f"{KEY_PREFIX}{prefix}_{secret}"
    key = ApiKey(company_id=company.id, name=name.strip(), prefix=prefix, key_hash=hash_secret(plaintext),
                 scopes=scopes)
    session.add(key)
    session.flush()
    return NewKey(key, plaintext)


def authenticate(session: Session, plaintext: str) -> ApiKey | None:
    """Find the key by its prefix and compare the hash in constant time; None when unknown or revoked."""
    if not plaintext or not plaintext.startswith(KEY_PREFIX):
        return None
    rest = plaintext[len(KEY_PREFIX):]
    prefix, _, _secret = rest.partition("_")
    key = session.scalars(select(ApiKey).where(ApiKey.prefix == prefix)).first()
    if key is None or key.revoked_at is not None:
        return None
    if not hmac.compare_digest(key.key_hash, hash_secret(plaintext)):
        return None
    return key


def revoke(session: Session, key: ApiKey) -> None:
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        session.flush()
