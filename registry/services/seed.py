"""Seed data: a small realistic demo set, and bulk volume for load tests.

* ``demo(session, ...)`` builds about fifty recruiters with INVENTED names on real migration
  corridors, drives each through the accreditation state machine with the real services (so the
  history, the audit log and the outbox are exactly what the product writes), and adds audits,
  findings, fee reports, a demo company with an API key and a demo admin.
* ``bulk(engine, recruiters=N, reports=M, ...)`` generates volume with Core ``executemany`` in
  large batches inside one transaction: recruiters, corridors, accreditation rows and their
  histories, initial audits, fee reports, and the matching hash-chained audit-log entries
  (``auditlog.append``), so the result looks like what the services would have written.

No real agency name is ever used here: every name, licence number and reporter is invented.
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import func, insert, select, text
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session

from registry.errors import Conflict, InvalidInput
from registry.models import (
    Accreditation,
    AccreditationEvent,
    Audit,
    AuditLogEntry,
    Corridor,
    FeeReport,
    Recruiter,
    SupplierLink,
)
from registry.services import accreditation, auditlog, audits, companies, recruiters, reports, search, users
from registry.services.auditlog import PendingEntry
from registry.services.recruiters import PUBLIC_ID_ALPHABET, RecruiterInput
from registry.services.reports import CASE_ALPHABET, FxTable, ReportInput
from registry.timeutil import add_years, today, utcnow

DEMO_ADMIN_EMAIL = "admin@fairrecruit.example"
# Documented demo password (README). Used only by `seed --demo`, which refuses to run in production.
DEMO_ADMIN_PASSWORD = "fairrecruit-demo"  # noqa: S105 - public demo password, never in production
DEMO_COMPANY = "Northwind Apparel Group (demo)"
DECIDER = "auditor@fairrecruit.example"

# Licensing authorities of the origin and destination countries (real institutions; the licence
# numbers attached to them below are invented and marked with a 9xxx range no register uses).
AUTHORITIES = {
    "NP": "Department of Foreign Employment (DoFE)",
    "BD": "Bureau of Manpower, Employment and Training (BMET)",
    "PH": "Department of Migrant Workers (DMW)",
    "ID": "Ministry of Manpower (Kemnaker)",
    "IN": "Protector General of Emigrants (MEA)",
    "MM": "Ministry of Labour, Myanmar",
    "LK": "Sri Lanka Bureau of Foreign Employment (SLBFE)",
    "QA": "Ministry of Labour, Qatar",
    "AE": "Ministry of Human Resources and Emiratisation (MOHRE)",
    "MY": "Department of Labour Peninsular Malaysia (JTKSM)",
}

CURRENCY = {
    "NP": "NPR",
    "BD": "BDT",
    "PH": "PHP",
    "ID": "IDR",
    "IN": "INR",
    "MM": "MMK",
    "LK": "LKR",
    "QA": "QAR",
    "AE": "AED",
    "MY": "MYR",
}

# Real corridors: origin -> destinations.
CORRIDORS = {
    "NP": ["QA", "AE", "SA", "KW", "MY"],
    "BD": ["SA", "AE", "QA", "MY", "KW", "OM"],
    "PH": ["SA", "AE", "QA", "KW", "HK"],
    "ID": ["MY", "SA", "HK", "TW"],
    "IN": ["AE", "SA", "QA", "KW", "OM"],
    "MM": ["TH", "MY"],
    "LK": ["QA", "KW", "SA"],
}

SECTORS = [
    "construction",
    "domestic_work",
    "hospitality",
    "manufacturing",
    "agriculture",
    "security",
    "retail",
    "healthcare",
    "transport",
    "cleaning",
]


def licence_number(country: str, n: int) -> str:
    """An invented licence number in the country's usual shape, in a range no real register uses."""
    n = 9000 + n % 1000 if n < 1000 else 90_000 + n
    return {
        "NP": f"{n}/080/081",
        "BD": f"RL-{n}",
        "PH": f"DMW-{n}-LB-2024",
        "ID": f"KEP.{n}/PPTKIS",
        "IN": f"B-{n}/MUM/PER",
        "MM": f"MOL-OEA-{n}",
        "LK": f"SLBFE-{n}",
        "QA": f"QRA-{n}",
        "AE": f"MOHRE-RA-{n}",
        "MY": f"JTKSM-{n}",
    }.get(country, f"LIC-{n}")


# --- demo set ------------------------------------------------------------------------------------

