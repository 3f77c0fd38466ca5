"""Import recruiters from a CSV file, for onboarding an existing registry (SPEC section 5).

Columns (header row required; UTF-8, a BOM from spreadsheet programs is fine):

=================  ========  ===================================================================
column             required  content
=================  ========  ===================================================================
legal_name         yes       registered legal name
other_names        no        trading names and transliterations, separated by ``;``
country            yes       ISO 3166-1 alpha-2 code of the country that licensed it (NP, BD ...)
licence_authority  no        issuing authority, e.g. ``Department of Foreign Employment (DoFE)``
licence_number     no        licence number as printed by the authority
corridors          no        ``origin>destination`` pairs separated by ``;``, e.g. ``NP>QA;NP>MY``
sectors            no        separated by ``;``, e.g. ``construction;hospitality``
contact_email      no
contact_phone      no
website            no
address            no
official_address   no        the address the licensing authority lists (shown on the status card)
official_phone     no        the phone number the licensing authority lists (shown on the status card)
=================  ========  ===================================================================

The import is all or nothing: every row is validated with ``RecruiterInput`` and checked for
duplicates, inside the file (same country and licence number, compared on the licence key, or
same country and name) and against the registry; if any row is bad, every problem is reported with
its line number and nothing is written. Otherwise all recruiters are written in one transaction with
bulk inserts: the rows ``recruiters.create`` writes (``recruiters.new_recruiter_rows``), each as an
``applicant`` with its first accreditation event, and their hash-chained audit-log entries.
"""

from __future__ import annotations

import csv
import io
import random
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.engine import Engine

from registry.errors import InvalidInput
from registry.models import Accreditation, AccreditationEvent, Corridor, Recruiter, table_of
from registry.services import auditlog, bulk, recruiters, search
from registry.services.bulk import ProgressFactory
from registry.services.identifiers import licence_key
from registry.services.recruiters import RecruiterInput
from registry.timeutil import utcnow

COLUMNS = (
    "legal_name",
    "other_names",
    "country",
    "licence_authority",
    "licence_number",
    "corridors",
    "sectors",
    "contact_email",
    "contact_phone",
    "website",
    "address",
    "official_address",
    "official_phone",
)
REQUIRED_COLUMNS = ("legal_name", "country")
IMPORTED = "registered as applicant (import)"
MAX_REPORTED = 200


@dataclass
class RowError:
    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}" if self.line else self.message


class ImportRejected(InvalidInput):
    """The file has problems; nothing was imported."""

    code = "import_rejected"

    def __init__(self, errors: list[RowError], rows: int):
        self.errors = errors
        self.rows = rows
        shown = "\n".join(f"  {e}" for e in errors[:MAX_REPORTED])
        more = f"\n  ... and {len(errors) - MAX_REPORTED} more" if len(errors) > MAX_REPORTED else ""
        super().__init__(f"{len(errors)} problem(s) in the file; nothing was imported:\n{shown}{more}")


@dataclass
class ImportResult:
    rows: int = 0
    created: int = 0
    corridors: int = 0
    log_entries: int = 0
    seconds: float = 0.0
    public_ids: list[str] = field(default_factory=list)


def _split(value: str | None) -> list[str]:
    return [p.strip() for p in (value or "").split(";") if p.strip()]


def _corridors(value: str | None) -> list[tuple[str, str]]:
    out = []
    for part in _split(value):
        origin, sep, dest = part.partition(">")
        if not sep or not origin.strip() or not dest.strip():
            raise ValueError(f"corridor {part!r} must look like NP>QA (origin>destination)")
        out.append((origin.strip().upper(), dest.strip().upper()))
    return out


def _describe(e: ValidationError) -> str:
    parts = []
    for err in e.errors():
        where = ".".join(str(x) for x in err["loc"] if not isinstance(x, int)) or "row"
        msg = err["msg"].removeprefix("Value error, ")
        parts.append(f"{where}: {msg}")
    return "; ".join(parts)


