"""A recruiter's standing: the one rule for what every surface says about a recruiter.

The public page, the bot, the API (detail, list, bulk verify, supplier report), webhooks and
certificates all take a recruiter's status from here, so they cannot disagree:

- Validity is applied as of a date: an accreditation whose ``valid_until`` has passed reads
  ``expired`` at once (since the first moment after its last valid day), before the nightly expiry
  check records the move. A lapsed accreditation is never shown as valid.
- A certificate number belongs to the standing only while the recruiter is really accredited.
- A recruiter registered without an accreditation record is an applicant since it was registered;
  one without a licence status has licence status ``unknown``.

Three depths, each set-based (a fixed number of statements for any number of recruiters):

- ``Verdict``: accreditation status (validity applied), its dates, certificate and licence status:
  ``verdicts_of`` (one statement), or ``verdict_of`` from an Accreditation row already loaded.
- ``Summary``: the verdict plus identity, last audit, open major findings, the fee-signal level and
  risk flags, as companies are told: ``summaries_of``, ``summary_by_public_id``.
- ``Standing``: the summary plus what a status card shows: corridors, substantiated fee reports, the
  parent agency of a sub-agent, and warnings: ``standing_of_many``, ``standing_of``.

``as_of`` applies to validity and to the fee-report window; the other facts are the current ones.
The verdict is data; each surface renders it in its own language.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache

from sqlalchemy import BindParameter, and_, bindparam, func, literal_column, or_, select
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from registry.db import DriverReads, first_row
from registry.models import Accreditation, Audit, Corridor, FeeReport, Finding, Recruiter
from registry.models.accreditation import AccreditationStatus as A
from registry.models.audits import Severity
from registry.models.recruiters import LicenceStatus as L
from registry.models.reports import TriageStatus
from registry.services import auditlog
from registry.services.identifiers import public_id_key
from registry.services.sets import dialect_of, in_values, value_batches
from registry.timeutil import as_date

# Licence statuses that are not valid (``unknown``: not found in a register yet, neither good nor bad).
BAD_LICENCE = tuple(s.value for s in (L.expired, L.suspended, L.cancelled, L.delisted, L.banned))
# Accreditation states that are reported as a risk by name (an applicant is "not accredited" yet).
NOT_ACCREDITED: tuple[str, ...] = (A.suspended.value, A.withdrawn.value, A.rejected.value, A.expired.value)
# Fee-signal levels, from quiet to loud, and the ones that are a risk.
FEE_SIGNAL_LEVELS = ("none", "low", "elevated", "high")
LOUD_FEE_SIGNALS = ("elevated", "high")
# Reports that count as a signal (the others were found unsubstantiated, duplicate or out of scope).
COUNTING_TRIAGE = (TriageStatus.new.value, TriageStatus.substantiated.value)
FEE_WINDOW_DAYS = 180
FEE_MIN_REPORTERS = 3

# Warnings on a status card.
LICENCE_BAD = "licence_bad"
LICENCE_UNKNOWN = "licence_unknown"
OPEN_MAJOR = "open_major"
FEE_REPORTS = "fee_reports"
SUB_AGENT = "sub_agent"
WARNINGS = (LICENCE_BAD, LICENCE_UNKNOWN, OPEN_MAJOR, FEE_REPORTS, SUB_AGENT)
# Risk flags for companies (API detail, supplier report), besides accreditation_<status>,
# licence_<status> and fee_signal_<level>.
NOT_ACCREDITED_RISK = "not_accredited"
OPEN_MAJOR_RISK = "open_major_findings"


# --- the rule -------------------------------------------------------------------------------------

_APPLICANT, _ACCREDITED, _EXPIRED = A.applicant.value, A.accredited.value, A.expired.value
_UNKNOWN = L.unknown.value


def status_of(recorded: str | None, valid_until: date | None, as_of: date) -> str:
    """The accreditation status as of `as_of`: the recorded one, except that an accreditation whose
    last valid day is before `as_of` is expired (whether or not the expiry check has run)."""
    status = recorded or _APPLICANT
    if status == _ACCREDITED and valid_until is not None and valid_until < as_of:
        return _EXPIRED
    return status


def lapsed_at(valid_until: date) -> datetime:
    """The moment an accreditation valid until `valid_until` (its last valid day) stops being valid."""
    return datetime.combine(valid_until + timedelta(days=1), time.min, tzinfo=UTC)


def licence_status_of(recorded: str | None) -> str:
    return recorded or _UNKNOWN


def fee_signal_level(reports: int, reporters: int, substantiated: int, *, min_reporters: int) -> str:
    """none: no report in the window; low: some; elevated: at least `min_reporters` independent
    reporters; high: at least one substantiated report in the window."""
    if substantiated:
        return "high"
    if reporters >= min_reporters:
        return "elevated"
    if reports:
        return "low"
    return "none"


@lru_cache(maxsize=64)
def fee_window_start(as_of: date, window_days: int) -> datetime:
    """First moment of the fee-report window ending `as_of` (as the fee-signal check counts it)."""
    return datetime.combine(as_of - timedelta(days=window_days), time.min, tzinfo=UTC)


@dataclass(frozen=True)
class Verdict:
    """A recruiter's accreditation and licence status as of a date, validity applied."""

    status: str  # what every surface shows
    recorded_status: str  # what the state machine holds (accredited while a lapse is not yet recorded)
    since: datetime | None  # when `status` began
    valid_from: date | None
    valid_until: date | None
    certificate_number: str | None  # only while really accredited
    licence_status: str

    @property
    def accredited(self) -> bool:
        return self.status == A.accredited

    @property
    def lapsed(self) -> bool:
        """Accredited in the record, but past its last valid day (the expiry check has not run yet)."""
        return self.status != self.recorded_status

    @property
    def since_date(self) -> date | None:
        return self.since.date() if self.since else None