# scenario: what happens to the recruiter. (legal name, other names, country, corridor destinations, sectors)
DEMO_RECRUITERS: list[tuple[str, str, list[str], str, list[str], list[str]]] = [
    # Nepal
    (
        "accredited",
        "Saptakoshi Bridge Overseas Pvt. Ltd.",
        ["Saptakoshi Bridge"],
        "NP",
        ["QA", "AE"],
        ["construction"],
    ),
    (
        "accredited_minor",
        "Tilicho Horizon Manpower Pvt. Ltd.",
        ["Tilicho Horizon", "तिलिचो होराइजन"],
        "NP",
        ["SA", "KW"],
        ["hospitality"],
    ),
    (
        "suspended_report",
        "Khaptad Skyline Employment Services Pvt. Ltd.",
        ["Khaptad Skyline"],
        "NP",
        ["QA", "MY"],
        ["security", "construction"],
    ),
    ("expired", "Rara Valley Placement Pvt. Ltd.", [], "NP", ["AE"], ["retail"]),
    (
        "applicant_planned",
        "Barun Crest Recruitment Pvt. Ltd.",
        ["Barun Crest"],
        "NP",
        ["MY"],
        ["manufacturing"],
    ),
    ("rejected", "Dolpo Trail Manpower Agency Pvt. Ltd.", [], "NP", ["SA"], ["construction"]),
    (
        "reinstated",
        "Ghodaghodi Lake Overseas Pvt. Ltd.",
        ["Ghodaghodi Overseas"],
        "NP",
        ["KW", "QA"],
        ["cleaning"],
    ),
    ("withdrawn", "Mardi Himal Workforce Pvt. Ltd.", [], "NP", ["QA"], ["hospitality"]),
    (
        "fee_signal",
        "Shey Phoksundo Manpower Pvt. Ltd.",
        ["Phoksundo Manpower"],
        "NP",
        ["MY", "SA"],
        ["manufacturing"],
    ),
    # Bangladesh
    (
        "accredited",
        "Padma Crescent International",
        ["Padma Crescent Intl"],
        "BD",
        ["SA", "AE"],
        ["construction"],
    ),
    ("accredited", "Meghna Tidewater Overseas Ltd.", ["Meghna Tidewater"], "BD", ["MY"], ["manufacturing"]),
    (
        "suspended_audit",
        "Jamuna Lantern Recruiting Agency",
        ["Jamuna Lantern"],
        "BD",
        ["QA", "KW"],
        ["construction", "cleaning"],
    ),
    ("applicant", "Karnaphuli Dawn Manpower Services", [], "BD", ["OM"], ["agriculture"]),
    ("rejected", "Surma Reedfield Associates", [], "BD", ["SA"], ["domestic_work"]),
    (
        "expired_reapplied",
        "Teesta Silverline Overseas",
        ["Teesta Silverline"],
        "BD",
        ["AE", "QA"],
        ["hospitality"],
    ),
    ("accredited_minor", "Sundarban Heronway International", [], "BD", ["MY", "SA"], ["agriculture"]),
    ("withdrawn_after_suspension", "Rupsha Gatepost Recruiting Agency", [], "BD", ["SA"], ["construction"]),
    # Philippines
    (
        "accredited",
        "Bayanihan Tradewinds Manpower Inc.",
        ["Bayanihan Tradewinds"],
        "PH",
        ["SA", "AE"],
        ["healthcare"],
    ),
    (
        "accredited",
        "Mayon Seabreeze Placement Agency Inc.",
        ["Mayon Seabreeze"],
        "PH",
        ["HK"],
        ["domestic_work"],
    ),
    (
        "suspended_report",
        "Pinatubo Starlane International Services Inc.",
        [],
        "PH",
        ["KW", "QA"],
        ["domestic_work"],
    ),
    ("applicant", "Taal Coralgate Human Resources Inc.", ["Coralgate HR"], "PH", ["QA"], ["hospitality"]),
    ("expired", "Banaue Terrace Workforce Solutions Inc.", [], "PH", ["SA"], ["construction"]),
    ("rejected", "Siargao Wavecrest Recruitment Corp.", [], "PH", ["AE"], ["retail"]),
    (
        "accredited_minor",
        "Chocolate Hills Manpower Resources Inc.",
        [],
        "PH",
        ["KW", "SA"],
        ["domestic_work", "cleaning"],
    ),
    ("reinstated", "Sierra Madre Pathfinder Agency Inc.", [], "PH", ["QA"], ["security"]),
    # Indonesia
    (
        "accredited",
        "PT Nusantara Jembatan Karya",
        ["Nusantara Jembatan"],
        "ID",
        ["MY", "HK"],
        ["domestic_work", "manufacturing"],
    ),
    ("accredited", "PT Cendrawasih Arunika Sejahtera", [], "ID", ["TW"], ["manufacturing"]),
    ("applicant_planned", "PT Rinjani Samudra Mandiri", ["Rinjani Samudra"], "ID", ["SA"], ["domestic_work"]),
    ("withdrawn", "PT Bromo Lintas Benua", [], "ID", ["MY"], ["agriculture"]),
    ("fee_signal", "PT Kalimaya Duta Prima", ["Kalimaya Duta"], "ID", ["HK", "MY"], ["domestic_work"]),
    ("expired", "PT Toba Cahaya Abadi", [], "ID", ["MY"], ["agriculture"]),
    # India
    (
        "accredited",
        "Narmada Keystone Overseas Consultants",
        ["Keystone Overseas"],
        "IN",
        ["AE", "SA"],
        ["construction"],
    ),
    (
        "accredited_minor",
        "Kaveri Lighthouse Manpower Services",
        [],
        "IN",
        ["QA", "OM"],
        ["hospitality", "transport"],
    ),
    ("suspended_audit", "Godavari Milestone Recruiters", [], "IN", ["KW"], ["construction"]),
    ("applicant", "Brahmaputra Compass Placements", [], "IN", ["AE"], ["healthcare"]),
    (
        "expired_reapplied",
        "Chilika Harbourview Consultancy",
        ["Harbourview"],
        "IN",
        ["SA", "QA"],
        ["transport"],
    ),
    ("rejected", "Sahyadri Blueorbit Manpower", [], "IN", ["OM"], ["cleaning"]),
    # Myanmar
    (
        "accredited",
        "Ayeyarwady Goldleaf Overseas Employment Agency",
        ["Goldleaf Overseas"],
        "MM",
        ["TH", "MY"],
        ["manufacturing", "agriculture"],
    ),
    ("applicant", "Inle Lotusway Employment Services", [], "MM", ["TH"], ["agriculture"]),
    (
        "suspended_report",
        "Chindwin Pearlgate Overseas Employment Agency",
        [],
        "MM",
        ["MY"],
        ["manufacturing"],
    ),
    ("accredited", "Bagan Sunspire Manpower", [], "MM", ["TH"], ["construction"]),
    # Sri Lanka
    ("accredited", "Sigiriya Monsoon Foreign Employment Agency", [], "LK", ["QA", "KW"], ["domestic_work"]),
    ("applicant", "Adam's Peak Careerline (Pvt) Ltd.", [], "LK", ["SA"], ["hospitality"]),
    # Destination-country agencies
    ("accredited", "Al Wakra Pearl Manpower Recruitment W.L.L.", ["Wakra Pearl"], "QA", [], ["construction"]),
    ("accredited_minor", "Dune Harbour Labour Supply L.L.C.", [], "AE", [], ["cleaning", "security"]),
    ("applicant", "Lembah Kinta Resources Sdn. Bhd.", [], "MY", [], ["manufacturing"]),
    ("accredited", "Selangor Rainleaf Workforce Sdn. Bhd.", [], "MY", [], ["manufacturing", "agriculture"]),
]

