"""Recruiter search at registry scale: 100,000 candidates built from the real register names.

Measures the in-memory index (build time, query latency p50/p95, recall of misspelled real names and
of the real names of config/registers/ written in Devanagari or Bengali script, as a worker who writes
in Nepali or Bengali would, read back by ``registry.services.scripts``), the database path
(`search_recruiters` on SQLite with 100,000 recruiters: the first query, which loads the candidate
cache, and the following ones, which reuse it), and the public verify page through HTTP under
gunicorn with config/gunicorn.conf.py as it is (preloading: the index is built in the master before the
workers fork): the first query after the server starts, the first query a worker answers after it was
replaced (as after max_requests), and p95 over misspelled real names.

`main(scale)`: fewer names (the tiny run of the test suite); the goals stay those of 100,000 names.
"""

from __future__ import annotations

import csv
import os
import random
import re
import signal
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

REGISTERS = Path(__file__).resolve().parent.parent / "tests" / "data" / "registers"
CONFIG_REGISTERS = Path(__file__).resolve().parent.parent / "config" / "registers"
N = 100_000
SYLLABLES = ["ka", "ri", "mo", "tan", "lee", "ban", "gor", "pur", "dev", "nat", "ra", "jo", "vik", "lu"]
UNRELATED = ["Sunshine Bakery", "Toyota Motor Corporation", "Kathmandu Pizza", "Blue Whale Football Club"]


def real_names() -> list[str]:
    names = []
    for fname, col in [
        ("bd_recruiting_agencies_rl_directory_2023.csv", "agency_name"),
        ("bd_shipping_manning_agents_mla.csv", "agency_name"),
        ("ph_dmw_licensed_agencies_sample_2026-07-14.csv", "name"),
        ("hk_labour_department_employment_agencies_2021-12-28.csv", "english_name"),
    ]:
        with (REGISTERS / fname).open(newline="", encoding="utf-8") as f:
            names.extend(r[col] for r in csv.DictReader(f) if r[col].strip())
    return names


def config_register_names() -> list[str]:
    names = []
    for fname, col in [
        ("bd_recruiting_agencies_rl_directory_2023.csv", "agency_name"),
        ("bd_shipping_manning_agents_mla.csv", "agency_name"),
        ("ph_dmw_licensed_agencies_sample_2026-07-14.csv", "name"),
    ]:
        with (CONFIG_REGISTERS / fname).open(newline="", encoding="utf-8") as f:
            names.extend(r[col] for r in csv.DictReader(f) if r[col].strip())
    return names


# English spelling read as it sounds, before the letters are written in an Indic script.
_SOUNDS = [
    (r"ck", "k"),
    (r"ph", "f"),
    (r"x", "ks"),
    (r"qu?", "k"),
    (r"c(?=[eiy])", "s"),
    (r"c(?!h)", "k"),
    (r"w", "v"),
    (r"y(?=[^aeiou]|$)", "i"),
    (r"ee", "I"),
    (r"oo", "U"),
    (r"([bdfgjklmnprstvz])\1", r"\1"),
]


def in_local_script(name: str, script: str) -> str:
    """A Latin name as a worker writing Nepali (Devanagari) or Bengali might spell it, by sound."""
    from indic_transliteration import sanscript

    from registry.services.search import normalize

    words = []
    for w in normalize(name).split():
        for rx, sub in _SOUNDS:
            w = re.sub(rx, sub, w)
        words.append(sanscript.transliterate(w, sanscript.OPTITRANS, sanscript.DEVANAGARI))
    text = " ".join(words)
    return text if script == "ne" else sanscript.transliterate(text, sanscript.DEVANAGARI, sanscript.BENGALI)


def transliterated_recall(index, texts, rnd) -> float:
    """Share of 200 real register names, typed in Devanagari or Bengali, found in the top 3."""
    from registry.services.scripts import to_latin
    from registry.services.search import search_text

    indexed = set(texts.values())
    names = [n for n in config_register_names() if search_text(n) in indexed]  # all of them at full scale
    sample = rnd.sample(names, min(200, len(names)))
    found = 0
    for k, name in enumerate(sample):
        latin = to_latin(in_local_script(name, "ne" if k % 2 else "bn")) or ""
        found += search_text(name) in {texts[m.key] for m in index.search(latin, limit=3)}
    return found / len(sample)


def typo(name: str, rnd: random.Random) -> str:
    """One keyboard slip in the longest word, and the words shuffled: what a worker might type."""
    words = name.split()
    i = max(range(len(words)), key=lambda k: len(words[k]))
    w = words[i]
    if len(w) > 4:
        j = rnd.randrange(1, len(w) - 1)
        w = w[:j] + w[j + 1 :] if rnd.random() < 0.5 else w[:j] + w[j + 1] + w[j] + w[j + 2 :]
    words[i] = w
    if all(len(x) > 2 for x in words):  # initials ("A. Z. Shipping") stay together
        rnd.shuffle(words)
    return " ".join(words)


