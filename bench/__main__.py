"""Run benchmarks: `python -m bench [--scale X] [--results DIR] [name ...]`. Prints a table and writes
<DIR>/<name>.json (default bench/results/).

`--scale` (default 1, or BENCH_SCALE) is passed to every bench whose `main` takes a `scale`: sizes and
durations shrink with it (the test suite runs every bench at a tiny scale so that none can rot); the
figures of a scaled-down run are not comparable with the goals.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import json
import os
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


def run_one(name: str, scale: float = 1.0) -> dict:
    """Run one bench (its `main`, with `scale` when it takes one); its result with name and duration."""
    mod = importlib.import_module(f"bench.bench_{name}")
    t0 = time.perf_counter()
    takes_scale = "scale" in inspect.signature(mod.main).parameters
    result = mod.main(scale=scale) if takes_scale else mod.main()
    result.setdefault("name", name)
    result["scale"] = scale
    result["seconds"] = round(time.perf_counter() - t0, 1)
    return result


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--scale", type=float, default=float(os.environ.get("BENCH_SCALE", "1")))
    parser.add_argument("--results", type=Path, default=RESULTS)
    parser.add_argument("names", nargs="*")
    args = parser.parse_args(argv)
    names = args.names or discover()
    results: Path = args.results
    results.mkdir(parents=True, exist_ok=True)
    failed = 0
    summary = []
    for name in names:
        print(f"== {name} ==", flush=True)
        result = run_one(name, args.scale)
        (results / f"{name}.json").write_text(json.dumps(result, indent=2, default=str))
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
    print(f"\nresults written to {results}/")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