def _verdict_fields(
    *,
    status: str | None,
    since: datetime | None,
    valid_from: date | None,
    valid_until: date | None,
    certificate_number: str | None,
    licence_status: str | None,
    as_of: date,
) -> dict:
    recorded = status or _APPLICANT
    current = status_of(recorded, valid_until, as_of)
    if current != recorded:
        if valid_until is None:
            raise RuntimeError("status_of changes the status only when it has lapsed")
        since = lapsed_at(valid_until)
    return {
        "status": current,
        "recorded_status": recorded,
        "since": since,
        "valid_from": valid_from,
        "valid_until": valid_until,
        "certificate_number": certificate_number if current == _ACCREDITED else None,
        "licence_status": licence_status_of(licence_status),
    }


def verdict_of(
    acc: Accreditation | None,
    licence_status: str | None,
    *,
    as_of: date,
    registered_at: datetime | None = None,
) -> Verdict:
    """The verdict from an accreditation row already loaded (None: registered without one yet)."""
    if acc is None:
        return Verdict(
            **_verdict_fields(
                status=None,
                since=registered_at,
                valid_from=None,
                valid_until=None,
                certificate_number=None,
                licence_status=licence_status,
                as_of=as_of,
            )
        )
    return Verdict(
        **_verdict_fields(
            status=acc.status,
            since=acc.since,
            valid_from=acc.valid_from,
            valid_until=acc.valid_until,
            certificate_number=acc.certificate_number,
            licence_status=licence_status,
            as_of=as_of,
        )
    )


def event_fields(verdict: Verdict) -> dict:
    """The standing as every webhook about a recruiter carries it (JSON-ready)."""
    return {
        "status": verdict.status,
        "valid_until": verdict.valid_until.isoformat() if verdict.valid_until else None,
        "licence_status": verdict.licence_status,
    }


def status_filter(status: str, as_of: date):
    """SQL condition (on a query that outer-joins Accreditation) for recruiters whose status as of
    `as_of` is `status`, by the same rule as `status_of` (and index-friendly)."""
    recorded = col(Accreditation.status)
    valid_until = col(Accreditation.valid_until)
    if status == A.accredited:
        return and_(recorded == A.accredited.value, or_(valid_until.is_(None), valid_until >= as_of))
    if status == A.expired:
        return or_(recorded == A.expired.value, and_(recorded == A.accredited.value, valid_until < as_of))
    if status == A.applicant:
        return or_(recorded == A.applicant.value, recorded.is_(None))
    return recorded == status