def candidates(names: list[str], rnd: random.Random, n: int = N) -> list[str]:
    """n names: the real ones, then invented ones (an invented word in front of a real name)."""
    out = list(names)[:n]
    while len(out) < n:
        word = "".join(rnd.choice(SYLLABLES) for _ in range(3)).capitalize()
        out.append(f"{word} {rnd.choice(names)}")
    return out


def bench_index(names, all_names, rnd) -> list[dict]:
    from registry.services.search import Index, search_text

    texts = {i: search_text(n) for i, n in enumerate(all_names)}
    t0 = time.perf_counter()
    index = Index(texts)
    build = time.perf_counter() - t0
    sample = rnd.sample(range(len(names)), 200)
    latencies, found = [], 0
    for i in sample:
        t0 = time.perf_counter()
        hits = index.search(typo(names[i], rnd), limit=3)
        latencies.append((time.perf_counter() - t0) * 1000)
        top = {texts[m.key] for m in hits}
        found += texts[i] in top
    false_hits = 0
    for q in UNRELATED:
        t0 = time.perf_counter()
        false_hits += len(index.search(q, limit=5))
        latencies.append((time.perf_counter() - t0) * 1000)
    p95 = statistics.quantiles(latencies, n=20)[18]
    recall = found / len(sample)
    local_recall = transliterated_recall(index, texts, rnd)
    return [
        {
            "metric": "index build, 100k names",
            "value": round(build, 2),
            "unit": "s",
            "goal": "<= 5",
            "ok": build <= 5,
        },
        {
            "metric": "query p50 (100k names)",
            "value": round(statistics.median(latencies), 1),
            "unit": "ms",
            "goal": "",
            "ok": True,
        },
        {
            "metric": "query p95 (100k names)",
            "value": round(p95, 1),
            "unit": "ms",
            "goal": "<= 150",
            "ok": p95 <= 150,
        },
        {
            "metric": "misspelled+reordered real name in top 3",
            "value": round(recall, 3),
            "unit": "ratio",
            "goal": ">= 0.9",
            "ok": recall >= 0.9,
        },
        {
            "metric": "real name in Devanagari/Bengali script in top 3",
            "value": round(local_recall, 3),
            "unit": "ratio",
            "goal": ">= 0.9",
            "ok": local_recall >= 0.9,
        },
        {
            "metric": "hits for unrelated queries",
            "value": false_hits,
            "unit": "rows",
            "goal": "0",
            "ok": false_hits == 0,
        },
    ]


def _public_id(i: int) -> str:
    """A well-formed public id, distinct for each i (the card page finds recruiters by it)."""
    from registry.services.identifiers import PUBLIC_ID_ALPHABET, PUBLIC_ID_LENGTH, PUBLIC_ID_PREFIX

    code = ""
    for _ in range(PUBLIC_ID_LENGTH):
        i, d = divmod(i, len(PUBLIC_ID_ALPHABET))
        code = PUBLIC_ID_ALPHABET[d] + code
    return PUBLIC_ID_PREFIX + code


def build_database(path: Path, all_names: list[str]) -> str:
    """A migrated SQLite database with one recruiter per name; its URL."""
    from sqlalchemy import insert

    from registry.db import make_engine
    from registry.migrate import upgrade
    from registry.models import Recruiter
    from registry.services.search import search_text
    from registry.timeutil import utcnow

    url = f"sqlite:///{path}"
    engine = make_engine(url)
    upgrade(engine)
    now = utcnow()
    rows = [
        {
            "public_id": _public_id(i),
            "legal_name": n,
            "other_names": [],
            "sectors": [],
            "country": "BD",
            "search_text": search_text(n),
            "created_at": now,
            "updated_at": now,
        }
        for i, n in enumerate(all_names)
    ]
    with engine.begin() as conn:
        for k in range(0, len(rows), 10_000):
            conn.execute(insert(Recruiter), rows[k : k + 10_000])
    engine.dispose()
    return url


def bench_database(url: str, names, rnd) -> list[dict]:
    from sqlmodel import Session

    from registry.db import make_engine
    from registry.services.recruiters import search_recruiters

    engine = make_engine(url)
    with Session(engine) as session:
        t0 = time.perf_counter()
        search_recruiters(session, "Orchad Internasional")
        cold = time.perf_counter() - t0
        latencies = []
        for i in rnd.sample(range(len(names)), 100):
            t0 = time.perf_counter()
            search_recruiters(session, typo(names[i], rnd))
            latencies.append((time.perf_counter() - t0) * 1000)
    engine.dispose()
    p95 = statistics.quantiles(latencies, n=20)[18]
    return [
        {
            "metric": "search_recruiters first query, index built in this process",
            "value": round(cold, 2),
            "unit": "s",
            "goal": "(info)",
            "ok": True,
        },
        {
            "metric": "search_recruiters p95, warm index",
            "value": round(p95, 1),
            "unit": "ms",
            "goal": "<= 200",
            "ok": p95 <= 200,
        },
    ]


def _get(client, base: str, query: str, expect: str = "") -> float:
    t0 = time.perf_counter()
    # a name typed up to spelling goes straight to its card (a redirect): the time is the whole answer
    resp = client.get(base + "/verify", params={"q": query}, follow_redirects=True)
    seconds = time.perf_counter() - t0
    if resp.status_code != 200:
        raise RuntimeError(f"/verify answered {resp.status_code}")
    if expect not in resp.text:
        raise RuntimeError(f"/verify?q={query} did not show {expect!r}")
    return seconds


