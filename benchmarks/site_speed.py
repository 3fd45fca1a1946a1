"""Measure how fast the site's pages load: Lighthouse 12, mobile preset, on every page in the nav.

One command, after the one-time Lighthouse install below; it prints the table and writes the JSON
that the page "How this site is built" (docs/site.md) is built from:

    python benchmarks/site_speed.py

What it does: builds the site (``mkdocs build --strict``) into a temporary folder, serves it on
127.0.0.1 with gzip as GitHub Pages does (``python -m http.server`` does not compress, which makes
pages look about three times heavier), and runs Lighthouse on every page listed in ``nav:`` of
mkdocs.yml (pages added later are picked up by themselves), ``--runs`` times each (5 by
default, in rounds over all pages), keeping the run with the median performance score.
Lighthouse's mobile preset is its default: a simulated slow 4G network and a CPU slowed down
four times. Results go to ``benchmarks/results/site_speed.json``; ``--baseline old.json`` copies
an earlier run's numbers in as "before" (without it, the "before" already in the JSON being
replaced is kept). Then every page is loaded twice more in Chromium (Playwright) from a reader's
side, on a phone-sized window over a throttled connection, cold and warm cache, and its layout
shift recorded (``throttled`` in the JSON); ``--throttled-only`` does only that.

This is a benchmark, not a test: scores move by a few points from run to run on a busy machine,
and nothing here fails on a target. The browser tests (tests/test_browser.py) guard what can be
checked without Lighthouse.

Lighthouse comes from npm, pinned (12.2.3; Lighthouse 13 needs Node 22), into the git-ignored
folder ``benchmarks/.lighthouse``; it needs Node 18 or newer and Chromium, and nothing of it is
needed to build or serve the site:

    mkdir -p benchmarks/.lighthouse && npm install --prefix benchmarks/.lighthouse --save-exact lighthouse@12.2.3

The browser is ``$CHROMIUM`` if set, else ``chromium`` on the PATH (Debian:
``apt-get install -y chromium``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import gzip
import io
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LIGHTHOUSE_VERSION = "12.2.3"
LIGHTHOUSE_DIR = ROOT / "benchmarks" / ".lighthouse"
LIGHTHOUSE = LIGHTHOUSE_DIR / "node_modules" / ".bin" / "lighthouse"
OUT = ROOT / "benchmarks" / "results" / "site_speed.json"
# Lighthouse's guide to score variability (docs/variability.md): the median of five runs is twice as
# stable as one run.
RUNS = 5
CATEGORIES = ["performance", "accessibility", "best-practices", "seo"]
AUDITS = {  # audit id -> key in the JSON, numeric value as Lighthouse reports it
    "first-contentful-paint": "fcp_ms",
    "largest-contentful-paint": "lcp_ms",
    "total-blocking-time": "tbt_ms",
    "cumulative-layout-shift": "cls",
    "speed-index": "speed_index_ms",
    "total-byte-weight": "transfer_bytes",
}


# --- the site ---------------------------------------------------------------------------------


def nav_pages(config: Path = ROOT / "mkdocs.yml") -> list[tuple[str, str]]:
    """(title, URL path) of every page in mkdocs.yml's nav, in order."""
    import yaml

    class Loader(yaml.SafeLoader):  # mkdocs.yml's tags (!ENV, !!python/name:...) are not needed here
        pass

    Loader.add_multi_constructor("!", lambda loader, suffix, node: None)
    Loader.add_multi_constructor("tag:yaml.org,2002:python/", lambda loader, suffix, node: None)
    nav = yaml.load(config.read_text(encoding="utf-8"), Loader=Loader)["nav"]

    def walk(items, title=None):
        for item in items:
            if isinstance(item, str):
                yield title or item, item
                continue
            for key, value in item.items():
                yield from walk(value) if isinstance(value, list) else [(key, value)]

    pages = []
    for title, src in walk(nav):
        if "://" in src:
            continue  # an external link in the nav
        stem = src.rsplit(".", 1)[0]
        pages.append((title, "" if stem == "index" else stem.removesuffix("/index") + "/"))
    return pages


