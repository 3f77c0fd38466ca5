"""Companies: API keys (shown once, stored hashed, scoped, revocable), supplier lists, webhooks."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, bindparam, delete, func, or_, select, update
from sqlmodel import Session, col

from registry.db import DriverReads, first_row
from registry.errors import Conflict, InvalidInput, NotFound
from registry.models import (
    ApiKey,
    Company,
    OutboxMessage,
    Recruiter,
    SupplierLink,
    WebhookEndpoint,
    id_of,
)
from registry.models.companies import API_SCOPES, WEBHOOK_EVENTS
from registry.services import circuits, cleantext, paging, webhook_targets
from registry.services.recruiters import normalize_public_id
from registry.timeutil import iso, utcnow

KEY_PREFIX = "fr_live_"


def get_or_create(session: Session, name: str) -> tuple[Company, bool]:
    name = cleantext.clean_name(name, field="name")
    if len(name) < 2:
        raise InvalidInput(
            "a company name needs at least 2 characters",
            field="name",
            code="name_too_short",
            params={"min": 2},
        )
    company = session.scalars(select(Company).where(col(Company.name) == name)).first()
    if company is not None:
        return company, False
    company = Company(name=name)
    session.add(company)
    session.flush()
    return company, True


def get(session: Session, company_id: int) -> Company:
    c = session.get(Company, company_id)
    if c is None:
        raise NotFound(f"no company {company_id}", code="company_not_found", params={"id": company_id})
    return c


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass
class NewKey:
    key: ApiKey
    plaintext: str  # shown once, never stored


def create_api_key(
    session: Session, company: Company, *, name: str = "", scopes: list[str] | None = None
) -> NewKey:
    scopes = list(scopes or API_SCOPES)
    bad = [s for s in scopes if s not in API_SCOPES]
    if bad:
        raise InvalidInput(
            f"unknown scope(s) {', '.join(bad)}; known: {', '.join(API_SCOPES)}",
            field="scopes",
            code="unknown_scopes",
            params={"scopes": bad},
        )
    prefix = secrets.token_hex(4)
    secret = secrets.token_urlsafe(32)
    plaintext = f"{KEY_PREFIX}{prefix}_{secret}"
    key = ApiKey(
        company_id=id_of(company),
        name=cleantext.clean_name(name, field="name"),
        prefix=prefix,
        key_hash=hash_secret(plaintext),
        scopes=scopes,
    )
    session.add(key)
    session.flush()
    return NewKey(key, plaintext)


def authenticate(session: Session, plaintext: str) -> ApiKey | None:
    """Find the key by its prefix and compare the hash in constant time; None when unknown or revoked."""
    if not plaintext or not plaintext.startswith(KEY_PREFIX):
        return None
    rest = plaintext[len(KEY_PREFIX) :]
    prefix, _, _secret = rest.partition("_")
    key = session.scalars(select(ApiKey).where(col(ApiKey.prefix) == prefix)).first()
    if key is None or key.revoked_at is not None:
        return None
    if not hmac.compare_digest(key.key_hash, hash_secret(plaintext)):
        return None
    return key


def revoke(session: Session, key: ApiKey) -> None:
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        session.flush()


@dataclass(frozen=True)
class KeyInfo:
    """What a request needs to know about the key that authenticated it."""

    id: int
    prefix: str
    company_id: int
    scopes: tuple[str, ...]
    last_used_at: datetime | None


_KEY_BY_PREFIX = select(
    col(ApiKey.id),
    col(ApiKey.company_id),
    col(ApiKey.key_hash),
    col(ApiKey.scopes),
    col(ApiKey.revoked_at),
    col(ApiKey.last_used_at),
).where(col(ApiKey.prefix) == bindparam("prefix"))


def authenticate_key(session: Session | DriverReads, plaintext: str) -> KeyInfo | None:
    """As `authenticate`, answering a light KeyInfo (one indexed lookup by prefix, constant-time compare)."""
    if not plaintext or not plaintext.startswith(KEY_PREFIX):
        return None
    prefix, _, _secret = plaintext[len(KEY_PREFIX) :].partition("_")
    # A Core statement, straight on the driver when the caller reads that way (every API request does):
    # the ORM layer adds nothing here.
    row = first_row(session, _KEY_BY_PREFIX, {"prefix": prefix})
    if row is None:
        return None
    key_id, company_id, key_hash, scopes, revoked_at, last_used_at = row
    if revoked_at is not None or not hmac.compare_digest(key_hash, hash_secret(plaintext)):
        return None
    return KeyInfo(key_id, prefix, company_id, tuple(scopes or ()), last_used_at)


def revoke_by_prefix(session: Session, prefix: str) -> ApiKey:
    key = session.scalars(select(ApiKey).where(col(ApiKey.prefix) == prefix)).first()
    if key is None:
        raise NotFound(
            f"no API key with prefix {prefix!r}", code="api_key_not_found", params={"prefix": prefix}
        )
    revoke(session, key)
    return key


def touch_key(session: Session, key_id: int, *, every_seconds: int = 60) -> bool:
    """Record that a key was used (at most once a minute per key, so reads stay reads)."""
    now = utcnow()
    result = session.exec(
        update(ApiKey)
        .where(
            col(ApiKey.id) == key_id,
            or_(
                col(ApiKey.last_used_at).is_(None),
                col(ApiKey.last_used_at) < now - timedelta(seconds=every_seconds),
            ),
        )
        .values(last_used_at=now)
    )
    return bool(result.rowcount)


# --- supplier lists ---------------------------------------------------------------------------


class UnknownRecruiters(NotFound):
    """Some public ids are not in the registry; nothing was changed."""

    def __init__(self, public_ids: list[str]):
        shown = ", ".join(public_ids[:20]) + (" ..." if len(public_ids) > 20 else "")
        super().__init__(
            f"{len(public_ids)} public id(s) not in the registry: {shown}; nothing was changed",
            field="ids",
            code="unknown_recruiters",
            params={"count": len(public_ids)},
        )
        self.public_ids = public_ids


MAX_SUPPLIERS = 10_000


def recruiter_ids(session: Session, public_ids: list[str]) -> dict[str, int]:
    """public id (normalised) -> recruiter id, set-based."""
    # Text that cannot be a public id (normalised to '') is simply unknown.
    wanted = list(dict.fromkeys(n for p in public_ids if (n := normalize_public_id(p))))
    from registry.services.verification import dialect_of, in_values, value_batches

    dialect = dialect_of(session)
    stmt = select(col(Recruiter.public_id), col(Recruiter.id)).where(
        in_values(col(Recruiter.public_id), "ids", dialect)
    )
    out: dict[str, int] = {}
    for batch in value_batches(dialect, wanted):
        for public_id, rid in session.connection().execute(stmt, {"ids": batch}):
            if rid is None:
                raise RuntimeError("a primary key")
            out[public_id] = rid
    return out


def suppliers_page(
    session: Session, company_id: int, *, after: int | None = None, limit: int = 100
) -> paging.ListPage:
    """The company's suppliers by recruiter id, after the recruiter id `after`: rows of (recruiter id,
    public id, legal name, country, added_at); `total` is the size of the whole list."""
    stmt = (
        select(
            col(Recruiter.id),
            col(Recruiter.public_id),
            col(Recruiter.legal_name),
            col(Recruiter.country),
            col(SupplierLink.added_at),
        )
        .join(SupplierLink, col(SupplierLink.recruiter_id) == col(Recruiter.id))
        .where(col(SupplierLink.company_id) == company_id)
    )
    found = paging.keyset_page(
        session, stmt, [(Recruiter.id, True)], limit=limit, after=None if after is None else [after]
    )
    found.total = count_suppliers(session, company_id)
    return found


def count_suppliers(session: Session, company_id: int) -> int:
    return (
        session.scalar(
            select(func.count()).select_from(SupplierLink).where(col(SupplierLink.company_id) == company_id)
        )
        or 0
    )


def replace_suppliers(session: Session, company: Company, public_ids: list[str]) -> dict:
    """Make the supplier list exactly `public_ids`. Unknown ids refuse the whole change."""
    if len(public_ids) > MAX_SUPPLIERS:
        raise InvalidInput(
            f"a supplier list holds at most {MAX_SUPPLIERS} recruiters",
            field="ids",
            code="too_many_suppliers",
            params={"max": MAX_SUPPLIERS},
        )
    ids = recruiter_ids(session, public_ids)
    unknown = [p for p in dict.fromkeys(public_ids) if normalize_public_id(p) not in ids]
    if unknown:
        raise UnknownRecruiters(unknown)
    wanted = set(ids.values())
    current = set(
        session.scalars(
            select(col(SupplierLink.recruiter_id)).where(col(SupplierLink.company_id) == company.id)
        )
    )
    removed = current - wanted
    added = wanted - current
    if removed:
        for link in session.scalars(
            select(SupplierLink).where(
                col(SupplierLink.company_id) == company.id, col(SupplierLink.recruiter_id).in_(removed)
            )
        ):
            session.delete(link)
    now = utcnow()
    for rid in sorted(added):
        session.add(SupplierLink(company_id=id_of(company), recruiter_id=rid, added_at=now))
    session.flush()
    return {"added": len(added), "removed": len(removed), "total": len(wanted)}


def add_supplier(session: Session, company: Company, public_id: str) -> tuple[SupplierLink, bool]:
    from registry.services.recruiters import get_by_public_id

    rec = get_by_public_id(session, public_id)
    link = session.get(SupplierLink, (company.id, rec.id))
    if link is not None:
        return link, False
    if count_suppliers(session, id_of(company)) >= MAX_SUPPLIERS:
        raise Conflict(
            f"the supplier list is full ({MAX_SUPPLIERS} recruiters)",
            code="supplier_list_full",
            params={"max": MAX_SUPPLIERS},
        )
    link = SupplierLink(company_id=id_of(company), recruiter_id=id_of(rec))
    session.add(link)
    session.flush()
    return link, True


def remove_supplier(session: Session, company: Company, public_id: str) -> None:
    from registry.services.recruiters import get_by_public_id

    rec = get_by_public_id(session, public_id)
    link = session.get(SupplierLink, (company.id, rec.id))
    if link is None:
        raise NotFound(
            f"{rec.public_id} is not on the supplier list",
            code="not_a_supplier",
            params={"public_id": rec.public_id},
        )
    session.delete(link)
    session.flush()


def supplier_report(
    session: Session, company_id: int, *, window_days: int = 180, min_reporters: int = 3
) -> list[dict]:
    """Every supplier with its status and risks (set-based), ordered by public id."""
    from registry.services import verification

    rows = session.execute(
        select(col(SupplierLink.recruiter_id), col(SupplierLink.added_at)).where(
            col(SupplierLink.company_id) == company_id
        )
    ).all()
    added = dict(rows)
    summary = verification.summaries(
        session, list(added), window_days=window_days, min_reporters=min_reporters
    )
    out = [{**s, "added_at": added[rid]} for rid, s in summary.items()]
    out.sort(key=lambda s: s["public_id"])
    return out


# --- webhooks ---------------------------------------------------------------------------------

MAX_WEBHOOKS = 10


@dataclass
class NewWebhook:
    endpoint: WebhookEndpoint
    secret: str  # shown once


def list_webhooks(session: Session, company_id: int) -> list[WebhookEndpoint]:
    return list(
        session.scalars(
            select(WebhookEndpoint)
            .where(col(WebhookEndpoint.company_id) == company_id)
            .order_by(col(WebhookEndpoint.id))
        )
    )


def create_webhook(
    session: Session,
    company: Company,
    *,
    url: str,
    events: list[str] | None = None,
    production: bool = False,
    allow_private: bool = False,
) -> NewWebhook:
    """A new endpoint for `company`; its URL must pass ``webhook_targets.check_url`` (a public address
    unless `allow_private`)."""
    events = list(dict.fromkeys(events or WEBHOOK_EVENTS))
    bad = [e for e in events if e not in WEBHOOK_EVENTS]
    if bad:
        raise InvalidInput(
            f"unknown event type(s) {', '.join(bad)}; known: {', '.join(WEBHOOK_EVENTS)}",
            field="events",
            code="unknown_events",
            params={"events": bad},
        )
    url = webhook_targets.check_url(url, production=production, allow_private=allow_private)
    existing = list_webhooks(session, id_of(company))
    if any(w.url == url for w in existing):
        raise Conflict(
            f"a webhook for {url} already exists; delete it first to change it",
            code="webhook_exists",
            params={"url": url},
        )
    if len(existing) >= MAX_WEBHOOKS:
        raise Conflict(
            f"at most {MAX_WEBHOOKS} webhooks per company",
            code="too_many_webhooks",
            params={"max": MAX_WEBHOOKS},
        )
    secret = "whsec_" + secrets.token_urlsafe(32)
    endpoint = WebhookEndpoint(company_id=id_of(company), url=url, secret=secret, events=events)
    session.add(endpoint)
    session.flush()
    return NewWebhook(endpoint, secret)


def get_webhook(session: Session, company_id: int, webhook_id: int) -> WebhookEndpoint:
    endpoint = session.get(WebhookEndpoint, webhook_id) if 0 < webhook_id < 2**31 else None
    if endpoint is None or endpoint.company_id != company_id:
        raise NotFound(f"no webhook {webhook_id}")
    return endpoint


def delete_webhook(session: Session, company_id: int, webhook_id: int) -> None:
    endpoint = get_webhook(session, company_id, webhook_id)
    # Undelivered messages to this endpoint go with it.
    session.execute(
        delete(OutboxMessage).where(
            col(OutboxMessage.channel) == "webhook",
            col(OutboxMessage.target_id) == endpoint.id,
            col(OutboxMessage.status) == "pending",
        )
    )
    circuits.forget(session, circuits.lane_of("webhook", id_of(endpoint)))
    session.delete(endpoint)
    session.flush()


def enable_webhook(session: Session, company_id: int, webhook_id: int) -> WebhookEndpoint:
    """Deliver to a disabled endpoint again (e.g. after it failed for days), its circuit closed."""
    endpoint = get_webhook(session, company_id, webhook_id)
    endpoint.active = True
    circuits.forget(session, circuits.lane_of("webhook", id_of(endpoint)))
    session.flush()
    return endpoint


def send_test_event(session: Session, company_id: int, webhook_id: int) -> OutboxMessage:
    """Queue a sample `recruiter.status_changed` event, flagged `test`, for this endpoint only."""
    from registry.services import outbox

    endpoint = get_webhook(session, company_id, webhook_id)
    now = utcnow()
    message = OutboxMessage(
        message_id=outbox.new_message_id(),
        channel="webhook",
        target_id=id_of(endpoint),
        event_type=outbox.STATUS_CHANGED,
        payload={
            "type": outbox.STATUS_CHANGED,
            "created_at": iso(now),
            "test": True,
            "data": {
                "test": True,
                "recruiter": {
                    "public_id": "RA-TEST2",
                    "legal_name": "Example Placement Services",
                    "country": "NP",
                },
                "from": "accredited",
                "to": "suspended",
                "reason": "test delivery requested through the API",
                "at": iso(now),
                "status": "suspended",
                "valid_until": None,
                "licence_status": "valid",
            },
        },
        status="pending",
        attempts=0,
        next_attempt_at=now,
        created_at=now,
    )
    session.add(message)
    session.flush()
    return message


# --- lists (admin panel) ------------------------------------------------------------------------


def list_page(session: Session, *, page: int, per_page: int) -> paging.ListPage:
    """Companies by name: rows of (Company, live API keys, suppliers, webhook endpoints)."""

    def per_company(table, *conds):
        return select(func.count()).select_from(table).where(table.company_id == Company.id, *conds)

    stmt = select(
        Company,
        per_company(ApiKey, col(ApiKey.revoked_at).is_(None)).scalar_subquery(),
        per_company(SupplierLink).scalar_subquery(),
        per_company(WebhookEndpoint).scalar_subquery(),
    ).order_by(Company.name)
    return paging.offset_page(
        session, stmt, page=page, per_page=per_page, total=paging.count_rows(session, Company)
    )


def by_name(session: Session, name: str) -> Company | None:
    """The company of that name; None when there is none (a name with a control never names one)."""
    if cleantext.control_in(name):
        return None
    return session.scalars(
        select(Company).where(col(Company.name) == cleantext.clean_name(name, field="name"))
    ).first()


def keys_of(session: Session, company_id: int) -> list[ApiKey]:
    """A company's API keys: live ones first, newest first."""
    return list(
        session.scalars(
            select(ApiKey)
            .where(col(ApiKey.company_id) == company_id)
            .order_by(col(ApiKey.revoked_at).is_not(None), col(ApiKey.id).desc())
        )
    )


