"""`fairrecruit up | web | worker | beat`: run the processes of the registry.

`web`, `worker` and `beat` replace themselves with gunicorn / celery (so signals reach them
directly, as a container runtime expects). `up` starts web, a Celery worker, Celery beat and,
when a bot token is configured, the Telegram bot, each as a child in its own process group;
Ctrl-C or SIGTERM stops all of them: SIGTERM to every group, a grace period, then SIGKILL.
"""

from __future__ import annotations

import importlib.util
import os
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import click

from registry.cli import main, pass_ctx
from registry.settings import CONFIG_DIR, PROJECT_ROOT

GUNICORN_CONF = CONFIG_DIR / "gunicorn.conf.py"
CELERY_APP = "workers.main:app"
PASSTHROUGH = {"ignore_unknown_options": True, "allow_extra_args": True}


def fairrecruit_argv() -> list[str]:
    """How to run the `fairrecruit` CLI in a child process (the console script next to this Python)."""
    script = Path(sys.executable).with_name("fairrecruit")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "import sys; from registry.cli import main; sys.exit(main())"]


def gunicorn_argv(
    host: str, port: int, workers: int | None = None, extra: list[str] | tuple = ()
) -> list[str]:
    argv = [sys.executable, "-m", "gunicorn"]
    if GUNICORN_CONF.exists():
        argv += ["--config", str(GUNICORN_CONF)]
    argv += ["--bind", f"{_bind_host(host)}:{port}"]
    if workers:
        argv += ["--workers", str(workers)]
    return [*argv, *extra, "registry.wsgi:app"]


def celery_argv(kind: str, settings, extra: list[str] | tuple = ()) -> list[str]:
    argv = [sys.executable, "-m", "celery", "-A", CELERY_APP, kind, "--loglevel", "INFO"]
    if kind == "beat" and "--schedule" not in extra and "-s" not in extra:
        settings.var_dir.mkdir(parents=True, exist_ok=True)
        argv += ["--schedule", str((settings.var_dir / "celerybeat-schedule").resolve())]
    return [*argv, *extra]


def _bind_host(host: str) -> str:
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


def _workers_available() -> bool:
    if (PROJECT_ROOT / "workers" / "main.py").exists():
        return True
    try:
        return importlib.util.find_spec("workers.main") is not None
    except ModuleNotFoundError:
        return False


def child_env() -> dict[str, str]:
    """The environment of child processes: ours, with the project on the import path (any cwd)."""
    env = dict(os.environ)
    paths = [str(PROJECT_ROOT), *[p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]]
    env["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(paths))
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env


def _exec(argv: list[str]) -> None:
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(argv[0], argv, child_env())  # noqa: S606 - replace this process with the server


def _check_ready(obj) -> None:
    """Settings valid (production secrets) and the schema migrated, before anything starts."""
    from sqlalchemy import inspect

    settings = obj.settings  # raises a clear ClickException in production with default secrets
    try:
        has_schema = inspect(obj.engine).has_table("recruiter")
    except Exception as e:  # noqa: BLE001 - any connection problem is reported as such
        raise click.ClickException(
            f"cannot reach the database {settings.sqlalchemy_url.split('@')[-1]}: {e}"
        ) from None
    if not has_schema:
        raise click.ClickException("the database has no schema yet; run `fairrecruit db upgrade` first")


# --- single processes -----------------------------------------------------------------------------


@main.command("web", context_settings=PASSTHROUGH)
@click.option(
    "--host", default=None, help="Interface to listen on [default: FAIRRECRUIT_WEB_HOST or 127.0.0.1]."
)
@click.option(
    "--port",
    type=click.IntRange(1, 65535),
    default=None,
    help="Port [default: FAIRRECRUIT_WEB_PORT or 8000].",
)
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=None,
    help="Gunicorn worker processes [default: FAIRRECRUIT_WEB_WORKERS].",
)
@click.argument("gunicorn_args", nargs=-1, type=click.UNPROCESSED)
@pass_ctx
def web(obj, host: str | None, port: int | None, workers: int | None, gunicorn_args: tuple[str, ...]) -> None:
    """Serve the web app (public pages, admin, API) with gunicorn.

    Extra arguments after `--` go to gunicorn, e.g. `fairrecruit web -- --access-logfile=-`.
    """
    s = obj.settings
    _check_ready(obj)
    _exec(gunicorn_argv(host or s.web_host, port or s.web_port, workers or s.web_workers, gunicorn_args))


@main.command("worker", context_settings=PASSTHROUGH)
@click.option(
    "--concurrency", type=click.IntRange(1, 256), default=None, help="Worker processes [default: CPUs]."
)
@click.argument("celery_args", nargs=-1, type=click.UNPROCESSED)
@pass_ctx
def worker(obj, concurrency: int | None, celery_args: tuple[str, ...]) -> None:
    """Run a Celery worker (compliance checks, outbox delivery).

    Extra arguments after `--` go to `celery worker`.
    """
    _check_ready(obj)
    extra = list(celery_args) + (["--concurrency", str(concurrency)] if concurrency else [])
    _exec(celery_argv("worker", obj.settings, extra))