def _rename(url: str, n: int) -> str:
    """Rename n recruiters (a new word in front of the name, as an edit in the admin panel stores it); a
    misspelling of one of the new names."""
    from sqlalchemy import text

    from registry.db import make_engine
    from registry.services.search import search_text
    from registry.timeutil import utcnow

    engine = make_engine(url)
    with engine.begin() as conn:
        rows = conn.execute(text("SELECT id, legal_name FROM recruiter ORDER BY id LIMIT :n"), {"n": n}).all()
        for rid, name in rows:
            new = f"Zanzibar Quorum {name}"
            conn.execute(
                text(
                    "UPDATE recruiter SET legal_name = :name, search_text = :st, updated_at = :now WHERE id = :id"
                ),
                {"name": new, "st": search_text(new), "now": utcnow(), "id": rid},
            )
    engine.dispose()
    return f"Zanzibr Qorum {rows[0][1]}"


def _workers(master: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(master)], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def bench_http(url: str, names, rnd, tmp: Path) -> list[dict]:
    """The public verify page under gunicorn: first query after the start, after the workers were
    replaced, and p95 over 100 misspelled real names (one client, keep-alive)."""
    import httpx

    from bench.bench_api import differences, gunicorn

    print(
        "gunicorn: config/gunicorn.conf.py; differs from production: "
        + "; ".join([*differences(), "rate limit counted in process memory (no Redis)"]),
        flush=True,
    )
    env = {
        "FAIRRECRUIT_DATABASE_URL": url,
        "FAIRRECRUIT_VAR_DIR": str(tmp / "var"),
        "FAIRRECRUIT_ENV": "development",
        "FAIRRECRUIT_RATELIMIT_STORAGE_URI": "memory://",
    }
    t0 = time.perf_counter()
    masters: list[int] = []
    with gunicorn("registry.wsgi:app", env, tmp, "/healthz", pids=masters) as base:
        client = httpx.Client(timeout=60)
        started = time.perf_counter() - t0
        first = _get(client, base, "Orchad Internasional")
        # Recruiters change while the server runs (100 renamed): the index built in the master is now
        # behind. Then every worker is replaced (as max_requests does, one at a time): the new workers,
        # forked from the master, bring their copy up to date at their first search.
        renamed = _rename(url, 100)
        master = masters[0]
        replaced = None
        if master:
            old = _workers(master)
            for pid in old:
                os.kill(pid, signal.SIGKILL)
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                new = _workers(master)
                if len(new) >= len(old) and not set(new) & set(old):
                    break
                time.sleep(0.05)
            while time.monotonic() < deadline:
                try:
                    if httpx.get(base + "/healthz", timeout=5).status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.05)
            client.close()
            client = httpx.Client(timeout=60)
            replaced = _get(client, base, renamed, expect="Zanzibar Quorum")
        latencies = [
            _get(client, base, typo(names[i], rnd)) * 1000 for i in rnd.sample(range(len(names)), 100)
        ]
        client.close()
    p95 = statistics.quantiles(latencies, n=20)[18]
    print(
        f"HTTP: server ready in {started:.1f} s, first query {first * 1000:.0f} ms, first after 100 renames "
        f"and new workers {replaced * 1000 if replaced is not None else float('nan'):.0f} ms, p95 {p95:.0f} ms",
        flush=True,
    )
    rows = [
        {
            "metric": "HTTP: server start until it answers (index built)",
            "value": round(started, 2),
            "unit": "s",
            "goal": "(info)",
            "ok": True,
        },
        {
            "metric": "HTTP: first /verify query after the server starts",
            "value": round(first, 3),
            "unit": "s",
            "goal": "<= 1",
            "ok": first <= 1,
        },
        {
            "metric": "HTTP: first /verify query after 100 renames and new workers",
            "value": round(replaced, 3) if replaced is not None else -1,
            "unit": "s",
            "goal": "<= 1",
            "ok": replaced is not None and replaced <= 1,
        },
        {
            "metric": "HTTP: /verify p95, misspelt real names",
            "value": round(p95, 1),
            "unit": "ms",
            "goal": "<= 150",
            "ok": p95 <= 150,
        },
    ]
    return rows


def main(scale: float = 1.0) -> dict:
    rnd = random.Random(20261126)
    names = real_names()
    n = max(2_000, int(N * scale))
    all_names = candidates(names, rnd, n)
    names = names[:n]
    if n != N:
        print(f"scaled down: {n} names", flush=True)
    rows = bench_index(names, all_names, rnd)
    with tempfile.TemporaryDirectory(prefix="bench_search_") as d:
        tmp = Path(d)
        url = build_database(tmp / "bench.db", all_names)
        rows += bench_database(url, names, rnd)
        rows += bench_http(url, names, rnd, tmp)
    return {"rows": rows, "names": n}


if __name__ == "__main__":
    for row in main(float(os.environ.get("BENCH_SCALE", "1")))["rows"]:
        print(row)
