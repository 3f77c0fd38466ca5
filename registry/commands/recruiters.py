"""`fairrecruit recruiters`: onboarding an existing registry from a CSV file."""

from __future__ import annotations

import click

from registry.cli import main, pass_ctx


@main.group("recruiters")
def recruiters_group() -> None:
    """Recruiters in the registry."""


@recruiters_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, readable=True))
@click.option("--dry-run", is_flag=True, help="Validate and check for duplicates only; write nothing.")
@click.option("--actor", default="cli:import", show_default=True, help="Who is recorded in the audit log.")
@click.option("--no-progress", is_flag=True, help="Do not draw progress bars.")
@pass_ctx
def recruiters_import(obj, file: str, dry_run: bool, actor: str, no_progress: bool) -> None:
    """Import recruiters from the CSV FILE (all or nothing).

    \b
    Header row with these columns (legal_name and country required):
      legal_name, other_names (';'-separated), country (ISO code, e.g. NP),
      licence_authority, licence_number, corridors (e.g. NP>QA;NP>MY),
      sectors (';'-separated), contact_email, contact_phone, website, address
    Example: config/recruiters_import_example.csv

    Every row is validated; any bad or duplicate row (inside the file or against the registry)
    is reported with its line number and nothing is imported. New recruiters start as applicants.
    """
    from registry.commands.seed import require_schema, tqdm_progress
    from registry.errors import DomainError
    from registry.services import importer

    require_schema(obj.engine)
    try:
        res = importer.import_file(
            obj.engine, file, actor=actor, dry_run=dry_run, progress=tqdm_progress(not no_progress)
        )
    except importer.ImportRejected as e:
        click.echo(f"Error: {file}: {e.message}", err=True)
        raise SystemExit(1) from None
    except DomainError as e:
        raise click.ClickException(e.message) from None
    if dry_run:
        click.echo(f"{file}: {res.rows} rows valid, no duplicates; nothing written (--dry-run)")
        return
    click.echo(
        f"imported {res.created} recruiters as applicants ({res.corridors} corridors, "
        f"{res.log_entries} audit-log entries) in {res.seconds:.1f} s"
    )