@main.command("beat", context_settings=PASSTHROUGH)
@click.argument("celery_args", nargs=-1, type=click.UNPROCESSED)
@pass_ctx
def beat(obj, celery_args: tuple[str, ...]) -> None:
    """Run Celery beat, the scheduler (run exactly one).

    Extra arguments after `--` go to `celery beat`.
    """
    _check_ready(obj)
    _exec(celery_argv("beat", obj.settings, list(celery_args)))


# --- everything -------------------------------------------------------------------------------------


@dataclass
class Child:
    name: str
    argv: list[str]
    proc: subprocess.Popen | None = None
    exit_code: int | None = field(default=None)

    @property
    def process(self) -> subprocess.Popen:
        """The child's process, once Supervisor.start has started it."""
        if self.proc is None:
            raise RuntimeError(f"{self.name} has not been started")
        return self.proc

    @property
    def pgid(self) -> int:
        return self.process.pid  # each child leads its own process group (start_new_session)


class Supervisor:
    """Start children in their own process groups; stop them all, politely then firmly."""

    def __init__(self, children: list[Child], stop_timeout: float = 15.0, echo=click.echo):
        self.children = children
        self.stop_timeout = stop_timeout
        self.echo = echo
        self.stopping = False
        self.signal_name: str | None = None

    def _on_signal(self, signum, _frame) -> None:
        self.signal_name = signal.Signals(signum).name
        self.stopping = True

    def start(self) -> None:
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, self._on_signal)
        for child in self.children:
            child.proc = subprocess.Popen(child.argv, start_new_session=True, env=child_env())  # noqa: S603
            self.echo(f"started {child.name:<7} pid {child.proc.pid}")

    def run(self) -> int:
        """Wait until a signal arrives or a child dies; then stop everything. Returns the exit code."""
        code = 0
        while not self.stopping:
            for child in self.children:
                rc = child.process.poll()
                if rc is not None:
                    self.echo(f"{child.name} exited with code {rc}; stopping everything", err=True)
                    code = 1
                    self.stopping = True
                    break
            else:
                time.sleep(0.2)
        if self.signal_name:
            self.echo(f"\n{self.signal_name} received; stopping {', '.join(c.name for c in self.children)}")
        self.stop()
        return code

    def _group_alive(self, child: Child) -> bool:
        if child.process.poll() is None:
            return True
        try:
            os.killpg(child.pgid, 0)
        except (ProcessLookupError, PermissionError):
            return False
        return _group_has_live_members(child.pgid)

    def _signal_groups(self, sig: int, *, leaders_first: bool = False) -> None:
        """Signal each child's process group; with leaders_first, only the leader while it lives
        (gunicorn and celery stop their own workers gracefully on SIGTERM)."""
        for child in self.children:
            try:
                if leaders_first and child.process.poll() is None:
                    os.kill(child.process.pid, sig)
                else:
                    os.killpg(child.pgid, sig)
            except (ProcessLookupError, PermissionError):
                pass

    def stop(self) -> None:
        # Do not let a second Ctrl-C interrupt the shutdown half-way.
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, signal.SIG_IGN)
        self._signal_groups(signal.SIGTERM, leaders_first=True)
        deadline = time.monotonic() + self.stop_timeout
        while time.monotonic() < deadline and any(self._group_alive(c) for c in self.children):
            time.sleep(0.1)
        stubborn = [c for c in self.children if self._group_alive(c)]
        if stubborn:
            self.echo(
                f"still running after {self.stop_timeout:.0f} s: {', '.join(c.name for c in stubborn)}; "
                "killing",
                err=True,
            )
            self._signal_groups(signal.SIGKILL)
        for child in self.children:
            try:
                child.exit_code = child.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                child.exit_code = None
        self.echo("stopped.")


def _group_has_live_members(pgid: int) -> bool:
    """True if a non-zombie process of this group exists (zombies await their reaper, they run nothing)."""
    proc = Path("/proc")
    if not proc.is_dir():
        return True
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        state, pg = fields[0], int(fields[2])
        if pg == pgid and state not in ("Z", "X"):
            return True
    return False


def _wait_http(url: str, timeout: float, supervisor: Supervisor) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not supervisor.stopping:
        try:
            with urllib.request.urlopen(url, timeout=2) as r:  # noqa: S310 - our own local URL
                if r.status == 200:
                    return True
        except OSError:
            pass
        if any(c.process.poll() is not None for c in supervisor.children):
            return False
        time.sleep(0.3)
    return False


def login_hint(obj) -> str:
    from sqlmodel import Session

    from registry.seed.data import DEMO_ADMIN_EMAIL, DEMO_ADMIN_PASSWORD
    from registry.services import users

    s = obj.settings
    with Session(obj.engine) as session:
        user = users.by_email(session, DEMO_ADMIN_EMAIL)
        # A registry seeded by an older version may hold another demo password: then say nothing wrong.
        demo_admin = user is not None and users.check_password(user, DEMO_ADMIN_PASSWORD)
    if demo_admin and not s.is_production:
        return (
            f"demo login: {DEMO_ADMIN_EMAIL} / {DEMO_ADMIN_PASSWORD} "
            "(demo data only; never use it in production)"
        )
    return "log in with an account created by `fairrecruit users create --email you@example.org --role admin`"


