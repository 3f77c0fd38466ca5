"""SQLModel tables, split by area. Importing this package registers every table on SQLModel.metadata."""

from typing import Protocol

from sqlalchemy import Table

from registry.models.accreditation import Accreditation, AccreditationEvent, AccreditationStatus
from registry.models.alerts import Alert
from registry.models.auditlog import AuditChain, AuditLogEntry
from registry.models.audits import Audit, AuditKind, Finding, FindingEvent, Principle, Severity
from registry.models.botstate import BotState
from registry.models.companies import ApiKey, Company, SupplierLink, WebhookEndpoint
from registry.models.followers import CaseSubscription, ChatPreference, Follower
from registry.models.licences import LicenceRecord
from registry.models.outbox import DeliveryCircuit, OutboxMessage
from registry.models.recruiters import Corridor, LicenceStatus, Recruiter
from registry.models.reports import (
    FeeCategory,
    FeeReport,
    FeeReportLine,
    RepaymentEntry,
    ReportEvent,
    TriageStatus,
)
from registry.models.users import RecoveryCode, RevealSlot, Role, User

__all__ = [
    "DeliveryCircuit",
    "Accreditation",
    "AccreditationEvent",
    "AccreditationStatus",
    "Alert",
    "ApiKey",
    "Audit",
    "AuditKind",
    "AuditChain",
    "AuditLogEntry",
    "BotState",
    "CaseSubscription",
    "ChatPreference",
    "Company",
    "Corridor",
    "FeeCategory",
    "FeeReport",
    "FeeReportLine",
    "Finding",
    "FindingEvent",
    "Follower",
    "LicenceRecord",
    "LicenceStatus",
    "OutboxMessage",
    "Principle",
    "RecoveryCode",
    "Recruiter",
    "RepaymentEntry",
    "ReportEvent",
    "RevealSlot",
    "Role",
    "Severity",
    "SupplierLink",
    "TriageStatus",
    "User",
    "WebhookEndpoint",
    "id_of",
    "table_of",
]


def table_of(model: type) -> Table:
    """The Core table of a table model (for bulk writes and column types)."""
    # SQLAlchemy's declarative mapping sets __table__ on every table model; SQLModel does not declare it.
    return model.__table__  # type: ignore[attr-defined]


class _Stored(Protocol):
    @property
    def id(self) -> int | None: ...


def id_of(row: _Stored) -> int:
    """The id of a stored row (SQLModel types ids as optional: they are None only before the first flush)."""
    if row.id is None:
        raise RuntimeError("the row has not been flushed yet")
    return row.id
