"""MkDocs hook: the Performance page is filled in from the committed benchmark results.

``benchmarks/results/latest.json`` (written by ``python benchmarks/bench.py --out ...``) supplies
the table, the machine description, every number quoted in the page's prose (placeholders of the
form ``<!-- bench:KEY -->``) and the figure ``figures/performance.png``. An unknown placeholder
fails the build, so the page cannot quote a number the results do not hold.

``benchmarks/results/site_speed.json`` (written by ``python benchmarks/site_speed.py``, Lighthouse
on every page) fills the "Site speed" section the same way, with ``<!-- site:KEY -->``
placeholders; its table is made by the same ``table()`` the script prints with.
``benchmarks/results/main_thread.json`` (``python benchmarks/main_thread.py``: where the blocking
time goes) fills ``<!-- thread:KEY -->`` placeholders, its table made by that script's ``table()``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File

RESULTS = Path(__file__).resolve().parents[2] / "benchmarks" / "results" / "latest.json"
SITE_RESULTS = RESULTS.with_name("site_speed.json")
SITE_SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "site_speed.py"
THREAD_RESULTS = RESULTS.with_name("main_thread.json")
THREAD_SCRIPT = SITE_SCRIPT.with_name("main_thread.py")
PLACEHOLDER = re.compile(r"<!-- bench:([a-z0-9_]+) -->")
SITE_PLACEHOLDER = re.compile(r"<!-- site:([a-z0-9_]+) -->")
THREAD_PLACEHOLDER = re.compile(r"<!-- thread:([a-z0-9_]+) -->")


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
        "loop_diff": f"{iris['per_weight_max_abs_diff']:.0e}",
    }
    for key, case in (("iris", iris), ("mid", mid), ("big", big)):
        ratio = case["ratio_backprop_to_torch"]
        out[f"{key}_ratio"] = f"{ratio:.2f}x" if ratio is not None else "not measured"
        out[f"{key}_torch_diff"] = f"{case.get('max_abs_diff_vs_torch', float('nan')):.0e}"
    return out


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
    ax.set_ylabel("median time per training step (ms, log scale)")
    ax.set_title("One training step, float64: forward, backward, SGD update")
    ax.grid(axis="y", alpha=0.3, which="both")
    ax.legend()
    fig.alt_text = (
        "Bar chart, log scale, of the median time of one training step: "
        + "; ".join(f"{n}: backprop {o:.3g} ms, PyTorch {t:.3g} ms" for n, o, t in zip(names, ours, theirs))
        + f"; the per-weight loop on iris takes {loop:.3g} ms"
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


def load_thread() -> dict:
    return json.loads(THREAD_RESULTS.read_text(encoding="utf-8"))


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _share_range(low_high: tuple[float, float]) -> str:
    return f"{low_high[0]:.0%} to {low_high[1]:.0%}"


def thread_values(results: dict) -> dict[str, str]:
    """Every value the "where the time goes" paragraphs may quote, from main_thread.json."""
    script = _script(THREAD_SCRIPT)
    s = script.summary(results)
    return {
        "table": script.table(results),
        "command": results["command"],
        "date": results["date"],
        "pages": _and(s["pages"]),
        "asked": _share_range(s["asked"]),
        "browser": _share_range(s["browser"]),
        "tbt": f"{s['tbt_ms'][0]:,} ms and {s['tbt_ms'][1]:,} ms",
        "bundle": s["bundle"] or "bundle.js",
        "site_scripts": _share_range(s["site_scripts"]),
        "scores": _and([f"{score} ({title})" for title, score in zip(s["pages"], s["performance"], strict=True)]),
    }


def site_values(results: dict) -> dict[str, str]:
    """Every value the "Site speed" section may quote, from site_speed.json, already formatted."""
    script = _script(SITE_SCRIPT)
    s = script.summary(results)
    c = script.compared(results)
    env = results["environment"]
    before_runs = {len(row.get("performance_runs", [0])) for row in results.get("before", {}).get("pages", [])}
    if before_runs - {1}:  # performance.md calls the earlier values single runs
        raise PluginError(f"site_speed.json: the 'before' pages have {sorted(before_runs)} runs; the page says one")
    return {
        "cmp_pages": str(c["pages"]),
        "cmp_new": str(s["pages"] - c["pages"]),
        "cmp_transfer": str(c["transfer_less"]),
        "cmp_cls": str(c["cls_less_or_zero"]),
        "cmp_tbt": str(c["tbt_less"]),
        "cmp_perf": str(c["performance_higher"]),
        "cmp_lcp": str(c["lcp_later"]),
        "cmp_lcp_ms": f"{c['lcp_later_ms']} ms",
        "spread": str(s["performance_spread"]),
        "spread_page": s["performance_spread_page"],
        "spread_median": str(s["performance_spread_median"]),
        "table": script.table(results),
        "command": results["command"],
        "date": results["date"],
        "pages": str(s["pages"]),
        "runs": str(results["runs_per_page"]),
        "lighthouse": env["lighthouse"],
        "browser": env["browser"],
        "cores": str(env["cpu_cores"]),
        "perf_min": str(s["performance_min"]),
        "perf_home": str(s["performance_home"]),
        "tbt_max": f"{s['tbt_max_ms']} ms",
        "cls_max": f"{s['cls_max']:.3f}",
        "transfer_max": f"{s['transfer_max_kib']} KiB",
        "others_min": str(s["others_min"]),
        "before_date": results.get("before", {}).get("date", "not recorded"),
    }


def _fill(markdown: str, pattern: re.Pattern, found: dict[str, str], source: str) -> str:
    def fill(match):
        if match[1] not in found:
            raise PluginError(f"performance.md quotes unknown {source} value {match[1]!r}; known: {sorted(found)}")
        return found[match[1]]

    return pattern.sub(fill, markdown)


def on_files(files, config):
    files.append(File.generated(config, "figures/performance.png", content=figure(load()).png_bytes(dpi=110)))
    return files


def on_page_markdown(markdown, page, config, files):
    if page.file.src_uri != "performance.md":
        return markdown
    markdown = _fill(markdown, PLACEHOLDER, values(load()), "benchmark")
    markdown = _fill(markdown, THREAD_PLACEHOLDER, thread_values(load_thread()), "main-thread")
    return _fill(markdown, SITE_PLACEHOLDER, site_values(load_site()), "site-speed")
