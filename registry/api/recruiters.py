"""/api/v1/recruiters: list, detail (with historic status), bulk verify, fee statistics."""

from __future__ import annotations

import json
from datetime import UTC, date

from flask import Response, current_app

from registry.api import bodies
from registry.api import schemas as s
from registry.api.cache import ApiCaches
from registry.api.core import ApiError, api_caches, decode_cursor, encode_cursor, operation, render
from registry.db import DriverReads
from registry.extensions import driver_reads, get_session
from registry.services import feestats, recruiters, standing, verification
from registry.timeutil import today

PUBLIC_ID_PARAM = {
    "public_id": {
        "description": "Public id of the recruiter, e.g. RA-7K3Q9",
        "schema": {"type": "string", "minLength": 1, "maxLength": 40},
        "example": s.EXAMPLE_ID,
    }
}


def _settings():
    return current_app.extensions["fairrecruit.settings"]


def _list_item(row, as_of) -> dict:
    public_id, legal_name, other_names, country, authority, number, lic_status, status, valid_until = row
    return {
        "public_id": public_id,
        "legal_name": legal_name,
        "other_names": list(other_names or []),
        "country": country,
        "licence_authority": authority,
        "licence_number": number,
        "licence_status": standing.licence_status_of(lic_status),
        "status": standing.status_of(status, valid_until, as_of),
        "valid_until": valid_until,
    }


@operation(
    "GET",
    "/recruiters",
    summary="List and search recruiters",
    tag="Recruiters",
    scope="read",
    query=s.RecruiterListQuery,
    responses={200: (s.RecruiterList, "A page of recruiters")},
    errors=(422,),
)
def list_recruiters(query: s.RecruiterListQuery):
    """Recruiters in the registry, filtered by `country`, accreditation `status` and `licence_number`.
    With `q`, the best matches of a tolerant name search come first (at most 200); otherwise they come in
    registration order. Follow `next_cursor` for further pages."""
    filters = recruiters.RecruiterFilters(
        q=query.q or "",
        country=query.country or "",
        status=query.status or "",
        licence_number=query.licence_number or "",
        as_of=today(),
    )
    if query.q:
        offset = decode_cursor(query.cursor) or 0
        found = recruiters.list_page(get_session(), filters, limit=query.limit, offset=offset)
        next_cursor = encode_cursor(offset + query.limit) if found.more else None
    else:
        found = recruiters.list_page(
            get_session(), filters, limit=query.limit, after=decode_cursor(query.cursor)
        )
        next_cursor = encode_cursor(found.rows[-1][0]) if found.more else None
    page = found.rows
    return render(
        s.RecruiterList,
        {"items": [_list_item(r[1:], filters.as_of) for r in page], "next_cursor": next_cursor},
    )


def _recruiter(session, public_id: str) -> tuple[int, str]:
    """(id, public id) of the recruiter the path names; 404 when there is none."""
    found = recruiters.lookup_public_id(session, public_id)
    if found is None:
        raise ApiError(404, f"no recruiter with public id {public_id!r}")
    return found


def _announce_summary(public_id: str) -> None:
    announce_summary(_settings(), api_caches(), driver_reads(), public_id, today())


def detail_answer(
    settings, caches: ApiCaches, reads: DriverReads, public_id: str, as_of: date
) -> tuple[int, dict, str] | None:
    """(recruiter id, summary, the detail's JSON answer without `at`) of the recruiter `public_id`
    names, None when there is none. Kept in memory (registry.api.cache): companies poll the same
    recruiters again and again. The date is part of the key: an accreditation that lapses at midnight
    reads expired at once."""
    remembered = caches.recruiters
    cache_key = (recruiters.normalize_public_id(public_id), as_of)
    hit = remembered.get(cache_key)
    if hit is not None:
        return hit
    found = verification.summary_by_public_id(
        reads,
        public_id,
        window_days=settings.fee_signal_window_days,
        min_reporters=settings.fee_signal_min_reporters,
        as_of=as_of,
    )
    if found is None:
        return None
    rid, summary = found
    summary["verify_url"] = f"{settings.public_base_url.rstrip('/')}/verify/{summary['public_id']}"
    summary["status_at"] = None
    hit = (rid, summary, s.RecruiterDetail.model_validate(summary).model_dump_json())
    remembered.put(cache_key, hit)
    return hit


