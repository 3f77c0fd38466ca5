"""Supply-chain API under gunicorn (2 workers), load from `wrk` on loopback, in the same run.

1. GET /api/v1/recruiters/{public_id} throughput (authenticated, rate-limited, validated, full status
   summary from the database) as a ratio of a bare Flask JSON endpoint served by the same gunicorn
   configuration (config/gunicorn.conf.py, 2 workers), measured right before each backend's run (this
   machine is shared: a baseline from minutes earlier drifts). Goal: ratio >= 0.6; p99 <= 25 ms at 32
   connections. The answers come from the API's per-process memory (registry.api.cache) after their
   first lookup, as in production. For attribution, /healthz of the full application (every extension's request hooks
   and one `SELECT 1`) is measured on the same server.
2. POST /api/v1/recruiters/verify with 10,000 public ids, end to end over HTTP (request, auth,
   validation, set-based lookup, serialisation, transfer; timed by curl), on PostgreSQL and on SQLite. Goal: <= 1 s, and at most
   3 times the floor measured in the same run: one raw SQL ``IN`` query through the DB-API driver plus
   ``json.dumps`` of its rows.

The bench builds its own databases (invented names, from the volume seed) in a temporary directory and in
a PostgreSQL database of its own, dropped at the end. The rate limit is on (as high as the load needs)
and kept in Redis as in production (database 2), or in memory when Redis does not answer. Environment: BENCH_API_RECRUITERS (default
20000), BENCH_API_SECONDS (wrk duration, default 8), BENCH_API_ROUNDS (measured pairs of baseline and
application runs per database, default 3), BENCH_API_PG_ADMIN_URL.
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text
from sqlmodel import Session

from registry.db import make_engine
from registry.migrate import upgrade
from registry.seed import volume
from registry.services import auditlog, companies, reports
from registry.settings import CONFIG_DIR, PROJECT_ROOT

WRK = shutil.which("wrk") or "/usr/bin/wrk"
GUNICORN_CONF = CONFIG_DIR / "gunicorn.conf.py"
RECRUITERS = int(os.environ.get("BENCH_API_RECRUITERS", "20000"))
SECONDS = int(os.environ.get("BENCH_API_SECONDS", "8"))
CONNECTIONS = 32
ROUNDS = int(os.environ.get("BENCH_API_ROUNDS", "3"))
BULK = 10_000
REDIS_URL = os.environ.get("BENCH_API_REDIS_URL", "redis://127.0.0.1:6379/2")
PG_ADMIN_URL = os.environ.get(
    "BENCH_API_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)

BARE_APP = """
from flask import Flask, jsonify

app = Flask(__name__)


@app.get("/bare/<public_id>")
def bare(public_id):
    return jsonify(public_id=public_id, legal_name="Bench Placement Services", status="accredited")
"""

LUA = """
local paths = {%s}
local i = 0
request = function()
  i = i %% #paths + 1
  return wrk.format("GET", paths[i])
end
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def gunicorn(app_spec: str, env: dict, cwd: Path, ready_path: str):
    port = _free_port()
    # The project's configuration, with two overrides for both servers alike: no access log, and no
    # worker recycling during the few seconds of load (max_requests would restart each worker every
    # ~5,000 requests, i.e. several times per run, and a restart re-imports the whole application).
    argv = [
        sys.executable,
        "-m",
        "gunicorn",
        "--config",
        str(GUNICORN_CONF),
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        "2",
        "--access-logfile",
        "/dev/null",
        "--log-level",
        "warning",
        "--max-requests",
        "0",
        app_spec,
    ]
    full_env = {**os.environ, **env, "PYTHONPATH": os.pathsep.join([str(PROJECT_ROOT), str(cwd)])}
    proc = subprocess.Popen(
        argv, env=full_env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True
    )
    base = f"http://127.0.0.1:{port}"
    try:
        # The master listens before its workers have imported the app: wait until both answer.
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


