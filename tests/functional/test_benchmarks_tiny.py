"""Every benchmark runs at a tiny scale, through `python -m bench` with a results directory of its own, so
that no benchmark's code can rot between full runs. The figures of a tiny run say nothing about speed:
this checks that each bench runs to the end and reports every figure it promises."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench.__main__ import discover
from registry.settings import PROJECT_ROOT
from tests.conftest import PG_ADMIN_URL, REDIS_URL

pytestmark = pytest.mark.slow

TINY = "0.01"
# Benches without a `scale` argument take their sizes from the environment.
TINY_ENV = {
    "BENCH_CHECKS_SMALL": "1",  # checks: 2,000 recruiters, 20,000 reports
    "BENCH_WRITES_SMALL": "1",  # writes: 2 writers for 2 s
    "BENCH_BOT_CHATS": "24",  # bot
    "BENCH_API_SECONDS": "1",
    "BENCH_API_ROUNDS": "1",
}
# The figures each bench must report (a metric name contains the text), at any scale.
EXPECTED = {
    "api": [
        "GET detail uncached / bare Flask",
        "GET detail uncached p99",
        "GET detail cached / bare Flask",
        "GET /healthz / bare Flask",
        "bulk verify public ids / hand-written query",
        "bulk verify licence numbers / hand-written query",
    ],
    "search": [
        "query p95",
        "HTTP: first /verify query after the server starts",
        "HTTP: first /verify query after 100 renames and new workers",
        "HTTP: /verify p95",
    ],
    "seed": ["seed time / raw insert time", "recruiters import"],
    "admin": ["dashboard, first load", "recruiter detail"],
}


@pytest.mark.parametrize("name", discover())
def test_bench_runs_at_tiny_scale(name, tmp_path, pg_url):
    admin_url = PG_ADMIN_URL.rsplit("/", 1)[0] + "/postgres"
    env = {
        **os.environ,
        **TINY_ENV,
        "BENCH_API_PG_ADMIN_URL": admin_url,
        "FAIRRECRUIT_BENCH_PG_ADMIN_URL": admin_url,
        "BENCH_API_REDIS_URL": REDIS_URL,
    }
    results = tmp_path / "results"
    proc = subprocess.run(
        [sys.executable, "-m", "bench", "--scale", TINY, "--results", str(results), name],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    # A tiny run misses the speed goals (exit status 1); it must not crash (a traceback, no results).
    assert "Traceback" not in proc.stderr, proc.stderr[-4000:]
    written = json.loads((results / f"{name}.json").read_text())
    rows = written["rows"]
    assert rows, proc.stdout[-2000:]
    for r in rows:
        assert {"metric", "value", "unit", "goal", "ok"} <= set(r), r
        assert isinstance(r["value"], int | float), r
    metrics = [r["metric"] for r in rows]
    for wanted in EXPECTED.get(name, []):
        assert any(wanted in m for m in metrics), (wanted, metrics)
    # The table printed at the end has a line for every row.
    table = proc.stdout.split("-" * 108, 1)[1]
    assert len([line for line in table.splitlines() if line.startswith(name)]) == len(rows)


def test_tiny_run_exists_for_every_bench_file():
    files = sorted(p.stem[len("bench_") :] for p in (Path(PROJECT_ROOT) / "bench").glob("bench_*.py"))
    assert files == discover()
