"""The Performance page and "How this site is built" are filled in from the committed benchmark results.

``benchmarks/results/latest.json`` (written by ``python benchmarks/bench.py --out ...``) supplies
the table, the machine description, every number quoted in the page's prose (placeholders of the
form ``<!-- bench:KEY -->``) and the figure ``figures/performance.png``. An unknown placeholder
fails the build, so the page cannot quote a number the results do not hold.

``benchmarks/results/site_speed.json`` (written by ``python benchmarks/site_speed.py``, Lighthouse
on every page and throttled loads) fills the page "How this site is built" (``site.md``) the same
way, with ``<!-- site:KEY -->`` placeholders; its table is made by the same ``table()`` the script
prints with. ``benchmarks/results/engine.json`` fills ``<!-- engine:KEY -->`` (docs/hooks/engine_benchmark.py).

``fill_placeholders`` does all three; the Markdown extension ``docs/extensions/fill.py`` calls it on
every page under either generator, and the figure is written by ``docs/extensions/prebuild.py``.
No MkDocs event is involved any more.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path

from mkdocs.exceptions import PluginError

RESULTS = Path(__file__).resolve().parents[2] / "benchmarks" / "results" / "latest.json"
SITE_RESULTS = RESULTS.with_name("site_speed.json")
SITE_SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "site_speed.py"
SITE_PAGE = "site.md"
PLACEHOLDER = re.compile(r"<!-- bench:([a-z0-9_]+) -->")
SITE_PLACEHOLDER = re.compile(r"<!-- site:([a-z0-9_]+) -->")


def load() -> dict:
    return json.loads(RESULTS.read_text(encoding="utf-8"))


def _ms(seconds: float) -> str:
    return f"{seconds * 1e3:.3g} ms" if seconds >= 1e-3 else f"{seconds * 1e6:.3g} µs"


def _spread(t: dict) -> str:
    return f"{_ms(t['median_s'])} ({_ms(t['q25_s'])} to {_ms(t['q75_s'])})"


def _share(fraction: float) -> str:
    return f"{fraction:.1%}" if fraction < 0.1 else f"{fraction:.0%}"


def table(results: dict) -> str:
    rows = [
        "| network and batch | backprop step | PyTorch step | backprop / PyTorch | GFLOP/s | share of matmul peak |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for case in results["cases"]:
        ours, theirs = case["backprop"], case["torch"]
        torch_cells = f"{_spread(theirs)} | {case['ratio_backprop_to_torch']:.2f}x" if theirs else "not measured | -"
        rows.append(
            f"| {case['name']} | {_spread(ours)} | {torch_cells} | {ours['gflops']:.1f} | "
            f"{_share(ours['fraction_of_matmul_peak'])} |"
        )
    return "\n".join(rows)


def values(results: dict) -> dict[str, str]:
    """Every number the page's prose may quote, already formatted."""
    env, peak = results["environment"], results["matmul"]
    iris, mid, big = results["cases"]
    blas = ", ".join(
        f"{b.get('internal_api') or b.get('name')} {b.get('version')}"
        for b in env["blas"]
        if b.get("internal_api") != "openmp"
    )
    out = {
        "table": table(results),
        "command": results["command"],
        "date": results["date"],
        "cpu": f"{env['cpu']}, {env['cores']} cores",
        "software": f"Python {env['python']}, NumPy {env['numpy']} ({blas}), PyTorch {env['torch']} "
        f"with {env['torch_threads']} threads",
        "peak": f"{peak['gflops_median']:.0f} GFLOP/s",
        "torch_peak": (
            f"{results['torch_matmul']['gflops_median']:.0f} GFLOP/s" if results.get("torch_matmul") else "not measured"
        ),
        "peak_n": str(peak["n"]),
        "iris_ms": _ms(iris["backprop"]["median_s"]),
        "iris_share": f"{iris['backprop']['fraction_of_matmul_peak']:.1%}",
        "mid_share": f"{mid['backprop']['fraction_of_matmul_peak']:.0%}",
        "big_share": f"{big['backprop']['fraction_of_matmul_peak']:.0%}",
        "loop_ratio": f"{iris['ratio_per_weight_to_backprop']:,.0f}",
        "loop_ms": _ms(iris["per_weight_loop"]["median_s"]),
        "loop_spread": f"{_ms(iris['per_weight_loop']['q25_s'])} to {_ms(iris['per_weight_loop']['q75_s'])}",
        "loop_runs": str(iris["per_weight_loop"]["runs"]),
        "loop_diff": f"{iris['per_weight_max_abs_diff']:.0e}",
    }
    for key, case in (("iris", iris), ("mid", mid), ("big", big)):
        ratio = case["ratio_backprop_to_torch"]
        out[f"{key}_ratio"] = f"{ratio:.2f}x" if ratio is not None else "not measured"
        out[f"{key}_torch_diff"] = f"{case.get('max_abs_diff_vs_torch', float('nan')):.0e}"
        out[f"{key}_verdict"] = verdict(ratio, TARGETS[key])
    return out


