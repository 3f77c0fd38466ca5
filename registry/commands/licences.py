"""`fairrecruit licences import FILE --authority NAME [--dry-run]`: import a government licence register."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import click

from registry.cli import main, pass_ctx


@main.group()
def licences() -> None:
    """Government licence registers (mappings in config/licence_mappings/)."""


@licences.command("mappings")
def licences_mappings() -> None:
    """List the register mappings and the authorities they serve."""
    from registry.services.licences import mappings

    for m in mappings().values():
        click.echo(f"{m.slug:<10} {m.authority:<26} {m.description}")


def _parse_date(_ctx, _param, value):
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date (YYYY-MM-DD)") from None


@licences.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--authority",
    required=True,
    help="Issuing authority (e.g. DMW, BMET, BD-MLA, or any name for "
    "the generic licence_number,name,status,valid_until format).",
)
@click.option("--mapping", default=None, help="Mapping to use (a file name in config/licence_mappings/).")
@click.option(
    "--as-of", callback=_parse_date, metavar="DATE", help="Date the register describes (default: today)."
)
@click.option("--dry-run", is_flag=True, help="Check the file and show what would change; change nothing.")
@pass_ctx
def licences_import(
    obj, file: Path, authority: str, mapping: str | None, as_of: date | None, dry_run: bool
) -> None:
    """Import FILE (CSV, or JSON for .json) for AUTHORITY. A file with any bad row applies nothing."""
    from registry.db import session_scope
    from registry.services import auditlog
    from registry.services import licences as service

    try:
        m = service.mapping_for(authority, mapping)
        text, fmt = service.read_file(file)
    except (ValueError, UnicodeDecodeError) as e:
        raise click.ClickException(str(e)) from None
    click.echo(
        f"reading {file.name} as {fmt.upper()} with the {m.slug} mapping (authority {m.authority})", err=True
    )
    parsed = service.parse(text, m, fmt=fmt, as_of=as_of)
    for note in parsed.notes:
        click.echo(f"note: {note}", err=True)
    if parsed.errors:
        for error in parsed.errors:
            click.echo(f"{file.name}: {error}", err=True)
        click.echo(f"{len(parsed.errors)} bad row(s); nothing was imported", err=True)
        sys.exit(1)
    if dry_run:
        with session_scope(obj.engine) as session:
            preview = _preview(session, service, parsed, m)
            session.rollback()
        click.echo(preview)
        click.echo("dry run: nothing was changed")
        return
    with session_scope(obj.engine, write=True) as session:
        auditlog.set_actor(session, f"cli:licences import {m.authority}")
        with click.progressbar(length=len(parsed.rows), label="importing", file=sys.stderr) as bar:
            result = service.apply(
                session, parsed, m, settings=obj.settings, as_of=as_of, progress=bar.update
            )
    click.echo(result.summary())
    for line in result.recruiters_changed + result.effects:
        click.echo(f"  {line}")


def _preview(session, service, parsed, m) -> str:
    from sqlalchemy import select
    from sqlmodel import col

    from registry.models import LicenceRecord
    from registry.services.identifiers import licence_key

    existing = {
        k: (s, v)
        for k, s, v in session.execute(
            select(
                col(LicenceRecord.licence_key), col(LicenceRecord.status), col(LicenceRecord.valid_until)
            ).where(LicenceRecord.authority == m.authority)
        )
    }
    new = changed = 0
    lines = []
    for row in parsed.rows:
        old = existing.get(licence_key(row.licence_number))
        if old is None:
            new += 1
        elif old != (row.status, row.valid_until):
            changed += 1
        lines.append(
            f"  line {row.line}: {row.licence_number} | {row.name} | {row.status} ({row.raw_status or '-'})"
            f" | valid until {row.valid_until or '-'}"
        )
    return "\n".join([f"{m.authority}: {len(parsed.rows)} rows, {new} new, {changed} changed", *lines])