# Sub-agents (brokers) of demo recruiters: (legal name, country, parent index in DEMO_RECRUITERS)
DEMO_SUBAGENTS = [
    ("Sindhuli Village Connect Sub-Agency", "NP", 0),
    ("Sylhet Field Brokers", "BD", 9),
    ("Mandalay Riverside Agents", "MM", 37),
]

CERT_BODIES = [
    "Verite Audit Partners (demo)",
    "Ethical Supply Assurance (demo)",
    "Meridian Social Audits (demo)",
]
AUDITORS = ["A. Karki", "S. Rahman", "M. Dela Cruz", "R. Wulandari", "P. Nair", "T. Aung", "L. Haddad"]

FINDINGS = {
    "major": [
        (
            "P1",
            "Workers charged a placement fee of roughly two months' wages before departure.",
            "Stop charging; repay every affected worker; written fee policy.",
        ),
        (
            "P2",
            "Passports of 14 workers held at the agency office 'for safekeeping'.",
            "Return all documents the same day; written policy; staff training.",
        ),
        (
            "P3",
            "Contracts signed at the airport, in a language the workers do not read.",
            "Contracts in the worker's language, signed at least 7 days before departure.",
        ),
    ],
    "minor": [
        (
            "P4",
            "Copies of ID documents kept in an unlocked cabinet.",
            "Locked storage and a retention schedule.",
        ),
        (
            "P5",
            "No grievance channel advertised to workers.",
            "Publish a free hotline and log every complaint.",
        ),
        ("B", "Sub-agents not listed or trained on the code of conduct.", "List all sub-agents; train them."),
    ],
    "observation": [
        ("P3", "Pre-departure orientation slides outdated.", ""),
    ],
}


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
                reports.add_repayment(
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


def demo(
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
        corridors = [(country, dst) for dst in dests] or [(o, country) for o in _origins_for(country)]
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
    for rec in created[:12]:
        session.add(SupplierLink(company_id=company.id, recruiter_id=rec.id))
    new_key = companies.create_api_key(session, company, name="demo key")
    users.create(session, email=DEMO_ADMIN_EMAIL, role="admin", password=admin_password)
    session.flush()

    res = d.result
    res.recruiters = len(created) + len(DEMO_SUBAGENTS)
    res.admin_password = admin_password
    res.api_key = new_key.plaintext
    res.states = dict(
        session.execute(select(Accreditation.status, func.count()).group_by(Accreditation.status)).all()
    )
    return res


def _backdate_registration(session: Session, rec: Recruiter, rng: random.Random) -> None:
    """Move the registration before the first decision/audit of the scenario, so history is chronological.

    The change goes through the session, so the audit log records it (actor seed:demo)."""
    events = accreditation.history(session, rec.id)
    moves = [ev.at for ev in events if ev.from_status is not None]
    planned = session.scalars(
        select(Audit.planned_date).where(Audit.recruiter_id == rec.id, Audit.planned_date.is_not(None))
    ).all()
    first = min([*moves, *(_at(p) for p in planned)], default=None)
    start = (first - timedelta(days=30)) if first else utcnow() - timedelta(days=rng.randint(10, 300))
    start = min(start, utcnow())
    for ev in events:
        if ev.from_status is None:
            ev.at = start
    if not moves:
        accreditation.get(session, rec.id).since = start
    rec.created_at = rec.updated_at = start
    session.flush()


def _origins_for(destination: str) -> list[str]:
    return [o for o, dests in CORRIDORS.items() if destination in dests][:3]


# --- bulk volume ---------------------------------------------------------------------------------

# Page cache for the load (KiB): large enough that the indexes being filled stay in memory.
LOAD_CACHE_KIB = 1024 * 1024
# Accreditation outcome mix of generated recruiters (weights).
BULK_STATES = [
    ("applicant", 24),
    ("accredited", 45),
    ("rejected", 7),
    ("suspended", 5),
    ("expired", 12),
    ("withdrawn", 7),
]
TRIAGE_MIX = [("new", 80), ("unsubstantiated", 10), ("duplicate", 6), ("out_of_scope", 4)]
CATEGORY_MIX = [
    ("recruitment_fee", 40),
    ("medical", 12),
    ("administrative", 10),
    ("travel_lodging", 8),
    ("training", 8),
    ("skills_test", 6),
    ("insurance", 4),
    ("equipment", 3),
    ("deposit_or_bond", 4),
    ("bribe_or_kickback", 2),
    ("other", 3),
]

_NAME_A = [
    "Amber",
    "Azure",
    "Birch",
    "Cedar",
    "Coral",
    "Crimson",
    "Crystal",
    "Dawn",
    "Delta",
    "Ember",
    "Falcon",
    "Fern",
    "Golden",
    "Granite",
    "Harbor",
    "Heron",
    "Indigo",
    "Ivory",
    "Jade",
    "Juniper",
    "Kestrel",
    "Lantern",
    "Laurel",
    "Lotus",
    "Maple",
    "Meadow",
    "Monsoon",
    "Nimbus",
    "Oasis",
    "Onyx",
    "Orchid",
    "Pebble",
    "Pine",
    "Prairie",
    "Quartz",
    "Raven",
    "Ridge",
    "Saffron",
    "Sable",
    "Silver",
    "Solace",
    "Sparrow",
    "Summit",
    "Tamarind",
    "Thistle",
    "Topaz",
    "Tundra",
    "Umber",
    "Valley",
    "Velvet",
    "Willow",
    "Zephyr",
]
_NAME_B = [
    "Bridge",
    "Compass",
    "Crest",
    "Gate",
    "Harbour",
    "Horizon",
    "Keystone",
    "Lighthouse",
    "Link",
    "Meridian",
    "Path",
    "Pillar",
    "Pioneer",
    "Portal",
    "Route",
    "Skyline",
    "Star",
    "Trail",
    "Wave",
    "Way",
    "Anchor",
    "Beacon",
    "Circle",
    "Field",
    "Grove",
    "Landing",
    "Point",
    "Reach",
    "Rise",
    "Vista",
]
_NAME_SUFFIX = {
    "NP": "Overseas Pvt. Ltd.",
    "BD": "International",
    "PH": "Manpower Services Inc.",
    "ID": "Karya Mandiri",
    "IN": "Overseas Consultants",
    "MM": "Overseas Employment Agency",
    "LK": "Foreign Employment Agency",
}


@dataclass
class BulkResult:
    recruiters: int = 0
    reports: int = 0
    corridors: int = 0
    audits: int = 0
    events: int = 0
    log_entries: int = 0
    seconds: float = 0.0
    tables: dict[str, int] = field(default_factory=dict)

    @property
    def rows(self) -> int:
        return (
            self.recruiters * 2 + self.reports + self.corridors + self.audits + self.events + self.log_entries
        )


class _NoProgress:
    def update(self, n: int = 1) -> None:
        pass

    def close(self) -> None:
        pass


ProgressFactory = Callable[[int, str], object]


def _weighted(rng: random.Random, mix: list[tuple[str, int]], k: int) -> list[str]:
    names = [n for n, _ in mix]
    weights = [w for _, w in mix]
    return rng.choices(names, weights=weights, k=k)


def _codes(rng: random.Random, alphabet: str, length: int, taken: set[str], n: int, fmt) -> list[str]:
    out = []
    choices = rng.choices
    while len(out) < n:
        code = fmt("".join(choices(alphabet, k=length)))
        if code not in taken:
            taken.add(code)
            out.append(code)
    return out


def _next_id(conn: Connection, table) -> int:
    return (conn.execute(select(func.max(table.c.id))).scalar() or 0) + 1


def _fix_sequences(conn: Connection, tables) -> None:
    if conn.dialect.name != "postgresql":
        return
    for t in tables:
        conn.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{t.name}', 'id'), "
                f'(SELECT COALESCE(MAX(id), 0) + 1 FROM "{t.name}"), false)'
            )
        )


