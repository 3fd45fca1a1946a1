"""Where a page's main-thread time goes while it loads: one Lighthouse run per page, its trace split by cause.

Lighthouse reports a page's total blocking time (TBT) but not who caused it. This script runs
Lighthouse (the same pinned 12.2.3, mobile preset, as ``site_speed.py``) with its trace saved,
and splits the blocking time of that trace by cause:

    python benchmarks/main_thread.py notation output-layer

(pages as URL paths, ``""`` for the home page; with none, the home page and the three pages with the
highest TBT in ``benchmarks/results/site_speed.json``). Results go to ``benchmarks/results/main_thread.json``,
which the Performance page quotes.

How the split is made. Lighthouse loads the page at full speed and then simulates the mobile
preset from that trace, counting each main-thread task four times as long (its CPU slowdown).
Here every main-thread task of the page blocks for ``4 * duration - 50 ms`` when that is
positive, the rule TBT uses, and its blocking time is shared among the work inside it in
proportion to their self time. Tasks are counted from the start of the load, not from the first
contentful paint as TBT does, because the simulation moves that paint: in the trace as recorded
the paint can come after the very tasks the simulation counts. The causes:

- style and layout that a script asked for (it read a size or position, so the browser had to
  compute styles and layout there and then), named by the source file of the script's code: for
  Material's ``bundle.js``, the file of Material's sources that the bundle's source map gives,
  for instance ``components/palette``;
- style and layout the browser did on its own (rendering the HTML as it arrives, re-laying out
  text when a web font arrives);
- script, by file; HTML and CSS parsing; paint and compositing; the rest as "other".

The sum is therefore larger than the TBT Lighthouse reports; both are written, and the page quotes
shares of the sum. This is a benchmark, not a test.
"""

from __future__ import annotations

import argparse
import bisect
import collections
import datetime as dt
import json
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import site_speed  # a sibling script, not a package

ROOT = site_speed.ROOT
OUT = ROOT / "benchmarks" / "results" / "main_thread.json"
CPU_SLOWDOWN = 4  # Lighthouse's mobile preset
LONG_TASK_MS = 50

STYLE_LAYOUT = {"UpdateLayoutTree", "Layout", "RecalculateStyles", "InvalidateLayout", "ScheduleStyleRecalculation"}
SCRIPT = {
    "EvaluateScript", "FunctionCall", "TimerFire", "EventDispatch", "FireAnimationFrame", "FireIdleCallback",
    "RunMicrotasks", "v8.compile", "v8.compileModule", "v8.evaluateModule", "V8.Execute", "v8.run",
    "XHRReadyStateChange", "XHRLoad", "ResourceReceivedData", "MajorGC", "MinorGC", "V8.GCScavenger",
    "V8.GCFinalizeMC", "v8.produceCache",
}  # fmt: skip
PARSE = {"ParseHTML", "ParseAuthorStyleSheet"}
BROWSER_STYLE = "style and layout by the browser (rendering the HTML, fonts arriving)"
ASKED = "style and layout asked for by "  # followed by the name of the code that forced it
INLINE = "(inline script)"  # the name of a script in the page itself (the site's own small scripts)
PAINT = {"Paint", "PrePaint", "Layerize", "CompositeLayers", "UpdateLayer", "UpdateLayerTree", "PaintImage",
         "Decode Image", "Commit", "RasterTask"}  # fmt: skip


# --- the source map: which of Material's files a position in bundle.js belongs to -----------------

_B64 = {c: i for i, c in enumerate("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")}


def _vlq(segment: str) -> list[int]:
    values, shift, value = [], 0, 0
    for char in segment:
        digit = _B64[char]
        value += (digit & 31) << shift
        if digit & 32:
            shift += 5
            continue
        values.append(-(value >> 1) if value & 1 else value >> 1)
        shift = value = 0
    return values


