"""SQLModel tables, split by area. Importing this package registers every table on SQLModel.metadata."""

from registry.models.accreditation import Accreditation, AccreditationEvent, AccreditationStatus
from registry.models.alerts import Alert
from registry.models.auditlog import AuditLogEntry
from registry.models.audits import Audit, AuditKind, Finding, Principle, Severity
from registry.models.companies import ApiKey, Company, SupplierLink, WebhookEndpoint
from registry.models.followers import ChatPreference, Follower
from registry.models.licences import LicenceRecord
from registry.models.outbox import OutboxMessage
from registry.models.recruiters import Corridor, LicenceStatus, Recruiter
from registry.models.reports import FeeCategory, FeeReport, RepaymentEntry, TriageStatus
from registry.models.users import RecoveryCode, RevealSlot, Role, User

__all__ = [
    "Accreditation",
    "AccreditationEvent",
    "AccreditationStatus",
    "Alert",
    "ApiKey",
    "Audit",
    "AuditKind",
    "AuditLogEntry",
    "ChatPreference",
    "Company",
    "Corridor",
    "FeeCategory",
    "FeeReport",
    "Finding",
    "Follower",
    "LicenceRecord",
    "LicenceStatus",
    "OutboxMessage",
    "Principle",
    "RecoveryCode",
    "Recruiter",
    "RepaymentEntry",
    "RevealSlot",
    "Role",
    "Severity",
    "SupplierLink",
    "TriageStatus",
    "User",
    "WebhookEndpoint",
]
