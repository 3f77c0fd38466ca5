"""Supply-chain API under gunicorn, load from `wrk` on loopback, every figure against its baseline in the
same run, on SQLite and PostgreSQL.

1. GET /api/v1/recruiters/{public_id}, each request for a random one of 10,000 recruiters: authenticated
   (bearer key), rate-limited (counted in Redis), validated, the full status summary. Measured twice:
   *uncached* (FAIRRECRUIT_API_CACHE_SECONDS=0: the per-process memory of keys and answers off, every
   request reads the database) and *cached* (production default; over random ids, so the memory only
   helps as much as it would for companies polling a large supplier list). Baseline: a bare Flask view
   answering the same JSON document (the detail's own answer, captured from the application) under the
   same gunicorn configuration, measured right before each application run. Goals: uncached >= 0.5x
   bare, p99 <= 25 ms at 16 connections; /healthz (one `SELECT 1` per request, answered in front of
   Flask by registry.web.health) >= 0.8x bare.
2. POST /api/v1/recruiters/verify with 10,000 public ids and with 10,000 (country, licence number)
   pairs, end to end over HTTP (timed by curl). Goal: <= 1 s, and <= 2x the floor: one hand-written
   query through the DB-API driver doing the same lookup (PostgreSQL `= ANY(%s)` with one array
   parameter; SQLite `IN (SELECT value FROM json_each(?))`), plus building one result per input and
   `json.dumps`. The floor runs in-process (no HTTP, no parsing of the request, licence keys computed
   beforehand), so it is the cheaper side of the comparison.

Gunicorn runs with config/gunicorn.conf.py as it is (worker class, timeouts, max_requests and its
jitter, preloading); what differs from a production start is printed with the results (bind address,
access log written to /dev/null instead of a log collector). The bench builds its own databases
(invented names, from the volume seed) in a temporary directory and in a PostgreSQL database of its own,
dropped at the end. Environment: BENCH_API_REDIS_URL (rate-limit storage, default database 2),
BENCH_API_PG_ADMIN_URL, BENCH_API_SECONDS (wrk duration, default 8), BENCH_API_ROUNDS (default 3),
BENCH_API_BACKENDS (default "sqlite,postgresql": which databases to measure).
`main(scale)`: recruiters, durations and bulk sizes scaled down (the tiny run of the test suite).
"""

from __future__ import annotations

import json
import os
import random
import shutil
import sqlite3
import statistics
import subprocess
import tempfile
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text
from sqlmodel import Session

from bench.httpload import (
    BARE_APP,
    CONNECTIONS,
    differences,
    gunicorn,
    wrk,
)
from registry.db import make_engine
from registry.migrate import upgrade
from registry.seed import volume
from registry.services import auditlog, companies, fees
from registry.services.identifiers import licence_key
from registry.settings import CONFIG_DIR