class SourceMap:
    """Generated (line, column), both 0-based, -> the original source file, from a version 3 map."""

    def __init__(self, data: dict):
        self.sources = data["sources"]
        self.lines: list[tuple[list[int], list[int]]] = []  # per generated line: columns, source indices
        source = 0
        for line in data["mappings"].split(";"):
            columns, sources, column = [], [], 0
            for segment in filter(None, line.split(",")):
                fields = _vlq(segment)
                column += fields[0]
                if len(fields) >= 4:
                    source += fields[1]
                    columns.append(column)
                    sources.append(source)
            self.lines.append((columns, sources))

    def source(self, line: int, column: int) -> str | None:
        if not 0 <= line < len(self.lines):
            return None
        columns, sources = self.lines[line]
        k = bisect.bisect_right(columns, column) - 1
        return self.sources[sources[k]] if k >= 0 else None


def short(source: str) -> str:
    """``src/templates/assets/javascripts/components/palette/index.ts`` -> ``components/palette``."""
    path = source.split("assets/javascripts/", 1)[-1]
    for suffix in ("/_/index.ts", "/index.ts", "/index.tsx", ".ts"):
        path = path.removesuffix(suffix)
    return path.removeprefix("node_modules/")


# --- the trace ------------------------------------------------------------------------------------


def _stack(event: dict) -> list[dict]:
    args = event.get("args", {})
    return (args.get("beginData") or {}).get("stackTrace") or (args.get("data") or {}).get("stackTrace") or []


def who_asked(stack: list[dict], maps: dict[str, SourceMap | None]) -> str:
    """Name the code that forced a style or layout update: a Material component if one is on the stack."""
    names = []
    for frame in stack:
        url = frame.get("url", "")
        name = url.rsplit("/", 1)[-1].split("?")[0] or INLINE
        smap = maps.get(url)
        if smap is not None:  # trace positions are 1-based, source maps 0-based
            original = smap.source(frame.get("lineNumber", 1) - 1, frame.get("columnNumber", 1) - 1)
            if original:
                name = short(original)
        names.append(name)
    component = next((name for name in names if name.startswith("components/")), None)
    if not names:
        return "(unknown)"
    if component is None or component == names[0]:
        return names[0]
    return f"{component} (through {names[0]})"  # e.g. the header, through an element-size helper


def cause(event: dict, maps: dict[str, SourceMap | None]) -> str:
    name = event["name"]
    if name in STYLE_LAYOUT:
        stack = _stack(event)
        if stack:
            return ASKED + who_asked(stack, maps)
        return BROWSER_STYLE
    if name in SCRIPT:
        url = (event.get("args", {}).get("data") or {}).get("url") or ""
        file = url.rsplit("/", 1)[-1]
        return f"script: {file}" if file else "script (inline, or the browser's own)"
    if name in PARSE:
        return "parsing HTML and CSS"
    if name in PAINT:
        return "paint and compositing"
    return "other"


def main_thread(events: list[dict]) -> tuple[int, int]:
    """(pid, tid) of the page's main thread: the one that painted its first contentful paint."""
    fcp = [e for e in events if e.get("name") == "firstContentfulPaint"]
    if not fcp:
        raise ValueError("the trace has no firstContentfulPaint event")
    first = min(fcp, key=lambda e: e["ts"])
    return first["pid"], first["tid"]


def blocking_by_cause(events: list[dict], maps: dict[str, SourceMap | None]) -> dict:
    """Blocking time of the page's main-thread tasks, split by cause (see the module docstring)."""
    pid, tid = main_thread(events)
    mine = sorted(
        (e for e in events if e.get("ph") == "X" and e.get("pid") == pid and e.get("tid") == tid and "dur" in e),
        key=lambda e: (e["ts"], -e["dur"]),
    )
    tasks = [e for e in mine if e["name"] == "RunTask"]
    totals: collections.defaultdict[str, float] = collections.defaultdict(float)
    blocking_total = 0.0
    long_tasks = 0
    i = 0
    for task in tasks:
        end = task["ts"] + task["dur"]
        blocking = CPU_SLOWDOWN * task["dur"] / 1000 - LONG_TASK_MS
        inside = []
        while i < len(mine) and mine[i]["ts"] < end:
            if mine[i]["ts"] >= task["ts"] and mine[i] is not task and mine[i]["name"] != "RunTask":
                inside.append(mine[i])
            i += 1
        if blocking <= 0:
            continue
        long_tasks += 1
        blocking_total += blocking
        # Self time: an event's duration less that of the events directly inside it.
        self_time: collections.defaultdict[str, float] = collections.defaultdict(float)
        open_: list[dict] = []
        own = {id(e): float(e["dur"]) for e in inside}
        task_own = float(task["dur"])
        for event in inside:
            while open_ and open_[-1]["ts"] + open_[-1]["dur"] <= event["ts"]:
                open_.pop()
            if open_:
                own[id(open_[-1])] -= event["dur"]
            else:
                task_own -= event["dur"]
            open_.append(event)
        for event in inside:
            self_time[cause(event, maps)] += max(own[id(event)], 0.0)
        self_time["other"] += max(task_own, 0.0)
        spent = sum(self_time.values())
        for name, t in self_time.items():
            totals[name] += blocking * t / spent
    return {
        "long_tasks": long_tasks,
        "blocking_ms": round(blocking_total),
        "by_cause_ms": {k: round(v) for k, v in sorted(totals.items(), key=lambda kv: -kv[1]) if round(v) > 0},
    }