class GzipHandler(SimpleHTTPRequestHandler):
    """Static files, gzipped when the client accepts it, as GitHub Pages serves them."""

    COMPRESS = (".html", ".css", ".js", ".json", ".svg", ".xml", ".txt", ".py", ".ipynb")

    def log_message(self, *args):
        pass

    def send_head(self):
        path = Path(self.translate_path(self.path))
        if path.is_dir():
            if not self.path.split("?")[0].endswith("/"):
                return super().send_head()  # the redirect to the trailing slash
            path = path / "index.html"
        if (
            not path.is_file()
            or path.suffix not in self.COMPRESS
            or "gzip" not in self.headers.get("Accept-Encoding", "")
        ):
            return super().send_head()
        body = gzip.compress(path.read_bytes(), 6)
        self.send_response(200)
        self.send_header("Content-Type", self.guess_type(str(path)))
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        return io.BytesIO(body)


def serve(folder: Path) -> tuple[ThreadingHTTPServer, str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(GzipHandler, directory=str(folder)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"


def build(folder: Path, url: str) -> None:
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1", SITE_URL=url)
    subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "-d", str(folder)], cwd=ROOT, env=env, check=True
    )


# --- Lighthouse -------------------------------------------------------------------------------


def chromium() -> str:
    path = os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        sys.exit("No Chromium: set $CHROMIUM or install it (Debian: apt-get install -y chromium).")
    return path


CHROME_FLAGS = (
    "--headless=new --no-sandbox --disable-gpu --no-first-run "
    "--disable-background-networking --disable-component-update --disable-sync"
)


def run_lighthouse(url: str, browser: str, *options: str, **run: object) -> subprocess.CompletedProcess:
    """Lighthouse (its default mobile preset, JSON output) on ``url`` in ``browser`` with a fresh profile.

    ``options`` are added to Lighthouse's command line, ``run`` passed to ``subprocess.run``. The one
    place that says how Lighthouse is run, for this script and ``main_thread.py``.
    """
    with tempfile.TemporaryDirectory() as profile:
        return subprocess.run(
            [
                str(LIGHTHOUSE),
                url,
                "--output=json",
                "--quiet",
                *options,
                f"--chrome-flags={CHROME_FLAGS} --user-data-dir={profile}",
            ],
            env=dict(os.environ, CHROME_PATH=browser),
            timeout=300,
            **run,
        )


def lighthouse(url: str, browser: str) -> dict:
    """One Lighthouse run (mobile preset) on ``url``: scores and the metrics in AUDITS."""
    result = run_lighthouse(url, browser, f"--only-categories={','.join(CATEGORIES)}", capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"Lighthouse failed on {url}:\n{result.stderr[-2000:]}")
    report = json.loads(result.stdout)
    if report.get("runtimeError"):
        raise RuntimeError(f"Lighthouse could not load {url}: {report['runtimeError']}")
    out = {c: round(report["categories"][c]["score"] * 100) for c in CATEGORIES}
    for audit, key in AUDITS.items():
        value = report["audits"][audit]["numericValue"]
        out[key] = round(value, 3) if key == "cls" else round(value)
    out["lighthouse"] = report["lighthouseVersion"]
    # Lighthouse's own measure of this machine's CPU speed during the run: tells a slow machine from a heavy page
    out["benchmark_index"] = round(report["environment"]["benchmarkIndex"])
    return out


def load_summary(loads: list[float]) -> dict:
    """The machine's 1-minute load average, sampled after every Lighthouse run: a run on a busy
    machine scores lower, so the table says how busy it was."""
    return {
        "min": round(min(loads), 2),
        "median": round(statistics.median(loads), 2),
        "max": round(max(loads), 2),
        "samples": len(loads),
    }


