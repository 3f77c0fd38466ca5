"""Request and response models of the API. They validate input, shape output, and generate the
OpenAPI document (``model_json_schema``): one definition, three uses."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, RootModel

from registry.api.bodies import MAX_ID_LENGTH, MAX_ITEMS, MAX_LICENCE, MAX_LISTED_ERRORS
from registry.models.companies import WEBHOOK_EVENTS
from registry.services.cleantext import NoControls

AccreditationStatusName = Literal["applicant", "accredited", "rejected", "suspended", "expired", "withdrawn"]
LicenceStatusName = Literal["valid", "expired", "suspended", "cancelled", "delisted", "banned", "unknown"]
FeeSignalLevel = Literal["none", "low", "elevated", "high"]
EventType = Literal["recruiter.status_changed", "recruiter.licence_changed", "recruiter.alert_raised"]
if set(get_args(EventType)) != set(WEBHOOK_EVENTS):  # the document and the registry must agree
    raise RuntimeError(f"API event types {get_args(EventType)} differ from the registry's {WEBHOOK_EVENTS}")

EXAMPLE_ID = "RA-7K3Q9"
IdInput = Annotated[str, Field(max_length=MAX_ID_LENGTH), NoControls]


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- errors -----------------------------------------------------------------------------------


class FieldError(Model):
    field: str = Field(
        description="Where the problem is: a dotted path into the body or a parameter name",
        examples=["ids.3"],
    )
    message: str = Field(examples=["String should have at most 40 characters"])
    type: str = Field(description="Machine-readable kind of problem", examples=["string_too_long"])


class Problem(BaseModel):
    """An error (RFC 9457 problem details), served as ``application/problem+json``."""

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "examples": [
                {
                    "type": "https://fairrecruit.org/problems/not-found",
                    "title": "Not Found",
                    "status": 404,
                    "detail": "no recruiter with public id 'RA-XXXXX'",
                }
            ]
        },
    )

    type: str = Field(description="URI identifying the kind of problem")
    title: str = Field(description="Short summary of the kind of problem")
    status: int = Field(description="The HTTP status code", ge=400, le=599)
    detail: str = Field(description="What went wrong this time, in plain language")
    code: str | None = Field(
        default=None, description="Stable code of the rule that refused it, e.g. `webhook_exists`"
    )
    errors: list[FieldError] | None = Field(
        default=None, description=f"Invalid fields (validation errors only; at most {MAX_LISTED_ERRORS})"
    )
    error_count: int | None = Field(default=None, ge=0, description="How many invalid fields in all")
    required_scope: str | None = Field(default=None, description="The scope the key lacks (403 only)")
    retry_after: int | None = Field(default=None, description="Seconds until the limit resets (429 only)")
    unknown_ids: list[str] | None = Field(
        default=None, description="Public ids not in the registry (404 of PUT /api/v1/suppliers only)"
    )


# --- recruiters -------------------------------------------------------------------------------


class RecruiterListQuery(Model):
    q: Annotated[str, Field(max_length=200), NoControls] | None = Field(
        default=None,
        description=(
            "Search by name, other name, licence number or public id; tolerant of spelling and transliteration. "
            "Results come best match first."
        ),
        examples=["Gorkha Manpower"],
    )
    country: str | None = Field(
        default=None, pattern=r"^[A-Za-z]{2}$", description="ISO 3166-1 alpha-2 country", examples=["NP"]
    )
    status: AccreditationStatusName | None = Field(
        default=None, description="Accreditation status", examples=["accredited"]
    )
    licence_number: Annotated[str, Field(min_length=1, max_length=80), NoControls] | None = Field(
        default=None,
        description="Exact licence number (case-insensitive)",
        examples=["1234/067/68"],
    )
    cursor: str | None = Field(
        default=None,
        pattern=r"^[0-9a-z]{1,12}$",
        description="Opaque cursor from `next_cursor` of the previous page",
        examples=["c1"],
    )
    limit: int = Field(default=50, ge=1, le=200, description="Page size", examples=[50])


class RecruiterListItem(Model):
    public_id: str = Field(examples=[EXAMPLE_ID])
    legal_name: str = Field(examples=["Himal Bright Overseas Pvt. Ltd."])
    other_names: list[str] = Field(examples=[["Himal Bright"]])
    country: str = Field(examples=["NP"])
    licence_authority: str = Field(examples=["DoFE"])
    licence_number: str = Field(examples=["1234/067/68"])
    licence_status: LicenceStatusName
    status: AccreditationStatusName
    valid_until: date | None = Field(description="End of the accreditation cycle (accredited/suspended only)")


class RecruiterList(Model):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "items": [
                        {
                            "public_id": EXAMPLE_ID,
                            "legal_name": "Himal Bright Overseas Pvt. Ltd.",
                            "other_names": ["Himal Bright"],
                            "country": "NP",
                            "licence_authority": "DoFE",
                            "licence_number": "1234/067/68",
                            "licence_status": "valid",
                            "status": "accredited",
                            "valid_until": "2028-05-31",
                        }
                    ],
                    "next_cursor": "c1",
                }
            ]
        }
    )

    items: list[RecruiterListItem]
    next_cursor: str | None = Field(
        description="Pass as `cursor` to get the next page; null on the last page"
    )


class RecruiterDetailQuery(Model):
    at: datetime | None = Field(
        default=None,
        description=(
            "Also answer what the accreditation status was at this moment (ISO 8601; without a time zone, UTC), "
            "replayed from the tamper-evident audit log"
        ),
        examples=["2025-01-31T12:00:00Z"],
    )


class HistoricStatus(Model):
    at: datetime = Field(description="The moment asked about")
    status: AccreditationStatusName | Literal["not_registered"] = Field(
        description="Accreditation status at that moment; `not_registered` before the recruiter was registered"
    )
    since: datetime | None = Field(description="When that status began")
    valid_from: date | None
    valid_until: date | None


class RecruiterDetail(Model):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "public_id": EXAMPLE_ID,
                    "legal_name": "Himal Bright Overseas Pvt. Ltd.",
                    "other_names": ["Himal Bright"],
                    "country": "NP",
                    "licence_authority": "DoFE",
                    "licence_number": "1234/067/68",
                    "licence_status": "valid",
                    "licence_valid_until": "2027-07-15",
                    "status": "accredited",
                    "status_since": "2025-06-01T09:30:00Z",
                    "valid_from": "2025-06-01",
                    "valid_until": "2028-06-01",
                    "certificate_number": "FRC-2025-7K3Q9-1A2B",
                    "last_audit_date": "2025-05-20",
                    "open_major_findings": 0,
                    "fee_signal_level": "none",
                    "risks": [],
                    "verify_url": "https://registry.example.org/verify/RA-7K3Q9",
                    "status_at": None,
                }
            ]
        }
    )

    public_id: str
    legal_name: str
    other_names: list[str]
    country: str
    licence_authority: str
    licence_number: str
    licence_status: LicenceStatusName = Field(description="Status in the government licence register")
    licence_valid_until: date | None
    status: AccreditationStatusName = Field(description="Current accreditation status")
    status_since: datetime | None
    valid_from: date | None
    valid_until: date | None
    certificate_number: str | None
    last_audit_date: date | None = Field(description="Date of the most recent performed audit")
    open_major_findings: int = Field(
        ge=0, description="Major audit findings whose corrective action is still open"
    )
    fee_signal_level: FeeSignalLevel = Field(
        description=(
            "Worker fee reports in the rolling window: none; low (some); elevated (several independent "
            "reporters); high (a substantiated report)"
        )
    )
    risks: list[str] = Field(
        description="Plain-language risk flags, e.g. `accreditation_suspended`, "
        "`licence_cancelled`, `open_major_findings`, `fee_signal_high`"
    )
    verify_url: str = Field(description="Public status card")
    status_at: HistoricStatus | None = Field(description="Only with `?at=`: the status at that moment")


# --- bulk verification ------------------------------------------------------------------------


class LicenceRef(Model):
    country: str = Field(pattern=r"^[A-Za-z]{2}$", description="ISO 3166-1 alpha-2", examples=["NP"])
    number: Annotated[str, Field(min_length=1, max_length=MAX_LICENCE), NoControls] = Field(
        description="Licence number as issued", examples=["1234/067/68"]
    )


class VerifyByIds(Model):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"ids": [EXAMPLE_ID, "RA-2B3C4"]}]}
    )

    ids: list[IdInput] = Field(min_length=1, max_length=MAX_ITEMS, description="Public ids (at most 10,000)")


class VerifyByLicences(Model):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"licences": [{"country": "NP", "number": "1234/067/68"}]}]},
    )

    licences: list[LicenceRef] = Field(
        min_length=1, max_length=MAX_ITEMS, description="(country, licence number) pairs (at most 10,000)"
    )


class VerifyRequest(RootModel[VerifyByIds | VerifyByLicences]):
    model_config = ConfigDict(json_schema_extra={"examples": [{"ids": [EXAMPLE_ID, "RA-2B3C4"]}]})


class VerifyResult(Model):
    input: str | LicenceRef = Field(description="The input this result answers, echoed")
    found: bool
    public_id: str | None
    legal_name: str | None
    country: str | None
    licence_number: str | None
    licence_status: LicenceStatusName | None
    status: AccreditationStatusName | Literal["unknown"] = Field(description="`unknown`: not in the registry")
    valid_until: date | None


class VerifyResponse(Model):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "results": [
                        {
                            "input": EXAMPLE_ID,
                            "found": True,
                            "public_id": EXAMPLE_ID,
                            "legal_name": "Himal Bright Overseas Pvt. Ltd.",
                            "country": "NP",
                            "licence_number": "1234/067/68",
                            "licence_status": "valid",
                            "status": "accredited",
                            "valid_until": "2028-06-01",
                        },
                        {
                            "input": "RA-2B3C4",
                            "found": False,
                            "public_id": None,
                            "legal_name": None,
                            "country": None,
                            "licence_number": None,
                            "licence_status": None,
                            "status": "unknown",
                            "valid_until": None,
                        },
                    ],
                    "found": 1,
                    "unknown": 1,
                }
            ]
        }
    )

    results: list[VerifyResult] = Field(description="One result per input, in input order")
    found: int = Field(ge=0)
    unknown: int = Field(ge=0)


# --- suppliers --------------------------------------------------------------------------------


class PageQuery(Model):
    cursor: str | None = Field(
        default=None,
        pattern=r"^[0-9a-z]{1,12}$",
        description="Opaque cursor from `next_cursor`",
        examples=["c1"],
    )
    limit: int = Field(default=100, ge=1, le=1000, description="Page size", examples=[100])


class Supplier(Model):
    public_id: str = Field(examples=[EXAMPLE_ID])
    legal_name: str
    country: str
    added_at: datetime


class SupplierList(Model):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "items": [
                        {
                            "public_id": EXAMPLE_ID,
                            "legal_name": "Himal Bright Overseas Pvt. Ltd.",
                            "country": "NP",
                            "added_at": "2026-01-10T08:00:00Z",
                        }
                    ],
                    "total": 1,
                    "next_cursor": None,
                }
            ]
        }
    )

    items: list[Supplier]
    total: int = Field(ge=0, description="Recruiters on the whole list")
    next_cursor: str | None


class SupplierIds(Model):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"ids": [EXAMPLE_ID, "RA-2B3C4"]}]}
    )

    ids: list[IdInput] = Field(max_length=MAX_ITEMS, description="Public ids; the list becomes exactly these")


class SupplierReplaced(Model):
    model_config = ConfigDict(json_schema_extra={"examples": [{"added": 2, "removed": 1, "total": 2}]})

    added: int = Field(ge=0)
    removed: int = Field(ge=0)
    total: int = Field(ge=0)


class SupplierAdded(Model):
    model_config = ConfigDict(json_schema_extra={"examples": [{"public_id": EXAMPLE_ID, "created": True}]})

    public_id: str
    created: bool = Field(description="false when it was already on the list")


class ReportQuery(Model):
    format: Literal["json", "csv"] | None = Field(
        default=None, description="Overrides the Accept header: `json` or `csv`", examples=["csv"]
    )


class SupplierReportRow(Model):
    public_id: str
    legal_name: str
    country: str
    licence_number: str
    licence_status: LicenceStatusName
    status: AccreditationStatusName
    valid_until: date | None
    last_audit_date: date | None
    open_major_findings: int = Field(ge=0)
    fee_signal_level: FeeSignalLevel
    risks: list[str]
    added_at: datetime


class SupplierReport(Model):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "generated_at": "2026-03-01T10:00:00Z",
                    "total": 1,
                    "at_risk": 1,
                    "items": [
                        {
                            "public_id": EXAMPLE_ID,
                            "legal_name": "Himal Bright Overseas Pvt. Ltd.",
                            "country": "NP",
                            "licence_number": "1234/067/68",
                            "licence_status": "valid",
                            "status": "suspended",
                            "valid_until": "2028-06-01",
                            "last_audit_date": "2026-02-01",
                            "open_major_findings": 1,
                            "fee_signal_level": "high",
                            "risks": ["accreditation_suspended", "open_major_findings", "fee_signal_high"],
                            "added_at": "2026-01-10T08:00:00Z",
                        }
                    ],
                }
            ]
        }
    )

    generated_at: datetime
    total: int = Field(ge=0)
    at_risk: int = Field(ge=0, description="Suppliers with at least one risk flag")
    items: list[SupplierReportRow]


# --- fee statistics ---------------------------------------------------------------------------


class CategoryBucket(Model):
    category: str
    reports: int = Field(ge=5)
    substantiated: int = Field(ge=0)
    total_usd: str | None = Field(description="Sum in US dollars at the rate of the payment date")
    average_usd: str | None


class CorridorBucket(Model):
    origin: str | None
    destination: str | None
    reports: int = Field(ge=5)
    substantiated: int = Field(ge=0)
    total_usd: str | None
    average_usd: str | None


class FeeStats(Model):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "public_id": EXAMPLE_ID,
                    "min_bucket_size": 5,
                    "by_category": [
                        {
                            "category": "recruitment_fee",
                            "reports": 6,
                            "substantiated": 2,
                            "total_usd": "4200.00",
                            "average_usd": "700.00",
                        }
                    ],
                    "by_corridor": [
                        {
                            "origin": "NP",
                            "destination": "QA",
                            "reports": 7,
                            "substantiated": 2,
                            "total_usd": "4550.00",
                            "average_usd": "650.00",
                        }
                    ],
                    "suppressed_buckets": 3,
                }
            ]
        }
    )

    public_id: str
    min_bucket_size: int = Field(description="Buckets with fewer reports are not shown (k-anonymity)")
    by_category: list[CategoryBucket]
    by_corridor: list[CorridorBucket]
    suppressed_buckets: int = Field(ge=0, description="How many buckets were withheld for being too small")


MODELS_FOR_DOCS: tuple[type[BaseModel], ...] = (Problem,)