def parse(
    text: str, progress: ProgressFactory | None = None
) -> tuple[list[tuple[int, RecruiterInput]], list[RowError]]:
    """Validate every row: (valid rows with their line numbers, errors with line numbers).

    A bad header raises ImportRejected at once."""
    progress = progress or bulk.no_progress
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [h.strip() for h in (reader.fieldnames or [])]
    if not header:
        raise ImportRejected(
            [RowError(1, "the file is empty; expected a header row: " + ",".join(COLUMNS))], 0
        )
    reader.fieldnames = header
    errors: list[RowError] = []
    unknown = [h for h in header if h not in COLUMNS]
    if unknown:
        errors.append(
            RowError(1, f"unknown column(s) {', '.join(unknown)}; known columns: {', '.join(COLUMNS)}")
        )
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        errors.append(RowError(1, f"missing required column(s): {', '.join(missing)}"))
    if errors:
        raise ImportRejected(errors, 0)
    items: list[tuple[int, RecruiterInput]] = []
    bar = progress(max(0, text.count("\n") - 1), "validate")
    end = reader.line_num
    for row in reader:
        line = end + 1  # the line the record starts on (a quoted field may span lines)
        end = reader.line_num
        bar.update(end - line + 1)
        if None in row:
            errors.append(
                RowError(line, f"{len(header) + len(row[None])} fields, the header has {len(header)}")
            )
            continue
        values = {k: (v or "").strip() for k, v in row.items()}
        if not any(values.values()):
            continue  # blank line
        try:
            data = RecruiterInput(
                legal_name=values.get("legal_name", ""),
                other_names=_split(values.get("other_names")),
                country=values.get("country", ""),
                licence_authority=values.get("licence_authority", ""),
                licence_number=values.get("licence_number", ""),
                corridors=_corridors(values.get("corridors")),
                sectors=_split(values.get("sectors")),
                contact_email=values.get("contact_email", ""),
                contact_phone=values.get("contact_phone", ""),
                website=values.get("website", ""),
                address=values.get("address", ""),
                official_address=values.get("official_address", ""),
                official_phone=values.get("official_phone", ""),
            )
        except ValidationError as e:
            errors.append(RowError(line, _describe(e)))
            continue
        except ValueError as e:
            errors.append(RowError(line, f"corridors: {e}"))
            continue
        items.append((line, data))
    bar.close()
    if not items and not errors:
        raise ImportRejected([RowError(0, "the file has a header but no recruiters")], 0)
    return items, errors


def _licence(data: RecruiterInput) -> tuple[str, str] | None:
    key = licence_key(data.licence_number)
    return (data.country, key) if key else None


def duplicates(conn, items: list[tuple[int, RecruiterInput]]) -> list[RowError]:
    """Rows that repeat another row of the file, or a recruiter already in the registry: the same
    licence (country and licence key) or the same name (country and normalised legal name)."""
    errors: list[RowError] = []
    seen_licence: dict[tuple[str, str], int] = {}
    seen_name: dict[tuple[str, str], int] = {}
    names: dict[int, str] = {}
    for line, data in items:
        key = _licence(data)
        norm = search.normalize(data.legal_name)
        names[line] = norm
        if key and key in seen_licence:
            errors.append(
                RowError(
                    line,
                    f"duplicate of line {seen_licence[key]}: same licence {key[0]} {data.licence_number}",
                )
            )
            continue
        if (data.country, norm) in seen_name:
            errors.append(
                RowError(
                    line,
                    f"duplicate of line {seen_name[(data.country, norm)]}: same name "
                    f"{data.legal_name!r} in {data.country}",
                )
            )
            continue
        if key:
            seen_licence[key] = line
        seen_name[(data.country, norm)] = line
    # Against the registry, one query per country present in the file.
    R = table_of(Recruiter)
    countries = sorted({d.country for _l, d in items})
    by_licence: dict[tuple[str, str], str] = {}
    by_name: dict[tuple[str, str], str] = {}
    for i in range(0, len(countries), 500):
        chunk = countries[i : i + 500]
        for country, key, text, pid in conn.execute(
            select(R.c.country, R.c.licence_key, R.c.search_text, R.c.public_id).where(R.c.country.in_(chunk))
        ):
            if key:
                by_licence.setdefault((country, key), pid)
            by_name.setdefault((country, text.split(" | ", 1)[0]), pid)
    for line, data in items:
        key = _licence(data)
        if key and key in by_licence:
            errors.append(
                RowError(
                    line,
                    f"already in the registry as {by_licence[key]} (licence {data.country} "
                    f"{data.licence_number})",
                )
            )
        elif (data.country, names[line]) in by_name:
            errors.append(
                RowError(
                    line,
                    f"already in the registry as {by_name[(data.country, names[line])]} "
                    f"(same name {data.legal_name!r} in {data.country})",
                )
            )
    errors.sort(key=lambda e: e.line)
    return errors