def status_at(session: Session, recruiter_id: int, at: datetime) -> dict | None:
    """The standing's status at a past moment, replayed from the audit log, validity applied as of
    that moment: {"status", "since", "valid_from", "valid_until"}, or None before registration."""
    state = auditlog.status_at(session, recruiter_id, at)
    if state is None:
        return None
    valid_until = as_date(state.get("valid_until"))
    status = status_of(state.get("status"), valid_until, at.astimezone(UTC).date())
    if status != state.get("status"):
        if valid_until is None:
            raise RuntimeError("status_of changes the status only when it has lapsed")
        state = {**state, "status": status, "since": lapsed_at(valid_until).isoformat()}
    return state


# --- summaries and standings ----------------------------------------------------------------------


@dataclass(frozen=True)
class Party:
    """Another recruiter named in a standing (the agency a sub-agent works for)."""

    public_id: str
    legal_name: str


@dataclass(frozen=True)
class Summary(Verdict):
    """The verdict with what companies are told beside it (API detail, supplier report)."""

    recruiter_id: int
    public_id: str
    legal_name: str
    other_names: tuple[str, ...]
    country: str
    licence_authority: str
    licence_number: str
    licence_valid_until: date | None
    last_audit: date | None  # most recent performed audit
    open_major_findings: int
    fee_signal_level: str  # fee reports in the window before as_of
    as_of: date

    @property
    def risks(self) -> tuple[str, ...]:
        """Risk flags for a company's supply chain."""
        out = []
        if self.status in NOT_ACCREDITED:
            out.append(f"accreditation_{self.status}")
        elif self.status == A.applicant:
            out.append(NOT_ACCREDITED_RISK)
        if self.licence_status in BAD_LICENCE:
            out.append(f"licence_{self.licence_status}")
        if self.open_major_findings:
            out.append(OPEN_MAJOR_RISK)
        if self.fee_signal_level in LOUD_FEE_SIGNALS:
            out.append(f"fee_signal_{self.fee_signal_level}")
        return tuple(out)


@dataclass(frozen=True)
class Standing(Summary):
    """Everything the surfaces say about a recruiter as of a date (no worker data, aggregates only):
    the summary plus what a status card shows (public page, bot)."""

    substantiated_reports: int  # ever
    corridors: tuple[tuple[str, str], ...]  # (origin, destination), sorted
    parent: Party | None  # set for a sub-agent
    official_address: str = ""  # the contact the licensing authority lists (tells the agency from an
    official_phone: str = ""  # impersonator on a status card)

    @property
    def warnings(self) -> tuple[str, ...]:
        """What a worker must be warned of, besides the status itself."""
        out = []
        if self.licence_status in BAD_LICENCE:
            out.append(LICENCE_BAD)
        elif self.licence_status == L.unknown:
            out.append(LICENCE_UNKNOWN)
        if self.open_major_findings:
            out.append(OPEN_MAJOR)
        if self.substantiated_reports:
            out.append(FEE_REPORTS)
        if self.parent is not None:
            out.append(SUB_AGENT)
        return tuple(out)


# Statements are built once per shape (building one costs more than running it for one recruiter)
# and take the date-dependent values as parameters. A summary's statement leaves out what only a
# status card shows, so the API's answers cost no more than they must.