def median_run(results: list[dict]) -> dict:
    """The run with the median performance score (the lower middle one for an even count)."""
    scores = [r["performance"] for r in results]
    return results[scores.index(sorted(scores)[(len(scores) - 1) // 2])]


def measure(pages, base_url: str, runs: int, browser: str, loads: list[float] | None = None) -> list[dict]:
    """``runs`` Lighthouse runs of every page, in rounds: every page once, then every page again.

    Rounds, because a burst of other work on the machine then slows one run of several pages
    rather than every run of one page, and the median sets it aside.
    """
    results: dict[str, list[dict]] = {path: [] for _, path in pages}
    for round_ in range(1, runs + 1):
        print(f"  round {round_} of {runs}", file=sys.stderr)
        for _, path in pages:
            results[path].append(lighthouse(base_url + path, browser))
            if loads is not None:
                loads.append(os.getloadavg()[0])  # how busy the machine was: other work skews the timings
    rows = []
    for title, path in pages:
        median = median_run(results[path])
        scores = [r["performance"] for r in results[path]]
        rows.append({"page": path or "/", "title": title, **median, "performance_runs": scores})
        print(
            f"  {path or '/'}: performance {median['performance']} (runs {scores}), "
            f"TBT {median['tbt_ms']} ms, CLS {median['cls']:.3f}",
            file=sys.stderr,
        )
    return rows


# --- a reader's side: layout shift on a throttled connection --------------------------------

# Chrome DevTools' "slow connection" figures: 1.6 Mbit/s down, 750 kbit/s up, 150 ms round trip.
THROTTLE = {"offline": False, "latency": 150, "downloadThroughput": 1_600_000 / 8, "uploadThroughput": 750_000 / 8}
OBSERVE_CLS = """(() => { window.__cls = 0; new PerformanceObserver(l => { for (const e of l.getEntries())
  if (!e.hadRecentInput) window.__cls += e.value; }).observe({type: 'layout-shift', buffered: true}); })()"""


def throttled_cls(pages, base_url: str, browser: str) -> list[dict]:
    """Cumulative layout shift of each page loaded on a phone-sized window (390 x 844) over a
    throttled connection (THROTTLE), with a cold cache (a fresh browser context) and a warm one
    (the same page loaded again in that context), counted until a second after the load event.

    Unlike Lighthouse, which records at full speed and simulates the slow network afterwards, this
    is the load as a reader on a slow connection sees it: fonts, stylesheets and images really late.
    """
    from playwright.sync_api import sync_playwright

    rows = []
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=browser, args=["--no-sandbox", "--disable-gpu"])
        for title, path in pages:
            context = b.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=3, is_mobile=True)
            context.add_init_script(OBSERVE_CLS)
            page = context.new_page()
            cdp = context.new_cdp_session(page)
            cdp.send("Network.enable")
            cdp.send("Network.emulateNetworkConditions", THROTTLE)
            row = {"page": path or "/", "title": title}
            for cache in ("cold", "warm"):
                page.goto(base_url + path, wait_until="load", timeout=120_000)
                page.wait_for_timeout(1000)
                row[f"cls_{cache}"] = round(page.evaluate("() => window.__cls"), 4)
            context.close()
            rows.append(row)
            print(f"  {path or '/'}: throttled CLS cold {row['cls_cold']}, warm {row['cls_warm']}", file=sys.stderr)
        b.close()
    return rows


# --- the table --------------------------------------------------------------------------------


def table(results: dict) -> str:
    """The Markdown table the Performance page shows (and this script prints)."""
    before = {row["page"]: row for row in results.get("before", {}).get("pages", [])}
    head = (
        "| page | performance | total blocking time | layout shift (CLS) | largest paint | transferred (gzip) "
        "| accessibility, best practices, SEO |"
    )
    rows = [head, "| --- | --- | --- | --- | --- | --- | --- |"]
    # One format per column, for the value and for the earlier one shown after "was".
    formats = {
        "performance": "{}".format,
        "tbt_ms": "{} ms".format,
        "cls": "{:.3f}".format,
        "lcp_ms": lambda ms: f"{ms / 1000:.1f} s",
        "transfer_bytes": lambda b: f"{b / 1024:.0f} KiB",
    }
    for row in results["pages"]:
        old = before.get(row["page"])

        def cell(key, row=row, old=old):
            text = formats[key](row[key])
            return text + (f" (was {formats[key](old[key])})" if old and key in old else "")

        rows.append(
            f"| {row['title']} | {cell('performance')} | {cell('tbt_ms')} | {cell('cls')} | {cell('lcp_ms')} "
            f"| {cell('transfer_bytes')} | {row['accessibility']}, {row['best-practices']}, {row['seo']} |"
        )
    return "\n".join(rows)


# A largest paint counts as later only when it comes this much later: smaller differences are
# within a page's run-to-run spread.
LCP_LATER_MS = 100


def compared(results: dict) -> dict:
    """Against the "before" run: on how many of the pages measured in both each metric got better."""
    before = {row["page"]: row for row in results.get("before", {}).get("pages", [])}
    pairs = [(row, before[row["page"]]) for row in results["pages"] if row["page"] in before]
    return {
        "pages": len(pairs),
        "transfer_less": sum(new["transfer_bytes"] < old["transfer_bytes"] for new, old in pairs),
        "cls_less_or_zero": sum(new["cls"] < old["cls"] or new["cls"] == old["cls"] == 0 for new, old in pairs),
        "tbt_less": sum(new["tbt_ms"] < old["tbt_ms"] for new, old in pairs),
        "performance_higher": sum(new["performance"] > old["performance"] for new, old in pairs),
        "lcp_later": sum(new["lcp_ms"] > old["lcp_ms"] + LCP_LATER_MS for new, old in pairs),
        "lcp_later_ms": LCP_LATER_MS,
    }


def summary(results: dict) -> dict:
    pages = results["pages"]
    home = next((p for p in pages if p["page"] == "/"), pages[0])
    spread = [max(p["performance_runs"]) - min(p["performance_runs"]) for p in pages]
    return {
        "pages": len(pages),
        "performance_min": min(p["performance"] for p in pages),
        "performance_home": home["performance"],
        "tbt_max_ms": max(p["tbt_ms"] for p in pages),
        "cls_max": max(p["cls"] for p in pages),
        "transfer_max_kib": round(max(p["transfer_bytes"] for p in pages) / 1024),
        "others_min": min(min(p["accessibility"], p["best-practices"], p["seo"]) for p in pages),
        # How far one page's performance scores spread over its runs: the widest (and on which page),
        # and the median page's, since the widest is often one stray run.
        "performance_spread": max(spread),
        "performance_spread_page": pages[spread.index(max(spread))]["title"],
        "performance_spread_median": statistics.median_low(spread),
    }


def throttled_results(rows: list[dict]) -> dict:
    return {
        "date": dt.date.today().isoformat(),
        "network": "1.6 Mbit/s down, 750 kbit/s up, 150 ms round trip (Chrome DevTools emulation)",
        "window": "390 x 844, 3x",
        "pages": rows,
        "cls_max": max(max(r["cls_cold"], r["cls_warm"]) for r in rows),
    }


def remeasured(
    results: dict, rows: list[dict], throttled: list[dict], loads: list[float], order: list[str] | None = None
) -> dict:
    """``results`` with the rows of the pages measured again replaced, and when and how busy, said.

    For a page changed after a full run: its new rows go where the old ones were, the summary is
    recomputed, and ``remeasured`` names the pages, the date and the load average of that run. A page
    new since that run (one page split in two) gets its rows added; ``order``, the nav's page paths,
    puts every row in the nav's order.
    """

    def merged(old: list[dict], fresh: list[dict]) -> list[dict]:
        by_page = {row["page"]: row for row in fresh}
        known = {row["page"] for row in old}
        rows_now = [by_page.get(row["page"], row) for row in old] + [r for r in fresh if r["page"] not in known]
        if order is not None:
            rank = {page: i for i, page in enumerate(order)}
            rows_now.sort(key=lambda row: rank.get(row["page"], len(rank)))
        return rows_now

    results["pages"] = merged(results["pages"], rows)
    if "throttled" in results:
        results["throttled"]["pages"] = merged(results["throttled"]["pages"], throttled)
        results["throttled"]["cls_max"] = max(max(r["cls_cold"], r["cls_warm"]) for r in results["throttled"]["pages"])
    results["remeasured"] = {
        "date": dt.date.today().isoformat(),
        "pages": [row["page"] for row in rows],
        "load_average_1min": load_summary(loads),
    }
    results["summary"] = summary(results)
    return results


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=OUT, help=f"JSON to write (default {OUT.relative_to(ROOT)})")
    parser.add_argument("--runs", type=int, default=RUNS, help="Lighthouse runs per page; the median is kept")
    parser.add_argument("--site", type=Path, help="measure this already built site instead of building one")
    parser.add_argument("--baseline", type=Path, help="an earlier JSON of this script, kept as 'before'")
    parser.add_argument(
        "--throttled-only", action="store_true", help="measure only the throttled loads, into the JSON's 'throttled'"
    )
    parser.add_argument(
        "--pages",
        nargs="+",
        metavar="PATH",
        help="measure only these pages (URL paths such as notation/, / for home) and replace their rows in the JSON",
    )
    args = parser.parse_args(argv)
    if args.throttled_only:
        browser, pages = chromium(), nav_pages()
        with tempfile.TemporaryDirectory() as tmp:
            folder = args.site or Path(tmp) / "site"
            server, url = serve(folder)
            try:
                if args.site is None:
                    build(folder, url)
                throttled = throttled_cls(pages, url, browser)
            finally:
                server.shutdown()
                server.server_close()
        results = json.loads(args.out.read_text(encoding="utf-8"))
        results["throttled"] = throttled_results(throttled)
        args.out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
        return 0
    if not LIGHTHOUSE.exists():
        sys.exit(
            f"Lighthouse is not installed; run:\n  mkdir -p {LIGHTHOUSE_DIR.relative_to(ROOT)} && npm install "
            f"--prefix {LIGHTHOUSE_DIR.relative_to(ROOT)} --save-exact lighthouse@{LIGHTHOUSE_VERSION}"
        )
    browser = chromium()
    pages = nav_pages()
    if args.pages:
        wanted = {"" if p == "/" else p for p in args.pages}
        unknown = wanted - {path for _, path in pages}
        if unknown:
            parser.error(f"--pages: expected paths of pages in the nav, got {sorted(unknown)}")
        pages = [(title, path) for title, path in pages if path in wanted]
        # read first: a missing file fails now, not after the runs
        earlier = json.loads(args.out.read_text(encoding="utf-8"))
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.site or Path(tmp) / "site"
        server, url = serve(folder)
        try:
            if args.site is None:
                print(f"building the site into {folder} ...", file=sys.stderr)
                build(folder, url)
            print(
                f"Lighthouse {LIGHTHOUSE_VERSION}, mobile preset, {len(pages)} pages x {args.runs} runs, "
                f"served with gzip at {url}",
                file=sys.stderr,
            )
            loads: list[float] = []
            rows = measure(pages, url, args.runs, browser, loads)
            throttled = throttled_cls(pages, url, browser)
        finally:
            server.shutdown()
            server.server_close()
    if args.pages:
        order = ["/" if path == "" else path for _, path in nav_pages()]
        results = remeasured(earlier, rows, throttled, loads, order)
        args.out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
        print(table(results))
        print(f"\nreplaced {len(rows)} pages in {args.out}", file=sys.stderr)
        return 0
    node = subprocess.run(["node", "--version"], capture_output=True, text=True).stdout.strip()
    chrome = subprocess.run([browser, "--version"], capture_output=True, text=True).stdout.strip()
    results = {
        "command": "python benchmarks/site_speed.py" + (f" --runs {args.runs}" if args.runs != RUNS else ""),
        "date": dt.date.today().isoformat(),
        "environment": {
            "lighthouse": LIGHTHOUSE_VERSION,
            "node": node,
            "browser": chrome,
            "cpu_cores": os.cpu_count(),
            "machine": platform.machine(),
            "preset": "mobile (simulated slow 4G, 4x CPU slowdown)",
            "served": "127.0.0.1, gzip",
            "load_average_1min": load_summary(loads),
        },
        "runs_per_page": args.runs,
        "pages": rows,
        "throttled": throttled_results(throttled),
    }
    if args.baseline:
        before = json.loads(args.baseline.read_text(encoding="utf-8"))
        results["before"] = {"date": before["date"], "note": before.get("note", ""), "pages": before["pages"]}
    elif args.out.exists() and "before" in (earlier := json.loads(args.out.read_text(encoding="utf-8"))):
        results["before"] = earlier["before"]  # a re-run keeps the JSON's earlier baseline
    results["summary"] = summary(results)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(table(results))
    print(f"\nwrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