DEFER_INDEXES_FROM = 50_000


def _append_log(conn: Connection, entries: list[PendingEntry], at: datetime) -> int:
    """auditlog.append for bulk loads: the same chain (its tail, canonical() and entry_hash()), with the
    rows written through the compiled executemany path on SQLite."""
    if conn.dialect.name != "sqlite":
        return auditlog.append(conn, entries, at=at)
    seq, prev = auditlog._lock_and_tail(conn)
    canonical, entry_hash = auditlog.canonical, auditlog.entry_hash
    rows = []
    for e in entries:
        seq += 1
        data = canonical(e.data)
        h = entry_hash(prev, seq, at, e.actor, e.action, e.entity, e.entity_id, data)
        rows.append(
            {
                "seq": seq,
                "at": at,
                "actor": e.actor,
                "action": e.action,
                "entity": e.entity,
                "entity_id": e.entity_id,
                "recruiter_id": e.recruiter_id,
                "data": data,
                "prev_hash": prev,
                "hash": h,
            }
        )
        prev = h
    _insert(conn, AuditLogEntry.__table__, rows, constant=("at",))
    return len(rows)


def _defer_indexes(conn: Connection, tables, volume: int) -> list:
    """For large loads on SQLite: drop the secondary indexes (the schema's own, from the models, which
    the migrations match) inside the load's transaction; the caller recreates them before commit.
    Building an index once from sorted data is much cheaper than a million random B-tree inserts.
    Primary keys and unique constraints stay. Transactional DDL: a failed load restores them."""
    if conn.dialect.name != "sqlite" or volume < DEFER_INDEXES_FROM:
        return []
    indexes = [idx for t in tables for idx in sorted(t.indexes, key=lambda i: i.name)]
    for idx in indexes:
        idx.drop(conn)
    return indexes


