"""Government licence registers: parse an authority's file (CSV or JSON) through a documented mapping,
store it as LicenceRecord rows, update the licence status of the recruiters it names, and drive the
effects of SPEC section 4 (alert; accredited recruiters whose licence is not valid are suspended).

Mappings live in ``config/licence_mappings/<name>.json`` (see the README there). Each says which column
holds the licence number, name, status and valid-until date, how the authority's status words map onto
the registry's licence statuses, and what to do with rows that share a licence number.

Matching is by authority and licence number. Numbers are compared on their licence key
(``identifiers.licence_key``, stored in the ``licence_key`` column of records and recruiters), so
``RL-0010``, ``rl 0010`` and ``RL0010`` are the same licence. A register without a
licence-number field (the Philippines DMW extract) uses a key derived from the agency name
(see ``name_key``), and recruiters licensed by that authority record that key as their licence number.

A file with any bad row applies nothing: ``parse`` returns every problem with its line number.
"""

from __future__ import annotations

import csv
import io
import json
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import func, select
from sqlmodel import Session, col

from registry.errors import InvalidInput
from registry.models import LicenceRecord, Recruiter
from registry.models.recruiters import LicenceStatus
from registry.services import cleantext, outbox, standing
from registry.services.identifiers import licence_key
from registry.settings import CONFIG_DIR
from registry.timeutil import today, utcnow

MAPPINGS_DIR = CONFIG_DIR / "licence_mappings"
STATUSES = {s.value for s in LicenceStatus}
FIELDS = ("licence_number", "name", "status", "valid_until")


# --- mappings ------------------------------------------------------------------------------------


@dataclass
class Mapping:
    slug: str
    authority: str
    aliases: list[str]
    description: str
    columns: dict[str, str | None]
    status_map: dict[str, str]
    default_status: str | None = None
    key: str = "licence_number"  # or "name": derive the key from the name (no licence-number field)
    duplicates: str = "error"  # or "latest:<column>": keep the row with the latest date in <column>
    expire_after_valid_until: bool = False
    null_dates: list[str] = field(default_factory=list)
    skip_without_number: bool = False  # directories: a row without a licence number is skipped, with a note

    def names(self) -> set[str]:
        return {n.casefold() for n in [self.slug, self.authority, *self.aliases]}

    def map_status(self, raw: str) -> str | None:
        raw = " ".join((raw or "").split())
        if not raw:
            return self.default_status
        for k, v in self.status_map.items():
            if k.casefold() == raw.casefold():
                return v
        return None


def load_mapping(path: Path) -> Mapping:
    data = json.loads(path.read_text(encoding="utf-8"))
    m = Mapping(
        slug=path.stem,
        authority=data["authority"],
        aliases=data.get("aliases", []),
        description=data.get("description", ""),
        columns=data["columns"],
        status_map=data.get("status_map", {}),
        default_status=data.get("default_status"),
        key=data.get("key", "licence_number"),
        duplicates=data.get("duplicates", "error"),
        expire_after_valid_until=data.get("expire_after_valid_until", False),
        null_dates=data.get("null_dates", []),
        skip_without_number=data.get("skip_without_number", False),
    )
    bad = {v for v in m.status_map.values() if v not in STATUSES}
    if m.default_status is not None and m.default_status not in STATUSES:
        bad.add(m.default_status)
    if bad:
        raise ValueError(f"mapping {path.name}: unknown licence status(es) {sorted(bad)}")
    return m


def mappings() -> dict[str, Mapping]:
    return {p.stem: load_mapping(p) for p in sorted(MAPPINGS_DIR.glob("*.json"))}


def mapping_for(authority: str, mapping: str | None = None) -> Mapping:
    """The mapping named `mapping`, else the one whose authority/aliases/name match `authority`, else
    the generic one (columns licence_number, name, status, valid_until) for that authority."""
    all_ = mappings()
    if mapping:
        if mapping not in all_:
            raise ValueError(f"unknown mapping {mapping!r}; one of: {', '.join(all_)}")
        m = all_[mapping]
        if mapping == "generic":
            m.authority = authority
        return m
    wanted = " ".join(authority.split()).casefold()
    for m in all_.values():
        if m.slug != "generic" and wanted in m.names():
            return m
    m = all_["generic"]
    m.authority = " ".join(authority.split())
    return m