def announce_summary(settings, caches: ApiCaches, reads: DriverReads, public_id: str, as_of: date) -> None:
    """Announce the summary `detail_answer` will read unless the process remembers its answer: the key
    lookup (when the key is not remembered either) carries it, so the request makes one database round
    trip."""
    if caches.recruiters.get((recruiters.normalize_public_id(public_id), as_of)) is not None:
        return
    read = standing.summary_read(public_id, as_of=as_of, fee_window_days=settings.fee_signal_window_days)
    if read is not None:
        reads.expect(*read)


@operation(
    "GET",
    "/recruiters/<public_id>",
    summary="A recruiter's status",
    tag="Recruiters",
    scope="read",
    query=s.RecruiterDetailQuery,
    path_params=PUBLIC_ID_PARAM,
    responses={200: (s.RecruiterDetail, "Current status, validity, audits, licence and fee signal")},
    errors=(404, 422),
    announce=_announce_summary,
)
def get_recruiter(public_id: str, query: s.RecruiterDetailQuery):
    """Current accreditation status and validity, date of the last audit, open major findings, licence
    status from the government register, and the worker fee-signal level. With `at`, also the status at
    that moment, replayed from the audit log."""
    hit = detail_answer(_settings(), api_caches(), driver_reads(), public_id, today())
    if hit is None:
        raise ApiError(404, f"no recruiter with public id {public_id!r}")
    rid, summary, body = hit
    if query.at is None:
        return Response(body, mimetype="application/json")
    at = query.at if query.at.tzinfo else query.at.replace(tzinfo=UTC)
    state = standing.status_at(get_session(), rid, at)
    status_at = (
        {"at": at, **state}
        if state
        else {"at": at, "status": "not_registered", "since": None, "valid_from": None, "valid_until": None}
    )
    return render(s.RecruiterDetail, {**summary, "status_at": status_at})


@operation(
    "POST",
    "/recruiters/verify",
    summary="Verify many recruiters at once",
    tag="Recruiters",
    scope="read",
    body=s.VerifyRequest,
    responses={200: (s.VerifyResponse, "One result per input, in input order")},
    errors=(400, 413, 415, 422),
    body_limit=bodies.VERIFY_BODY_LIMIT,
)
def verify(body: s.VerifyRequest):
    """Check up to 10,000 recruiters in one call, by public id (`{"ids": [...]}`) or by licence
    (`{"licences": [{"country": "NP", "number": "..."}]}`). Every input gets exactly one result, in
    the order given (duplicates are answered each time); inputs not in the registry have
    `found: false` and `status: unknown`. More than 10,000 entries: 413."""
    session = get_session()
    req = body.root
    if isinstance(req, s.VerifyByIds):
        results = verification.verify_ids(session, req.ids, as_of=today())
    else:
        results = verification.verify_licences(
            session, [(x.country, x.number) for x in req.licences], as_of=today()
        )
    found = sum(1 for r in results if r["found"])
    # Up to 10,000 results: serialised directly (the services build exactly the VerifyResponse shape;
    # the contract tests check it against the document).
    payload = json.dumps(
        {"results": results, "found": found, "unknown": len(results) - found},
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return Response(payload, mimetype="application/json")


@operation(
    "GET",
    "/recruiters/<public_id>/fee-stats",
    summary="Fee reports about a recruiter, aggregated",
    tag="Recruiters",
    scope="read",
    path_params=PUBLIC_ID_PARAM,
    responses={200: (s.FeeStats, "Aggregates by fee category and by migration corridor")},
    errors=(404,),
)
def fee_stats(public_id: str):
    """Worker fee reports about this recruiter (new and substantiated ones), counted and summed in US
    dollars by fee category and by corridor. A bucket of fewer than 5 reports is never shown
    (k-anonymity), and no individual report or reporter is ever exposed."""
    session = get_session()
    rid, pid = _recruiter(session, public_id)
    stats = feestats.fee_stats(session, rid)
    return render(s.FeeStats, {"public_id": pid, **stats})