_ISO_TYPES = frozenset({datetime, date})


def _jsonable_row(row: dict, hidden: frozenset[str]) -> dict:
    """The audit-log snapshot of a row (as auditlog._snapshot makes it): hidden columns left out,
    dates as ISO 8601, decimals as strings."""
    out = {}
    for k, v in row.items():
        if k in hidden:
            continue
        t = type(v)
        if t in _ISO_TYPES:
            v = v.isoformat()
        elif t is Decimal:
            v = str(v)
        out[k] = v
    return out


_COMPILED: dict[tuple, tuple[str, list]] = {}


def _insert(conn: Connection, table, rows: list[dict], constant: tuple[str, ...] = ()) -> None:
    """Bulk INSERT of rows (dicts with the same keys) as one executemany.

    On SQLite the statement is compiled once by SQLAlchemy Core and executed with positional
    tuples; values go through the columns' own bind processors (exactly what Core would store),
    without Core's per-row parameter bookkeeping, which dominates the cost of large loads.
    """
    if not rows:
        return
    dialect = conn.dialect
    if dialect.name != "sqlite":
        conn.execute(insert(table), rows)
        return
    keys = tuple(rows[0])
    cache_key = (table.name, keys)
    compiled = _COMPILED.get(cache_key)
    if compiled is None:
        stmt = insert(table).compile(dialect=dialect, column_keys=list(keys))
        order = list(stmt.positiontup)
        procs = [(k, table.c[k].type._cached_bind_processor(dialect)) for k in order]
        compiled = _COMPILED[cache_key] = (str(stmt), procs)
    sql, procs = compiled
    columns = []
    n = len(rows)
    for key, proc in procs:
        if key in constant:  # the same value in every row: convert it once
            v = rows[0][key]
            columns.append([proc(v) if proc is not None else v] * n)
            continue
        values = [r[key] for r in rows]
        if proc is not None:
            values = [proc(v) for v in values]
        columns.append(values)
    conn.exec_driver_sql(sql, list(zip(*columns, strict=True)))


