"""The `fairrecruit` command group. Settings are read here, at the entry point, and passed down.

The registry's own commands live in ``registry/commands/``; front ends register theirs (the bot's
``fairrecruit bot``) under the package entry point group ``fairrecruit.commands``, loaded when the
command line is resolved, so the registry imports no front end. Every command that opens the database
also installs the outbox's after-commit dispatch: what it commits is delivered at once.
"""

from __future__ import annotations

import sys
from importlib.metadata import entry_points

import click

from registry.settings import ConfigurationError, Settings, load_settings

COMMANDS_ENTRY_POINTS = "fairrecruit.commands"


class Context:
    def __init__(self):
        self._settings: Settings | None = None
        self._engine = None
        self._uninstall_dispatch = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            try:
                self._settings = load_settings()
            except ConfigurationError as e:
                raise click.ClickException(str(e)) from None
            from registry import logs

            logs.setup(self._settings)
        return self._settings

    @property
    def engine(self):
        if self._engine is None:
            from registry.db import make_engine
            from registry.services import outbox

            self._engine = make_engine(self.settings)
            self._uninstall_dispatch = outbox.install_dispatch_after_commit(self.settings)
        return self._engine

    def close(self) -> None:
        if self._uninstall_dispatch is not None:
            self._uninstall_dispatch()
            self._uninstall_dispatch = None
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None


pass_ctx = click.make_pass_decorator(Context, ensure=True)


class FairRecruitGroup(click.Group):
    """A command group that also offers the commands front ends register through entry points."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._front_ends_loaded = False

    def load_front_end_commands(self) -> None:
        """Add the commands of the `fairrecruit.commands` entry points (once). One that cannot be
        loaded (its package is broken or partly installed) is named on stderr; the rest still work."""
        if self._front_ends_loaded:
            return
        self._front_ends_loaded = True
        for ep in entry_points(group=COMMANDS_ENTRY_POINTS):
            if ep.name in self.commands:
                continue
            try:
                command = ep.load()
            except Exception as e:  # noqa: BLE001 - reported; the registry's own commands still work
                click.echo(
                    f"note: command {ep.name!r} ({ep.value}) is unavailable: {type(e).__name__}: {e}",
                    err=True,
                )
                continue
            self.add_command(command, ep.name)

    def list_commands(self, ctx: click.Context) -> list[str]:
        self.load_front_end_commands()
        return super().list_commands(ctx)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands:
            self.load_front_end_commands()
        return super().get_command(ctx, cmd_name)


@click.group(cls=FairRecruitGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.pass_context
def main(ctx: click.Context) -> None:
    """FairRecruit: ethical-recruitment accreditation registry.

    Configuration comes from FAIRRECRUIT_* environment variables (see config/defaults.env).
    """
    obj = ctx.ensure_object(Context)
    ctx.call_on_close(obj.close)


# --- database ---------------------------------------------------------------------------------


@main.group()
def db() -> None:
    """Database schema (Alembic migrations)."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True, help="Target revision.")
@pass_ctx
def db_upgrade(obj: Context, revision: str) -> None:
    """Apply migrations up to REVISION (creates the schema on an empty database)."""
    from registry.migrate import current, upgrade

    upgrade(obj.engine, revision)
    click.echo(
        f"database at revision {current(obj.engine)} ({obj.engine.url.render_as_string(hide_password=True)})"
    )


# --- audit log --------------------------------------------------------------------------------


@main.group("audit-log")
def audit_log() -> None:
    """The tamper-evident audit log."""


@audit_log.command("verify")
@pass_ctx
def audit_log_verify(obj: Context) -> None:
    """Check every chain, its head and the anchors; exit 1 naming the first altered, deleted or
    reordered entry."""
    from sqlmodel import Session

    from registry.services import auditlog

    with Session(obj.engine) as session:
        result = auditlog.verify(session)
    if result.ok:
        click.echo(str(result))
        return
    click.echo(str(result), err=True)
    sys.exit(1)


@audit_log.command("anchor")
@pass_ctx
def audit_log_anchor(obj: Context) -> None:
    """Pin the head of every chain that moved since the last anchor (the beat job does this too)."""
    from registry.db import session_scope
    from registry.services import auditlog

    with session_scope(obj.engine, write=True) as session:
        pinned = auditlog.anchor(session)
    click.echo(f"anchored {pinned} chains")


# --- users ------------------------------------------------------------------------------------


@main.group()
def users() -> None:
    """Admin-panel users."""


@users.command("create")
@click.option("--email", required=True, help="Login e-mail address.")
@click.option("--role", required=True, type=click.Choice(["admin", "auditor", "viewer"]), help="Role.")
@click.option("--password", "password_opt", default=None, hidden=True)
@pass_ctx
def users_create(obj: Context, email: str, role: str, password_opt: str | None) -> None:
    """Create a user. The password is read from standard input when it is not a terminal,
    otherwise asked for twice. It must have at least 12 characters, not be a common password and not
    look like the e-mail address."""
    from registry.db import session_scope
    from registry.errors import DomainError
    from registry.services import auditlog
    from registry.services import users as user_service

    if password_opt is not None:
        password = password_opt
    elif not sys.stdin.isatty():
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        with session_scope(obj.engine) as session:
            auditlog.set_actor(session, "cli")
            user = user_service.create(session, email=email, role=role, password=password)
            click.echo(f"created {user.role} {user.email}")
    except DomainError as e:
        raise click.ClickException(e.message) from None


@users.command("reset-2fa")
@click.option("--email", required=True, help="Login e-mail address.")
@pass_ctx
def users_reset_2fa(obj: Context, email: str) -> None:
    """Remove a user's second factor (a lost phone): they sign in with the password and set it up again.
    Their sessions end."""
    from registry.db import session_scope
    from registry.services import auditlog, twofactor
    from registry.services import users as user_service

    with session_scope(obj.engine) as session:
        auditlog.set_actor(session, "cli")
        user = user_service.by_email(session, email)
        if user is None:
            raise click.ClickException(f"no user with e-mail {email}")
        twofactor.reset(session, user)
        click.echo(f"second factor of {user.email} removed; their sessions have ended")


def _load_commands() -> None:
    import importlib

    from registry.commands import MODULES

    for name in MODULES:
        importlib.import_module(f"registry.commands.{name}")


_load_commands()
