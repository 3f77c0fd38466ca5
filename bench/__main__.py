"""Run benchmarks: `python -m bench [name ...]`. Prints a table and writes bench/results/<name>.json."""

from __future__ import annotations

import importlib
import json
import pkgutil
import sys
import time
from pathlib import Path

RESULTS = Path(__file__).parent / "results"


def discover() -> list[str]:
    return sorted(
        m.name[len("bench_") :]
        for m in pkgutil.iter_modules([str(Path(__file__).parent)])
        if m.name.startswith("bench_")
    )


def main(argv: list[str]) -> int:
    names = argv or discover()
    RESULTS.mkdir(parents=True, exist_ok=True)
    failed = 0
    summary = []
    for name in names:
        mod = importlib.import_module(f"bench.bench_{name}")
        print(f"== {name} ==", flush=True)
        t0 = time.perf_counter()
        result = mod.main()
        result.setdefault("name", name)
        result["seconds"] = round(time.perf_counter() - t0, 1)
        (RESULTS / f"{name}.json").write_text(json.dumps(result, indent=2, default=str))
        for row in result["rows"]:
            summary.append((name, row))
            failed += 0 if row.get("ok", True) else 1
    print()
    print(f"{'bench':<10} {'metric':<52} {'value':>12} {'unit':<8} {'goal':<18} ok")
    print("-" * 108)
    for name, row in summary:
        value = row["value"]
        shown = f"{value:.3f}" if isinstance(value, float) else str(value)
        print(
            f"{name:<10} {row['metric']:<52} {shown:>12} {row.get('unit', ''):<8} {row.get('goal', ''):<18} "
            f"{'yes' if row.get('ok', True) else 'NO'}"
        )
    print(f"\nresults written to {RESULTS}/")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
