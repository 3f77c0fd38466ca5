"""The dashboard's server-rendered SVG: well-formed, escaped, and drawn to scale."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from decimal import Decimal

from registry.web.admin import charts

NS = "{http://www.w3.org/2000/svg}"


def parse(svg) -> ET.Element:
    return ET.fromstring(str(svg))


def test_stacked_bars_scale_and_escape():
    months = ["2026-01", "2026-02"]
    svg = charts.stacked_bars(
        "Reports <by> month", months, {"2026-01": {"medical": 2, "<script>": 6}, "2026-02": {"medical": 4}}
    )
    root = parse(svg)  # raises if a label broke the markup
    assert "<script>" not in str(svg) and "&lt;script&gt;" in str(svg)
    bars = [r for r in root.iter(NS + "rect") if r.find(NS + "title") is not None]
    heights = {r.find(NS + "title").text: float(r.get("height")) for r in bars}
    assert heights["2026-01 · medical: 2"] * 2 == heights["2026-02 · medical: 4"]
    assert heights["2026-01 · <script>: 6"] == heights["2026-01 · medical: 2"] * 3


def test_horizontal_bars_and_empty_states():
    root = parse(
        charts.horizontal_bars(
            "USD",
            [("NP→QA", Decimal("6000"), "7 reports"), ("BD→SA", Decimal("3000"), "2 reports")],
            unit="$",
        )
    )
    widths = [float(r.get("width")) for r in root.iter(NS + "rect")]
    assert widths[0] == 2 * widths[1]
    for svg in (
        charts.stacked_bars("x", ["2026-01"], {}),
        charts.horizontal_bars("x", []),
        charts.stacked_area("x", ["2026-01", "2026-02"], {}, ["accredited"]),
    ):
        assert any(t.get("class") == "empty" for t in parse(svg).iter(NS + "text"))


def test_stacked_area_stacks_in_status_order():
    months = ["2026-01", "2026-02", "2026-03"]
    data = {m: {"accredited": 10, "suspended": i} for i, m in enumerate(months)}
    root = parse(charts.stacked_area("status", months, data, ["applicant", "accredited", "suspended"]))
    titles = [p.find(NS + "title").text for p in root.iter(NS + "polygon")]
    assert titles == ["accredited", "suspended"]  # states with no recruiters are left out


def test_ticks_are_round_numbers():
    assert charts.nice_ticks(0) == [0, 1]
    assert charts.nice_ticks(4) == [0, 1, 2, 3, 4]
    assert charts.nice_ticks(37) == [0, 10, 20, 30, 40]
    assert charts.nice_ticks(40_000)[-1] == 40_000