def wrk(base: str, paths: list[str], headers: dict, tmp: Path) -> dict:
    script = tmp / f"paths_{uuid.uuid4().hex[:6]}.lua"
    script.write_text(LUA % ", ".join(json.dumps(p) for p in paths))
    argv = [WRK, "-t", "1", "-c", str(CONNECTIONS), "-d", f"{SECONDS}s", "--latency", "-s", str(script)]
    for k, v in headers.items():
        argv += ["-H", f"{k}: {v}"]
    # warm-up (imports, connection pools), then the measured run
    subprocess.run([*argv[:5], "-d", "3s", *argv[7:], base], capture_output=True, check=True)
    out = subprocess.run([*argv, base], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p99 = _ms(re.search(r"99%\s+([\d.]+\w+)", out).group(1))
    p50 = _ms(re.search(r"50%\s+([\d.]+\w+)", out).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = re.search(r"Socket errors:.*", out)
    return {
        "rps": rps,
        "p50_ms": p50,
        "p99_ms": p99,
        "non2xx": int(non2xx.group(1)) if non2xx else 0,
        "socket_errors": errors.group(0) if errors else "",
        "raw": out,
    }


def _ms(value: str) -> float:
    number, unit = re.match(r"([\d.]+)(\w+)", value).groups()
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}[unit]


def _build(url: str) -> tuple[str, list[str]]:
    """Migrate, seed invented recruiters, create an API key; return (key, public ids)."""
    engine = make_engine(url)
    upgrade(engine)
    fx = reports.fx_table(str(CONFIG_DIR / "fx_rates.csv"))
    volume.load(
        engine,
        recruiters=RECRUITERS,
        reports=RECRUITERS * 2,
        pseudonym_key="bench-pseudonym-key",
        fx=fx,
        seed=7,
    )
    with Session(engine) as s:
        auditlog.set_actor(s, "bench")
        company, _ = companies.get_or_create(s, "Bench Buyer Ltd")
        key = companies.create_api_key(s, company).plaintext
        s.commit()
    with engine.connect() as conn:
        ids = [r[0] for r in conn.execute(text("SELECT public_id FROM recruiter ORDER BY id"))]
    engine.dispose()
    return key, ids


def raw_floor(url: str, ids: list[str], repeats: int = 5) -> float:
    """One raw SQL IN query through the DB-API driver plus json.dumps of the rows: median seconds."""
    sql = (
        "SELECT r.public_id, r.legal_name, r.country, r.licence_number, r.licence_status, a.status, "
        "a.valid_until FROM recruiter r LEFT JOIN accreditation a ON a.recruiter_id = r.id "
        "WHERE r.public_id IN ({})"
    )
    times = []
    if url.startswith("sqlite"):
        conn = sqlite3.connect(url.removeprefix("sqlite:///"))
        query = sql.format(",".join("?" * len(ids)))
        run = lambda: conn.execute(query, ids).fetchall()  # noqa: E731
    else:
        import psycopg

        conn = psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"))
        query = sql.format(",".join(["%s"] * len(ids)))
        run = lambda: conn.execute(query, ids).fetchall()  # noqa: E731
    try:
        for _ in range(repeats + 1):
            t = time.perf_counter()
            rows = run()
            json.dumps(
                {
                    "results": [
                        dict(
                            zip(
                                (
                                    "public_id",
                                    "legal_name",
                                    "country",
                                    "licence_number",
                                    "licence_status",
                                    "status",
                                    "valid_until",
                                ),
                                r,
                                strict=True,
                            )
                        )
                        for r in rows
                    ]
                },
                default=str,
            )
            times.append(time.perf_counter() - t)
    finally:
        conn.close()
    return statistics.median(times[1:])


def bulk_verify(base: str, key: str, ids: list[str], tmp: Path, repeats: int = 5) -> tuple[float, int]:
    """Median seconds for the whole HTTP exchange, timed by curl (a C client, like wrk, so the client's
    own JSON handling is not billed to the server): request sent, answer fully received."""
    body, out = tmp / "verify_body.json", tmp / "verify_answer.json"
    body.write_text(json.dumps({"ids": ids}))
    argv = [
        "curl",
        "-s",
        "-o",
        str(out),
        "-w",
        "%{http_code} %{time_total}",
        "-X",
        "POST",
        "-H",
        "Content-Type: application/json",
        "-H",
        f"Authorization: Bearer {key}",
        "--data-binary",
        f"@{body}",
        f"{base}/api/v1/recruiters/verify",
    ]
    times = []
    for _ in range(repeats + 1):
        code, seconds = subprocess.run(argv, capture_output=True, text=True, check=True).stdout.split()
        if code != "200":
            raise RuntimeError(f"bulk verify answered {code}: {out.read_text()[:500]}")
        times.append(float(seconds))
    n = len(json.loads(out.read_text())["results"])
    return statistics.median(times[1:]), n


def _limit_storage() -> str:
    """Redis, as in production (the API's own database number), when it answers; else in-memory."""
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
        return REDIS_URL
    except Exception:  # noqa: BLE001
        return "memory://"


def _env(url: str, tmp: Path, storage: str) -> dict:
    return {
        "FAIRRECRUIT_DATABASE_URL": url,
        "FAIRRECRUIT_VAR_DIR": str(tmp / "var"),
        "FAIRRECRUIT_ENV": "development",
        "FAIRRECRUIT_API_RATE_LIMIT": "100000000/minute",
        "FAIRRECRUIT_RATELIMIT_STORAGE_URI": storage,
        "FAIRRECRUIT_WEB_WORKERS": "2",
    }


@contextmanager
def pg_database():
    name = f"fr_bench_api_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as e:  # noqa: BLE001
        admin.dispose()
        print(f"PostgreSQL not available ({type(e).__name__}); skipping its rows", flush=True)
        yield None
        return
    try:
        yield PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _settle(url: str) -> None:
    """After the bulk load, bring the database to a steady state (statistics, vacuum, checkpoint), as a
    production database is, so background maintenance does not run during the measurements."""
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            if url.startswith("postgresql"):
                conn.execute(text("VACUUM ANALYZE"))
                conn.execute(text("CHECKPOINT"))
            else:
                conn.execute(text("ANALYZE"))
                conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
    finally:
        engine.dispose()
    time.sleep(2)


def row(metric: str, value, unit: str, goal: str, ok: bool, **extra) -> dict:
    return {"metric": metric, "value": value, "unit": unit, "goal": goal, "ok": ok, **extra}


def main() -> dict:
    rows: list[dict] = []
    details: dict = {
        "recruiters": RECRUITERS,
        "connections": CONNECTIONS,
        "seconds": SECONDS,
        "gunicorn": "config/gunicorn.conf.py, 2 workers",
    }
    tmp = Path(tempfile.mkdtemp(prefix="bench_api_"))
    storage = _limit_storage()
    details["rate_limit_storage"] = storage
    try:
        (tmp / "bare_app.py").write_text(BARE_APP)
        rng = random.Random(3)
        bare_runs = []
        with pg_database() as pg_url:
            # SQLite first: its run then happens before PostgreSQL has any database of this bench to
            # vacuum or checkpoint in the background.
            backends = [("SQLite", f"sqlite:///{tmp / 'bench_api.db'}")]
            if pg_url:
                backends.append(("PostgreSQL", pg_url))
            for label, url in backends:
                t = time.perf_counter()
                key, ids = _build(url)
                print(f"{label}: seeded {len(ids)} recruiters in {time.perf_counter() - t:.1f} s", flush=True)
                _settle(url)
                bulk_ids = rng.sample(ids, BULK) if len(ids) >= BULK else rng.choices(ids, k=BULK)
                floor = raw_floor(url, bulk_ids)
                paths = [f"/api/v1/recruiters/{p}" for p in rng.sample(ids, 200)]
                auth = {"Authorization": f"Bearer {key}"}
                # Baseline and application run side by side and are measured in turns, ROUNDS times: each
                # ratio compares two runs seconds apart, and the medians smooth out the other tenants of
                # this machine.
                pairs = []
                with (
                    gunicorn(
                        "bare_app:app",
                        _env("sqlite:///" + str(tmp / "unused.db"), tmp, storage),
                        tmp,
                        "/bare/RA-22222",
                    ) as bare_base,
                    gunicorn("registry.wsgi:app", _env(url, tmp, storage), tmp, "/healthz") as base,
                ):
                    for _ in range(ROUNDS):
                        bare = wrk(bare_base, [f"/bare/RA-{i:05d}" for i in range(200)], {}, tmp)
                        detail = wrk(base, paths, auth, tmp)
                        pairs.append((bare, detail))
                        print(
                            f"{label}: bare {bare['rps']:.0f} req/s (p99 {bare['p99_ms']:.1f} ms), detail "
                            f"{detail['rps']:.0f} req/s (p99 {detail['p99_ms']:.1f} ms)",
                            flush=True,
                        )
                    # For attribution: the whole application's per-request cost on a trivial route.
                    health = wrk(base, ["/healthz"], {}, tmp)
                    seconds, n = bulk_verify(base, key, bulk_ids, tmp)
                # The same requests with the API's memory turned off: every answer from the database.
                with gunicorn(
                    "registry.wsgi:app",
                    {**_env(url, tmp, storage), "FAIRRECRUIT_API_CACHE_SECONDS": "0"},
                    tmp,
                    "/healthz",
                ) as base:
                    uncached = wrk(base, paths, auth, tmp)
                ratio = statistics.median(d["rps"] / b["rps"] for b, d in pairs)
                bare = {k: statistics.median(b[k] for b, _ in pairs) for k in ("rps", "p50_ms", "p99_ms")}
                bare["non2xx"] = sum(b["non2xx"] for b, _ in pairs)
                detail = {k: statistics.median(d[k] for _, d in pairs) for k in ("rps", "p50_ms", "p99_ms")}
                detail["non2xx"] = sum(d["non2xx"] for _, d in pairs)
                bare_runs.append(bare)
                details[label] = {
                    "rounds": [
                        {
                            "bare": {k: v for k, v in b.items() if k != "raw"},
                            "detail": {k: v for k, v in d.items() if k != "raw"},
                        }
                        for b, d in pairs
                    ],
                    "uncached_detail": {k: v for k, v in uncached.items() if k != "raw"},
                    "healthz": {k: v for k, v in health.items() if k != "raw"},
                    "bulk_seconds": seconds,
                    "floor_seconds": floor,
                }
                print(
                    f"{label}: detail/bare median ratio {ratio:.2f}, median p99 {detail['p99_ms']:.1f} ms; without "
                    f"the API memory {uncached['rps']:.0f} req/s (p99 {uncached['p99_ms']:.1f} ms); "
                    f"bulk verify {seconds * 1000:.0f} ms (floor {floor * 1000:.0f} ms)",
                    flush=True,
                )
                clean = detail["non2xx"] == 0 and n == BULK
                rows += [
                    row(
                        f"GET recruiter detail / bare Flask req/s, median of {ROUNDS} ({label})",
                        round(ratio, 3),
                        "ratio",
                        ">= 0.6",
                        ratio >= 0.6 and clean,
                    ),
                    row(
                        f"GET recruiter detail req/s ({label})",
                        round(detail["rps"], 1),
                        "req/s",
                        "(info)",
                        clean,
                    ),
                    row(
                        f"GET recruiter detail without API memory req/s ({label})",
                        round(uncached["rps"], 1),
                        "req/s",
                        "(info)",
                        uncached["non2xx"] == 0,
                    ),
                    row(
                        f"GET /healthz of the same app req/s ({label})",
                        round(health["rps"], 1),
                        "req/s",
                        "(info)",
                        health["non2xx"] == 0,
                    ),
                    row(
                        f"GET recruiter detail p99 at {CONNECTIONS} conns, median of {ROUNDS} ({label})",
                        round(detail["p99_ms"], 2),
                        "ms",
                        "<= 25",
                        detail["p99_ms"] <= 25 and clean,
                    ),
                    row(
                        f"bulk verify {BULK} ids end to end ({label})",
                        round(seconds, 3),
                        "s",
                        "<= 1",
                        seconds <= 1,
                    ),
                    row(
                        f"bulk verify / raw IN query + JSON ({label})",
                        round(seconds / floor, 2),
                        "ratio",
                        "<= 3",
                        seconds / floor <= 3,
                    ),
                ]
            if not pg_url:
                rows.append(row("PostgreSQL available", 0, "", "required", False))
        for label, bare in zip([b[0] for b in backends], bare_runs, strict=False):
            rows.append(
                row(
                    f"bare Flask JSON req/s, same gunicorn config, median ({label} rounds)",
                    round(bare["rps"], 1),
                    "req/s",
                    "(baseline)",
                    bare["non2xx"] == 0,
                )
            )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return {"rows": rows, "details": details}


if __name__ == "__main__":
    result = main()
    print(json.dumps(result, indent=2, default=str))
