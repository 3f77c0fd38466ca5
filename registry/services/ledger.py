"""Repayment ledger of a fee report: what the recruiter says it repaid (claimed), what an auditor
confirmed (verified) and what reached the worker (repaid), as append-only entries.

The rules, each refusal a ``registry.errors`` error with a stable code:

- New entries go to a substantiated report (``report_not_substantiated``), in the report's currency
  (``ledger_currency_mismatch``), with a positive amount and a date that is neither in the future nor
  before the fee was paid (``date_in_future``, ``date_before_payment``).
- The stages follow claimed → verified → repaid, cumulatively per report (entries of a stage added up,
  reversals subtracted): claimed ≤ what the report says was paid (``claim_exceeds_report``; see
  :func:`claimable`), verified ≤ claimed (``verified_exceeds_claimed``), repaid ≤ verified
  (``repaid_exceeds_verified``). Nothing can be verified before it is claimed, nor repaid before it
  is verified.
- Entries are never edited or deleted. A wrong entry is corrected by a reversing entry (:func:`reverse`)
  that names it and gives a reason (``reason_required``); an entry is reversed at most once
  (``already_reversed``), a reversal is not itself reversed (``cannot_reverse_reversal``: add a new
  entry instead), and a reversal that would leave a later stage above an earlier one is refused
  (``reversal_breaks_order``: reverse the later stage first). Reversals are allowed whatever the
  report's triage status, so a ledger can always be put right.
- Totals per report and per recruiter are given in the original currencies and in US dollars, valued
  at the FX rate of the day the worker paid (else the day the report arrived): the same basis as the
  report's own USD value, so claimed and reported amounts compare like for like.

Every entry is audit-logged by the hook of ``registry.services.auditlog`` (entity ``repayment``).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import Numeric, case, func, select, type_coerce
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from registry.errors import Conflict, InvalidInput, NotFound
from registry.models import FeeReport, Recruiter, RepaymentEntry, id_of
from registry.models.reports import RepaymentKind, RepaymentState, TriageStatus
from registry.services import cleantext, paging
from registry.services.audits import require_reason
from registry.services.countries import require_currency
from registry.services.fees import FxTable, parse_amount
from registry.timeutil import today

STATES = tuple(s.value for s in RepaymentState)  # in order: each stage is capped by the one before
ZERO = Decimal("0.00")
CAP_CODES = {
    RepaymentState.claimed: "claim_exceeds_report",
    RepaymentState.verified: "verified_exceeds_claimed",
    RepaymentState.repaid: "repaid_exceeds_verified",
}


@dataclass(frozen=True)
class Claimable:
    """The currency a report's ledger is kept in and the most that can be claimed in it."""

    currency: str
    amount: Decimal


def claimable(session: Session, report: FeeReport) -> Claimable:
    """What the worker says was paid: the cap of the claimed total, in the report's currency.

    The one place that reads the report's amount for the ledger: when a report holds several fee
    lines, this is their sum.
    """
    return Claimable(report.currency, report.amount)


def _signed_amount():
    amount = col(RepaymentEntry.amount)
    signed = case((col(RepaymentEntry.kind) == RepaymentKind.reversal, -amount), else_=amount)
    return type_coerce(signed, Numeric(14, 2))


def _money(value) -> Decimal:
    return Decimal(str(value or 0)).quantize(Decimal("0.01"))


def balances(session: Session, report_id: int) -> dict[str, Decimal]:
    """Net amount of each stage of a report's ledger (entries minus reversals); every stage present."""
    out = dict.fromkeys(STATES, ZERO)
    for state, total in session.execute(
        select(col(RepaymentEntry.state), func.sum(_signed_amount()))
        .where(col(RepaymentEntry.report_id) == report_id)
        .group_by(col(RepaymentEntry.state))
    ):
        out[state] = _money(total)
    return out


def _check_order(amounts: dict[str, Decimal], cap: Decimal, currency: str, state: str | None = None) -> None:
    """Refuse when a stage exceeds its cap (the report's amount, or the stage before it)."""
    limits = {STATES[0]: cap, STATES[1]: amounts[STATES[0]], STATES[2]: amounts[STATES[1]]}
    for st in STATES if state is None else (state,):
        if amounts[st] > limits[st]:
            above = (
                "what the report says was paid"
                if st == STATES[0]
                else f"the {STATES[STATES.index(st) - 1]} total"
            )
            raise Conflict(
                f"the {st} total would be {amounts[st]} {currency}, more than {above} ({limits[st]} {currency})",
                code=CAP_CODES[RepaymentState(st)],
                params={"state": st, "total": str(amounts[st]), "max": str(limits[st]), "currency": currency},
            )


def _lock(session: Session, report: FeeReport) -> None:
    """Serialise ledger writes of one report (PostgreSQL row lock; SQLite writers are serialised already)."""
    session.execute(select(col(FeeReport.id)).where(col(FeeReport.id) == report.id).with_for_update())


