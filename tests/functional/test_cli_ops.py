"""Operator commands: seed, recruiters import, up/web/worker/beat, help and errors, the container stack."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import click
import pytest
from sqlalchemy import func, select
from sqlmodel import Session

from registry.cli import main
from registry.models import Accreditation, FeeReport, Recruiter
from registry.settings import PROJECT_ROOT, Settings

FAIRRECRUIT = Path(sys.executable).with_name("fairrecruit")
WORKERS_PRESENT = (PROJECT_ROOT / "workers" / "main.py").exists()


# --- help and argument errors ---------------------------------------------------------------------


def _all_commands(group: click.Group, prefix=()):
    ctx = click.Context(group)
    for name in sorted(group.list_commands(ctx)):
        cmd = group.get_command(ctx, name)
        yield (*prefix, name)
        if isinstance(cmd, click.Group):
            yield from _all_commands(cmd, (*prefix, name))


def test_every_command_has_help():
    from click.testing import CliRunner

    runner = CliRunner()
    paths = list(_all_commands(main))
    for expected in [
        ("up",),
        ("web",),
        ("worker",),
        ("beat",),
        ("seed",),
        ("recruiters", "import"),
        ("db", "upgrade"),
        ("audit-log", "verify"),
        ("users", "create"),
        ("healthcheck",),
        ("bot",),
    ]:
        assert expected in paths
    for path in paths:
        result = runner.invoke(main, [*path, "--help"])
        assert result.exit_code == 0, (path, result.output)
        assert "Usage:" in result.output and len(result.output.splitlines()) > 3, path


def test_front_ends_register_their_own_commands_through_entry_points():
    from importlib.metadata import entry_points

    import bot.cli

    assert {ep.name: ep.value for ep in entry_points(group="fairrecruit.commands")} == {"bot": "bot.cli:bot"}
    assert main.get_command(click.Context(main), "bot") is bot.cli.bot
    assert "bot" not in main.commands or main.commands["bot"] is bot.cli.bot


def test_a_front_end_command_that_cannot_load_is_named_and_the_rest_still_work(monkeypatch, capsys):
    from importlib.metadata import EntryPoint

    from registry import cli as cli_module

    group = cli_module.FairRecruitGroup(name="fairrecruit")
    group.add_command(click.Command("own", help="The registry's own."))
    points = [
        EntryPoint("broken", "no_such_front_end.cli:command", cli_module.COMMANDS_ENTRY_POINTS),
        EntryPoint("chat", "bot.cli:bot", cli_module.COMMANDS_ENTRY_POINTS),
    ]
    monkeypatch.setattr(cli_module, "entry_points", lambda group: points)
    names = group.list_commands(click.Context(group))
    assert names == ["chat", "own"]
    err = capsys.readouterr().err
    assert "'broken' (no_such_front_end.cli:command) is unavailable: ModuleNotFoundError" in err
    assert group.get_command(click.Context(group), "broken") is None


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["seed", "--recruiters", "-5"], "Invalid value for '--recruiters'"),
        (["seed", "--reports", "many"], "'many' is not a valid integer"),
        (["seed"], "say what to seed"),
        (["seed", "--if-empty"], "--if-empty goes with --demo"),
        (["seed", "--demo", "--recruiters", "5"], "cannot be combined"),
        (["recruiters", "import", "/nonexistent/recruiters.csv"], "does not exist"),
        (["recruiters", "import"], "Missing argument 'FILE'"),
        (["web", "--port", "70000"], "Invalid value for '--port'"),
        (["up", "--port", "0"], "Invalid value for '--port'"),
        (["up", "--stop-timeout", "0"], "Invalid value for '--stop-timeout'"),
        (["worker", "--concurrency", "0"], "Invalid value for '--concurrency'"),
    ],
)
def test_bad_arguments_fail_with_a_clear_message(args, needle):
    from click.testing import CliRunner

    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2, result.output
    assert needle in result.output


def test_commands_refuse_an_unmigrated_database(tmp_path):
    env = _clean_env(tmp_path)
    for args in (
        ["up"],
        ["web"],
        ["worker"],
        ["beat"],
        ["seed", "--demo"],
        ["recruiters", "import", str(PROJECT_ROOT / "config" / "recruiters_import_example.csv")],
    ):
        r = subprocess.run(
            [str(FAIRRECRUIT), *args], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60
        )
        assert r.returncode == 1, (args, r.stdout, r.stderr)
        assert "fairrecruit db upgrade" in r.stderr, args


# --- seed and import through the CLI (SQLite and PostgreSQL) ------------------------------------------


def test_seed_demo_prints_logins_and_if_empty_skips(cli, engine):
    r = cli("seed", "--demo")
    assert r.exit_code == 0, r.output
    assert "admin@fairrecruit.example / ethical-recruitment-demo" in r.output
    key = re.search(r"API key \(shown once.*\): (fr_live_\S+)", r.output).group(1)
    again = cli("seed", "--demo", "--if-empty")
    assert again.exit_code == 0 and "not loaded" in again.output
    refused = cli("seed", "--demo")
    assert refused.exit_code == 1 and "--if-empty" in refused.output
    with Session(engine) as session:
        from registry.services import companies

        assert companies.authenticate(session, key) is not None
        assert session.scalar(select(func.count()).select_from(Recruiter)) == 50
    assert cli("audit-log", "verify").exit_code == 0


def test_seed_demo_is_refused_in_production(tmp_path):
    env = _clean_env(tmp_path)
    env.update(
        FAIRRECRUIT_ENV="production",
        FAIRRECRUIT_SECRET_KEY="kT3vQ9xLm2Rb7YcNf5WjHs8Ud4PaZe6G",
        FAIRRECRUIT_PSEUDONYM_KEY="Hq7Zr2Mx9Ld4Vb6Nc8Kf3Wt5Yj1Ps0Ga",
        FAIRRECRUIT_PUBLIC_BASE_URL="https://fairrecruit.example.org",
    )
    r = subprocess.run(
        [str(FAIRRECRUIT), "seed", "--demo"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 1
    assert "refusing to load the demo set in production" in r.stderr


def test_seed_volume_with_progress(cli, engine):
    r = cli("seed", "--recruiters", "40", "--reports", "200", "--seed", "9")
    assert r.exit_code == 0, r.output
    assert "generated 40 recruiters" in r.output and "200 fee reports" in r.output
    assert "recruiters" in r.output and "reports" in r.output  # progress bars (stderr is mixed in)
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(FeeReport)) == 200
        assert session.scalar(select(func.count()).select_from(Accreditation)) == 40
    verify = cli("audit-log", "verify")
    assert verify.exit_code == 0 and "entries verified" in verify.output


def test_recruiters_import_cli(cli, engine, tmp_path):
    example = PROJECT_ROOT / "config" / "recruiters_import_example.csv"
    r = cli("recruiters", "import", str(example), "--dry-run")
    assert r.exit_code == 0 and "nothing written" in r.output
    r = cli("recruiters", "import", str(example))
    assert r.exit_code == 0, r.output
    assert "imported 6 recruiters" in r.output
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "legal_name,country,licence_number\nGood Agency Ltd,NP,123\nBad,XX,124\n", encoding="utf-8"
    )
    r = cli("recruiters", "import", str(bad))
    assert r.exit_code == 1
    assert "line 3:" in r.output and "XX" in r.output and "nothing was imported" in r.output
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(Recruiter)) == 6


# --- up: the whole set of processes, started and stopped for real ------------------------------------


def _clean_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FAIRRECRUIT_")}
    env.update(FAIRRECRUIT_VAR_DIR=str(tmp_path / "var"), FAIRRECRUIT_ENV="development", PYTHONUNBUFFERED="1")
    return env


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _proc_table() -> dict[int, tuple[int, str, str]]:
    """pid -> (ppid, state, cmdline) for every process."""
    table = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
        except OSError:
            continue
        rest = stat[stat.rindex(")") + 2 :].split()
        table[int(entry.name)] = (int(rest[1]), rest[0], cmd)
    return table


def _descendants(pid: int) -> dict[int, str]:
    table = _proc_table()
    out, frontier = {}, [pid]
    while frontier:
        parent = frontier.pop()
        for p, (ppid, _state, cmd) in table.items():
            if ppid == parent and p not in out:
                out[p] = cmd
                frontier.append(p)
    return out


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2 :].split()[0] not in ("Z", "X")


def _get(url: str) -> tuple[int, str]:
    with urllib.request.urlopen(url, timeout=5) as r:
        return r.status, r.read().decode()


@pytest.mark.slow
def test_up_starts_everything_and_stops_it_all_on_ctrl_c(tmp_path):
    env = _clean_env(tmp_path)
    for args in (["db", "upgrade"], ["seed", "--demo"]):
        r = subprocess.run(
            [str(FAIRRECRUIT), *args], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120
        )
        assert r.returncode == 0, r.stderr
    port = _free_port()
    log = tmp_path / "up.log"
    # With a bot token, `up` runs the bot too; Telegram is faked over a real socket.
    from tests.functional.bot.fakebotapi import FakeBotAPI

    telegram = FakeBotAPI().start()
    env.update(
        FAIRRECRUIT_TELEGRAM_BOT_TOKEN=telegram.token, FAIRRECRUIT_TELEGRAM_API_BASE_URL=telegram.base_url
    )
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [
                str(FAIRRECRUIT),
                "up",
                "--port",
                str(port),
                "--web-workers",
                "1",
                "--concurrency",
                "1",
                "--stop-timeout",
                "30",
            ],
            env=env,
            cwd=tmp_path,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    groups: set[int] = set()
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 90
        expected = {"gunicorn", "bot"} | ({"celery worker", "celery beat"} if WORKERS_PRESENT else set())
        ready = False
        while time.monotonic() < deadline:
            assert proc.poll() is None, log.read_text()
            kids = _descendants(proc.pid)
            groups |= _groups(kids)
            running = {name for name in expected if any(_matches(name, cmd) for cmd in kids.values())}
            try:
                healthy = _get(base + "/healthz")[0] == 200
            except OSError:
                healthy = False
            text = log.read_text()
            if (
                healthy
                and running == expected
                and "press Ctrl-C" in text
                and any(c.method == "deleteWebhook" for c in telegram.calls)  # the bot starts polling
                and (not WORKERS_PRESENT or re.search(r"celery@\S+ ready", text))
            ):
                ready = True
                break
            time.sleep(0.5)
        assert ready, log.read_text()
        text = log.read_text()
        assert f"FairRecruit is running at {base}/" in text
        assert "admin@fairrecruit.example / ethical-recruitment-demo" in text
        status, body = _get(base + "/verify?q=Saptakoshi")
        assert status == 200 and "Saptakoshi Bridge Overseas" in body
        kids = _descendants(proc.pid)
        groups |= _groups(kids)
        assert len([c for c in kids.values() if "gunicorn" in c]) >= 2  # master and its worker
        # Ctrl-C on the terminal: SIGINT to `up`.
        telegram.release_polls()  # a real Bot API would end the long poll by its timeout
        proc.send_signal(signal.SIGINT)
        rc = proc.wait(timeout=60)
        text = log.read_text()
        assert rc == 0, text
        assert "SIGINT received" in text and "stopped." in text
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(_alive(p) for p in kids):
            time.sleep(0.2)
        left = {p: c for p, c in kids.items() if _alive(p)}
        assert not left, f"left running: {left}"
        assert "killing" not in text  # all stopped within the grace period, no SIGKILL needed
        with pytest.raises(OSError):
            _get(base + "/healthz")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        _kill_groups(groups)  # a failed test leaves nothing behind
        telegram.stop()


def _groups(pids) -> set[int]:
    out = set()
    for p in pids:
        try:
            out.add(os.getpgid(p))
        except ProcessLookupError:
            pass
    return out - {os.getpgrp()}


def _kill_groups(groups: set[int]) -> None:
    for g in groups:
        try:
            os.killpg(g, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


def _matches(name: str, cmd: str) -> bool:
    if name == "bot":
        return cmd.endswith(" bot") and "fairrecruit" in cmd
    if name == "gunicorn":
        return "gunicorn" in cmd and "registry.wsgi:app" in cmd
    kind = name.split()[1]
    return "celery" in cmd and "workers.main:app" in cmd and f" {kind} " in f" {cmd} "


@pytest.mark.slow
def test_up_stops_everything_when_a_child_dies(tmp_path):
    env = _clean_env(tmp_path)
    subprocess.run(
        [str(FAIRRECRUIT), "db", "upgrade"],
        env=env,
        cwd=tmp_path,
        check=True,
        capture_output=True,
        timeout=120,
    )
    port = _free_port()
    blocker = socket.socket()  # the web port is taken: gunicorn cannot bind and exits
    blocker.bind(("127.0.0.1", port))
    blocker.listen()
    try:
        r = subprocess.run(
            [str(FAIRRECRUIT), "up", "--port", str(port), "--web-workers", "1", "--no-worker", "--no-beat"],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        blocker.close()
    assert r.returncode == 1
    assert "web exited with code" in r.stderr and "stopping everything" in r.stderr


# --- the container stack ----------------------------------------------------------------------------


def test_docker_compose_stack_matches_the_code():
    yaml = pytest.importorskip("yaml")
    compose = yaml.safe_load((PROJECT_ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert set(services) == {"postgres", "redis", "migrate", "web", "proxy", "worker", "beat", "bot"}
    app_services = ["migrate", "web", "worker", "beat", "bot"]
    assert {services[s]["image"] for s in app_services} == {"fairrecruit:latest"}  # one image
    assert all(services[s]["build"] == "." and services[s]["env_file"] == ".env" for s in app_services)
    assert services["migrate"]["command"] == ["fairrecruit", "db", "upgrade"]
    assert services["migrate"]["restart"] == "no"
    for s in ("web", "worker", "beat", "bot"):
        deps = services[s]["depends_on"]
        assert deps["migrate"]["condition"] == "service_completed_successfully"
        assert deps["postgres"]["condition"] == deps["redis"]["condition"] == "service_healthy"
        assert services[s]["command"][0] == "fairrecruit" and services[s]["command"][1] == s
    for s in ("postgres", "redis", "web", "worker", "beat", "bot"):
        assert services[s]["healthcheck"]["test"], s
    assert "/healthz" in " ".join(services["web"]["healthcheck"]["test"])
    # web is published only through the nginx proxy, which reads config/nginx.conf and forwards to it
    assert "ports" not in services["web"] and services["web"]["environment"]["FAIRRECRUIT_PROXY_COUNT"] == "1"
    proxy = services["proxy"]
    assert proxy["depends_on"]["web"]["condition"] == "service_healthy" and proxy["ports"]
    mount = next(v for v in proxy["volumes"] if v.endswith("/etc/nginx/nginx.conf:ro"))
    nginx = (PROJECT_ROOT / mount.split(":")[0]).read_text()
    assert "server web:8000;" in nginx and "X-Forwarded-For" in nginx
    assert f"listen {proxy['ports'][0].rsplit(':', 1)[1]};" in nginx
    assert "/healthz" in " ".join(proxy["healthcheck"]["test"])
    # Every FAIRRECRUIT_* variable the stack or its example .env uses is a real setting.
    fields = {f"FAIRRECRUIT_{name.upper()}" for name in Settings.model_fields}
    text = (PROJECT_ROOT / "docker-compose.yml").read_text() + (PROJECT_ROOT / "Dockerfile").read_text()
    example = (PROJECT_ROOT / "config" / "production.env.example").read_text()
    used = set(re.findall(r"FAIRRECRUIT_[A-Z0-9_]+", text + example))
    assert used and used <= fields, used - fields
    example_vars = set(re.findall(r"^(FAIRRECRUIT_[A-Z0-9_]+)=", example, re.M))
    for required in (
        "FAIRRECRUIT_DATABASE_URL",
        "FAIRRECRUIT_BROKER_URL",
        "FAIRRECRUIT_SECRET_KEY",
        "FAIRRECRUIT_PSEUDONYM_KEY",
        "FAIRRECRUIT_TELEGRAM_BOT_TOKEN",
    ):
        assert required in example_vars
    # The database URL of the example .env points at the compose services.
    assert "@postgres/" in example and "redis://redis:6379" in example


def test_dockerfile_builds_one_unprivileged_image():
    text = (PROJECT_ROOT / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.11-slim\b", text, re.M)
    assert re.search(r"^USER (?!root\b)\S+", text, re.M)
    assert "pip install" in text and "COPY registry" in text and "COPY config" in text
    assert "HEALTHCHECK" in text
    ignored = (PROJECT_ROOT / ".dockerignore").read_text().split()
    assert ".env" in ignored and ".venv" in ignored and "var" in ignored
    # The certificate PDF prints every script with Debian's Noto fonts: the image and CI install them.
    ci = (PROJECT_ROOT / ".ci" / "run").read_text()
    for package in ("fonts-noto-core", "fonts-noto-cjk"):
        assert re.search(rf"apt-get install .*{package}", text), package
        assert re.search(rf"apt-get install .*{package}", ci), package


@pytest.mark.slow
def test_web_serves_with_gunicorn_and_stops_on_sigterm(tmp_path):
    env = _clean_env(tmp_path)
    subprocess.run(
        [str(FAIRRECRUIT), "db", "upgrade"],
        env=env,
        cwd=tmp_path,
        check=True,
        capture_output=True,
        timeout=120,
    )
    port = _free_port()
    log = tmp_path / "web.log"
    groups: set[int] = set()
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [str(FAIRRECRUIT), "web", "--host", "127.0.0.1", "--port", str(port), "--workers", "1"],
            env=env,
            cwd=tmp_path,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    groups.add(proc.pid)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert proc.poll() is None, log.read_text()
            try:
                if _get(f"http://127.0.0.1:{port}/healthz")[0] == 200:
                    break
            except OSError:
                time.sleep(0.3)
        else:
            pytest.fail(log.read_text())
        # `web` became gunicorn itself (exec), so signals from a container runtime reach it directly.
        assert "gunicorn" in Path(f"/proc/{proc.pid}/cmdline").read_bytes().decode(errors="replace")
        kids = _descendants(proc.pid)
        groups |= _groups(kids)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
        assert not [p for p in kids if _alive(p)]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        _kill_groups(groups)