# --- keys --------------------------------------------------------------------------------------------


_FORMERLY = re.compile(r"\(\s*(FORMERLY|FORMERLY:|FOR\.|FOR:|FOR)\b.*$", re.IGNORECASE)


def name_key(name: str) -> str:
    """Stable key for registers without licence numbers: the agency name, upper case, with a rename
    note "(FORMERLY ...)" / "(FOR. ...)" removed, apostrophes and backticks dropped, other punctuation
    turned into spaces, whitespace collapsed, at most 80 characters.

    "1015 BRILLIANT MINDS INC." and "1015 BRILLIANT MINDS INC" get the same key; so does a row whose
    name gained a "(FORMERLY ...)" note after a rename.
    """
    n = _FORMERLY.sub("", name or "")
    n = n.replace("`", "").replace("'", "").replace("\u2019", "")
    n = re.sub(r"[^0-9A-Za-z\u00C0-\u024F&]+", " ", n).upper()
    return " ".join(n.split())[:80]


# --- parsing -------------------------------------------------------------------------------------------


@dataclass
class Row:
    line: int
    licence_number: str
    name: str
    status: str
    raw_status: str
    valid_until: date | None
    order: str = ""  # value of the duplicates tie-break column


@dataclass
class RowError:
    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


@dataclass
class Parsed:
    rows: list[Row]
    errors: list[RowError]
    notes: list[str]


def _parse_date(value: str, null_dates: list[str]) -> date | None:
    v = (value or "").strip()
    if not v:
        return None
    d = None
    try:
        d = date.fromisoformat(v[:10])
    except ValueError:
        for fmt in ("%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y"):
            try:
                d = datetime.strptime(v, fmt).date()
                break
            except ValueError:
                continue
    if d is None:
        raise ValueError(f"valid-until {value!r} is not a date (YYYY-MM-DD)")
    return None if d.isoformat() in null_dates else d


def _records(content: str, fmt: str) -> tuple[list[tuple[int, dict]], list[RowError], list[str]]:
    """(line, record) pairs from CSV or JSON text, plus file-level errors, plus the field names."""
    if fmt == "json":
        return _json_records(content)
    reader = csv.DictReader(io.StringIO(content, newline=""))
    out = []
    errors = []
    try:
        fieldnames = reader.fieldnames or []
        start = 2
        for rec in reader:
            if None in rec:
                errors.append(RowError(start, f"{len(rec[None])} more field(s) than the header has"))
            elif any(v is None for v in rec.values()):
                errors.append(RowError(start, "fewer fields than the header has"))
            else:
                out.append((start, rec))
            start = reader.line_num + 1
    except csv.Error as e:
        errors.append(RowError(reader.line_num, f"not valid CSV: {e}"))
        fieldnames = reader.fieldnames or []
    return out, errors, list(fieldnames)


def _json_records(content: str) -> tuple[list[tuple[int, dict]], list[RowError], list[str]]:
    """A JSON array of objects (or {"records": [...]}); each object's line is where it starts."""
    dec = json.JSONDecoder()
    try:
        doc = json.loads(content)
    except json.JSONDecodeError as e:
        return [], [RowError(e.lineno, f"not valid JSON: {e.msg}")], []
    items = doc.get("records") if isinstance(doc, dict) else doc
    if not isinstance(items, list):
        return [], [RowError(1, 'expected a JSON array of objects (or {"records": [...]})')], []
    # find where each element starts, for line numbers
    pos = content.index("[", content.index('"records"') if isinstance(doc, dict) else 0) + 1
    out, errors = [], []
    names: set[str] = set()
    for item in items:
        while content[pos] in " \t\r\n,":
            pos += 1
        line = content.count("\n", 0, pos) + 1
        _obj, end = dec.raw_decode(content, pos)
        pos = end
        if not isinstance(item, dict):
            errors.append(RowError(line, "expected an object"))
            continue
        names.update(item)
        out.append((line, {k: "" if v is None else str(v) for k, v in item.items()}))
    return out, errors, sorted(names)