def bulk(
    engine: Engine,
    *,
    recruiters: int,
    reports: int,
    pseudonym_key: str,
    fx: FxTable,
    seed: int | None = None,
    batch: int = 10_000,
    progress: ProgressFactory | None = None,
    cycle_years: int = 3,
) -> BulkResult:
    """Generate `recruiters` recruiters and `reports` fee reports in one transaction, with audit log."""
    import time as _time

    if recruiters < 0 or reports < 0:
        raise InvalidInput("counts cannot be negative")
    if batch < 1:
        raise InvalidInput("batch must be at least 1")
    t0 = _time.perf_counter()
    progress = progress or (lambda total, desc: _NoProgress())
    rng = random.Random(seed if seed is not None else secrets.randbits(32))
    res = BulkResult()
    R, C, A, E, AU, F = (
        Recruiter.__table__,
        Corridor.__table__,
        Accreditation.__table__,
        AccreditationEvent.__table__,
        Audit.__table__,
        FeeReport.__table__,
    )
    hidden = {
        t: spec[1]
        for t, spec in (
            (m.__table__, auditlog.TRACKED[m])
            for m in (Recruiter, Corridor, Accreditation, AccreditationEvent, Audit, FeeReport)
        )
    }
    now = utcnow()
    t_today = now.date()
    actor = "seed:bulk"

    with engine.connect() as conn:
        sqlite = conn.dialect.name == "sqlite"
        if sqlite:  # pragmas for the load only (outside the transaction, as SQLite requires)
            raw = conn.connection.driver_connection  # no SQLAlchemy transaction is open yet
            raw.execute("PRAGMA synchronous=OFF")
            raw.execute(f"PRAGMA cache_size=-{LOAD_CACHE_KIB}")
            raw.execute("PRAGMA temp_store=MEMORY")
        conn.execution_options(sqlite_immediate=True)  # SQLite: BEGIN IMMEDIATE (see registry.db)
        try:
            with conn.begin():
                if conn.dialect.name == "postgresql":
                    conn.exec_driver_sql("SET LOCAL synchronous_commit = off")
                    for t in (R, C, A, E, AU, F):
                        conn.exec_driver_sql(f'LOCK TABLE "{t.name}" IN SHARE ROW EXCLUSIVE MODE')
                deferred = _defer_indexes(
                    conn, (R, C, A, E, AU, F, AuditLogEntry.__table__), recruiters + reports
                )
                pool = _generate_recruiters(
                    conn, rng, recruiters, batch, progress, res, hidden, now, t_today, actor, cycle_years
                )
                if reports:
                    if not pool:
                        pool = [
                            tuple(r)
                            for r in conn.execute(
                                select(R.c.id, R.c.country, func.min(C.c.destination))
                                .select_from(R.outerjoin(C, C.c.recruiter_id == R.c.id))
                                .group_by(R.c.id, R.c.country)
                            )
                        ]
                        pool = [(i, c, d or c) for i, c, d in pool]
                    if not pool:
                        raise InvalidInput(
                            "there are no recruiters to attach the reports to; add --recruiters N"
                        )
                    _generate_reports(
                        conn,
                        rng,
                        reports,
                        pool,
                        batch * 5,
                        progress,
                        res,
                        hidden,
                        now,
                        t_today,
                        pseudonym_key,
                        fx,
                        actor,
                    )
                _fix_sequences(conn, (R, C, E, AU, F))
                if deferred:
                    bar = progress(len(deferred), "indexes")
                    for idx in deferred:  # rebuilt in one sorted pass each, inside the same transaction
                        idx.create(conn)
                        bar.update(1)
                    bar.close()
        finally:
            if sqlite:
                raw.execute("PRAGMA synchronous=NORMAL")
                raw.execute("PRAGMA cache_size=-2000")
    res.seconds = _time.perf_counter() - t0
    return res