def add_entry(
    session: Session,
    report: FeeReport,
    *,
    state: str,
    amount: Decimal | str | float,
    currency: str,
    on_date: date | None,
    note: str = "",
    actor: str,
) -> RepaymentEntry:
    """Append one entry (claimed, verified or repaid) to a substantiated report's ledger."""
    if state not in RepaymentState.__members__:
        raise InvalidInput(
            f"state must be claimed, verified or repaid, not {state!r}",
            field="state",
            code="unknown_repayment_state",
            params={"state": state},
        )
    if report.triage_status != TriageStatus.substantiated:
        raise Conflict(
            f"case {report.case_code} is {report.triage_status}: only a substantiated report has a repayment ledger",
            code="report_not_substantiated",
            params={"case": report.case_code, "status": report.triage_status},
        )
    value = parse_amount(amount)
    cur = require_currency(currency)
    basis = claimable(session, report)
    if cur != basis.currency:
        raise InvalidInput(
            f"the ledger of case {report.case_code} is kept in {basis.currency}, the currency the worker paid in",
            field="currency",
            code="ledger_currency_mismatch",
            params={"currency": cur, "expected": basis.currency},
        )
    if on_date is None:
        raise InvalidInput("enter the date", field="on_date", code="date_required")
    if on_date > today():
        raise InvalidInput("the date cannot be in the future", field="on_date", code="date_in_future")
    if report.paid_on is not None and on_date < report.paid_on:
        raise InvalidInput(
            f"the date cannot be before the fee was paid ({report.paid_on.isoformat()})",
            field="on_date",
            code="date_before_payment",
            params={"min": report.paid_on.isoformat()},
        )
    _lock(session, report)
    amounts = balances(session, id_of(report))
    amounts[state] += value
    _check_order(amounts, basis.amount, basis.currency, state)
    entry = RepaymentEntry(
        report_id=id_of(report),
        kind=RepaymentKind.entry,
        state=state,
        amount=value,
        currency=cur,
        on_date=on_date,
        note=cleantext.clean_text(note),
        created_by=actor,
    )
    session.add(entry)
    session.flush()
    return entry


def get_entry(session: Session, report: FeeReport, entry_id: int) -> RepaymentEntry:
    entry = session.get(RepaymentEntry, entry_id)
    if entry is None or entry.report_id != report.id:
        raise NotFound(
            f"no ledger entry {entry_id} on case {report.case_code}",
            code="ledger_entry_not_found",
            params={"id": entry_id, "case": report.case_code},
        )
    return entry


def reverse(
    session: Session, report: FeeReport, entry: RepaymentEntry, *, reason: str, actor: str
) -> RepaymentEntry:
    """Take back a wrong entry with a reversing entry (same stage, amount and currency), dated today."""
    text = require_reason(reason)
    if entry.report_id != report.id:
        raise NotFound(
            f"no ledger entry {entry.id} on case {report.case_code}",
            code="ledger_entry_not_found",
            params={"id": entry.id, "case": report.case_code},
        )
    if entry.kind == RepaymentKind.reversal:
        raise Conflict(
            "a reversal cannot be reversed; record a new entry instead",
            code="cannot_reverse_reversal",
            params={"entry": entry.id},
        )
    _lock(session, report)
    if reversal_of(session, id_of(entry)) is not None:
        raise Conflict(
            f"entry #{entry.id} is already reversed", code="already_reversed", params={"entry": entry.id}
        )
    amounts = balances(session, report.id)
    amounts[entry.state] -= entry.amount
    later = STATES[STATES.index(entry.state) + 1 :]
    if later:  # the next stage is capped by this one
        st = later[0]
        if amounts[st] > amounts[entry.state]:
            raise Conflict(
                f"reversing this {entry.state} entry would leave {st} ({amounts[st]} {entry.currency}) above "
                f"{entry.state} ({amounts[entry.state]} {entry.currency}); reverse the {st} entries first",
                code="reversal_breaks_order",
                params={"state": entry.state, "later": st, "entry": entry.id},
            )
    reversal = RepaymentEntry(
        report_id=report.id,
        kind=RepaymentKind.reversal,
        state=entry.state,
        amount=entry.amount,
        currency=entry.currency,
        on_date=today(),
        reverses_id=entry.id,
        reason=text,
        created_by=actor,
    )
    try:
        with session.begin_nested():
            session.add(reversal)
            session.flush()
    except IntegrityError:  # a concurrent reversal of the same entry won
        raise Conflict(
            f"entry #{entry.id} is already reversed", code="already_reversed", params={"entry": entry.id}
        ) from None
    return reversal


def reversal_of(session: Session, entry_id: int) -> RepaymentEntry | None:
    return session.scalars(select(RepaymentEntry).where(col(RepaymentEntry.reverses_id) == entry_id)).first()


def entries(session: Session, report_id: int) -> list[RepaymentEntry]:
    """A report's ledger in the order it was written."""
    return list(
        session.scalars(
            select(RepaymentEntry)
            .where(col(RepaymentEntry.report_id) == report_id)
            .order_by(col(RepaymentEntry.id))
        )
    )