def source_maps(site: Path, events: list[dict]) -> dict[str, SourceMap | None]:
    """The source map of every script URL on a stack in the trace, where the built site has one."""
    maps: dict[str, SourceMap | None] = {}
    for event in events:
        for frame in _stack(event):
            url = frame.get("url", "")
            if url in maps:
                continue
            path = url.split("://", 1)[-1].split("/", 1)[-1].split("?")[0]
            candidate = site / (path + ".map")
            maps[url] = SourceMap(json.loads(candidate.read_text(encoding="utf-8"))) if candidate.is_file() else None
    return maps


# --- the table the Performance page shows ----------------------------------------------------------


def _label(cause: str) -> str:
    """Module names in code font: ``... asked for by components/palette (through browser/x)``."""
    if cause.startswith(ASKED):
        rest = cause.removeprefix(ASKED)
        name, _, through = rest.partition(" (through ")
        return ASKED + f"`{name}`" + (f" (through `{through.removesuffix(')')}`)" if through else "")
    if cause.startswith("script: "):
        return "script: " + f"`{cause.removeprefix('script: ')}`"
    if cause == "other":
        return "other work"
    return cause


def shares(row: dict) -> dict[str, float]:
    total = sum(row["by_cause_ms"].values())
    return {cause: ms / total for cause, ms in row["by_cause_ms"].items()} if total else {}


def table(results: dict, floor: float = 0.03) -> str:
    """Markdown: one column per page, one row per cause with at least ``floor`` of a page's blocking time."""
    pages = results["pages"]
    share = [shares(row) for row in pages]
    causes: dict[str, float] = collections.defaultdict(float)
    for s in share:
        for cause, f in s.items():
            causes[cause] += f
    shown = [c for c in sorted(causes, key=lambda c: -causes[c]) if any(s.get(c, 0) >= floor for s in share)]

    def cell(s: dict[str, float], f: float) -> str:
        return f"{f:.0%}" if s else "-"

    rows = [
        "| | " + " | ".join(row["title"] for row in pages) + " |",
        "| --- |" + " --- |" * len(pages),
        "| elements on the page | " + " | ".join(f"{row['dom_elements']:,}" for row in pages) + " |",
        "| total blocking time (Lighthouse) | " + " | ".join(f"{row['tbt_ms']:,} ms" for row in pages) + " |",
        "| blocking time in the trace, CPU 4x | " + " | ".join(f"{row['blocking_ms']:,} ms" for row in pages) + " |",
    ]
    for cause in shown:
        rows.append(f"| {_label(cause)} | " + " | ".join(cell(s, s.get(cause, 0.0)) for s in share) + " |")
    rest = [sum(f for c, f in s.items() if c not in shown) for s in share]
    rows.append("| the smaller causes, together | " + " | ".join(cell(s, f) for s, f in zip(share, rest)) + " |")
    return "\n".join(rows)