def import_text(
    engine: Engine,
    text: str,
    *,
    actor: str = "cli:import",
    progress: ProgressFactory | None = None,
    dry_run: bool = False,
    batch: int = 5000,
) -> ImportResult:
    """Validate and import; all or nothing. Raises ImportRejected when any row is bad."""
    t0 = time.perf_counter()
    progress = progress or bulk.no_progress
    items, bad = parse(text, progress)
    res = ImportResult(rows=len(items) + len(bad))
    tables = R, C, A, E = (
        table_of(Recruiter),
        table_of(Corridor),
        table_of(Accreditation),
        table_of(AccreditationEvent),
    )
    # SQLite: take the write lock before the duplicate check (BEGIN IMMEDIATE, see registry.db)
    with engine.connect().execution_options(sqlite_immediate=True) as conn, conn.begin() as tx:
        if conn.dialect.name == "postgresql":
            for t in tables:
                conn.exec_driver_sql(f'LOCK TABLE "{t.name}" IN SHARE ROW EXCLUSIVE MODE')
        errors = sorted(bad + duplicates(conn, items), key=lambda e: e.line)
        if errors:
            raise ImportRejected(errors, res.rows)
        if dry_run:
            tx.rollback()
            res.seconds = time.perf_counter() - t0
            return res
        now = utcnow()
        ids = bulk.Ids(conn, (R, C, E))
        pids = recruiters.new_public_ids(conn, random.Random(secrets.randbits(64)), len(items))
        bar = progress(len(items), "import")
        for start in range(0, len(items), batch):
            rrows, crows, arows, erows = [], [], [], []
            log: list[auditlog.PendingEntry] = []
            for k, (_line, d) in enumerate(items[start : start + batch], start=start):
                rows = recruiters.new_recruiter_rows(
                    d, public_id=pids[k], at=now, actor=actor, reason=IMPORTED, ids=ids
                )
                rrows.append(rows.recruiter)
                crows.extend(rows.corridors)
                arows.append(rows.accreditation)
                erows.append(rows.event)
                log.extend(rows.audit_entries(actor))
                res.public_ids.append(pids[k])
            bulk.insert_rows(conn, R, rrows)
            bulk.insert_rows(conn, C, crows)
            bulk.insert_rows(conn, A, arows)
            bulk.insert_rows(conn, E, erows)
            res.log_entries += auditlog.append(conn, log, now)
            res.created += len(rrows)
            res.corridors += len(crows)
            bar.update(len(rrows))
        bar.close()
        bulk.fix_sequences(conn, (R, C, E))
    res.seconds = time.perf_counter() - t0
    return res


def import_file(engine: Engine, path: str | Path, **kwargs) -> ImportResult:
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as e:
        raise InvalidInput(
            f"{path}: not UTF-8 text ({e.reason} at byte {e.start}); save the file as UTF-8 CSV"
        ) from None
    return import_text(engine, text, **kwargs)