# The page's targets: backprop_derived's step time over PyTorch's, at most this much.
TARGETS = {"iris": 0.25, "mid": 1.1, "big": 1.1}


def verdict(ratio: float | None, target: float) -> str:
    """'met' or 'missed' for a measured time ratio against its target (at most `target`)."""
    if ratio is None:
        return "not measured"
    return "met" if ratio <= target else "missed"


def figure(results: dict):
    import backprop_derived.plots as plots

    fig = plots.Figure(figsize=(8, 4.2), layout="constrained")
    ax = fig.add_subplot()
    names = [c["name"] for c in results["cases"]]
    x = range(len(names))
    ours = [c["backprop"]["median_s"] * 1e3 for c in results["cases"]]
    theirs = [c["torch"]["median_s"] * 1e3 if c["torch"] else float("nan") for c in results["cases"]]
    ax.bar([i - 0.2 for i in x], ours, width=0.4, label="backprop (NumPy)", color="#3f51b5")
    ax.bar([i + 0.2 for i in x], theirs, width=0.4, label="PyTorch eager (CPU)", color="#ef6c00")
    loop = results["cases"][0]["per_weight_loop"]["median_s"] * 1e3
    ax.bar(-0.6, loop, width=0.4, label="one weight at a time (gradients only)", color="#9e9e9e")
    ax.set_yscale("log")
    ax.set_xticks(list(x), names)
    ax.set_ylabel("median time (ms, log scale)")
    ax.set_title("float64: one training step (forward, backward, SGD update); grey: gradients only")
    ax.grid(axis="y", alpha=0.3, which="both")
    ax.legend()
    fig.alt_text = (
        "Bar chart, log scale, of median times in milliseconds, one training step per network: "
        + "; ".join(f"{n}: backprop {o:.3g} ms, PyTorch {t:.3g} ms" for n, o, t in zip(names, ours, theirs))
        + f"; the per-weight loop (the iris gradients alone, one weight at a time) takes {loop:.3g} ms"
    )
    return fig


def load_site() -> dict:
    return json.loads(SITE_RESULTS.read_text(encoding="utf-8"))


def _script(path: Path):
    import importlib.util

    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def site_values(results: dict) -> dict[str, str]:
    """Every value the site page may quote, from site_speed.json, already formatted."""
    script = _script(SITE_SCRIPT)
    s = script.summary(results)
    env = results["environment"]
    throttled = results.get("throttled")
    return {
        "spread": str(s["performance_spread"]),
        "spread_page": s["performance_spread_page"],
        "table": script.table(results),
        "command": results["command"],
        "date": results["date"],
        "pages": str(s["pages"]),
        "runs": str(results["runs_per_page"]),
        "lighthouse": env["lighthouse"],
        "browser": env["browser"],
        "cores": str(env["cpu_cores"]),
        "load": _load(env.get("load_average_1min")),
        "perf_min": str(s["performance_min"]),
        "perf_home": str(s["performance_home"]),
        "tbt_max": f"{s['tbt_max_ms']} ms",
        "cls_max": f"{s['cls_max']:.3f}",
        "transfer_max": f"{s['transfer_max_kib']} KiB",
        "others_min": str(s["others_min"]),
        "remeasured": _remeasured(results),
        "verdict": site_verdict(results),
        "throttled": (
            f"measured on {throttled['date']} over {len(throttled['pages'])} pages, cold and warm cache, the "
            f"largest cumulative layout shift was {throttled['cls_max']:.3f}"
            if throttled
            else "the layout shift has not been measured yet"
        ),
    }


def _remeasured(results: dict) -> str:
    """A sentence naming the pages measured again after the full run, or nothing."""
    again = results.get("remeasured")
    if not again:
        return ""
    titles = {row["page"]: row["title"] for row in results["pages"]}
    names = ", ".join(titles[page] for page in again["pages"])
    return (
        f"The rows of {len(again['pages'])} pages changed since ({names}) were measured again on "
        f"{again['date']}, the same way, with the load average at {_load(again['load_average_1min'])}."
    )


# The budgets of site.md's table, met by each page's median run.
PERFORMANCE_MIN, TBT_MAX_MS, CLS_MAX, OTHERS_MIN = 90, 300, 0.02, 100


def fair(load: dict | None, cores: int) -> bool:
    """A run is fair when the median of its 1-minute load samples is at most the number of cores:
    Lighthouse's own Chromium and Node load the machine about that much, so more is other work."""
    return load is not None and load["median"] <= cores


