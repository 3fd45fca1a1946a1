"""The repository's own checks: the pytest configuration that runs the pages, the fast import, and
the version written in one place. Lint, format and types run through pre-commit (CI's lint job)."""

from __future__ import annotations

import importlib.metadata
import re
import subprocess
import sys

import pytest
import yaml
from pytest_codeblocks import extract_from_file

import backprop_derived as bp
from conftest import ROOT, markdown_files


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=600)


def test_pytest_collects_every_python_block_of_the_pages():
    """conftest.py must collect each ```python block of docs/, README.md and CONTRIBUTING.md once:
    if the configuration were ignored (an older pytest, a renamed table), the pages would not run."""
    result = _run(sys.executable, "-m", "pytest", "--collect-only", "-q", "-n", "0", "-p", "no:cacheprovider")
    assert result.returncode == 0, result.stdout[-3000:]
    collected = result.stdout.splitlines()
    for path in markdown_files():
        expected = sum(block.syntax == "python" for block in extract_from_file(path))
        rel = path.relative_to(ROOT).as_posix()
        found = sum(line.startswith(f"{rel}::") for line in collected)
        assert found == expected, f"{rel}: {found} of {expected} python blocks collected"
        assert len({line for line in collected if line.startswith(f"{rel}::")}) == found  # each once
    assert sum("docs/" in line and ".md::" in line for line in collected) >= 20


def test_the_pytest_that_reads_the_configuration_is_required():
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    floor = re.search(r'"pytest>=(\d+)', pyproject)
    assert "[tool.pytest]" in pyproject and floor and int(floor[1]) >= 9  # [tool.pytest] is read from pytest 9
    assert 'minversion = "9.0"' in pyproject


def test_import_is_fast_because_plots_load_lazily():
    code = (
        "import sys, backprop_derived as bp\n"
        "assert 'matplotlib' not in sys.modules, 'import backprop_derived loaded matplotlib'\n"
        "assert bp.plots.Figure.__module__ == 'backprop_derived.plots'\n"
        "assert 'matplotlib' in sys.modules\n"
        "from backprop_derived import plots\n"
        "assert plots is bp.plots\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    with pytest.raises(AttributeError, match="has no attribute 'plotz'"):
        bp.plotz  # noqa: B018


def test_version_is_written_once():
    assert importlib.metadata.version("backprop-derived") == bp.__version__
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    project = pyproject.split("\n[project]\n", 1)[1].split("\n[", 1)[0]  # the [project] table alone
    assert 'dynamic = ["version"]' in project and not re.search(r"^version\s*=", project, re.M)
    assert 'version = { attr = "backprop_derived.__version__" }' in pyproject
    citation = (ROOT / "CITATION.cff").read_text(encoding="utf-8")
    assert f"version: {bp.__version__}" in citation
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert f"## {bp.__version__}" in changelog


def test_ruff_and_mypy_are_pinned_once_and_run_by_pre_commit_in_ci():
    config = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    revs = {repo["repo"].rsplit("/", 1)[-1]: repo["rev"] for repo in config["repos"]}
    assert re.fullmatch(r"v\d+\.\d+\.\d+", revs["ruff-pre-commit"]) and re.fullmatch(
        r"v\d+\.\d+\.\d+", revs["mirrors-mypy"]
    )
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    extras = pyproject.split("[project.optional-dependencies]", 1)[1].split("\n[", 1)[0]
    assert not re.search(r'"(ruff|mypy)\b', extras)  # not a second pin in the extras
    lint = yaml.safe_load((ROOT / ".github" / "workflows" / "tests.yml").read_text(encoding="utf-8"))["jobs"]["lint"]
    assert any("pre-commit run --all-files" in step.get("run", "") for step in lint["steps"])
