"""Admin panel at registry scale: 100,000 recruiters and 100,000 fee reports, on SQLite and PostgreSQL.

Times the pages an auditor uses most, through the real Flask app (signed in, templates rendered):
the recruiter list (first page, a deep page, sorted by name, filtered by status, fuzzy search), the
dashboard (counts, overdue actions, three charts), the fee-report queue and a recruiter's detail page.
"""

from __future__ import annotations

import re
import statistics
import tempfile
import time
from pathlib import Path

RECRUITERS = 100_000
REPORTS = 100_000
REPEATS = 5
GOAL_MS = 500.0


def row(metric: str, value, unit: str, goal: str, ok: bool) -> dict:
    return {"metric": metric, "value": value, "unit": unit, "goal": goal, "ok": ok}


def measure(
    url: str, label: str, tmp: Path, recruiters: int = RECRUITERS, reports_n: int = REPORTS
) -> list[dict]:
    from sqlalchemy import text
    from sqlmodel import Session

    from registry import create_app
    from registry.db import make_engine
    from registry.migrate import upgrade
    from registry.seed import volume
    from registry.services import auditlog, fees, users
    from registry.settings import CONFIG_DIR, Settings
    from registry.web.admin.recruiters import encode_keyset

    engine = make_engine(url)
    upgrade(engine)
    t = time.perf_counter()
    volume.load(
        engine,
        recruiters=recruiters,
        reports=reports_n,
        pseudonym_key="bench-pseudonym-key",
        fx=fees.fx_table(str(CONFIG_DIR / "fx_rates.csv")),
        seed=11,
    )
    print(
        f"{label}: seeded {recruiters} recruiters and {reports_n} reports in {time.perf_counter() - t:.1f} s",
        flush=True,
    )
    with Session(engine) as s:
        auditlog.set_actor(s, "bench")
        users.create(s, email="bench@example.org", role="admin", password="bench password 1")
        s.commit()
    with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql("ANALYZE")
            conn.commit()
        some_id = conn.execute(text("SELECT public_id FROM recruiter ORDER BY id DESC LIMIT 1")).scalar()
        some_name = conn.execute(
            text("SELECT legal_name FROM recruiter WHERE id = :id"),
            {"id": max(1, recruiters * 4242 // RECRUITERS)},
        ).scalar()
        deep_name = list(
            conn.execute(
                text("SELECT legal_name, id FROM recruiter ORDER BY legal_name, id LIMIT 1 OFFSET :n"),
                {"n": recruiters // 2},
            ).one()
        )
        deep_id = conn.execute(
            text("SELECT id FROM recruiter ORDER BY id DESC LIMIT 1 OFFSET :n"), {"n": recruiters // 2}
        ).scalar()

    app = create_app(
        Settings(env="test", database_url=url, secret_key="bench-secret-key-0123456789", var_dir=tmp),
        engine=engine,
    )
    client = app.test_client()
    page = client.get("/admin/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    resp = client.post(
        "/admin/login",
        data={"email": "bench@example.org", "password": "bench password 1", "csrf_token": token},
    )
    assert resp.status_code == 302, resp.status_code

    pages = [
        ("recruiter list, first page", "/admin/recruiters"),
        (
            "recruiter list, next page after row 50,000 (keyset)",
            f"/admin/recruiters?page=1001&after={encode_keyset([deep_id])}",
        ),
        ("recruiter list sorted by name, first page", "/admin/recruiters?sort=name"),
        (
            "recruiter list sorted by name, next page after row 50,000 (keyset)",
            f"/admin/recruiters?sort=name&page=1001&after={encode_keyset(deep_name)}",
        ),
        ("recruiter list filtered by status and country", "/admin/recruiters?status=accredited&country=NP"),
        (
            "recruiter search (fuzzy name, misspelt)",
            "/admin/recruiters?q=" + some_name[:-3].replace(" ", "+"),
        ),
        ("recruiter search (public id)", "/admin/recruiters?q=" + some_id),
        ("dashboard, charts cached until the next change", "/admin/"),
        ("fee-report triage queue", "/admin/reports"),
        ("recruiter detail", f"/admin/recruiters/{some_id}"),
        ("audit log, first page", "/admin/audit-log"),
    ]
    rows = []
    size = f"{recruiters // 1000}k"
    t0 = time.perf_counter()
    assert client.get("/admin/").status_code == 200
    cold = (time.perf_counter() - t0) * 1000
    print(f"{label}: dashboard, first load (charts computed): {cold:.0f} ms", flush=True)
    rows.append(
        row(
            f"dashboard, first load: charts computed ({label}, {size})",
            round(cold, 1),
            "ms",
            "<= 2000",
            cold <= 2000,
        )
    )
    for name, path in pages:
        client.get(path)  # warm caches (search candidates, database pages)
        times = []
        for _ in range(REPEATS):
            t1 = time.perf_counter()
            resp = client.get(path)
            times.append((time.perf_counter() - t1) * 1000)
            assert resp.status_code == 200, (path, resp.status_code)
        p50 = statistics.median(times)
        print(f"{label}: {name}: {p50:.0f} ms", flush=True)
        rows.append(
            row(f"{name} ({label}, {size})", round(p50, 1), "ms", f"<= {GOAL_MS:.0f}", p50 <= GOAL_MS)
        )
    engine.dispose()
    return rows


def main(scale: float = 1.0) -> dict:
    from bench.bench_api import pg_database

    print(
        "differs from production: pages served in-process by Flask's test client (no gunicorn, no network), "
        "settings of the test environment (FAIRRECRUIT_ENV=test: no secure-cookie flags, no HSTS)",
        flush=True,
    )
    tmp = Path(tempfile.mkdtemp(prefix="bench_admin_"))
    n_rec, n_rep = max(1_000, int(RECRUITERS * scale)), max(1_000, int(REPORTS * scale))
    rows = measure(f"sqlite:///{tmp / 'admin.db'}", "SQLite", tmp, n_rec, n_rep)
    with pg_database() as pg_url:
        if pg_url:
            rows += measure(pg_url, "PostgreSQL", tmp, n_rec, n_rep)
    return {"rows": rows, "recruiters": n_rec, "reports": n_rep}


if __name__ == "__main__":  # pragma: no cover
    print(main())
