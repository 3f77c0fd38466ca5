"""Recruiter status for companies: one recruiter's full status, many at once, and bulk verification.

What a recruiter's status is comes from ``registry.services.standing`` (validity applied as of a
date); this module shapes it for the API and the supplier report. Everything here is set-based: a
status summary for any number of recruiters is one SELECT (``standing.summaries_of``), and bulk
verification of up to ``max_bulk_verify`` inputs is one ``IN`` query. No query runs per input.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from functools import lru_cache

from sqlalchemy import select
from sqlmodel import Session, col

from registry.db import DriverReads
from registry.models import Accreditation, Recruiter
from registry.services import standing
from registry.services.identifiers import licence_key
from registry.services.recruiters import normalize_public_id
from registry.services.sets import dialect_of, in_values, value_batches
from registry.services.standing import Summary
from registry.timeutil import today

UNKNOWN = "unknown"


def summary_of(st: Summary) -> dict:
    """A recruiter's status summary as the API and the supplier report give it: accreditation,
    validity, last audit date, open major findings, licence status, fee-signal level, risks."""
    return {
        "public_id": st.public_id,
        "legal_name": st.legal_name,
        "other_names": list(st.other_names),
        "country": st.country,
        "licence_authority": st.licence_authority,
        "licence_number": st.licence_number,
        "licence_status": st.licence_status,
        "licence_valid_until": st.licence_valid_until,
        "status": st.status,
        "status_since": st.since,
        "valid_from": st.valid_from,
        "valid_until": st.valid_until,
        "certificate_number": st.certificate_number,
        "last_audit_date": st.last_audit,
        "open_major_findings": st.open_major_findings,
        "fee_signal_level": st.fee_signal_level,
        "risks": list(st.risks),
    }


def summaries(
    session: Session,
    recruiter_ids: Sequence[int],
    *,
    window_days: int = standing.FEE_WINDOW_DAYS,
    min_reporters: int = standing.FEE_MIN_REPORTERS,
    as_of: date | None = None,
) -> dict[int, dict]:
    """Status summary of each recruiter as of `as_of` (default today). One query (per batch of ids)."""
    found = standing.summaries_of(
        session,
        recruiter_ids,
        as_of=as_of or today(),
        fee_window_days=window_days,
        fee_min_reporters=min_reporters,
    )
    return {rid: summary_of(st) for rid, st in found.items()}


def summary_by_public_id(
    session: Session | DriverReads,
    public_id: str,
    *,
    window_days: int = standing.FEE_WINDOW_DAYS,
    min_reporters: int = standing.FEE_MIN_REPORTERS,
    as_of: date | None = None,
) -> tuple[int, dict] | None:
    """(recruiter id, status summary) of one recruiter, or None when the public id is unknown."""
    st = standing.summary_by_public_id(
        session,
        public_id,
        as_of=as_of or today(),
        fee_window_days=window_days,
        fee_min_reporters=min_reporters,
    )
    return None if st is None else (st.recruiter_id, summary_of(st))


# --- bulk verification ------------------------------------------------------------------------


_VERIFY_COLUMNS = (
    col(Recruiter.public_id),
    col(Recruiter.legal_name),
    col(Recruiter.country),
    col(Recruiter.licence_number),
    col(Recruiter.licence_status),
    col(Accreditation.status),
    col(Accreditation.valid_until),
)


@lru_cache(maxsize=4)
def _verify_by_ids(dialect: str):
    return (
        select(*_VERIFY_COLUMNS)
        .outerjoin(Accreditation, col(Accreditation.recruiter_id) == col(Recruiter.id))
        .where(in_values(Recruiter.public_id, "ids", dialect))
    )


@lru_cache(maxsize=4)
def _verify_by_licences(dialect: str):
    return (
        select(*_VERIFY_COLUMNS, col(Recruiter.licence_key))
        .outerjoin(Accreditation, col(Accreditation.recruiter_id) == col(Recruiter.id))
        .where(in_values(Recruiter.licence_key, "keys", dialect))
        .order_by(col(Recruiter.id))
    )


def _result(row, as_of: date) -> dict:
    public_id, legal_name, country, number, lic_status, status, valid_until = row
    return {
        "found": True,
        "public_id": public_id,
        "legal_name": legal_name,
        "country": country,
        "licence_number": number,
        "licence_status": standing.licence_status_of(lic_status),
        "status": standing.status_of(status, valid_until, as_of),
        "valid_until": valid_until.isoformat() if valid_until else None,
    }


def _unknown() -> dict:
    return {
        "found": False,
        "public_id": None,
        "legal_name": None,
        "country": None,
        "licence_number": None,
        "licence_status": None,
        "status": UNKNOWN,
        "valid_until": None,
    }


def verify_ids(session: Session, public_ids: Sequence[str], *, as_of: date | None = None) -> list[dict]:
    """One result per input, in input order (duplicates repeated); unknown ids have status 'unknown'.
    Statuses are as of `as_of` (default today)."""
    as_of = as_of or today()
    normalized = [normalize_public_id(p) for p in public_ids]
    wanted = list(dict.fromkeys(n for n in normalized if n and "\x00" not in n))
    found: dict[str, dict] = {}
    dialect = dialect_of(session)
    for batch in value_batches(dialect, wanted):
        for row in session.connection().execute(_verify_by_ids(dialect), {"ids": batch}):
            found[row[0]] = _result(row, as_of)
    unknown = _unknown()
    return [{"input": raw, **found.get(n, unknown)} for raw, n in zip(public_ids, normalized, strict=True)]


def verify_licences(
    session: Session, licences: Sequence[tuple[str, str]], *, as_of: date | None = None
) -> list[dict]:
    """Match (country, licence number) pairs on the licence key (``identifiers.licence_key``: case,
    separators, digit scripts and leading words like "licence no." do not matter).

    Several registered recruiters can share a licence (a head office and its branches): the first
    registered one answers. Statuses are as of `as_of` (default today).
    """
    as_of = as_of or today()
    keys = [((c or "").strip().upper(), licence_key(n)) for c, n in licences]
    wanted = sorted({k for _c, k in keys if k})
    found: dict[tuple[str, str], dict] = {}
    dialect = dialect_of(session)
    for batch in value_batches(dialect, wanted):
        for row in session.connection().execute(_verify_by_licences(dialect), {"keys": batch}):
            found.setdefault((row[2], row[-1]), _result(row[:-1], as_of))
    unknown = _unknown()
    return [
        {"input": {"country": c, "number": n}, **found.get(k, unknown)}
        for (c, n), k in zip(licences, keys, strict=True)
    ]
