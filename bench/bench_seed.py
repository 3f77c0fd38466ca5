"""Bulk loading: `fairrecruit seed --recruiters 100000 --reports 1000000` on SQLite, and a 10,000-row import.

Goal: 100,000 recruiters and 1,000,000 fee reports load in under 3 minutes on
SQLite. The baseline, measured in the same run on the same machine, is a raw ``sqlite3``
``executemany`` of exactly the same rows (read back from the seeded database) into a fresh,
migrated database with the same pragmas: the floor for inserting those rows at all. The ratio
shows what generating the data, the SQLAlchemy Core layer and the hash-chained audit log cost.

Scale down for a quick look: BENCH_SEED_RECRUITERS=10000 BENCH_SEED_REPORTS=100000 python -m bench seed
"""

from __future__ import annotations

import os
import random
import sqlite3
import tempfile
import time
from pathlib import Path

from registry.db import make_engine
from registry.migrate import upgrade
from registry.seed import data, volume
from registry.services import fees, importer
from registry.settings import CONFIG_DIR

TABLES = ("recruiter", "corridor", "accreditation", "audit", "accreditation_event", "fee_report", "audit_log")
GOAL_SECONDS = 180.0
IMPORT_ROWS = 10_000
IMPORT_GOAL_SECONDS = 10.0


def _migrated(path: Path):
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    return engine


def raw_baseline(src: Path, dst: Path, chunk: int = 50_000) -> tuple[float, int]:
    """Insert every row of TABLES from src into dst with plain sqlite3 executemany; time the inserts only."""
    _migrated(dst).dispose()
    s = sqlite3.connect(src)
    d = sqlite3.connect(dst, isolation_level=None)
    d.execute("PRAGMA journal_mode=WAL")
    d.execute("PRAGMA synchronous=OFF")
    d.execute(f"PRAGMA cache_size=-{volume.LOAD_CACHE_KIB}")
    d.execute("PRAGMA foreign_keys=ON")
    spent = 0.0
    rows = 0
    t = time.perf_counter()
    d.execute("BEGIN")
    spent += time.perf_counter() - t
    for table in TABLES:
        cur = s.execute(f'SELECT * FROM "{table}"')
        cols = [c[0] for c in cur.description]
        sql = f'INSERT INTO "{table}" ({", ".join(cols)}) VALUES ({", ".join("?" * len(cols))})'
        while batch := cur.fetchmany(chunk):
            t = time.perf_counter()
            d.executemany(sql, batch)
            spent += time.perf_counter() - t
            rows += len(batch)
    t = time.perf_counter()
    d.execute("COMMIT")
    d.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    spent += time.perf_counter() - t
    s.close()
    d.close()
    return spent, rows


def import_csv_text(n: int, seed_: int = 3) -> str:
    rng = random.Random(seed_)
    lines = [",".join(importer.COLUMNS[:7])]
    countries = list(data.CORRIDORS)
    for i in range(n):
        c = countries[i % len(countries)]
        dests = ";".join(f"{c}>{d}" for d in rng.sample(data.CORRIDORS[c], 2))
        name = f"{rng.choice(data.NAME_A)} {rng.choice(data.NAME_B)} Import {i} {data.NAME_SUFFIX[c]}"
        lines.append(f'"{name}",,{c},"{data.AUTHORITIES[c]}",IMP-{i:06d},{dests},construction')
    return "\n".join(lines) + "\n"


def main(scale: float = 1.0) -> dict:
    n_rec = max(100, int(int(os.environ.get("BENCH_SEED_RECRUITERS", "100000")) * scale))
    n_rep = max(1000, int(int(os.environ.get("BENCH_SEED_REPORTS", "1000000")) * scale))
    import_rows = max(100, int(IMPORT_ROWS * min(scale, 1.0)))
    fx = fees.fx_table(str(CONFIG_DIR / "fx_rates.csv"))
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-seed-") as tmp:
        tmp = Path(tmp)
        src = tmp / "seeded.db"
        engine = _migrated(src)
        t0, c0, load0 = time.perf_counter(), time.process_time(), os.getloadavg()[0]
        res = volume.load(
            engine, recruiters=n_rec, reports=n_rep, pseudonym_key="bench-pseudonym-key", fx=fx, seed=1
        )
        engine.dispose()  # includes the final WAL checkpoint
        seconds = time.perf_counter() - t0
        cpu_seconds = time.process_time() - c0
        load = (load0 + os.getloadavg()[0]) / 2
        with sqlite3.connect(src) as c:
            total_rows = sum(c.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in TABLES)
        print(
            f"seed: {res.recruiters} recruiters, {res.reports} reports, {res.log_entries} audit-log entries, "
            f"{total_rows} rows in {seconds:.1f} s",
            flush=True,
        )
        base_seconds, base_rows = raw_baseline(src, tmp / "baseline.db")
        print(f"raw sqlite3 executemany of the same {base_rows} rows: {base_seconds:.1f} s", flush=True)
        ratio = seconds / base_seconds if base_seconds else float("inf")
        full_scale = n_rec >= 100_000 and n_rep >= 1_000_000
        rows += [
            {
                "metric": f"seed {n_rec:,} recruiters + {n_rep:,} reports (SQLite)",
                "value": round(seconds, 1),
                "unit": "s",
                "goal": f"< {GOAL_SECONDS:.0f} s" + ("" if full_scale else " (scaled down)"),
                "ok": seconds < GOAL_SECONDS,
            },
            {
                "metric": "seed CPU time of the loading process",
                "value": round(cpu_seconds, 1),
                "unit": "s",
                "goal": f"wall ~ CPU on an idle machine (load avg {load:.1f} on {os.cpu_count()} CPUs)",
                "ok": True,
            },
            {
                "metric": "seed rows written (all tables incl. audit log)",
                "value": total_rows,
                "unit": "rows",
                "goal": "",
                "ok": base_rows == total_rows,
            },
            {
                "metric": "seed throughput",
                "value": round(total_rows / seconds),
                "unit": "rows/s",
                "goal": "",
                "ok": True,
            },
            {
                "metric": "baseline: raw sqlite3 executemany, same rows",
                "value": round(base_seconds, 1),
                "unit": "s",
                "goal": "",
                "ok": True,
            },
            {
                "metric": "seed time / raw insert time",
                "value": round(ratio, 2),
                "unit": "x",
                "goal": "informative (generation + hash chain)",
                "ok": True,
            },
        ]
        # Onboarding import: 10,000 CSV rows, validated and written with the audit log.
        imp = _migrated(tmp / "import.db")
        text = import_csv_text(import_rows)
        t0 = time.perf_counter()
        result = importer.import_text(imp, text)
        imp_seconds = time.perf_counter() - t0
        imp.dispose()
        print(f"import: {result.created} rows in {imp_seconds:.1f} s", flush=True)
        rows.append(
            {
                "metric": f"recruiters import, {import_rows:,} CSV rows",
                "value": round(imp_seconds, 2),
                "unit": "s",
                "goal": f"< {IMPORT_GOAL_SECONDS:.0f} s",
                "ok": imp_seconds < IMPORT_GOAL_SECONDS and result.created == import_rows,
            }
        )
    return {"rows": rows}


if __name__ == "__main__":
    import json

    print(json.dumps(main(), indent=2))
