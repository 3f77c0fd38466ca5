"""Recruiter search at registry scale: 100,000 candidates built from the real register names.

Measures the in-memory index (build time, query latency p50/p95, recall of misspelled real names and
of the real names of config/registers/ written in Devanagari or Bengali script, as a worker who
writes in Nepali or Bengali would, read back by ``registry.services.scripts``) and
the database path (`search_recruiters` on SQLite with 100,000 recruiters: the first query, which
loads the candidate cache, and the following ones, which reuse it).
"""

from __future__ import annotations

import csv
import random
import re
import statistics
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

    names = config_register_names()
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


def candidates(names: list[str], rnd: random.Random) -> list[str]:
    """N names: the real ones, then invented ones (an invented word in front of a real name)."""
    out = list(names)
    while len(out) < N:
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


def bench_database(names, all_names, rnd) -> list[dict]:
    from sqlalchemy import insert
    from sqlmodel import Session

    from registry.db import make_engine
    from registry.migrate import upgrade
    from registry.models import Recruiter
    from registry.services.recruiters import search_recruiters
    from registry.services.search import search_text
    from registry.timeutil import utcnow

    with tempfile.TemporaryDirectory() as d:
        engine = make_engine(f"sqlite:///{d}/bench.db")
        upgrade(engine)
        now = utcnow()
        rows = [
            {
                "public_id": f"RB-{i:07d}",
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
            "metric": "search_recruiters first query (loads cache)",
            "value": round(cold, 2),
            "unit": "s",
            "goal": "<= 10",
            "ok": cold <= 10,
        },
        {
            "metric": "search_recruiters p95, warm cache (100k rows)",
            "value": round(p95, 1),
            "unit": "ms",
            "goal": "<= 200",
            "ok": p95 <= 200,
        },
    ]


def main() -> dict:
    rnd = random.Random(20261126)
    names = real_names()
    all_names = candidates(names, rnd)
    return {"rows": bench_index(names, all_names, rnd) + bench_database(names, all_names, rnd)}


if __name__ == "__main__":
    for row in main()["rows"]:
        print(row)
