"""`fairrecruit seed`: the demo set (`--demo`) or generated volume (`--recruiters N --reports M`)."""

from __future__ import annotations

import click

from registry.cli import main, pass_ctx
from registry.services import fees


def tqdm_progress(enabled: bool = True):
    """A progress-bar factory for the volume seed and the recruiters import (tqdm on standard error)."""
    from tqdm import tqdm

    def make(total: int, desc: str):
        return tqdm(
            total=total,
            desc=f"{desc:<10}",
            unit=" rows",
            unit_scale=True,
            disable=not enabled,
            leave=True,
            dynamic_ncols=True,
            mininterval=0.5,
        )

    return make


@main.command("seed")
@click.option(
    "--demo", is_flag=True, help="Load the small demo set (invented names) with a demo admin and company."
)
@click.option(
    "--if-empty", is_flag=True, help="With --demo: do nothing when the registry already holds recruiters."
)
@click.option(
    "--recruiters",
    "n_recruiters",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="Generate this many recruiters (volume for load tests).",
)
@click.option(
    "--reports",
    "n_reports",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="Generate this many fee reports (attached to the generated, or else existing, recruiters).",
)
@click.option(
    "--seed", "random_seed", type=int, default=None, help="Random seed, for a reproducible data set."
)
@click.option(
    "--batch",
    type=click.IntRange(min=100),
    default=10_000,
    show_default=True,
    help="Rows per executemany batch.",
)
@click.option("--no-progress", is_flag=True, help="Do not draw progress bars.")
@pass_ctx
def seed(
    obj,
    demo: bool,
    if_empty: bool,
    n_recruiters: int,
    n_reports: int,
    random_seed: int | None,
    batch: int,
    no_progress: bool,
) -> None:
    """Fill the registry with demo data or generated volume.

    \b
    fairrecruit seed --demo [--if-empty]     ~50 invented recruiters in every accreditation state,
                                             audits, findings, fee reports, a demo company (API key
                                             printed once) and the demo admin (not in production)
    fairrecruit seed --recruiters N --reports M
                                             bulk volume in one transaction, with progress bars
    """
    from sqlalchemy import func, select

    from registry.db import session_scope
    from registry.errors import DomainError
    from registry.models import Recruiter
    from registry.seed import demo as demo_builder
    from registry.seed import volume

    if if_empty and not demo:
        raise click.UsageError("--if-empty goes with --demo")
    if not demo and not (n_recruiters or n_reports):
        raise click.UsageError("say what to seed: --demo, or --recruiters N and/or --reports M")
    if demo and (n_recruiters or n_reports):
        raise click.UsageError(
            "--demo cannot be combined with --recruiters/--reports; run them one after the other"
        )
    settings = obj.settings
    fx = fees.fx_table(str(settings.fx_rates_path))

    if demo:
        if settings.is_production:
            raise click.ClickException(
                "refusing to load the demo set in production (FAIRRECRUIT_ENV=production): "
                "it creates a demo admin with a published password"
            )
        require_schema(obj.engine)
        with session_scope(obj.engine) as session:
            existing = session.scalar(select(func.count()).select_from(Recruiter)) or 0
        if existing and if_empty:
            click.echo(f"registry already holds {existing} recruiters; demo set not loaded")
            return
        try:
            with session_scope(obj.engine) as session:
                res = demo_builder.build(
                    session,
                    pseudonym_key=settings.pseudonym_key,
                    fx=fx,
                    cycle_years=settings.accreditation_cycle_years,
                    major_days=settings.major_finding_due_days,
                    minor_days=settings.minor_finding_due_days,
                )
        except DomainError as e:
            raise click.ClickException(f"{e.message} (use --if-empty to skip silently)") from None
        states = ", ".join(f"{k} {v}" for k, v in sorted(res.states.items()))
        click.echo(
            f"demo set loaded: {res.recruiters} recruiters ({states}), {res.audits} audits, "
            f"{res.findings} findings, {res.reports} fee reports"
        )
        click.echo(
            f"admin login:  {res.admin_email} / {res.admin_password}   ({settings.public_base_url}/admin/)"
        )
        click.echo(f"company:      {res.company}")
        click.echo(f"API key (shown once, store it now): {res.api_key}")
        _run_checks_on_demo(obj.engine, settings)
        return

    require_schema(obj.engine)
    try:
        loaded = volume.load(
            obj.engine,
            recruiters=n_recruiters,
            reports=n_reports,
            pseudonym_key=settings.pseudonym_key,
            fx=fx,
            seed=random_seed,
            batch=batch,
            progress=tqdm_progress(not no_progress),
            cycle_years=settings.accreditation_cycle_years,
        )
    except DomainError as e:
        raise click.ClickException(e.message) from None
    click.echo(
        f"generated {loaded.recruiters} recruiters, {loaded.corridors} corridors, {loaded.audits} audits, "
        f"{loaded.events} accreditation events, {loaded.reports} fee reports and {loaded.log_entries} "
        f"audit-log entries in {loaded.seconds:.1f} s ({loaded.rows / max(loaded.seconds, 1e-9):,.0f} rows/s)"
    )


def require_schema(engine) -> None:
    """Stop with a clear message when the database has not been migrated yet."""
    from sqlalchemy import inspect

    if not inspect(engine).has_table("recruiter"):
        raise click.ClickException("the database has no schema yet; run `fairrecruit db upgrade` first")


def _run_checks_on_demo(engine, settings) -> None:
    """Run today's compliance checks once, so the demo registry looks as it would in operation
    (overdue major findings suspended, alerts raised) instead of waiting for the first beat."""
    from registry.db import session_scope
    from registry.services import checks
    from registry.timeutil import today

    for name in checks.CHECKS:
        if name == "retention":
            continue
        with session_scope(engine, write=True) as session:
            result = checks.run(session, name, as_of=today(), settings=settings)
        click.echo(f"check {result.summary()}")
