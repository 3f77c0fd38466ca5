"""`fairrecruit checks run [NAME] [--as-of DATE]`: run compliance checks now and print what changed."""

from __future__ import annotations

from datetime import date

import click

from registry.cli import main, pass_ctx


@main.group()
def checks() -> None:
    """Compliance checks (normally run by Celery beat on their own schedule)."""


@checks.command("list")
def checks_list() -> None:
    """List the checks and their schedules."""
    from registry.services.checks import CHECKS

    for c in CHECKS.values():
        cron = " ".join(
            str(c.schedule.get(k, "*"))
            for k in ("minute", "hour", "day_of_month", "month_of_year", "day_of_week")
        )
        click.echo(f"{c.name:<28} {cron:<14} {c.doc}")


def _parse_date(_ctx, _param, value):
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date (YYYY-MM-DD)") from None


@checks.command("run")
@click.argument("name", required=False)
@click.option(
    "--as-of", callback=_parse_date, metavar="DATE", help="Evaluate as of this date (default: today)."
)
@pass_ctx
def checks_run(obj, name: str | None, as_of: date | None) -> None:
    """Run check NAME (or every check), commit, and print each change it made."""
    from registry.db import commit_and_go_on, session_scope
    from registry.services.checks import CHECKS, run
    from registry.timeutil import today

    if name is not None and name not in CHECKS:
        raise click.BadParameter(f"unknown check {name!r}; one of: {', '.join(CHECKS)}", param_hint="NAME")
    names = [name] if name else list(CHECKS)
    as_of = as_of or today()
    total = 0
    for n in names:
        with session_scope(obj.engine, write=True) as session:
            result = run(
                session, n, as_of=as_of, settings=obj.settings, checkpoint=lambda: commit_and_go_on(session)
            )
        click.echo(result.summary())
        for line in result.changes:
            click.echo(f"  {line}")
        total += result.changed
    click.echo(f"{total} change(s) in total")
