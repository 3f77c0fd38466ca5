"""The demo builder: a small, realistic registry made through the real services.

``build(session, ...)`` creates about fifty recruiters with invented names (``registry.seed.data``)
on real migration corridors with ``recruiters.create``, drives each through the accreditation state
machine with ``accreditation.decide``, and adds audits, findings and corrective actions
(``audits``), fee reports with triage and repayments (``reports``), a demo company with suppliers and
an API key (``companies``) and a demo admin (``users``). The history, the audit log and the outbox are
therefore exactly what the product writes.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import func, select
from sqlmodel import Session, col

from registry.errors import Conflict
from registry.models import Accreditation, Audit, Recruiter, SupplierLink
from registry.seed.data import (
    AUDITORS,
    AUTHORITIES,
    CERT_BODIES,
    CORRIDORS,
    CURRENCY,
    DECIDER,
    DEMO_ADMIN_EMAIL,
    DEMO_ADMIN_PASSWORD,
    DEMO_COMPANY,
    DEMO_RECRUITERS,
    DEMO_SUBAGENTS,
    FINDINGS,
    licence_number,
    origins_for,
)
from registry.services import (
    accreditation,
    auditlog,
    audits,
    companies,
    ledger,
    recruiters,
    reports,
    search,
    users,
)
from registry.services.fees import FxTable, ReportInput
from registry.services.recruiters import RecruiterInput
from registry.timeutil import add_years, today, utcnow


@dataclass
class DemoResult:
    recruiters: int = 0
    reports: int = 0
    audits: int = 0
    findings: int = 0
    admin_email: str = DEMO_ADMIN_EMAIL
    admin_password: str = ""
    company: str = DEMO_COMPANY
    api_key: str = ""
    states: dict[str, int] = field(default_factory=dict)


def _at(d: date, hour: int = 10) -> datetime:
    return datetime.combine(d, time(hour, 0), tzinfo=UTC)


class _Demo:
    """The building blocks and scenarios of the demo set, on one session."""

    def __init__(
        self,
        session: Session,
        *,
        pseudonym_key: str,
        fx: FxTable,
        cycle_years: int,
        major_days: int,
        minor_days: int,
        rng: random.Random,
    ):
        self.s = session
        self.key = pseudonym_key
        self.fx = fx
        self.cycle = cycle_years
        self.major_days = major_days
        self.minor_days = minor_days
        self.rng = rng
        self.today = today()
        self.result = DemoResult()
        self.n_report = 0

    # building blocks -------------------------------------------------------------------------

    def audit(
        self,
        rec: Recruiter,
        *,
        kind: str = "initial",
        performed: date | None,
        outcome: str = "conforming",
        summary: str = "",
    ) -> Audit:
        planned = (performed or self.today + timedelta(days=21)) - timedelta(days=7)
        a = audits.plan(
            self.s,
            rec,
            kind=kind,
            planned_date=planned,
            certification_body=self.rng.choice(CERT_BODIES),
            lead_auditor=self.rng.choice(AUDITORS),
            actor=DECIDER,
        )
        if performed is not None:
            audits.record_outcome(self.s, a, performed_date=performed, outcome=outcome, summary=summary)
        self.result.audits += 1
        return a

    def finding(
        self,
        audit: Audit,
        severity: str,
        *,
        closed: bool = False,
        index: int | None = None,
        start: date | None = None,
    ):
        options = FINDINGS[severity]
        principle, description, action = options[
            index if index is not None else self.rng.randrange(len(options))
        ]
        due = audits.default_due_date(
            severity,
            major_days=self.major_days,
            minor_days=self.minor_days,
            start=start or audit.performed_date,
        )
        f = audits.add_finding(
            self.s,
            audit,
            principle=principle,
            severity=severity,
            description=description,
            corrective_action=action,
            due_date=due,
        )
        if closed:
            audits.close_finding(
                self.s,
                f,
                evidence="Corrective action verified on a follow-up visit (documents and worker interviews).",
                actor=DECIDER,
            )
        self.result.findings += 1
        return f

    def decide(self, rec: Recruiter, decision: str, on: date, reason: str, **kw):
        return accreditation.decide(
            self.s, rec, decision, actor=DECIDER, reason=reason, at=_at(on), cycle_years=self.cycle, **kw
        )

    def accredit(self, rec: Recruiter, on: date, *, minor: bool = False):
        a = self.audit(rec, performed=on - timedelta(days=14), summary="Initial audit against the standard.")
        if minor:
            self.finding(a, "minor", start=on)
            self.finding(a, "observation")
        self.decide(rec, "accredit", on, "Initial audit conforming; no open major finding.", valid_from=on)
        return a

    def report(
        self,
        rec: Recruiter | None,
        *,
        category: str,
        usd: int,
        days_ago: int,
        reporter: int,
        destination: str,
        text: str = "",
        channel: str = "telegram",
    ):
        self.n_report += 1
        country = rec.country if rec is not None else "NP"
        currency = CURRENCY.get(country, "USD")
        paid_on = self.today - timedelta(days=days_ago)
        rate = self.fx.to_usd(Decimal(1000), currency, paid_on) or Decimal(1000)
        amount = (Decimal(usd) * 1000 / rate).quantize(Decimal(1)) if currency != "USD" else Decimal(usd)
        data = ReportInput(
            category=category,
            amount=amount,
            currency=currency,
            paid_on=paid_on,
            destination_country=destination,
            origin_country=country if country in CORRIDORS else "",
            recruiter_id=rec.id if rec is not None else None,
            recruiter_text=text,
            channel=channel,
            consent=True,
        )
        report, _ = reports.submit(
            self.s,
            data,
            reporter_key=reports.pseudonym(self.key, f"demo-worker-{reporter}"),
            submission_key=f"demo:{self.n_report}",
            fx=self.fx,
        )
        # Workers report some days after paying: spread the received dates over the past months.
        received = min(self.today, paid_on + timedelta(days=self.rng.randint(1, 20)))
        report.created_at = datetime.combine(received, time(8, 0), tzinfo=UTC) + timedelta(
            minutes=self.rng.randint(0, 600)
        )
        self.result.reports += 1
        return report

    # scenarios ----------------------------------------------------------------------------------

    def run(self, scenario: str, rec: Recruiter, dests: list[str]) -> None:
        t = self.today
        r = self.rng
        dest = dests[0] if dests else rec.country
        if scenario == "applicant":
            pass
        elif scenario == "applicant_planned":
            self.audit(rec, performed=None)
        elif scenario in ("accredited", "accredited_minor"):
            on = t - timedelta(days=r.randint(60, 900))
            a = self.accredit(rec, on, minor=scenario == "accredited_minor")
            if (t - on).days > 400:
                self.audit(
                    rec,
                    kind="surveillance",
                    performed=on + timedelta(days=365),
                    summary="Surveillance audit: conforming.",
                )
            if scenario == "accredited_minor":
                self.finding(a, "minor", closed=True, index=2)
        elif scenario == "rejected":
            a = self.audit(
                rec,
                performed=t - timedelta(days=r.randint(40, 400)),
                outcome="nonconforming",
                summary="Initial audit found serious nonconformities.",
            )
            self.finding(a, "major", index=1)
            self.finding(a, "minor")
            if a.performed_date is None:
                raise RuntimeError("a.performed_date is not None")
            self.decide(
                rec,
                "reject",
                a.performed_date + timedelta(days=10),
                "Initial audit nonconforming: passports retained (P2).",
                audit_id=a.id,
            )
        elif scenario == "suspended_audit":
            on = t - timedelta(days=r.randint(300, 800))
            self.accredit(rec, on)
            sp = self.audit(
                rec,
                kind="special",
                performed=t - timedelta(days=r.randint(10, 60)),
                outcome="nonconforming",
                summary="Special audit after complaints from workers.",
            )
            self.finding(sp, "major", index=1)
            if sp.performed_date is None:
                raise RuntimeError("sp.performed_date is not None")
            self.decide(
                rec,
                "suspend",
                sp.performed_date + timedelta(days=2),
                "Special audit: major finding under P2 (passport retention).",
                audit_id=sp.id,
            )
        elif scenario == "suspended_report":
            on = t - timedelta(days=r.randint(300, 800))
            self.accredit(rec, on)
            first = None
            for i in range(4):
                rep = self.report(
                    rec,
                    category="recruitment_fee",
                    usd=r.choice([900, 1200, 1500, 1800]),
                    days_ago=r.randint(20, 150),
                    reporter=1000 + self.n_report,
                    destination=dest,
                )
                first = first or rep
                if i == 3:
                    reports.triage(
                        self.s,
                        rep,
                        status="duplicate",
                        note="Same payment as an earlier case.",
                        actor=DECIDER,
                    )
            if first is None:
                raise RuntimeError("first is not None")
            reports.triage(
                self.s,
                first,
                status="substantiated",
                actor=DECIDER,
                major_days=self.major_days,
                note="Receipt and two worker statements confirm a placement fee.",
            )
            self.decide(
                rec,
                "suspend",
                t - timedelta(days=5),
                f"Substantiated fee report {first.case_code}: recruitment fee charged to a worker (P1).",
                report_id=first.id,
            )
            for state, days in (("claimed", 4), ("verified", 2)):
                ledger.add_entry(
                    self.s,
                    first,
                    state=state,
                    amount=first.amount,
                    currency=first.currency,
                    on_date=t - timedelta(days=days),
                    note="Demo repayment ledger",
                    actor=DECIDER,
                )
        elif scenario == "reinstated":
            on = t - timedelta(days=r.randint(400, 900))
            self.accredit(rec, on)
            sp = self.audit(rec, kind="special", performed=on + timedelta(days=200), outcome="nonconforming")
            self.finding(sp, "major", index=2, closed=True)
            self.decide(
                rec,
                "suspend",
                on + timedelta(days=202),
                "Special audit: contracts not transparent (P3).",
                audit_id=sp.id,
            )
            self.decide(
                rec,
                "reinstate",
                on + timedelta(days=280),
                "Corrective action verified; major finding closed.",
                audit_id=sp.id,
            )
        elif scenario in ("expired", "expired_reapplied"):
            on = add_years(t, -self.cycle) - timedelta(days=r.randint(20, 200))
            self.accredit(rec, on)
            self.audit(rec, kind="surveillance", performed=on + timedelta(days=370))
            until = add_years(on, self.cycle)
            self.decide(
                rec, "expire", until + timedelta(days=1), "Accreditation cycle ended without recertification."
            )
            if scenario == "expired_reapplied":
                self.decide(rec, "reapply", until + timedelta(days=15), "Re-applied for accreditation.")
                self.audit(rec, kind="recertification", performed=None)
        elif scenario == "withdrawn":
            on = t - timedelta(days=r.randint(300, 900))
            self.accredit(rec, on)
            self.decide(
                rec,
                "withdraw",
                t - timedelta(days=r.randint(5, 60)),
                "Recruiter asked to leave the scheme (business closed).",
            )
        elif scenario == "withdrawn_after_suspension":
            on = t - timedelta(days=r.randint(500, 900))
            self.accredit(rec, on)
            sp = self.audit(rec, kind="special", performed=on + timedelta(days=300), outcome="nonconforming")
            self.finding(sp, "major", index=0)
            self.decide(
                rec, "suspend", on + timedelta(days=302), "Special audit: fees charged (P1).", audit_id=sp.id
            )
            self.decide(
                rec,
                "withdraw",
                on + timedelta(days=302 + self.major_days + 10),
                "Major corrective action not completed in time.",
                audit_id=sp.id,
            )
        elif scenario == "fee_signal":
            on = t - timedelta(days=r.randint(300, 700))
            self.accredit(rec, on)
            for i in range(7):
                self.report(
                    rec,
                    category="recruitment_fee" if i < 5 else r.choice(["medical", "deposit_or_bond"]),
                    usd=r.choice([250, 400, 700, 1100]),
                    days_ago=r.randint(5, 120),
                    reporter=2000 + self.n_report,
                    destination=dest,
                    channel=r.choice(["telegram", "web"]),
                )
        else:  # pragma: no cover - a typo in DEMO_RECRUITERS
            raise ValueError(scenario)


def build(
    session: Session,
    *,
    pseudonym_key: str,
    fx: FxTable,
    admin_password: str = DEMO_ADMIN_PASSWORD,
    cycle_years: int = 3,
    major_days: int = 90,
    minor_days: int = 180,
    seed: int = 7,
) -> DemoResult:
    """Load the demo set into an empty registry. The caller commits."""
    if session.scalar(select(func.count()).select_from(Recruiter)):
        raise Conflict("the registry already holds recruiters; the demo set is for an empty database")
    if users.by_email(session, DEMO_ADMIN_EMAIL) is not None:
        raise Conflict(f"the demo admin {DEMO_ADMIN_EMAIL} already exists")
    auditlog.set_actor(session, "seed:demo")
    d = _Demo(
        session,
        pseudonym_key=pseudonym_key,
        fx=fx,
        cycle_years=cycle_years,
        major_days=major_days,
        minor_days=minor_days,
        rng=random.Random(seed),
    )
    created: list[Recruiter] = []
    licence_statuses = ["valid"] * 8 + ["expired", "unknown"]
    for i, (scenario, name, other, country, dests, sectors) in enumerate(DEMO_RECRUITERS):
        corridors = [(country, dst) for dst in dests] or [(o, country) for o in origins_for(country)]
        rec = recruiters.create(
            session,
            RecruiterInput(
                legal_name=name,
                other_names=other,
                country=country,
                licence_authority=AUTHORITIES[country],
                licence_number=licence_number(country, i + 1),
                corridors=corridors,
                sectors=sectors,
                contact_email=f"info@{search.normalize(name).split()[0]}.example",
            ),
            actor="seed:demo",
        )
        rec.licence_status = "valid" if scenario.startswith("accredited") else d.rng.choice(licence_statuses)
        if scenario == "withdrawn_after_suspension":
            rec.licence_status = "suspended"
        rec.licence_checked_at = utcnow()
        session.flush()
        d.run(scenario, rec, dests)
        _backdate_registration(session, rec, d.rng)
        created.append(rec)
    for name, country, parent in DEMO_SUBAGENTS:
        recruiters.create(
            session,
            RecruiterInput(
                legal_name=name,
                country=country,
                licence_authority="",
                licence_number="",
                corridors=[(country, dst) for dst in CORRIDORS[country][:1]],
                parent_public_id=created[parent].public_id,
            ),
            actor="seed:demo",
        )
    # Worker reports about agencies not (yet) in the registry, and a few ordinary triage outcomes.
    d.report(
        None,
        category="recruitment_fee",
        usd=1300,
        days_ago=30,
        reporter=3001,
        destination="QA",
        text="Everest Path agent in Kalanki (unregistered)",
    )
    d.report(
        None,
        category="deposit_or_bond",
        usd=500,
        days_ago=45,
        reporter=3002,
        destination="MY",
        text="Broker in Sylhet, name unknown",
    )
    accredited_recs = [
        r for r, row in zip(created, DEMO_RECRUITERS, strict=False) if row[0].startswith("accredited")
    ]
    for i, rec in enumerate(accredited_recs[:8]):
        rep = d.report(
            rec,
            category=["medical", "training", "administrative", "skills_test"][i % 4],
            usd=[60, 120, 90, 150][i % 4],
            days_ago=20 + i * 9,
            reporter=4000 + i,
            destination=CORRIDORS.get(rec.country, [rec.country])[0],
        )
        if i % 3 == 0:
            reports.triage(
                session,
                rep,
                status="unsubstantiated",
                actor=DECIDER,
                note="Fee was refunded by the employer before departure; no breach.",
            )
        elif i % 3 == 1:
            reports.triage(
                session,
                rep,
                status="out_of_scope",
                actor=DECIDER,
                note="Cost paid to a government office for the worker's own passport.",
            )

    company, _ = companies.get_or_create(session, DEMO_COMPANY)
    if company.id is None:
        raise RuntimeError("company.id is not None")
    for rec in created[:12]:
        if rec.id is None:
            raise RuntimeError("rec.id is not None")
        session.add(SupplierLink(company_id=company.id, recruiter_id=rec.id))
    new_key = companies.create_api_key(session, company, name="demo key")
    users.create(session, email=DEMO_ADMIN_EMAIL, role="admin", password=admin_password)
    session.flush()

    res = d.result
    res.recruiters = len(created) + len(DEMO_SUBAGENTS)
    res.admin_password = admin_password
    res.api_key = new_key.plaintext
    res.states = dict(
        session.execute(
            select(col(Accreditation.status), func.count()).group_by(col(Accreditation.status))
        ).all()
    )
    return res


def _backdate_registration(session: Session, rec: Recruiter, rng: random.Random) -> None:
    """Move the registration before the first decision/audit of the scenario, so history is chronological.

    The change goes through the session, so the audit log records it (actor seed:demo)."""
    if rec.id is None:
        raise RuntimeError("rec.id is not None")
    events = accreditation.history(session, rec.id)
    moves = [ev.at for ev in events if ev.from_status is not None]
    planned = session.scalars(
        select(col(Audit.planned_date)).where(
            col(Audit.recruiter_id) == rec.id, col(Audit.planned_date).is_not(None)
        )
    ).all()
    first = min([*moves, *(_at(p) for p in planned if p is not None)], default=None)
    start = (first - timedelta(days=30)) if first else utcnow() - timedelta(days=rng.randint(10, 300))
    start = min(start, utcnow())
    for ev in events:
        if ev.from_status is None:
            ev.at = start
    if not moves:
        accreditation.get(session, rec.id).since = start
    rec.created_at = rec.updated_at = start
    session.flush()
