"""The release: `python -m build` makes an sdist and a wheel that pass `twine check`, and the
wheel alone, installed in a fresh virtual environment with no source tree in sight, runs the
README's ten-line example (the iris CSV travels inside the wheel)."""

from __future__ import annotations

import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import backprop_derived as bp
from conftest import ROOT

pytest.importorskip("build", reason="pip install build (part of the test extra)")


def _run(args: list[str], cwd: Path, **kw) -> subprocess.CompletedProcess:
    result = subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=900, **kw)
    assert result.returncode == 0, (args, result.stdout[-3000:], result.stderr[-3000:])
    return result


@pytest.fixture(scope="module")
def dist(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    _run([sys.executable, "-m", "build", "--outdir", str(out), str(ROOT)], cwd=out)
    return out


def readme_example() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## The package in ten lines", 1)[1]
    return re.search(r"```python\n(.*?)```", section, re.S)[1]


def test_build_makes_an_sdist_and_a_wheel_that_pass_twine_check(dist):
    wheels, sdists = list(dist.glob("*.whl")), list(dist.glob("*.tar.gz"))
    assert len(wheels) == 1 and len(sdists) == 1
    assert f"-{bp.__version__}-" in wheels[0].name and sdists[0].name.endswith(f"-{bp.__version__}.tar.gz")
    names = zipfile.ZipFile(wheels[0]).namelist()
    assert "backprop_derived/data/iris.csv" in names and "backprop_derived/__init__.py" in names
    pytest.importorskip("twine", reason="pip install twine (part of the test extra)")
    _run([sys.executable, "-m", "twine", "check", "--strict", *map(str, wheels + sdists)], cwd=dist)


def test_the_wheel_alone_runs_the_readme_example(dist, tmp_path):
    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", str(venv)], cwd=tmp_path)
    python = venv / "bin" / "python"
    wheel = next(dist.glob("*.whl"))
    _run([str(python), "-m", "pip", "install", "-q", str(wheel)], cwd=tmp_path)
    work = tmp_path / "elsewhere"
    work.mkdir()
    example = readme_example() + (
        "\nimport importlib.util, backprop_derived\n"
        "assert importlib.util.find_spec('backprop') is None, 'a backprop module is installed'\n"
        "print(backprop_derived.__file__)\n"
    )
    # -I: isolated mode, so neither the current folder nor PYTHONPATH can put the source tree on sys.path.
    result = _run([str(python), "-I", "-c", example], cwd=work)
    installed = Path(result.stdout.strip().splitlines()[-1])
    assert installed.is_relative_to(venv) and not installed.is_relative_to(ROOT)


def test_the_wheel_alone_runs_the_exercises(dist, tmp_path):
    """A reader's first session with the graded exercises, from the wheel in a fresh environment:
    list, start, check the untouched file (it fails and says why), check a right answer (exit 0)."""
    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", str(venv)], cwd=tmp_path)
    wheel = next(dist.glob("*.whl"))
    _run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", str(wheel)], cwd=tmp_path)
    work = tmp_path / "elsewhere"
    work.mkdir()
    command = [str(venv / "bin" / "backprop-exercises")]  # the console script
    listed = _run([*command, "list"], cwd=work).stdout
    assert "softmax_vjp" in listed and "rnn_bptt" in listed and "https://" in listed
    _run([*command, "start", "softmax_vjp"], cwd=work)
    untouched = subprocess.run([*command, "check", "softmax_vjp.py"], cwd=work, capture_output=True, text=True,
                               timeout=120)  # fmt: skip
    assert untouched.returncode == 1 and "softmax_vjp is not written yet" in untouched.stdout, untouched
    answer = work / "softmax_vjp.py"
    answer.write_text(answer.read_text(encoding="utf-8").replace(
        'raise NotImplementedError("write softmax_vjp here")', "return a * (g - (g * a).sum(axis=1, keepdims=True))"
    ), encoding="utf-8")  # fmt: skip
    # -I: isolated mode, so the source tree cannot reach sys.path; python -m, the other way in.
    passed = _run([str(venv / "bin" / "python"), "-I", "-m", "backprop_derived.exercises", "check", str(answer)],
                  cwd=work)  # fmt: skip
    assert "All 3 cases pass" in passed.stdout and "Traceback" not in passed.stdout + passed.stderr
