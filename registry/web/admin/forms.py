"""WTForms forms of the admin panel (Flask-WTF: every form carries and checks a CSRF token)."""

from __future__ import annotations

from typing import TypeVar

from flask_wtf import FlaskForm
from wtforms import (  # type: ignore[attr-defined]  # the WTForms stubs lack SelectChoice
    BooleanField,
    DateField,
    DecimalField,
    EmailField,
    HiddenField,
    PasswordField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import URL, DataRequired, Email, InputRequired, Length, NumberRange, Optional

from registry.models.audits import PRINCIPLE_TITLES, AuditKind, AuditOutcome, Severity
from registry.models.companies import API_SCOPES, WEBHOOK_EVENTS
from registry.models.reports import RepaymentState, TriageStatus
from registry.models.users import Role
from registry.services.countries import countries

T = TypeVar("T")


def _c(pairs) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in pairs]


def country_pairs(blank: str | None = "— choose a country —") -> list[tuple[str, str]]:
    items = [(code, f"{name} ({code})") for code, name in countries()]
    return ([("", blank)] if blank is not None else []) + items


def country_choices(blank: str | None = "— choose a country —") -> list[SelectChoice]:
    return _c(country_pairs(blank))


class RecruiterForm(FlaskForm):
    legal_name = StringField("Legal name", validators=[DataRequired(), Length(min=2, max=300)])
    other_names = TextAreaField(
        "Other names",
        description="Trading names and transliterations, one per line",
        validators=[Length(max=3000)],
    )
    country = SelectField("Country", validators=[DataRequired(message="choose the country of registration")])
    licence_authority = StringField(
        "Licence authority",
        description="e.g. DoFE (Nepal), BMET (Bangladesh), DMW (Philippines)",
        validators=[DataRequired(message="the issuing authority is required"), Length(max=120)],
    )
    licence_number = StringField(
        "Licence number", validators=[DataRequired(message="the licence number is required"), Length(max=80)]
    )
    corridors = TextAreaField(
        "Corridors",
        description="One per line as ORIGIN-DESTINATION, e.g. NP-QA",
        validators=[Length(max=2000)],
    )
    sectors = StringField(
        "Sectors",
        description="Comma-separated, e.g. construction, domestic work",
        validators=[Length(max=500)],
    )
    contact_email = StringField("Contact e-mail", validators=[Optional(), Email(), Length(max=200)])
    contact_phone = StringField("Contact phone", validators=[Length(max=60)])
    website = StringField("Website", validators=[Optional(), URL(require_tld=False), Length(max=300)])
    address = TextAreaField("Address", validators=[Length(max=500)])
    official_address = TextAreaField(
        "Official address",
        description="As the licensing authority lists it; shown to workers on the status card",
        validators=[Length(max=500)],
    )
    official_phone = StringField(
        "Official phone",
        description="As the licensing authority lists it; shown to workers on the status card",
        validators=[Length(max=60)],
    )
    parent_public_id = StringField(
        "Works for (public id)",
        description="For sub-agents and brokers: the recruiter they work for",
        validators=[Length(max=12)],
    )
    confirm_duplicate = BooleanField("Save anyway: this is a different organisation")

    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self.country.choices = country_choices()


class PlanAuditForm(FlaskForm):
    kind = SelectField(
        "Kind", choices=_c([(k.value, k.value.title()) for k in AuditKind]), validators=[DataRequired()]
    )
    certification_body = StringField("Certification body", validators=[DataRequired(), Length(max=200)])
    lead_auditor = StringField("Lead auditor", validators=[DataRequired(), Length(max=200)])
    planned_date = DateField("Planned date", validators=[DataRequired(message="choose the planned date")])


class OutcomeForm(FlaskForm):
    performed_date = DateField(
        "Performed on", validators=[DataRequired(message="enter the date the audit took place")]
    )
    outcome = SelectField(
        "Outcome", choices=_c([(o.value, o.value.title()) for o in AuditOutcome]), validators=[DataRequired()]
    )
    summary = TextAreaField("Summary", validators=[Length(max=4000)])


class FindingForm(FlaskForm):
    principle = SelectField(
        "Principle",
        choices=_c([(k, f"{k} — {v}") for k, v in PRINCIPLE_TITLES.items()]),
        validators=[DataRequired()],
    )
    severity = SelectField(
        "Severity", choices=_c([(s.value, s.value.title()) for s in Severity]), validators=[DataRequired()]
    )
    description = TextAreaField(
        "Description", validators=[DataRequired(message="describe the finding"), Length(max=4000)]
    )
    corrective_action = TextAreaField("Corrective action", validators=[Length(max=4000)])
    due_date = DateField(
        "Due date", description="Empty: the configured default for the severity", validators=[Optional()]
    )