def get_key(session: Session, company_id: int, key_id: int) -> ApiKey:
    key = session.get(ApiKey, key_id) if 0 < key_id < 2**31 else None
    if key is None or key.company_id != company_id:
        raise NotFound(
            f"no API key {key_id} for this company", code="api_key_not_found", params={"id": key_id}
        )
    return key


def recent_deliveries(session: Session, webhook_ids: list[int], *, limit: int) -> list[OutboxMessage]:
    """The latest webhook messages to these endpoints, newest first."""
    if not webhook_ids:
        return []
    return list(
        session.scalars(
            select(OutboxMessage)
            .where(col(OutboxMessage.channel) == "webhook", col(OutboxMessage.target_id).in_(webhook_ids))
            .order_by(col(OutboxMessage.id).desc())
            .limit(limit)
        )
    )


DELIVERY_STATES = ("pending", "delivered", "dead")


def deliveries_page(session: Session, *, status: str, page: int, per_page: int) -> paging.ListPage:
    """Every outgoing webhook message, newest first (rows of OutboxMessage, URL, company id, company
    name); `status` narrows to one of DELIVERY_STATES."""
    conds: list[ColumnElement[bool]] = [col(OutboxMessage.channel) == "webhook"]
    if status in DELIVERY_STATES:
        conds.append(col(OutboxMessage.status) == status)
    stmt = (
        select(OutboxMessage, col(WebhookEndpoint.url), col(Company.id), col(Company.name))
        .outerjoin(WebhookEndpoint, col(WebhookEndpoint.id) == col(OutboxMessage.target_id))
        .outerjoin(Company, col(Company.id) == col(WebhookEndpoint.company_id))
        .where(*conds)
        .order_by(col(OutboxMessage.id).desc())
    )
    total = paging.count_rows(session, OutboxMessage, *conds)
    return paging.offset_page(session, stmt, page=page, per_page=per_page, total=total)