def _generate_recruiters(conn, rng, n, batch, progress, res, hidden, now, t_today, actor, cycle_years):
    R, C, A, E, AU = (
        Recruiter.__table__,
        Corridor.__table__,
        Accreditation.__table__,
        AccreditationEvent.__table__,
        Audit.__table__,
    )
    if n == 0:
        return []
    rid, cid, eid, aid = _next_id(conn, R), _next_id(conn, C), _next_id(conn, E), _next_id(conn, AU)
    taken_pids = set(conn.execute(select(R.c.public_id)).scalars())
    taken_certs = set(
        conn.execute(select(A.c.certificate_number).where(A.c.certificate_number.is_not(None))).scalars()
    )
    pids = _codes(rng, PUBLIC_ID_ALPHABET, 5, taken_pids, n, lambda s: "RA-" + s)
    states = _weighted(rng, BULK_STATES, n)
    origins = list(CORRIDORS)
    search_cache: dict[str, str] = {}
    pool: list[tuple[int, str, str]] = []
    bar = progress(n, "recruiters")
    day = timedelta(days=1)
    for start in range(0, n, batch):
        rrows, crows, arows, erows, aurows = [], [], [], [], []
        log: list[PendingEntry] = []
        for i in range(start, min(n, start + batch)):
            country = origins[i % len(origins)] if i % 11 else rng.choice(origins)
            dests = rng.sample(CORRIDORS[country], k=min(len(CORRIDORS[country]), rng.choice((1, 1, 2, 3))))
            name = f"{rng.choice(_NAME_A)} {rng.choice(_NAME_B)} {_NAME_SUFFIX[country]}"
            if country == "ID":
                name = "PT " + name
            st = search_cache.get(name)
            if st is None:
                st = search_cache[name] = search.search_text(name, [])
            state = states[i]
            if state == "expired":
                age = rng.randint(365 * cycle_years + 60, 365 * cycle_years + 700)
            elif state == "applicant":
                age = rng.randint(1, 900)
            else:
                age = rng.randint(90, 365 * cycle_years - 40)
            created = now - timedelta(days=age, seconds=rng.randint(0, 86_399))
            pid = pids[i]
            rrow = {
                "id": rid,
                "public_id": pid,
                "legal_name": name,
                "other_names": [],
                "country": country,
                "licence_authority": AUTHORITIES[country],
                "licence_number": licence_number(country, 1000 + rid),
                "sectors": rng.sample(SECTORS, k=rng.choice((1, 1, 2))),
                "contact_email": "",
                "contact_phone": "",
                "website": "",
                "address": "",
                "licence_status": "valid"
                if state in ("accredited", "applicant")
                else rng.choice(("valid", "valid", "expired", "unknown")),
                "licence_valid_until": None,
                "licence_checked_at": None,
                "parent_id": None,
                "search_text": st,
                "created_at": created,
                "updated_at": created,
            }
            rrows.append(rrow)
            log.append(
                PendingEntry(actor, "create", "recruiter", str(rid), rid, _jsonable_row(rrow, hidden[R]))
            )
            for dst in dests:
                crow = {"id": cid, "recruiter_id": rid, "origin": country, "destination": dst}
                crows.append(crow)
                log.append(
                    PendingEntry(actor, "create", "corridor", str(cid), rid, _jsonable_row(crow, hidden[C]))
                )
                cid += 1
            pool.append((rid, country, dests[0]))
            # Accreditation: created as applicant, then moved through the state machine.
            acc = {
                "recruiter_id": rid,
                "status": "applicant",
                "since": created,
                "valid_from": None,
                "valid_until": None,
                "certificate_number": None,
                "updated_at": created,
            }
            log.append(
                PendingEntry(actor, "create", "accreditation", str(rid), rid, _jsonable_row(acc, frozenset()))
            )
            moves: list[tuple[str, datetime, str, int | None]] = [
                ("applicant", created, "registered as applicant", None)
            ]
            if state != "applicant":
                performed = (created + 21 * day).date()
                aurow = {
                    "id": aid,
                    "recruiter_id": rid,
                    "kind": "initial",
                    "certification_body": rng.choice(CERT_BODIES),
                    "lead_auditor": rng.choice(AUDITORS),
                    "planned_date": performed - 7 * day,
                    "performed_date": performed,
                    "outcome": "nonconforming" if state == "rejected" else "conforming",
                    "summary": "",
                    "created_by": actor,
                    "created_at": created + 7 * day,
                }
                aurows.append(aurow)
                log.append(
                    PendingEntry(actor, "create", "audit", str(aid), rid, _jsonable_row(aurow, hidden[AU]))
                )
                decided = created + 30 * day
                if state == "rejected":
                    moves.append(("rejected", decided, "Initial audit nonconforming.", aid))
                else:
                    moves.append(
                        ("accredited", decided, "Initial audit conforming; no open major finding.", aid)
                    )
                    if state == "suspended":
                        moves.append(
                            (
                                "suspended",
                                decided + rng.randint(30, max(31, age - 31)) * day,
                                "Major corrective action overdue.",
                                None,
                            )
                        )
                    elif state == "withdrawn":
                        moves.append(
                            (
                                "withdrawn",
                                decided + rng.randint(30, max(31, age - 31)) * day,
                                "Recruiter left the scheme.",
                                None,
                            )
                        )
                    elif state == "expired":
                        until = add_years(decided.date(), cycle_years)
                        moves.append(
                            (
                                "expired",
                                datetime.combine(until + day, time(1), tzinfo=UTC),
                                "Accreditation cycle ended without recertification.",
                                None,
                            )
                        )
                aid += 1
            prev = None
            for to, at, reason, audit_id in moves:
                before = dict(acc)
                if to == "accredited":
                    acc["valid_from"] = at.date()
                    acc["valid_until"] = add_years(at.date(), cycle_years)
                    cert = f"FRC-{at.year}-{pid[3:]}-{rng.randrange(65536):04X}"
                    while cert in taken_certs:
                        cert = f"FRC-{at.year}-{pid[3:]}-{rng.randrange(65536):04X}"
                    taken_certs.add(cert)
                    acc["certificate_number"] = cert
                elif to in ("rejected", "withdrawn", "applicant"):
                    acc["valid_from"] = acc["valid_until"] = acc["certificate_number"] = None
                acc["status"] = to
                acc["since"] = acc["updated_at"] = at
                if prev is not None:
                    changes = {
                        k: [auditlog._jsonable(before[k]), auditlog._jsonable(v)]
                        for k, v in acc.items()
                        if before[k] != v
                    }
                    log.append(PendingEntry(actor, "update", "accreditation", str(rid), rid, changes))
                erow = {
                    "id": eid,
                    "recruiter_id": rid,
                    "from_status": prev,
                    "to_status": to,
                    "at": at,
                    "actor": actor,
                    "reason": reason,
                    "audit_id": audit_id,
                    "report_id": None,
                    "valid_from": acc["valid_from"],
                    "valid_until": acc["valid_until"],
                }
                erows.append(erow)
                log.append(
                    PendingEntry(
                        actor, "create", "accreditation_event", str(eid), rid, _jsonable_row(erow, hidden[E])
                    )
                )
                eid += 1
                prev = to
            arows.append(acc)
            rid += 1
        _insert(conn, R, rrows)
        _insert(conn, C, crows)
        _insert(conn, A, arows)
        _insert(conn, AU, aurows)
        _insert(conn, E, erows)
        res.log_entries += _append_log(conn, log, now)
        res.recruiters += len(rrows)
        res.corridors += len(crows)
        res.audits += len(aurows)
        res.events += len(erows)
        bar.update(len(rrows))
    bar.close()
    return pool


