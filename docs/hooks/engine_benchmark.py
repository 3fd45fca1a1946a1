"""The Performance page's section on the autodiff engine, filled from its benchmark.

``benchmarks/results/engine.json`` (written by ``python benchmarks/engine.py --out ...``) supplies
every number of that section, through placeholders of the form ``<!-- engine:KEY -->``; an unknown
key fails the build, naming it. ``benchmark_page.fill_placeholders`` calls ``fill`` for every page.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from mkdocs.exceptions import PluginError

RESULTS = Path(__file__).resolve().parents[2] / "benchmarks" / "results" / "engine.json"
PLACEHOLDER = re.compile(r"<!-- engine:([a-z_]+) -->")
TIME_TARGET = 1.3  # the engine's gradient time at most this many times Network.gradients'


def load() -> dict:
    return json.loads(RESULTS.read_text(encoding="utf-8"))


def values(results: dict) -> dict[str, str]:
    """Every value the section may quote, already formatted."""
    return {
        "case": results["case"],
        "repeats": str(results["repeats"]),
        "time_ratio": f"{results['time_ratio']:.2f}",
        "engine_ms": f"{results['engine_median_s'] * 1e3:.1f} ms",
        "network_ms": f"{results['network_median_s'] * 1e3:.1f} ms",
        "multiply_add_ratio": f"{results['multiply_add_ratio']:.2f}",
        "largest_gradient_difference": f"{results['largest_gradient_difference']:.0e}",
        "numpy": results["numpy"],
        "date": results["date"],
        "cores": str(results["cores"]),
        "load_average": " and ".join(f"{x:.1f}" for x in results["load_average"]),
        "time_verdict": "within" if results["time_ratio"] <= TIME_TARGET else "above",
        "time_target": f"{TIME_TARGET}",
    }


def fill(markdown: str, found: dict[str, str]) -> str:
    def one(match: re.Match) -> str:
        if match[1] not in found:
            raise PluginError(f"a page quotes unknown engine value {match[1]!r}; known: {sorted(found)}")
        return found[match[1]]

    return PLACEHOLDER.sub(one, markdown)
