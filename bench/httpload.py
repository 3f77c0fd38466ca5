"""Serving and loading over HTTP for the API benchmark: gunicorn with the production configuration, a
bare Flask baseline app, `wrk` with random paths, and the server's CPU time per request."""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import httpx

from registry.settings import CONFIG_DIR, PROJECT_ROOT, load_settings

CONNECTIONS = 16  # wrk connections: the goal's figure
WRK = shutil.which("wrk") or "/usr/bin/wrk"
GUNICORN_CONF = CONFIG_DIR / "gunicorn.conf.py"

BARE_APP = """
import json
from pathlib import Path

from flask import Flask, Response

app = Flask(__name__)
BODY = (Path(__file__).parent / "bare_body.json").read_text()
HEALTH = (Path(__file__).parent / "bare_health.json").read_text()


@app.get("/bare/<public_id>")
def bare(public_id):
    return Response(BODY, mimetype="application/json")


@app.get("/bare-health")
def bare_health():
    return Response(HEALTH, mimetype="application/json")
"""

# Each request asks for a random path of the list (wrk's Lua, seeded per thread).
LUA = """
local paths = {%s}
math.randomseed(%d)
request = function()
  return wrk.format("GET", paths[math.random(#paths)])
end
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def differences(workers: int | None = None) -> list[str]:
    """What this bench's gunicorn does differently from `fairrecruit web` with the default settings."""
    out = [
        "bind 127.0.0.1:<free port>",
        "access log and stdout to /dev/null (no log collector)",
        "FAIRRECRUIT_ENV=development (production adds the HSTS header and refuses default secrets)",
        "task broker: the embedded default (no reads here use it)",
    ]
    default_workers = load_settings().web_workers
    if workers is not None and workers != default_workers:
        out.append(f"{workers} workers (default {default_workers})")
    return out


@contextmanager
def gunicorn(
    app_spec: str, env: dict, cwd: Path, ready_path: str, workers: int | None = None, pids: list | None = None
):
    port = free_port()
    # config/gunicorn.conf.py as it is (max_requests included, and its worker count unless `workers` is
    # given); only the address is given here (a command-line setting of `fairrecruit web` as well).
    argv = [
        sys.executable,
        "-m",
        "gunicorn",
        "--config",
        str(GUNICORN_CONF),
        "--bind",
        f"127.0.0.1:{port}",
        *(["--workers", str(workers)] if workers is not None else []),
        app_spec,
    ]
    full_env = {**os.environ, **env, "PYTHONPATH": os.pathsep.join([str(PROJECT_ROOT), str(cwd)])}
    proc = subprocess.Popen(
        argv, env=full_env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True
    )
    base = f"http://127.0.0.1:{port}"
    if pids is not None:
        pids.append(proc.pid)  # the master
    try:
        deadline = time.monotonic() + 180
        answered = 0
        while answered < 8:
            if proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited: {proc.stderr.read().decode()[-2000:]}")
            try:
                answered += httpx.get(base + ready_path, timeout=30).status_code == 200
            except httpx.HTTPError:
                if time.monotonic() > deadline:
                    raise RuntimeError("gunicorn did not start") from None
                time.sleep(0.3)
        yield base
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def process_cpu(pid: int, children: bool = False) -> float:
    """CPU seconds used so far by a process (with its reaped children's when `children`); 0 for a
    process that has ended."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    used = int(fields[11]) + int(fields[12])  # utime, stime
    if children:
        used += int(fields[13]) + int(fields[14])  # cutime, cstime
    return used / CLOCK_TICKS


def server_cpu(master: int) -> float:
    """CPU seconds used so far by a gunicorn server: its master, its live workers, and the workers that
    have ended (replaced after max_requests; the master reaped them, so they count in its children's
    time). The database server's own CPU is not included (on SQLite the database work is in the workers)."""
    live = subprocess.run(["pgrep", "-P", str(master)], capture_output=True, text=True).stdout.split()
    return process_cpu(master, children=True) + sum(process_cpu(int(pid)) for pid in live)


def wrk(
    base: str,
    paths: list[str],
    headers: dict,
    tmp: Path,
    seconds: int,
    warm: int = 2,
    master: int | None = None,
) -> dict:
    script = tmp / f"paths_{uuid.uuid4().hex[:6]}.lua"
    script.write_text(LUA % (", ".join(json.dumps(p) for p in paths), random.randrange(1 << 30)))
    argv = [WRK, "-t", "1", "-c", str(CONNECTIONS), "-d", f"{seconds}s", "--latency", "-s", str(script)]
    for k, v in headers.items():
        argv += ["-H", f"{k}: {v}"]
    # warm-up (connection pools, the database's pages), then the measured run
    subprocess.run([*argv[:5], "-d", f"{warm}s", *argv[7:], base], capture_output=True, check=True)
    cpu0 = server_cpu(master) if master else 0.0
    out = subprocess.run([*argv, base], capture_output=True, text=True, check=True).stdout
    cpu = server_cpu(master) - cpu0 if master else 0.0
    found = re.search(r"Requests/sec:\s+([\d.]+)", out)
    done = re.search(r"(\d+) requests in", out)
    if found is None or done is None:
        raise RuntimeError(f"wrk printed no rate:\n{out}")
    rps = float(found.group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = re.search(r"Socket errors:.*", out)
    return {
        "rps": rps,
        # server CPU per request: on a machine shared with other work, this does not drift with the load
        "cpu_ms": 1000 * cpu / max(int(done.group(1)), 1),
        "p50_ms": percentile(out, "50"),
        "p99_ms": percentile(out, "99"),
        "non2xx": int(non2xx.group(1)) if non2xx else 0,
        "socket_errors": errors.group(0) if errors else "",
    }


def percentile(out: str, pct: str) -> float:
    found = re.search(rf"{pct}%\s+([\d.]+)(\w+)", out)
    if found is None:
        raise RuntimeError(f"wrk printed no {pct}th percentile:\n{out}")
    number, unit = found.groups()
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}[unit]