def reversed_ids(rows: list[RepaymentEntry]) -> dict[int, int]:
    """entry id -> id of the reversal that took it back, among `rows` (one report's ledger)."""
    return {e.reverses_id: e.id for e in rows if e.reverses_id is not None and e.id is not None}


# --- totals ---------------------------------------------------------------------------------------


@dataclass
class Totals:
    """Net claimed, verified and repaid amounts: per currency, and in USD (None where a rate is missing)."""

    by_currency: dict[str, dict[str, Decimal]] = field(default_factory=dict)
    usd: dict[str, Decimal] = field(default_factory=lambda: dict.fromkeys(STATES, ZERO))
    usd_complete: bool = True
    reports: int = 0

    def add(self, currency: str, state: str, amount: Decimal, usd: Decimal | None) -> None:
        row = self.by_currency.setdefault(currency, dict.fromkeys(STATES, ZERO))
        row[state] += amount
        if usd is None:
            self.usd_complete = False
        else:
            self.usd[state] += usd


@dataclass
class ReportTotals(Totals):
    currency: str = ""
    claimable: Decimal = ZERO
    claimable_usd: Decimal | None = None

    @property
    def amounts(self) -> dict[str, Decimal]:
        return self.by_currency.get(self.currency, dict.fromkeys(STATES, ZERO))


def value_date(report: FeeReport) -> date:
    """The day whose FX rate values a report in USD: the day paid, else the day it arrived."""
    return report.paid_on or report.created_at.date()


def report_totals(session: Session, report: FeeReport, fx: FxTable) -> ReportTotals:
    """A report's ledger totals in its currency and in USD, with what can be claimed."""
    basis = claimable(session, report)
    on = value_date(report)
    out = ReportTotals(currency=basis.currency, claimable=basis.amount)
    out.claimable_usd = fx.to_usd(basis.amount, basis.currency, on)
    out.by_currency[basis.currency] = dict.fromkeys(STATES, ZERO)
    for state, amount in balances(session, id_of(report)).items():
        out.add(basis.currency, state, amount, fx.to_usd(amount, basis.currency, on))
    out.reports = 1
    return out


def _per_report_rows(session: Session, *conds):
    return session.execute(
        select(
            col(FeeReport.recruiter_id),
            col(RepaymentEntry.report_id),
            col(FeeReport.paid_on),
            col(FeeReport.created_at),
            col(RepaymentEntry.state),
            col(RepaymentEntry.currency),
            func.sum(_signed_amount()),
        )
        .join(FeeReport, col(FeeReport.id) == col(RepaymentEntry.report_id))
        .where(col(FeeReport.recruiter_id).is_not(None), *conds)
        .group_by(
            col(FeeReport.recruiter_id),
            col(RepaymentEntry.report_id),
            col(FeeReport.paid_on),
            col(FeeReport.created_at),
            col(RepaymentEntry.state),
            col(RepaymentEntry.currency),
        )
    )


def _fold(rows, fx: FxTable) -> dict[int, Totals]:
    out: dict[int, Totals] = defaultdict(Totals)
    seen: dict[int, set[int]] = defaultdict(set)
    for rid, report_id, paid_on, created_at, state, currency, total in rows:
        amount = _money(total)
        on = paid_on or created_at.date()
        out[rid].add(currency, state, amount, fx.to_usd(amount, currency, on))
        seen[rid].add(report_id)
    for rid, ids in seen.items():
        out[rid].reports = len(ids)
    return dict(out)


def recruiter_totals(session: Session, recruiter_id: int, fx: FxTable) -> Totals:
    """A recruiter's repayment totals over all its reports (one grouped query)."""
    return _fold(_per_report_rows(session, FeeReport.recruiter_id == recruiter_id), fx).get(
        recruiter_id, Totals()
    )


def totals_by_recruiter(session: Session, fx: FxTable) -> list[tuple[str, str, Totals]]:
    """(public id, legal name, totals) of every recruiter with ledger entries, by public id."""
    folded = _fold(_per_report_rows(session), fx)
    if not folded:
        return []
    names = {
        rid: (pid, name)
        for rid, pid, name in session.execute(
            select(col(Recruiter.id), col(Recruiter.public_id), col(Recruiter.legal_name)).where(
                col(Recruiter.id).in_(list(folded))
            )
        )
    }
    return sorted(((*names[rid], t) for rid, t in folded.items() if rid in names), key=lambda row: row[0])


def ledger_page(session: Session, *, page: int, per_page: int) -> paging.ListPage:
    """Repayment ledger entries (rows of RepaymentEntry, case code, public id), newest first."""
    stmt = (
        select(RepaymentEntry, col(FeeReport.case_code), col(Recruiter.public_id))
        .join(FeeReport, col(FeeReport.id) == col(RepaymentEntry.report_id))
        .outerjoin(Recruiter, col(Recruiter.id) == col(FeeReport.recruiter_id))
        .order_by(col(RepaymentEntry.created_at).desc(), col(RepaymentEntry.id).desc())
    )
    total = paging.count_rows(session, RepaymentEntry)
    return paging.offset_page(session, stmt, page=page, per_page=per_page, total=total)
