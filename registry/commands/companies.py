"""`fairrecruit` commands: companies and their API keys."""

from __future__ import annotations

import click

from registry.cli import main, pass_ctx


@main.group("api-keys")
def api_keys() -> None:
    """API keys of companies (supply-chain API)."""


def _scopes(value: str) -> list[str]:
    from registry.models.companies import API_SCOPES

    scopes = [s.strip() for s in value.split(",") if s.strip()]
    bad = [s for s in scopes if s not in API_SCOPES]
    if bad or not scopes:
        raise click.BadParameter(f"choose from {', '.join(API_SCOPES)} (comma-separated)")
    return scopes


@api_keys.command("create")
@click.option("--company", required=True, help="Company name; the company is created if it is new.")
@click.option(
    "--scopes",
    default="read,suppliers,webhooks",
    show_default=True,
    help="Comma-separated scopes: read, suppliers, webhooks.",
)
@click.option("--name", default="", help="A label for the key, e.g. where it is used.")
@pass_ctx
def api_keys_create(obj, company: str, scopes: str, name: str) -> None:
    """Create an API key for COMPANY and print it once (only its hash is stored)."""
    from registry.db import session_scope
    from registry.errors import DomainError
    from registry.services import auditlog, companies

    scope_list = _scopes(scopes)
    try:
        with session_scope(obj.engine) as session:
            auditlog.set_actor(session, "cli")
            comp, created = companies.get_or_create(session, company)
            new = companies.create_api_key(session, comp, name=name, scopes=scope_list)
            company_name, prefix = comp.name, new.key.prefix
    except DomainError as e:
        raise click.ClickException(e.message) from None
    if created:
        click.echo(f"created company {company_name}", err=True)
    click.echo(
        f"API key {prefix} for {company_name} (scopes: {', '.join(scope_list)}); "
        "store it now, it is not shown again:",
        err=True,
    )
    click.echo(new.plaintext)


@api_keys.command("list")
@click.option("--company", default=None, help="Only this company's keys.")
@pass_ctx
def api_keys_list(obj, company: str | None) -> None:
    """List API keys (prefix, company, scopes, last use, revoked); never the keys themselves."""
    from sqlalchemy import select
    from sqlmodel import Session, col

    from registry.models import ApiKey, Company
    from registry.timeutil import iso

    with Session(obj.engine) as session:
        stmt = (
            select(ApiKey, col(Company.name))
            .join(Company, col(Company.id) == col(ApiKey.company_id))
            .order_by(col(ApiKey.id))
        )
        if company:
            stmt = stmt.where(col(Company.name) == company)
        for key, company_name in session.execute(stmt):
            click.echo(
                f"{key.prefix}\t{company_name}\t{','.join(key.scopes)}\t"
                f"last used {iso(key.last_used_at) or 'never'}\t"
                f"{'revoked ' + iso(key.revoked_at) if key.revoked_at else 'active'}"
            )


@api_keys.command("revoke")
@click.argument("prefix")
@pass_ctx
def api_keys_revoke(obj, prefix: str) -> None:
    """Revoke the key with PREFIX (the 8 characters after fr_live_); it stops working at once."""
    from registry.db import session_scope
    from registry.errors import DomainError
    from registry.services import auditlog, companies

    try:
        with session_scope(obj.engine) as session:
            auditlog.set_actor(session, "cli")
            companies.revoke_by_prefix(session, prefix)
    except DomainError as e:
        raise click.ClickException(e.message) from None
    click.echo(f"revoked API key {prefix}")