@main.command("up")
@click.option("--host", default=None, help="Interface for the web server [default: FAIRRECRUIT_WEB_HOST].")
@click.option(
    "--port", type=click.IntRange(1, 65535), default=None, help="Web port [default: FAIRRECRUIT_WEB_PORT]."
)
@click.option(
    "--web-workers",
    type=click.IntRange(1, 64),
    default=None,
    help="Gunicorn worker processes [default: FAIRRECRUIT_WEB_WORKERS].",
)
@click.option(
    "--concurrency", type=click.IntRange(1, 64), default=2, show_default=True, help="Celery worker processes."
)
@click.option("--no-worker", is_flag=True, help="Do not start the Celery worker.")
@click.option("--no-beat", is_flag=True, help="Do not start Celery beat.")
@click.option("--no-bot", is_flag=True, help="Do not start the Telegram bot even when a token is set.")
@click.option(
    "--stop-timeout",
    type=click.FloatRange(0.5, 300),
    default=15.0,
    show_default=True,
    help="Seconds to wait after SIGTERM before killing.",
)
@pass_ctx
def up(obj, host, port, web_workers, concurrency, no_worker, no_beat, no_bot, stop_timeout) -> None:
    """Run everything on this machine: web, Celery worker and beat, and the bot when a token is set.

    With no configuration this uses the embedded defaults (SQLite under ./var, no servers).
    Ctrl-C (or SIGTERM) stops all of them cleanly.
    """
    s = obj.settings
    _check_ready(obj)
    host = host or s.web_host
    port = port or s.web_port
    children = [Child("web", gunicorn_argv(host, port, web_workers or s.web_workers))]
    if not (no_worker and no_beat) and not _workers_available():
        click.echo(
            "note: the workers package (workers/main.py) is not installed; running without worker and beat",
            err=True,
        )
        no_worker = no_beat = True
    if not no_worker:
        children.append(Child("worker", celery_argv("worker", s, ["--concurrency", str(concurrency)])))
    if not no_beat:
        children.append(Child("beat", celery_argv("beat", s)))
    if s.telegram_bot_token and not no_bot:
        if main.get_command(click.get_current_context(), "bot") is not None:
            children.append(Child("bot", [*fairrecruit_argv(), "bot"]))
        else:
            click.echo("note: this installation has no `bot` command; running without the bot", err=True)
    elif not s.telegram_bot_token:
        click.echo("bot not started (set FAIRRECRUIT_TELEGRAM_BOT_TOKEN to run it)")

    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host  # noqa: S104 - only for the printed URL
    url = f"http://{_bind_host(shown)}:{port}"
    sup = Supervisor(children, stop_timeout=stop_timeout)
    sup.start()
    if _wait_http(url + "/healthz", 60, sup):
        click.echo("")
        click.echo(f"FairRecruit is running at {url}/")
        click.echo(f"  admin panel: {url}/admin/   {login_hint(obj)}")
        click.echo(f"  API docs:    {url}/api/docs")
        click.echo("  press Ctrl-C to stop everything")
        click.echo("", nl=True)
    elif not sup.stopping and all(c.process.poll() is None for c in children):
        click.echo(f"{url}/healthz does not answer yet; still starting (Ctrl-C stops everything)", err=True)
    sys.exit(sup.run())


@main.command("healthcheck")
@click.option(
    "--url", default=None, help="Also require this URL to answer 200 (e.g. http://127.0.0.1:8000/healthz)."
)
@click.option("--broker/--no-broker", default=True, show_default=True, help="Check the Celery broker too.")
@click.option(
    "--timeout", type=click.FloatRange(0.5, 60), default=5.0, show_default=True, help="Seconds per check."
)
@pass_ctx
def healthcheck(obj, url: str | None, broker: bool, timeout: float) -> None:
    """Exit 0 when the database (and broker, and URL) answer; 1 naming what does not (for container healthchecks)."""
    from sqlalchemy import text

    problems = []
    try:
        with obj.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as e:  # noqa: BLE001 - reported, not raised
        problems.append(f"database: {type(e).__name__}: {e}".splitlines()[0])
    if broker:
        from kombu import Connection

        try:
            with Connection(obj.settings.celery_broker_url, connect_timeout=timeout) as conn:
                # kombu takes the timeout in (fractional) seconds; its stubs declare an int.
                conn.ensure_connection(max_retries=1, timeout=timeout)  # type: ignore[arg-type]
        except Exception as e:  # noqa: BLE001 - reported, not raised
            problems.append(f"broker: {type(e).__name__}: {e}".splitlines()[0])
    if url:
        try:
            with urllib.request.urlopen(url, timeout=timeout) as r:  # noqa: S310 - operator-given URL
                if r.status != 200:
                    problems.append(f"{url}: HTTP {r.status}")
        except OSError as e:
            problems.append(f"{url}: {e}")
    if problems:
        for p in problems:
            click.echo(f"unhealthy: {p}", err=True)
        sys.exit(1)
    click.echo("healthy")