@lru_cache(maxsize=2)
def _select(card: bool):
    r = Recruiter
    start: BindParameter[datetime] = bindparam("fee_window_start")

    def per_recruiter(stmt):
        return stmt.correlate(r).scalar_subquery()

    window = and_(
        col(FeeReport.recruiter_id) == r.id,
        FeeReport.created_at >= start,
        # The statuses are constants written into the statement: a list of values would be an "expanding"
        # parameter, rendered into the SQL again at every execution.
        col(FeeReport.triage_status).in_([literal_column(f"'{v}'") for v in COUNTING_TRIAGE]),
    )
    substantiated = col(FeeReport.triage_status) == TriageStatus.substantiated.value
    columns = [
        r.id,
        r.public_id,
        r.legal_name,
        r.other_names,
        r.country,
        r.licence_authority,
        r.licence_number,
        r.licence_status,
        r.licence_valid_until,
        Accreditation.status,
        func.coalesce(Accreditation.since, r.created_at),  # no record yet: an applicant since registered
        Accreditation.valid_from,
        Accreditation.valid_until,
        Accreditation.certificate_number,
        per_recruiter(select(func.max(col(Audit.performed_date))).where(col(Audit.recruiter_id) == r.id)),
        per_recruiter(
            select(func.count(col(Finding.id))).where(
                col(Finding.recruiter_id) == r.id,
                col(Finding.severity) == Severity.major.value,
                col(Finding.closed_at).is_(None),
            )
        ),
        per_recruiter(select(func.count(col(FeeReport.id))).where(window)),
        per_recruiter(select(func.count(func.distinct(FeeReport.reporter_key))).where(window)),
        per_recruiter(select(func.count(col(FeeReport.id))).where(window, substantiated)),
    ]
    if not card:
        return select(*columns).outerjoin(Accreditation, col(Accreditation.recruiter_id) == r.id)
    parent = aliased(Recruiter, name="parent")
    columns += [
        per_recruiter(
            select(func.count(col(FeeReport.id))).where(col(FeeReport.recruiter_id) == r.id, substantiated)
        ),
        per_recruiter(
            select(func.aggregate_strings(col(Corridor.origin) + ">" + col(Corridor.destination), ",")).where(
                col(Corridor.recruiter_id) == r.id
            )
        ),
        parent.public_id,
        parent.legal_name,
        r.official_address,
        r.official_phone,
    ]
    return (
        select(*columns)
        .select_from(r)
        .outerjoin(Accreditation, col(Accreditation.recruiter_id) == r.id)
        .outerjoin(parent, col(parent.id) == col(r.parent_id))
    )


@lru_cache(maxsize=8)
def _by_ids(card: bool, dialect: str):
    return _select(card).where(in_values(Recruiter.id, "ids", dialect))


@lru_cache(maxsize=4)
def _by_key(card: bool, key: str):
    """One recruiter's statement, by id or by public id (the parameter named as the column)."""
    return _select(card).where(getattr(Recruiter, key) == bindparam(key))


def _summary_fields(row, as_of: date, min_reporters: int) -> dict:
    (
        rid,
        public_id,
        legal_name,
        other_names,
        country,
        authority,
        number,
        lic_status,
        lic_until,
        status,
        since,
        valid_from,
        valid_until,
        certificate,
        last_audit,
        majors,
        n_reports,
        n_reporters,
        n_substantiated,
    ) = row[:19]
    fields = _verdict_fields(
        status=status,
        since=since,
        valid_from=valid_from,
        valid_until=valid_until,
        certificate_number=certificate,
        licence_status=lic_status,
        as_of=as_of,
    )
    fields.update(
        recruiter_id=rid,
        public_id=public_id,
        legal_name=legal_name,
        other_names=tuple(other_names or ()),
        country=country,
        licence_authority=authority or "",
        licence_number=number or "",
        licence_valid_until=lic_until,
        last_audit=as_date(last_audit),
        open_major_findings=int(majors or 0),
        fee_signal_level=fee_signal_level(
            int(n_reports or 0),
            int(n_reporters or 0),
            int(n_substantiated or 0),
            min_reporters=min_reporters,
        ),
        as_of=as_of,
    )
    return fields


def _summary(row, as_of: date, min_reporters: int) -> Summary:
    return Summary(**_summary_fields(row, as_of, min_reporters))


def _standing(row, as_of: date, min_reporters: int) -> Standing:
    substantiated_ever, corridors, parent_public_id, parent_name, address, phone = row[19:]
    return Standing(
        **_summary_fields(row, as_of, min_reporters),
        substantiated_reports=int(substantiated_ever or 0),
        corridors=tuple(sorted(tuple(c.split(">", 1)) for c in corridors.split(","))) if corridors else (),
        parent=Party(parent_public_id, parent_name) if parent_public_id else None,
        official_address=address or "",
        official_phone=phone or "",
    )


def _many(
    session: Session, card: bool, ids: Sequence[int], as_of: date, window_days: int, min_reporters: int
):
    build = _standing if card else _summary
    dialect = dialect_of(session)
    start = fee_window_start(as_of, window_days)
    out = {}
    for batch in value_batches(dialect, list(dict.fromkeys(ids))):
        for row in session.connection().execute(
            _by_ids(card, dialect), {"ids": batch, "fee_window_start": start}
        ):
            out[row[0]] = build(row, as_of, min_reporters)
    return out


