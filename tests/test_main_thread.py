"""benchmarks/main_thread.py: a Lighthouse trace's blocking time, split by cause.

Checked on a small trace written out here, whose split is worked out by hand, with a source map
encoded here (the inverse of the script's decoder).
"""

from __future__ import annotations

import pytest

from conftest import ROOT, load_module

# A test of the trace script, not of the site: run with `python -m pytest -m tooling`.
pytestmark = pytest.mark.tooling

main_thread = load_module("main_thread", ROOT / "benchmarks" / "main_thread.py")

_B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


def _encode(value: int) -> str:
    """Base64 VLQ of one integer, as the source map format writes it."""
    bits = (-value << 1) | 1 if value < 0 else value << 1
    out = ""
    while True:
        digit, bits = bits & 31, bits >> 5
        out += _B64[digit | (32 if bits else 0)]
        if not bits:
            return out


def _map(segments: list[tuple[int, int]]) -> dict:
    """A one-line source map: (generated column, source index) pairs, as relative VLQ fields."""
    fields, column, source = [], 0, 0
    for col, src in segments:
        fields.append("".join(_encode(v) for v in (col - column, src - source, 0, 0)))
        column, source = col, src
    return {
        "version": 3,
        "sources": [
            "src/templates/assets/javascripts/browser/element/size/index.ts",
            "src/templates/assets/javascripts/components/palette/index.ts",
            "node_modules/rxjs/src/internal/Subject.ts",
        ],
        "mappings": ";" + ",".join(fields),  # the code is on the second line, as in bundle.js
    }


@pytest.mark.parametrize("value", [0, 1, -1, 15, 16, -16, 31, 32, 1000, -123456])
def test_vlq_decoding_inverts_encoding(value):
    assert main_thread._vlq(_encode(value)) == [value]


def test_source_map_gives_the_file_of_a_generated_position():
    smap = main_thread.SourceMap(_map([(0, 0), (10, 1), (25, 2), (40, 1)]))
    assert smap.source(0, 5) is None  # the first line maps nothing
    got = [main_thread.short(smap.source(1, c)) for c in (0, 9, 10, 24, 25, 39, 40, 500)]
    size, palette, rxjs = "browser/element/size", "components/palette", "rxjs/src/internal/Subject"
    assert got == [size, size, palette, palette, rxjs, rxjs, palette, palette]


URL = "http://127.0.0.1:1/assets/javascripts/bundle.min.js"


def _frame(column: int) -> dict:
    return {"url": URL, "lineNumber": 2, "columnNumber": column + 1, "functionName": ""}  # 1-based


def _x(name: str, ts_ms: float, dur_ms: float, **args) -> dict:
    return {"name": name, "ph": "X", "pid": 1, "tid": 7, "ts": ts_ms * 1000, "dur": dur_ms * 1000, "args": args}


def test_blocking_time_is_shared_by_self_time_and_named_by_the_code_that_asked():
    smap = main_thread.SourceMap(_map([(0, 0), (10, 1), (25, 2)]))
    stack = [_frame(3), _frame(12), _frame(30)]  # a size helper, called by the palette, called by rxjs
    events = [
        {"name": "firstContentfulPaint", "ph": "I", "pid": 1, "tid": 7, "ts": 0},
        _x("RunTask", 0, 30),
        _x("FunctionCall", 0, 20, data={"url": URL}),
        _x("UpdateLayoutTree", 5, 10, beginData={"stackTrace": stack}),
        _x("Paint", 22, 4),
        _x("RunTask", 40, 10),  # 4 x 10 ms = 40 ms: not a long task
        _x("Layout", 41, 8),
        _x("RunTask", 60, 20),  # 80 ms: blocks for 30 ms, all of it style and layout of the browser's own
        _x("Layout", 60, 20),
        {**_x("RunTask", 0, 100), "pid": 2},  # another process
    ]
    got = main_thread.blocking_by_cause(events, {URL: smap})
    # First task: 4 x 30 - 50 = 70 ms, shared 10 : 10 : 4 : 6 (script, forced style, paint, task's own).
    assert got["long_tasks"] == 2 and got["blocking_ms"] == 70 + 30
    assert got["by_cause_ms"] == {
        "style and layout by the browser (rendering the HTML, fonts arriving)": 30,
        "script: bundle.min.js": round(70 * 10 / 30),
        "style and layout asked for by components/palette (through browser/element/size)": round(70 * 10 / 30),
        "other": round(70 * 6 / 30),
        "paint and compositing": round(70 * 4 / 30),
    }


def test_a_trace_without_a_first_paint_is_refused():
    with pytest.raises(ValueError, match="firstContentfulPaint"):
        main_thread.blocking_by_cause([_x("RunTask", 0, 30)], {})


def test_summary_keeps_the_sites_own_scripts_apart_from_the_theme():
    def page(path, causes):
        return {"page": path, "title": path, "performance": 90, "tbt_ms": 100, "by_cause_ms": causes}

    asked, inline = "style and layout asked for by components/header (through x)", main_thread.ASKED + "(inline script)"
    results = {
        "pages": [
            page("/", {asked: 1, "other": 1}),  # Home is left out of the summary
            page("a/", {asked: 60, inline: 20, "other": 20}),
            page("b/", {asked: 30, inline: 5, main_thread.ASKED + "math-scroll.js": 10, "other": 55}),
        ]
    }
    s = main_thread.summary(results)
    assert s["asked"] == (0.30, 0.60)  # the theme's share only, the site's own scripts not included
    assert s["site_scripts"] == pytest.approx((0.15, 0.20))  # the site's own: inline script, math-scroll.js