RECRUITERS = 10_000
SECONDS = int(os.environ.get("BENCH_API_SECONDS", "8"))
ROUNDS = int(os.environ.get("BENCH_API_ROUNDS", "3"))
BACKENDS = os.environ.get("BENCH_API_BACKENDS", "sqlite,postgresql").split(",")
BULK = 10_000
REDIS_URL = os.environ.get("BENCH_API_REDIS_URL", "redis://127.0.0.1:6379/2")
PG_ADMIN_URL = os.environ.get(
    "BENCH_API_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
GOAL_UNCACHED = 0.5
GOAL_HEALTHZ = 0.8
GOAL_P99_MS = 25.0
GOAL_BULK_SECONDS = 1.0
GOAL_BULK_RATIO = 2.0

# The baseline: the same JSON document the application answers, from a bare Flask view.


def _build(url: str, recruiters: int) -> tuple[str, list[tuple[str, str, str]]]:
    """Migrate, seed invented recruiters, create an API key; return (key, [(public id, country, licence)])."""
    engine = make_engine(url)
    upgrade(engine)
    fx = fees.fx_table(str(CONFIG_DIR / "fx_rates.csv"))
    volume.load(
        engine,
        recruiters=recruiters,
        reports=recruiters * 2,
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
        rows = [
            (r[0], r[1], r[2] or "")
            for r in conn.execute(
                text("SELECT public_id, country, licence_number FROM recruiter ORDER BY id")
            )
        ]
    engine.dispose()
    return key, rows


FLOOR_COLUMNS = (
    "public_id",
    "legal_name",
    "country",
    "licence_number",
    "licence_status",
    "status",
    "valid_until",
)
FLOOR_SQL = (
    "SELECT r.{key}, r.public_id, r.legal_name, r.country, r.licence_number, r.licence_status, a.status, "
    "a.valid_until FROM recruiter r LEFT JOIN accreditation a ON a.recruiter_id = r.id WHERE r.{key} {match}"
)


def raw_floor(url: str, column: str, inputs: list, keys: list[str], repeats: int = 5) -> float:
    """The same lookup by hand: one query through the DB-API driver with every key in one parameter
    (PostgreSQL `= ANY(array)`, SQLite `json_each`), one result per input, `json.dumps`. Median seconds."""
    wanted = list(dict.fromkeys(keys))
    if url.startswith("sqlite"):
        conn = sqlite3.connect(url.removeprefix("sqlite:///"))
        query = FLOOR_SQL.format(key=column, match="IN (SELECT value FROM json_each(?))")

        def lookup():
            return conn.execute(query, (json.dumps(wanted),)).fetchall()

    else:
        import psycopg

        conn = psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"))
        query = FLOOR_SQL.format(key=column, match="= ANY(%s)")

        def lookup():
            return conn.execute(query, (wanted,)).fetchall()

    unknown = dict.fromkeys(FLOOR_COLUMNS)
    times = []
    try:
        for _ in range(repeats + 1):
            t = time.perf_counter()
            found: dict = {}
            for r in lookup():
                found.setdefault(r[0], dict(zip(FLOOR_COLUMNS, r[1:], strict=True)))
            results = [{"input": i, **found.get(k, unknown)} for i, k in zip(inputs, keys, strict=True)]
            json.dumps({"results": results}, default=str)
            times.append(time.perf_counter() - t)
    finally:
        conn.close()
    return statistics.median(times[1:])


def bulk_verify(base: str, key: str, body: dict, tmp: Path, repeats: int = 5) -> tuple[float, int]:
    """Median seconds for the whole HTTP exchange, timed by curl (a C client, like wrk, so the client's
    own JSON handling is not billed to the server): request sent, answer fully received."""
    sent, out = tmp / "verify_body.json", tmp / "verify_answer.json"
    sent.write_text(json.dumps(body))
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
        f"@{sent}",
        f"{base}/api/v1/recruiters/verify",
    ]
    times = []
    for _ in range(repeats + 1):
        code, seconds = subprocess.run(argv, capture_output=True, text=True, check=True).stdout.split()
        if code != "200":
            raise RuntimeError(f"bulk verify answered {code}: {out.read_text()[:500]}")
        times.append(float(seconds))
    found = json.loads(out.read_text())["found"]
    return statistics.median(times[1:]), found


def _limit_storage() -> str:
    """Redis, as in production, when it answers; else in-memory (said in the output)."""
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
        return REDIS_URL
    except Exception:  # noqa: BLE001
        return "memory://"


def _env(url: str, tmp: Path, storage: str, **extra: str) -> dict:
    return {
        "FAIRRECRUIT_DATABASE_URL": url,
        "FAIRRECRUIT_VAR_DIR": str(tmp / "var"),
        "FAIRRECRUIT_ENV": "development",
        "FAIRRECRUIT_API_RATE_LIMIT": "100000000/minute",
        "FAIRRECRUIT_RATELIMIT_STORAGE_URI": storage,
        **extra,
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


def row(metric: str, value, unit: str, goal: str, ok: bool, **extra) -> dict:
    return {"metric": metric, "value": value, "unit": unit, "goal": goal, "ok": ok, **extra}


def _median(runs: list[dict]) -> dict:
    out = {k: statistics.median(r[k] for r in runs) for k in ("rps", "cpu_ms", "p50_ms", "p99_ms")}
    out["non2xx"] = sum(r["non2xx"] for r in runs)
    return out


def measure_backend(label: str, url: str, tmp: Path, storage: str, sizes: dict, rng: random.Random) -> tuple:
    t = time.perf_counter()
    key, recs = _build(url, sizes["recruiters"])
    print(f"{label}: seeded {len(recs)} recruiters in {time.perf_counter() - t:.1f} s", flush=True)
    _settle(url)
    seconds, rounds = sizes["seconds"], sizes["rounds"]
    paths = [f"/api/v1/recruiters/{pid}" for pid, _c, _n in recs]
    auth = {"Authorization": f"Bearer {key}"}
    picked = rng.sample(recs, sizes["bulk"])
    by_ids = {"ids": [pid for pid, _c, _n in picked]}
    by_licences = {"licences": [{"country": c, "number": n} for _p, c, n in picked]}
    bare_env = _env("sqlite:///" + str(tmp / "unused.db"), tmp, storage)
    runs: dict[str, list[dict]] = {"bare": [], "uncached": [], "cached": [], "healthz": [], "bare_h": []}
    masters: dict[str, list[int]] = {"uncached": [], "cached": [], "bare": []}
    with (
        gunicorn(
            "registry.wsgi:app",
            _env(url, tmp, storage, FAIRRECRUIT_API_CACHE_SECONDS="0"),
            tmp,
            "/healthz",
            pids=masters["uncached"],
        ) as unc,
        gunicorn(
            "registry.wsgi:app", _env(url, tmp, storage), tmp, "/healthz", pids=masters["cached"]
        ) as cac,
    ):
        # The bare view answers exactly the document the application answers for one recruiter.
        (tmp / "bare_body.json").write_text(httpx.get(unc + paths[0], headers=auth).text)
        (tmp / "bare_health.json").write_text(httpx.get(unc + "/healthz").text)
        with gunicorn("bare_app:app", bare_env, tmp, "/bare/x", pids=masters["bare"]) as bare_base:
            bare_paths = [f"/bare/{pid}" for pid, _c, _n in recs]
            # Baseline and application measured in turns, `rounds` times: each ratio compares runs seconds
            # apart, and the medians smooth out the other tenants of this machine.
            ratios: dict[str, list[float]] = {"uncached": [], "cached": [], "healthz": []}
            for _ in range(rounds):
                for name, base, these, headers, baseline, server in (
                    ("uncached", unc, paths, auth, bare_paths, "uncached"),
                    ("cached", cac, paths, auth, bare_paths, "cached"),
                    ("healthz", unc, ["/healthz"], {}, ["/bare-health"], "uncached"),
                ):
                    bare = wrk(bare_base, baseline, {}, tmp, seconds, master=masters["bare"][0])
                    got = wrk(base, these, headers, tmp, seconds, master=masters[server][0])
                    runs["bare_h" if name == "healthz" else "bare"].append(bare)
                    runs[name].append(got)
                    ratios[name].append(got["rps"] / bare["rps"])
                    print(
                        f"{label}: bare {bare['rps']:.0f} req/s ({bare['cpu_ms']:.2f} ms CPU each), {name} "
                        f"{got['rps']:.0f} req/s (p99 {got['p99_ms']:.1f} ms, {got['cpu_ms']:.2f} ms CPU each), "
                        f"ratio {got['rps'] / bare['rps']:.2f}",
                        flush=True,
                    )
        # Floor and application in turns as well (5 pairs, medians): the load of this machine drifts.
        floor_args = {
            "ids": ("public_id", by_ids["ids"], by_ids["ids"]),
            "licences": ("licence_key", by_licences["licences"], [licence_key(n) for _p, _c, n in picked]),
        }
        bulk, floors, bulk_ratios = {}, {}, {}
        for kind, body in (("ids", by_ids), ("licences", by_licences)):
            pairs = [
                (raw_floor(url, *floor_args[kind], repeats=1), bulk_verify(unc, key, body, tmp, repeats=1))
                for _ in range(5)
            ]
            floors[kind] = statistics.median(f for f, _ in pairs)
            bulk[kind] = (statistics.median(a for _, (a, _n) in pairs), min(n for _, (_a, n) in pairs))
            bulk_ratios[kind] = statistics.median(a / f for f, (a, _n) in pairs)
    result = {name: _median(rs) for name, rs in runs.items() if rs}
    result["ratios"] = {name: statistics.median(v) for name, v in ratios.items()}
    result["bulk"] = bulk
    result["floors"] = floors
    result["bulk_ratios"] = bulk_ratios
    result["bulk_size"] = sizes["bulk"]
    return result


def rows_for(label: str, r: dict, rounds: int) -> list[dict]:
    unc, cac, health, bare, bare_h = r["uncached"], r["cached"], r["healthz"], r["bare"], r["bare_h"]
    ratios = r["ratios"]
    out = [
        row(
            f"GET detail uncached / bare Flask, median of {rounds} ({label})",
            round(ratios["uncached"], 3),
            "ratio",
            f">= {GOAL_UNCACHED}",
            ratios["uncached"] >= GOAL_UNCACHED and unc["non2xx"] == 0,
        ),
        row(
            f"GET detail uncached p99 at {CONNECTIONS} conns ({label})",
            round(unc["p99_ms"], 2),
            "ms",
            f"<= {GOAL_P99_MS:.0f}",
            unc["p99_ms"] <= GOAL_P99_MS and unc["non2xx"] == 0,
        ),
        row(
            f"GET detail uncached req/s ({label})",
            round(unc["rps"], 1),
            "req/s",
            "(info)",
            unc["non2xx"] == 0,
        ),
        row(
            f"GET detail uncached, web server CPU per request ({label})",
            round(unc["cpu_ms"], 3),
            "ms",
            f"(info; bare {bare['cpu_ms']:.3f} ms)",
            True,
        ),
        row(
            f"GET detail cached / bare Flask, random ids ({label})",
            round(ratios["cached"], 3),
            "ratio",
            "(info)",
            cac["non2xx"] == 0,
        ),
        row(
            f"GET detail cached req/s, p99 {cac['p99_ms']:.1f} ms ({label})",
            round(cac["rps"], 1),
            "req/s",
            "(info)",
            cac["non2xx"] == 0,
        ),
        row(
            f"GET /healthz / bare Flask with its JSON ({label})",
            round(ratios["healthz"], 3),
            "ratio",
            f">= {GOAL_HEALTHZ}",
            ratios["healthz"] >= GOAL_HEALTHZ and health["non2xx"] == 0,
        ),
        row(
            f"GET /healthz, web server CPU per request ({label})",
            round(health["cpu_ms"], 3),
            "ms",
            f"(info; bare {bare_h['cpu_ms']:.3f} ms)",
            True,
        ),
        row(
            f"bare Flask, same JSON and gunicorn, median ({label})",
            round(bare["rps"], 1),
            "req/s",
            "(baseline)",
            bare["non2xx"] == 0,
        ),
        row(
            f"bare Flask, /healthz's JSON, median ({label})",
            round(bare_h["rps"], 1),
            "req/s",
            "(baseline)",
            bare_h["non2xx"] == 0,
        ),
    ]
    n = r["bulk_size"]
    for kind, what in (("ids", "public ids"), ("licences", "licence numbers")):
        seconds, found = r["bulk"][kind]
        floor, ratio = r["floors"][kind], r["bulk_ratios"][kind]
        out += [
            row(
                f"bulk verify {n:,} {what} end to end ({label})",
                round(seconds, 3),
                "s",
                f"<= {GOAL_BULK_SECONDS:.0f}",
                seconds <= GOAL_BULK_SECONDS and found == n,
            ),
            row(
                f"bulk verify {what} / hand-written query + JSON, median of 5 pairs ({label})",
                round(ratio, 2),
                "ratio",
                f"<= {GOAL_BULK_RATIO:.0f}",
                ratio <= GOAL_BULK_RATIO,
                floor_seconds=round(floor, 4),
            ),
            row(
                f"bulk verify {what}: the hand-written floor ({label})",
                round(floor, 3),
                "s",
                "(baseline)",
                True,
            ),
        ]
    return out


def main(scale: float = 1.0) -> dict:
    sizes = {
        "recruiters": max(200, int(RECRUITERS * scale)),
        "seconds": max(1, round(SECONDS * min(scale, 1.0))),
        "rounds": ROUNDS if scale >= 1 else 1,
        "bulk": max(50, int(BULK * min(scale, 1.0))),
    }
    storage = _limit_storage()
    differs = differences()
    if storage == "memory://":
        differs.append("rate limit counted in process memory (Redis did not answer)")
    print("gunicorn: config/gunicorn.conf.py; differs from production: " + "; ".join(differs), flush=True)
    if scale != 1.0:
        print(f"scaled down: {sizes}", flush=True)
    details: dict = {
        "sizes": sizes,
        "connections": CONNECTIONS,
        "rate_limit_storage": storage,
        "differs": differs,
    }
    rows: list[dict] = []
    tmp = Path(tempfile.mkdtemp(prefix="bench_api_"))
    rng = random.Random(3)
    try:
        (tmp / "bare_app.py").write_text(BARE_APP)
        with pg_database() as pg_url:
            # SQLite first: its run then happens before PostgreSQL has any database of this bench to
            # vacuum or checkpoint in the background.
            backends = [("SQLite", f"sqlite:///{tmp / 'bench_api.db'}")] if "sqlite" in BACKENDS else []
            if pg_url and "postgresql" in BACKENDS:
                backends.append(("PostgreSQL", pg_url))
            for label, url in backends:
                r = measure_backend(label, url, tmp, storage, sizes, rng)
                details[label] = r
                rows += rows_for(label, r, sizes["rounds"])
            if not pg_url:
                rows.append(row("PostgreSQL available", 0, "", "required", False))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return {"rows": rows, "details": details}


if __name__ == "__main__":
    print(json.dumps(main(float(os.environ.get("BENCH_SCALE", "1"))), indent=2, default=str))
