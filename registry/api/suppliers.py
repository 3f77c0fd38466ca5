"""/api/v1/suppliers: the company's supplier list and its risk report."""

from __future__ import annotations

import csv
import io

from flask import Response, current_app, request

from registry.api import bodies
from registry.api import schemas as s
from registry.api.core import ApiError, caller, decode_cursor, encode_cursor, mutation, operation, render
from registry.api.recruiters import PUBLIC_ID_PARAM
from registry.extensions import get_session
from registry.services import companies, recruiters
from registry.timeutil import iso, utcnow

REPORT_COLUMNS = (
    "public_id",
    "legal_name",
    "country",
    "licence_number",
    "licence_status",
    "status",
    "valid_until",
    "last_audit_date",
    "open_major_findings",
    "fee_signal_level",
    "risks",
    "added_at",
)
CSV_EXAMPLE = (
    "public_id,legal_name,country,licence_number,licence_status,status,valid_until,last_audit_date,"
    "open_major_findings,fee_signal_level,risks,added_at\r\n"
    "RA-7K3Q9,Himal Bright Overseas Pvt. Ltd.,NP,1234/067/68,valid,suspended,2028-06-01,2026-02-01,1,high,"
    "accreditation_suspended;open_major_findings;fee_signal_high,2026-01-10T08:00:00Z\r\n"
)


@operation(
    "GET",
    "/suppliers",
    summary="The supplier list",
    tag="Suppliers",
    scope="suppliers",
    query=s.PageQuery,
    responses={200: (s.SupplierList, "A page of the company's suppliers")},
    errors=(422,),
)
def list_suppliers(query: s.PageQuery):
    """The recruiters on your supplier list, in a stable order; follow `next_cursor` for more."""
    found = companies.suppliers_page(
        get_session(), caller().company_id, after=decode_cursor(query.cursor), limit=query.limit
    )
    return render(
        s.SupplierList,
        {
            "items": [
                {"public_id": p, "legal_name": n, "country": c, "added_at": a}
                for _i, p, n, c, a in found.rows
            ],
            "total": found.total,
            "next_cursor": encode_cursor(found.rows[-1][0]) if found.more else None,
        },
    )


@operation(
    "PUT",
    "/suppliers",
    summary="Replace the supplier list",
    tag="Suppliers",
    scope="suppliers",
    body=s.SupplierIds,
    responses={200: (s.SupplierReplaced, "The list now holds exactly these recruiters")},
    errors=(400, 404, 413, 415, 422),
    body_limit=bodies.SUPPLIER_IDS_BODY_LIMIT,
)
def replace_suppliers(body: s.SupplierIds):
    """Make the supplier list exactly the public ids given (duplicates are ignored). If any id is not in
    the registry, nothing changes and the answer (404) lists them in `unknown_ids`."""
    session = mutation()
    company = companies.get(session, caller().company_id)
    try:
        result = companies.replace_suppliers(session, company, body.ids)
    except companies.UnknownRecruiters as e:
        raise ApiError(404, e.message, code=e.code, unknown_ids=e.public_ids[:1000]) from None
    session.commit()
    return render(s.SupplierReplaced, result)


@operation(
    "POST",
    "/suppliers/<public_id>",
    summary="Add a recruiter to the supplier list",
    tag="Suppliers",
    scope="suppliers",
    path_params=PUBLIC_ID_PARAM,
    responses={
        201: (s.SupplierAdded, "Added"),
        200: (s.SupplierAdded, "Already on the list; nothing changed"),
    },
    errors=(404, 409),
)
def add_supplier(public_id: str):
    """Add one recruiter. Adding one that is already on the list changes nothing (200)."""
    session = mutation()
    company = companies.get(session, caller().company_id)
    link, created = companies.add_supplier(session, company, public_id)
    session.commit()
    rec = recruiters.by_id(session, link.recruiter_id)
    if rec is None:
        raise RuntimeError("the link was just made to it")
    pid = rec.public_id
    return render(s.SupplierAdded, {"public_id": pid, "created": created}, status=201 if created else 200)


@operation(
    "DELETE",
    "/suppliers/<public_id>",
    summary="Remove a recruiter from the supplier list",
    tag="Suppliers",
    scope="suppliers",
    path_params=PUBLIC_ID_PARAM,
    responses={204: (None, "Removed")},
    errors=(404,),
)
def remove_supplier(public_id: str):
    """Remove one recruiter; 404 when it is not on the list."""
    session = mutation()
    company = companies.get(session, caller().company_id)
    companies.remove_supplier(session, company, public_id)
    session.commit()
    return Response(status=204)


def _wants_csv(fmt: str | None) -> bool:
    if fmt:
        return fmt == "csv"
    best = request.accept_mimetypes.best_match(["application/json", "text/csv"])
    if request.accept_mimetypes and best is None and not request.accept_mimetypes.accept_json:
        raise ApiError(406, "this report is available as application/json or text/csv")
    return best == "text/csv"


def _csv_value(value) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ";".join(value)
    if hasattr(value, "tzinfo"):
        return iso(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    text = str(value)
    # Keep spreadsheet programs from running formulas from data.
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


@operation(
    "GET",
    "/suppliers/report",
    summary="Supplier risk report (JSON or CSV)",
    tag="Suppliers",
    scope="suppliers",
    query=s.ReportQuery,
    responses={200: (s.SupplierReport, "Every supplier with its status and risks")},
    errors=(406, 422),
    extra_content={200: {"text/csv": {"schema": {"type": "string"}, "example": CSV_EXAMPLE}}},
)
def supplier_report(query: s.ReportQuery):
    """Every recruiter on the supplier list with its accreditation and licence status, last audit, open
    major findings, fee-signal level and risk flags. JSON by default; CSV with `Accept: text/csv` or
    `?format=csv`."""
    wants_csv = _wants_csv(query.format)
    session = get_session()
    settings = current_app.extensions["fairrecruit.settings"]
    rows = companies.supplier_report(
        session,
        caller().company_id,
        window_days=settings.fee_signal_window_days,
        min_reporters=settings.fee_signal_min_reporters,
    )
    if wants_csv:
        buf = io.StringIO()
        writer = csv.writer(buf)
        writer.writerow(REPORT_COLUMNS)
        for row in rows:
            writer.writerow([_csv_value(row[c]) for c in REPORT_COLUMNS])
        return Response(
            buf.getvalue(),
            mimetype="text/csv",
            headers={
                "Content-Disposition": f'attachment; filename="supplier-report-{utcnow():%Y-%m-%d}.csv"'
            },
        )
    items = [{c: row[c] for c in REPORT_COLUMNS} for row in rows]
    return render(
        s.SupplierReport,
        {
            "generated_at": utcnow(),
            "total": len(items),
            "at_risk": sum(1 for i in items if i["risks"]),
            "items": items,
        },
    )