def site_verdict(results: dict) -> str:
    """In words: whether each recorded run was fair, and which pages miss which budget.

    A page measured again after the full run belongs to that re-measure. A miss of a budget that
    load moves (performance, blocking time, layout shift) counts only in a fair run; in an unfair
    one it is unresolved. Accessibility, best practices and SEO count in any run.
    """
    cores = results["environment"]["cpu_cores"]
    again = results.get("remeasured") or {}
    runs = {"the full run": results["environment"].get("load_average_1min")}
    if again:
        runs["the re-measure"] = again["load_average_1min"]
    run_fair = {name: fair(load, cores) for name, load in runs.items()}

    def run_of(row: dict) -> str:
        return "the re-measure" if row["page"] in again.get("pages", []) else "the full run"

    shift = {r["page"]: max(r["cls_cold"], r["cls_warm"]) for r in results.get("throttled", {}).get("pages", [])}
    budgets = [  # (the budget in words, its miss with the value shown, or None; moved by load)
        (f"performance at least {PERFORMANCE_MIN}",
         lambda r: str(r["performance"]) if r["performance"] < PERFORMANCE_MIN else None, True),
        (f"total blocking time at most {TBT_MAX_MS} ms",
         lambda r: f"{r['tbt_ms']} ms" if r["tbt_ms"] > TBT_MAX_MS else None, True),
        (f"layout shift at most {CLS_MAX}",
         lambda r: f"{c:.3f}" if (c := max(r["cls"], shift.get(r["page"], 0))) > CLS_MAX else None, True),
        (f"{OTHERS_MIN} for accessibility, best practices and SEO",
         lambda r: f"{m}" if (m := min(r["accessibility"], r["best-practices"], r["seo"])) < OTHERS_MIN else None,
         False),
    ]  # fmt: skip
    said = [
        f"{name} was {'fair' if run_fair[name] else 'unfair'} (median load "
        + (f"{load['median']:g}, {'at most' if run_fair[name] else 'above'} the {cores} cores)" if load else "unknown)")
        for name, load in runs.items()
    ]

    def pages(rows: list[str], budget: str) -> str:
        return f"{len(rows)} {'misses' if len(rows) == 1 else 'miss'} {budget} ({'; '.join(rows)})"

    met, missed, unresolved = [], [], []
    for budget, miss, moved_by_load in budgets:
        counted, open_ = [], []
        for row in results["pages"]:
            if (value := miss(row)) is not None:
                (open_ if moved_by_load and not run_fair[run_of(row)] else counted).append(f"{row['title']} {value}")
        if counted:
            missed.append(pages(counted, budget))
        if open_:
            unresolved.append(pages(open_, budget))
        if not counted and not open_:
            met.append(budget)
    text = "By the fair-run rule above, " + " and ".join(said) + "."
    if missed:
        text += f" Of the {len(results['pages'])} pages, " + ", and ".join(missed) + "."
    if unresolved:
        text += " In an unfair run, so unresolved until measured again in a fair one: " + ", and ".join(unresolved)
        text += "."
    if met:
        what = " and ".join([", ".join(met[:-1]), met[-1]] if len(met) > 1 else met)
        text += f" {'Every page meets' if missed or unresolved else 'Every page meets every budget:'} {what}."
    return text


def _load(load: dict | None) -> str:
    if not load:
        return "not recorded"
    return f"{load['min']:g} to {load['max']:g} (median {load['median']:g}, {load['samples']} samples)"


def _fill(markdown: str, pattern: re.Pattern, found: dict[str, str], source: str) -> str:
    def fill(match):
        if match[1] not in found:
            raise PluginError(f"a page quotes unknown {source} value {match[1]!r}; known: {sorted(found)}")
        return found[match[1]]

    return pattern.sub(fill, markdown)


@cache
def _engine_benchmark():
    """docs/hooks/engine_benchmark.py, imported once per process: ``fill_placeholders`` runs on every page."""
    import importlib.util

    path = Path(__file__).resolve().with_name("engine_benchmark.py")
    spec = importlib.util.spec_from_file_location("backprop_site_engine_benchmark", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def fill_placeholders(markdown: str) -> str:
    """``markdown`` with every ``<!-- bench:KEY -->``, ``<!-- site:KEY -->`` and ``<!-- engine:KEY -->``
    replaced by its value; an unknown key raises ``PluginError`` naming it. A results file is read
    only when the page quotes it."""
    if PLACEHOLDER.search(markdown):
        markdown = _fill(markdown, PLACEHOLDER, values(load()), "benchmark")
    if SITE_PLACEHOLDER.search(markdown):
        markdown = _fill(markdown, SITE_PLACEHOLDER, site_values(load_site()), "site-speed")
    engine = _engine_benchmark()
    if engine.PLACEHOLDER.search(markdown):
        markdown = engine.fill(markdown, engine.values(engine.load()))
    return markdown