def summary(results: dict) -> dict:
    """Over every page but the home page: the shares the Performance page's prose quotes."""
    rows = [row for row in results["pages"] if row["page"] != "/" and row["by_cause_ms"]]

    def by_theme(cause: str) -> bool:
        # Forced by the theme's bundle: named through its source map, so with a folder. The site's
        # own scripts (inline in the page, or its files such as math-scroll.js) have no folder.
        return cause.startswith(ASKED) and "/" in cause.removeprefix(ASKED).split(" ")[0]

    def by_site(cause: str) -> bool:
        return cause.startswith(ASKED) and not by_theme(cause)

    page_shares = [shares(row) for row in rows]

    def share_range(counted) -> tuple[float, float]:
        """The lowest and highest share, over the pages, of the causes ``counted`` picks."""
        per_page = [sum(f for c, f in s.items() if counted(c)) for s in page_shares]
        return min(per_page), max(per_page)

    causes = [c for row in rows for c in row["by_cause_ms"]]
    return {
        "pages": [row["title"] for row in rows],
        "performance": [row["performance"] for row in rows],
        "asked": share_range(by_theme),
        # The site's own scripts (the font gate, the colour toggle, math-scroll.js), apart from the theme's.
        "site_scripts": share_range(by_site),
        "browser": share_range(lambda cause: cause == BROWSER_STYLE),
        "tbt_ms": (min(row["tbt_ms"] for row in rows), max(row["tbt_ms"] for row in rows)),
        "bundle": next((c.removeprefix("script: ") for c in causes if c.startswith("script: bundle")), None),
    }


# --- running it -----------------------------------------------------------------------------------


def traced_run(url: str, browser: str, folder: Path) -> tuple[dict, list[dict]]:
    """One Lighthouse run with its trace saved: (the report, the trace events)."""
    out = folder / "report.json"
    site_speed.run_lighthouse(
        url, browser, f"--output-path={out}", "--save-assets", "--only-categories=performance", check=True
    )
    report = json.loads(out.read_text(encoding="utf-8"))
    trace = json.loads((folder / "report-0.trace.json").read_text(encoding="utf-8"))
    return report, trace["traceEvents"] if isinstance(trace, dict) else trace


def default_pages(count: int = 3) -> list[str]:
    """The home page, for comparison, and the ``count`` pages with the highest TBT in site_speed.json."""
    rows = json.loads(site_speed.OUT.read_text(encoding="utf-8"))["pages"]
    return ["/"] + [row["page"] for row in sorted(rows, key=lambda r: -r["tbt_ms"])[:count] if row["page"] != "/"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("pages", nargs="*", help='URL paths such as "notation/" ("" is the home page)')
    parser.add_argument("--out", type=Path, default=OUT, help=f"JSON to write (default {OUT.relative_to(ROOT)})")
    parser.add_argument("--site", type=Path, help="measure this already built site instead of building one")
    args = parser.parse_args(argv)
    if not site_speed.LIGHTHOUSE.exists():
        sys.exit("Lighthouse is not installed; see benchmarks/site_speed.py for the one-line install.")
    browser = site_speed.chromium()
    titles = {path: title for title, path in site_speed.nav_pages()}
    pages = [p if p in ("", "/") or p.endswith("/") else p + "/" for p in args.pages] or default_pages()
    rows: list[dict] = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.site or Path(tmp) / "site"
        server, url = site_speed.serve(folder)
        try:
            if args.site is None:
                print(f"building the site into {folder} ...", file=sys.stderr)
                site_speed.build(folder, url)
            for page in pages:
                path = "" if page == "/" else page
                work = Path(tmp) / f"run-{len(rows)}"
                work.mkdir()
                report, events = traced_run(url + path, browser, work)
                split = blocking_by_cause(events, source_maps(folder, events))
                rows.append({
                    "page": path or "/",
                    "title": titles.get(path, path),
                    "performance": round(report["categories"]["performance"]["score"] * 100),
                    "tbt_ms": round(report["audits"]["total-blocking-time"]["numericValue"]),
                    "dom_elements": int(report["audits"]["dom-size"]["numericValue"]),
                    **split,
                })  # fmt: skip
                print(f"  {path or '/'}: TBT {rows[-1]['tbt_ms']} ms; {split['by_cause_ms']}", file=sys.stderr)
        finally:
            server.shutdown()
            server.server_close()
    results = {
        "command": " ".join(["python benchmarks/main_thread.py", *(p or '""' for p in args.pages)]),
        "date": dt.date.today().isoformat(),
        "lighthouse": site_speed.LIGHTHOUSE_VERSION,
        "cpu_slowdown": CPU_SLOWDOWN,
        "cpu_cores": os.cpu_count(),
        "pages": rows,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
