"""Fixtures shared by the unit tests."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

REGISTERS = Path(__file__).resolve().parent.parent / "data" / "registers"


def _rows(name: str):
    with (REGISTERS / name).open(newline="", encoding="utf-8") as f:
        yield from csv.DictReader(f)


@pytest.fixture(scope="module")
def register_names() -> dict[str, list[str]]:
    """Every name of the four real registers: {key: [name, other names...]} (3,939 agencies)."""
    names: dict[str, list[str]] = {}
    for r in _rows("bd_recruiting_agencies_rl_directory_2023.csv"):
        names[f"bd-rl:{r['rl_no']}:{r['src_id']}"] = [r["agency_name"]]
    for r in _rows("bd_shipping_manning_agents_mla.csv"):
        names[f"bd-mla:{r['licence_no']}"] = [r["agency_name"]]
    for i, r in enumerate(_rows("ph_dmw_licensed_agencies_sample_2026-07-14.csv")):
        names[f"ph:{i}"] = [r["name"]]
    for i, r in enumerate(_rows("hk_labour_department_employment_agencies_2021-12-28.csv")):
        names[f"hk:{i}"] = [n for n in (r["english_name"], r["chinese_name"]) if n.strip()]
    return names