def _one(
    session: Session | DriverReads,
    card: bool,
    stmt,
    params: dict,
    as_of: date,
    window_days: int,
    min_reporters: int,
):
    params["fee_window_start"] = fee_window_start(as_of, window_days)
    row = first_row(session, stmt, params)
    if row is None:
        return None
    return (_standing if card else _summary)(row, as_of, min_reporters)


def standing_of_many(
    session: Session,
    recruiter_ids: Sequence[int],
    *,
    as_of: date,
    fee_window_days: int = FEE_WINDOW_DAYS,
    fee_min_reporters: int = FEE_MIN_REPORTERS,
) -> dict[int, Standing]:
    """The standing of each recruiter (by id; unknown ids are left out): one statement per batch of
    ids, one batch on PostgreSQL and SQLite."""
    return _many(session, True, recruiter_ids, as_of, fee_window_days, fee_min_reporters)


def standing_of(
    session: Session,
    recruiter_id: int,
    *,
    as_of: date,
    fee_window_days: int = FEE_WINDOW_DAYS,
    fee_min_reporters: int = FEE_MIN_REPORTERS,
) -> Standing | None:
    """The standing of one recruiter (None when the id is unknown): one statement."""
    return _one(
        session, True, _by_key(True, "id"), {"id": recruiter_id}, as_of, fee_window_days, fee_min_reporters
    )


def summaries_of(
    session: Session,
    recruiter_ids: Sequence[int],
    *,
    as_of: date,
    fee_window_days: int = FEE_WINDOW_DAYS,
    fee_min_reporters: int = FEE_MIN_REPORTERS,
) -> dict[int, Summary]:
    """`standing_of_many` without what only a status card shows: one statement per batch of ids."""
    return _many(session, False, recruiter_ids, as_of, fee_window_days, fee_min_reporters)


def summary_by_public_id(
    session: Session | DriverReads,
    public_id: str,
    *,
    as_of: date,
    fee_window_days: int = FEE_WINDOW_DAYS,
    fee_min_reporters: int = FEE_MIN_REPORTERS,
) -> Summary | None:
    """The summary of the recruiter with this public id, however typed (None when unknown)."""
    read = summary_read(public_id, as_of=as_of, fee_window_days=fee_window_days)
    if read is None:
        return None
    row = first_row(session, *read)
    return None if row is None else _summary(row, as_of, fee_min_reporters)


def summary_read(public_id: str, *, as_of: date, fee_window_days: int = FEE_WINDOW_DAYS) -> tuple | None:
    """The statement and parameters `summary_by_public_id` reads (for ``DriverReads.expect``); None for
    a public id that can match no recruiter."""
    pid = public_id_key(public_id) or ""
    if "\x00" in pid:
        return None
    return _by_key(False, "public_id"), {
        "public_id": pid,
        "fee_window_start": fee_window_start(as_of, fee_window_days),
    }


# --- verdicts only --------------------------------------------------------------------------------


@lru_cache(maxsize=4)
def _verdicts_by_ids(dialect: str):
    return (
        select(
            col(Recruiter.id),
            col(Recruiter.licence_status),
            col(Accreditation.status),
            func.coalesce(col(Accreditation.since), col(Recruiter.created_at)),
            col(Accreditation.valid_from),
            col(Accreditation.valid_until),
            col(Accreditation.certificate_number),
        )
        .outerjoin(Accreditation, col(Accreditation.recruiter_id) == col(Recruiter.id))
        .where(in_values(Recruiter.id, "ids", dialect))
    )


def verdicts_of(session: Session, recruiter_ids: Sequence[int], *, as_of: date) -> dict[int, Verdict]:
    """The verdict of each recruiter (by id; unknown ids are left out): one statement per batch."""
    dialect = dialect_of(session)
    out: dict[int, Verdict] = {}
    for batch in value_batches(dialect, list(dict.fromkeys(recruiter_ids))):
        for rid, lic, status, since, vfrom, vuntil, cert in session.connection().execute(
            _verdicts_by_ids(dialect), {"ids": batch}
        ):
            out[rid] = Verdict(
                **_verdict_fields(
                    status=status,
                    since=since,
                    valid_from=vfrom,
                    valid_until=vuntil,
                    certificate_number=cert,
                    licence_status=lic,
                    as_of=as_of,
                )
            )
    return out
