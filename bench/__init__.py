"""Benchmarks (`make bench`). Each bench module `bench/bench_<name>.py` defines `main() -> dict`:

    {"name": "seed", "rows": [{"metric": str, "value": float, "unit": str, "goal": str, "ok": bool}], ...}

Goals are ratios to a baseline measured in the same run, or absolute limits from the issues.
"""