class CloseFindingForm(FlaskForm):
    evidence = TextAreaField(
        "Evidence",
        validators=[
            DataRequired(message="an evidence note is required to close a corrective action"),
            Length(max=4000),
        ],
    )
    next = HiddenField()


class DecisionForm(FlaskForm):
    reason = TextAreaField(
        "Reason",
        validators=[DataRequired(message="a reason is required for every decision"), Length(max=2000)],
    )


def triage_choices() -> list[SelectChoice]:
    """The triage decisions, after a placeholder that is no decision: nothing is preselected."""
    return _c(
        [("", "— choose a decision —")]
        + [(s.value, s.value.replace("_", " ").capitalize()) for s in TriageStatus if s != TriageStatus.new]
    )


REASON = [DataRequired(message="a reason is required"), Length(max=2000)]


class TriageForm(FlaskForm):
    status = SelectField(
        "Decision", choices=triage_choices(), validators=[DataRequired(message="choose a decision")]
    )
    note = TextAreaField(
        "Note", validators=[DataRequired(message="a triage note is required"), Length(max=2000)]
    )


class ReviseTriageForm(FlaskForm):
    status = SelectField(
        "New decision", choices=triage_choices(), validators=[DataRequired(message="choose a decision")]
    )
    reason = TextAreaField("Reason for the revision", validators=REASON)


class LinkRecruiterForm(FlaskForm):
    public_id = HiddenField(validators=[DataRequired(message="choose a recruiter"), Length(max=12)])
    reason = TextAreaField(
        "Why this recruiter", description="e.g. same licence number as on the receipt", validators=REASON
    )


class ReasonForm(FlaskForm):
    """A correction that needs only a reason (cancel an audit, reverse a ledger entry)."""

    reason = TextAreaField("Reason", validators=REASON)
    next = HiddenField()


class DueDateForm(FlaskForm):
    due_date = DateField("New due date", validators=[DataRequired(message="choose the new due date")])
    reason = TextAreaField("Reason", validators=REASON)
    next = HiddenField()


class ReopenFindingForm(FlaskForm):
    reason = TextAreaField("Reason", validators=REASON)
    due_date = DateField(
        "New due date", description="Empty: keep the current due date", validators=[Optional()]
    )
    next = HiddenField()


class RepaymentForm(FlaskForm):
    state = SelectField(
        "Stage",
        choices=_c([("", "— choose a stage —")] + [(s.value, s.value.title()) for s in RepaymentState]),
        validators=[DataRequired(message="choose the stage")],
    )
    amount = DecimalField(
        "Amount",
        places=2,
        validators=[
            InputRequired(message="enter the amount"),
            NumberRange(min=0.01, message="must be more than zero"),
        ],
    )
    currency = StringField("Currency", validators=[DataRequired(), Length(min=3, max=3)])
    on_date = DateField("Date", validators=[DataRequired(message="enter the date")])
    note = StringField("Note", validators=[Length(max=2000)])


class CompanyForm(FlaskForm):
    name = StringField("Company name", validators=[DataRequired(), Length(min=2, max=200)])


class ApiKeyForm(FlaskForm):
    name = StringField(
        "Key name", description="What the key is for, e.g. 'supplier sync'", validators=[Length(max=120)]
    )
    scopes = SelectMultipleField(
        "Scopes",
        choices=_c([(s, s) for s in API_SCOPES]),
        default=list(API_SCOPES),
        validators=[DataRequired(message="choose at least one scope")],
    )


class SupplierForm(FlaskForm):
    public_id = StringField("Recruiter public id", validators=[DataRequired(), Length(max=12)])


class WebhookForm(FlaskForm):
    url = StringField("URL", validators=[DataRequired(), URL(require_tld=False), Length(max=500)])
    events = SelectMultipleField(
        "Events",
        choices=_c([(e, e) for e in WEBHOOK_EVENTS]),
        default=list(WEBHOOK_EVENTS),
        validators=[DataRequired(message="choose at least one event")],
    )


class ConfirmForm(FlaskForm):
    """A button-only form (revoke, remove, unlock): the CSRF token is all it carries."""


class UserForm(FlaskForm):
    email = EmailField("E-mail", validators=[DataRequired(), Email(), Length(max=200)])
    role = SelectField(
        "Role",
        choices=_c([("", "— choose a role —")] + [(r.value, r.value) for r in Role]),
        validators=[DataRequired(message="choose a role")],
    )
    password = PasswordField(
        "Initial password",
        description="At least 12 characters, not a common password",
        validators=[DataRequired(), Length(max=500)],
    )


class RoleForm(FlaskForm):
    role = SelectField("Role", choices=_c([(r.value, r.value) for r in Role]), validators=[DataRequired()])