def _generate_reports(
    conn, rng, n, pool, batch, progress, res, hidden, now, t_today, pseudonym_key, fx, actor
):
    F = FeeReport.__table__
    fid = _next_id(conn, F)
    taken = set(conn.execute(select(F.c.case_code)).scalars())
    run = secrets.token_hex(4)
    reporters = [reports.pseudonym(pseudonym_key, f"seed-{run}-{i}") for i in range(max(1, n // 3))]
    n_reporters = len(reporters)
    paid_dates = [t_today - timedelta(days=d) for d in range(0, 722)]
    paid_iso = [d.isoformat() for d in paid_dates]
    targets = (40, 80, 150, 300, 600, 900, 1200, 1800, 2500, 3500)
    money: dict[tuple[str, int, int], tuple[Decimal, Decimal | None, str, str | None]] = {}
    triage_note = "Triaged during bulk load."
    bar = progress(n, "reports")
    npool = len(pool)
    random_ = rng.random
    for start in range(0, n, batch):
        k = min(n, start + batch) - start
        codes = _codes(rng, CASE_ALPHABET, 8, taken, k, lambda s: f"FR-{s[:4]}-{s[4:]}")
        cats = _weighted(rng, CATEGORY_MIX, k)
        triage = _weighted(rng, TRIAGE_MIX, k)
        rows = []
        log: list[PendingEntry] = []
        for j in range(k):
            # Skewed: a minority of recruiters draws most reports, as in real complaint data.
            rec_id, origin, dest = pool[int(npool * random_() ** 2)]
            days_ago = 1 + int(random_() * 720)
            created = now - timedelta(
                days=max(0, days_ago - int(random_() * 60)), seconds=int(random_() * 86_400)
            )
            currency = CURRENCY.get(origin, "USD") if random_() < 0.85 else "USD"
            target = targets[int(random_() * 10)]
            key = (currency, days_ago, target)
            m = money.get(key)
            if m is None:
                paid_on = paid_dates[days_ago]
                rate = fx.to_usd(Decimal(1_000_000), currency, paid_on) / 1_000_000
                amount = Decimal(int(target / rate)) if currency != "USD" else Decimal(target)
                usd = fx.to_usd(amount, currency, paid_on)
                m = money[key] = (amount, usd, str(amount), None if usd is None else str(usd))
            amount, usd, amount_s, usd_s = m
            status = triage[j]
            triaged = status != "new"
            triaged_at = created + timedelta(days=3) if triaged else None
            channel = "telegram" if random_() < 0.85 else "web"
            rows.append(
                {
                    "id": fid,
                    "case_code": codes[j],
                    "submission_key": f"seed:{run}:{fid}",
                    "recruiter_id": rec_id,
                    "recruiter_text": "",
                    "category": cats[j],
                    "amount": amount,
                    "currency": currency,
                    "amount_usd": usd,
                    "paid_on": paid_dates[days_ago],
                    "origin_country": origin,
                    "destination_country": dest,
                    "channel": channel,
                    "reporter_key": reporters[int(random_() * n_reporters)],
                    "free_text": None,
                    "receipt_file_id": None,
                    "consent_at": created,
                    "triage_status": status,
                    "triage_note": triage_note if triaged else "",
                    "triaged_by": actor if triaged else None,
                    "triaged_at": triaged_at,
                    "erased_at": None,
                    "created_at": created,
                }
            )
            # The snapshot the audit-log hook writes (hidden columns left out), built directly: faster.
            created_iso = created.isoformat()
            log.append(
                PendingEntry(
                    actor,
                    "create",
                    "fee_report",
                    str(fid),
                    rec_id,
                    {
                        "id": fid,
                        "case_code": codes[j],
                        "recruiter_id": rec_id,
                        "recruiter_text": "",
                        "category": cats[j],
                        "amount": amount_s,
                        "currency": currency,
                        "amount_usd": usd_s,
                        "paid_on": paid_iso[days_ago],
                        "origin_country": origin,
                        "destination_country": dest,
                        "channel": channel,
                        "consent_at": created_iso,
                        "triage_status": status,
                        "triage_note": triage_note if triaged else "",
                        "triaged_by": actor if triaged else None,
                        "triaged_at": triaged_at.isoformat() if triaged else None,
                        "erased_at": None,
                        "created_at": created_iso,
                    },
                )
            )
            fid += 1
        _insert(conn, F, rows)
        res.log_entries += _append_log(conn, log, now)
        res.reports += k
        bar.update(k)
    bar.close()


def counts(session: Session) -> dict[str, int]:
    out = {}
    for model in (Recruiter, Corridor, Accreditation, AccreditationEvent, Audit, FeeReport, AuditLogEntry):
        out[model.__tablename__] = session.scalar(select(func.count()).select_from(model)) or 0
    return out


def iter_demo_names() -> Iterator[str]:
    for row in DEMO_RECRUITERS:
        yield row[1]
        yield from row[2]
    for name, _c, _p in DEMO_SUBAGENTS:
        yield name