def parse(content: str, mapping: Mapping, *, fmt: str = "csv", as_of: date | None = None) -> Parsed:
    as_of = as_of or today()
    records, errors, fieldnames = _records(content, fmt)
    cols = mapping.columns
    required = [c for f, c in cols.items() if c and f in ("name", "licence_number")]
    if mapping.status_map and (status_column := cols.get("status")):
        required.append(status_column)
    missing = [c for c in required if c not in fieldnames]
    if missing and (records or not errors):
        return Parsed(
            [],
            [
                RowError(
                    1,
                    f"missing column(s) {', '.join(missing)} (the {mapping.slug} mapping needs "
                    f"{', '.join(c for c in cols.values() if c)})",
                )
            ],
            [],
        )
    rows: list[Row] = []
    skipped: list[str] = []
    for line, rec in records:
        problems = []
        if (
            mapping.key != "name"
            and mapping.skip_without_number
            and cols.get("licence_number")
            and not (rec.get(cols["licence_number"]) or "").strip()
        ):
            skipped.append(
                f"line {line}: skipped, no licence number ({(rec.get(cols['name']) or '').strip()!r})"
            )
            continue
        name = " ".join((rec.get(cols["name"]) or "").split()) if cols.get("name") else ""
        if not name:
            problems.append("the name is empty")
        if mapping.key == "name":
            number = name_key(name)
        else:
            number = " ".join((rec.get(cols["licence_number"]) or "").split())
            if not number:
                problems.append("the licence number is empty")
            elif len(number) > 80:
                problems.append("the licence number is longer than 80 characters")
        raw_status = " ".join((rec.get(cols["status"]) or "").split()) if cols.get("status") else ""
        problems += [
            f"the {what} {why}"
            for what, text in (("name", name), ("licence number", number), ("status", raw_status))
            if (why := cleantext.problem(text))
        ]
        status = mapping.map_status(raw_status)
        if status is None:
            known = ", ".join(sorted(mapping.status_map)) or "none"
            problems.append(
                f"unknown status {raw_status!r} (the {mapping.slug} mapping knows: {known})"
                if raw_status
                else "the status is empty"
            )
        valid_until = None
        if cols.get("valid_until"):
            try:
                valid_until = _parse_date(rec.get(cols["valid_until"], ""), mapping.null_dates)
            except ValueError as e:
                problems.append(str(e))
        if problems:
            errors.append(RowError(line, "; ".join(problems)))
            continue
        name, number, raw_status = (unicodedata.normalize("NFC", t) for t in (name, number, raw_status))
        if status is None:  # an unknown status is one of the problems above
            raise RuntimeError(f"line {line}: no status and no problem recorded")
        if (
            mapping.expire_after_valid_until
            and status == LicenceStatus.valid
            and valid_until is not None
            and valid_until < as_of
        ):
            status = LicenceStatus.expired.value
        order_col = mapping.duplicates.partition(":")[2]
        rows.append(
            Row(
                line,
                number,
                name[:300],
                status,
                raw_status[:80],
                valid_until,
                rec.get(order_col, "") if order_col else "",
            )
        )
    kept, notes = _resolve_duplicates(rows, mapping, errors)
    errors.sort(key=lambda e: e.line)
    return Parsed(kept, errors, skipped + notes)


def _resolve_duplicates(
    rows: list[Row], mapping: Mapping, errors: list[RowError]
) -> tuple[list[Row], list[str]]:
    by_key: dict[str, list[Row]] = {}
    for r in rows:
        by_key.setdefault(licence_key(r.licence_number), []).append(r)
    kept, notes = [], []
    for group in by_key.values():
        if len(group) == 1:
            kept.append(group[0])
            continue
        lines = ", ".join(str(r.line) for r in group)
        if mapping.duplicates.startswith("latest:"):
            best = max(group, key=lambda r: (r.order, r.line))
            kept.append(best)
            notes.append(
                f"licence {best.licence_number!r} appears on lines {lines}; kept line {best.line} "
                f"(latest {mapping.duplicates.partition(':')[2]} {best.order or '-'})"
            )
        else:
            for r in group[1:]:
                errors.append(
                    RowError(r.line, f"licence number {r.licence_number!r} repeats line {group[0].line}")
                )
    kept.sort(key=lambda r: r.line)
    return kept, notes


# --- applying ------------------------------------------------------------------------------------------


