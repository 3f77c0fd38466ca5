"""SQLModel tables, split by area. Importing this package registers every table on SQLModel.metadata."""

from registry.models.accreditation import Accreditation, AccreditationEvent, AccreditationStatus
from registry.models.alerts import Alert
from registry.models.auditlog import AuditLogEntry
from registry.models.audits import Audit, AuditKind, Finding, FindingEvent, Principle, Severity
from registry.models.companies import ApiKey, Company, SupplierLink, WebhookEndpoint
from registry.models.followers import CaseSubscription, ChatPreference, Follower
from registry.models.licences import LicenceRecord
from registry.models.outbox import OutboxMessage
from registry.models.recruiters import Corridor, LicenceStatus, Recruiter
from registry.models.reports import FeeCategory, FeeReport, RepaymentEntry, ReportEvent, TriageStatus
from registry.models.users import Role, User

__all__ = [
    "Accreditation",
    "AccreditationEvent",
    "AccreditationStatus",
    "Alert",
    "ApiKey",
    "Audit",
    "AuditKind",
    "AuditLogEntry",
    "CaseSubscription",
    "ChatPreference",
    "Company",
    "Corridor",
    "FeeCategory",
    "FeeReport",
    "Finding",
    "FindingEvent",
    "Follower",
    "LicenceRecord",
    "LicenceStatus",
    "OutboxMessage",
    "Principle",
    "Recruiter",
    "RepaymentEntry",
    "ReportEvent",
    "Role",
    "Severity",
    "SupplierLink",
    "TriageStatus",
    "User",
    "WebhookEndpoint",
]