@dataclass
class ImportResult:
    authority: str
    rows: int = 0
    records_added: int = 0
    records_changed: int = 0
    records_unchanged: int = 0
    recruiters_matched: int = 0
    recruiters_changed: list[str] = field(default_factory=list)  # "RA-XXXXX: valid -> cancelled"
    effects: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"{self.authority}: {self.rows} rows; licence records {self.records_added} new, "
            f"{self.records_changed} changed, {self.records_unchanged} unchanged; "
            f"{self.recruiters_matched} recruiter(s) matched, {len(self.recruiters_changed)} licence status "
            f"change(s)"
        )


def apply(
    session: Session,
    parsed: Parsed,
    mapping: Mapping,
    *,
    settings,
    as_of: date | None = None,
    progress: Callable[[int], None] | None = None,
) -> ImportResult:
    """Store the parsed register and drive its effects. Call only when ``parsed.errors`` is empty."""
    if parsed.errors:
        raise InvalidInput(
            f"{len(parsed.errors)} problem(s) in the register file; nothing was applied",
            code="register_file_invalid",
            params={"errors": len(parsed.errors)},
        )
    as_of = as_of or today()
    now = utcnow()
    authority = mapping.authority
    result = ImportResult(authority, rows=len(parsed.rows))
    existing = {
        r.licence_key: r
        for r in session.scalars(select(LicenceRecord).where(col(LicenceRecord.authority) == authority))
    }
    for i, row in enumerate(parsed.rows, 1):
        key = licence_key(row.licence_number)
        rec = existing.get(key)
        if rec is None:
            session.add(
                LicenceRecord(
                    authority=authority,
                    licence_number=row.licence_number,
                    licence_key=key,
                    name=row.name,
                    status=row.status,
                    raw_status=row.raw_status,
                    valid_until=row.valid_until,
                    imported_at=now,
                )
            )
            result.records_added += 1
        elif (rec.name, rec.status, rec.raw_status, rec.valid_until) != (
            row.name,
            row.status,
            row.raw_status,
            row.valid_until,
        ):
            rec.name, rec.status, rec.raw_status, rec.valid_until = (
                row.name,
                row.status,
                row.raw_status,
                row.valid_until,
            )
            rec.imported_at = now
            result.records_changed += 1
        else:
            result.records_unchanged += 1
        if progress and i % 100 == 0:
            progress(100)
    if progress:
        progress(len(parsed.rows) % 100)
    session.flush()

    by_key = {licence_key(r.licence_number): r for r in parsed.rows}
    names = sorted(mapping.names() | {authority.casefold()})
    recruiters = session.scalars(
        select(Recruiter).where(
            func.lower(col(Recruiter.licence_authority)).in_(names), col(Recruiter.licence_key) != ""
        )
    ).all()
    events: list[tuple[int, dict]] = []
    for recruiter in recruiters:
        listed = by_key.get(recruiter.licence_key)
        if listed is None:
            continue
        result.recruiters_matched += 1
        if (recruiter.licence_status, recruiter.licence_valid_until) == (listed.status, listed.valid_until):
            continue
        old = recruiter.licence_status
        recruiter.licence_status = listed.status
        recruiter.licence_valid_until = listed.valid_until
        recruiter.licence_checked_at = now
        result.recruiters_changed.append(f"{recruiter.public_id}: licence {old} -> {listed.status}")
        if recruiter.id is None:
            raise RuntimeError("a stored recruiter has an id")
        events.append(
            (
                recruiter.id,
                {
                    "licence": {
                        "authority": authority,
                        "number": recruiter.licence_number,
                        "from": old,
                        "to": listed.status,
                        "raw_status": listed.raw_status,
                        "valid_until": listed.valid_until.isoformat() if listed.valid_until else None,
                    }
                },
            )
        )
    session.flush()
    # Each event also carries the recruiter's standing (status, valid_until, licence status).
    verdicts = standing.verdicts_of(session, [rid for rid, _data in events], as_of=as_of)
    events = [(rid, {**data, **standing.event_fields(verdicts[rid])}) for rid, data in events]
    outbox.emit_many(session, outbox.LICENCE_CHANGED, events)
    from registry.services import checks

    effects = checks.licence_register(session, as_of, settings)
    result.effects = effects.changes
    return result


def read_file(path: Path) -> tuple[str, str]:
    """(text, format) of a register file; the format comes from the extension (.json, else CSV)."""
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="strict")
    return text, ("json" if path.suffix.lower() == ".json" else "csv")
