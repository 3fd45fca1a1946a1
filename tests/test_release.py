"""The release: the build job of .github/workflows/release.yml, replayed step by step in a fresh
virtual environment that holds only what the workflow installs, on a copy of the tracked files (what
the checkout gives). Its sdist and wheel pass `twine check`, its tag check accepts the version's tag
and refuses another, and the wheel alone, installed in another fresh environment with no source tree
in sight, runs the README's ten-line example (the iris CSV travels inside the wheel)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import yaml

import backprop_derived as bp
from conftest import ROOT

WORKFLOWS = ROOT / ".github" / "workflows"


def _run(args: list[str], cwd: Path, check: bool = True, **kw) -> subprocess.CompletedProcess:
    result = subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=900, **kw)
    if check:
        assert result.returncode == 0, (args, result.stdout[-3000:], result.stderr[-3000:])
    return result


def workflow(name: str) -> dict:
    return yaml.safe_load((WORKFLOWS / name).read_text(encoding="utf-8"))


def build_steps() -> list[dict]:
    return workflow("release.yml")["jobs"]["build"]["steps"]


def _checkout(dest: Path) -> None:
    """What actions/checkout gives: the tracked files (as they are in the working tree)."""
    files = _run(["git", "ls-files", "-z"], cwd=ROOT).stdout.split("\0")
    for name in filter(None, files):
        source = ROOT / name
        if source.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / name)


class Replay:
    """The build job's steps, run in order: ``uses`` steps by their local equivalent, ``run`` steps by bash."""

    def __init__(self, tmp: Path):
        self.work, self.venv = tmp / "checkout", tmp / "venv"
        self.work.mkdir()
        # The workflow's environment: this process's, less anything that would put other Python
        # packages in reach, with the fresh venv's bin first on PATH (what setup-python does).
        hidden = {"PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "VIRTUAL_ENV"}
        self.env = {k: v for k, v in os.environ.items() if k not in hidden}
        self.env["PATH"] = f"{self.venv / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}"
        self.env["GITHUB_REF_NAME"] = f"v{bp.__version__}"

    def step(self, step: dict, env: dict | None = None) -> subprocess.CompletedProcess:
        uses = step.get("uses", "")
        if uses.startswith("actions/checkout@"):
            _checkout(self.work)
            return subprocess.CompletedProcess(uses, 0, "", "")
        if uses.startswith("actions/setup-python@"):
            # A bare interpreter: a new venv with nothing installed but pip itself.
            return _run([sys.executable, "-m", "venv", str(self.venv)], cwd=self.work)
        if uses.startswith("actions/upload-artifact@"):
            assert (self.work / step["with"]["path"]).is_dir()
            return subprocess.CompletedProcess(uses, 0, "", "")
        assert "run" in step, f"the replay does not know how to stand in for {uses}"
        return _run(["bash", "-eo", "pipefail", "-c", step["run"]], cwd=self.work, env=env or self.env, check=False)


@pytest.fixture(scope="module")
def replay(tmp_path_factory) -> Replay:
    job = Replay(tmp_path_factory.mktemp("release"))
    for step in build_steps():
        result = job.step(step)
        assert result.returncode == 0, (step, result.stdout[-3000:], result.stderr[-3000:])
    return job


def test_the_release_job_builds_and_checks_in_a_fresh_environment(replay):
    dist = replay.work / "dist"
    wheels, sdists = list(dist.glob("*.whl")), list(dist.glob("*.tar.gz"))
    assert len(wheels) == 1 and len(sdists) == 1
    assert f"-{bp.__version__}-" in wheels[0].name and sdists[0].name.endswith(f"-{bp.__version__}.tar.gz")
    names = zipfile.ZipFile(wheels[0]).namelist()
    assert "backprop_derived/data/iris.csv" in names and "backprop_derived/__init__.py" in names
    assert "backprop_derived/py.typed" in names  # the type hints are shipped (PEP 561)
    # Only what the workflow installs: pip, build, twine and their own dependencies; not the package,
    # not NumPy (the version is read from the wheel, not by importing the package).
    installed = _run([str(replay.venv / "bin" / "python"), "-m", "pip", "list", "--format=freeze"], cwd=replay.work)
    packages = {line.split("==")[0].lower() for line in installed.stdout.split()}
    assert {"build", "twine"} <= packages and not {"numpy", "backprop-derived"} & packages


def test_the_tag_check_refuses_a_tag_that_names_another_version(replay):
    (step,) = [s for s in build_steps() if "GITHUB_REF_NAME" in s.get("run", "")]
    wrong = replay.step(step, env=replay.env | {"GITHUB_REF_NAME": "v0.0.0"})
    assert wrong.returncode != 0 and f"the wheel built is version {bp.__version__}" in wrong.stderr


def test_publishing_waits_for_the_tests_and_the_build_of_the_tagged_commit():
    release = workflow("release.yml")
    assert release[True]["push"]["tags"] == ["v*"]  # YAML reads the key "on" as True
    jobs = release["jobs"]
    assert jobs["tests"]["uses"] == "./.github/workflows/tests.yml"
    assert set(jobs["publish"]["needs"]) == {"tests", "build"}
    assert "workflow_call" in workflow("tests.yml")[True]
    assert workflow("ci.yml")["jobs"]["tests"]["uses"] == "./.github/workflows/tests.yml"


def readme_example() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## The package in ten lines", 1)[1]
    return re.search(r"```python\n(.*?)```", section, re.S)[1]


@pytest.fixture(scope="module")
def wheel_venv(replay, tmp_path_factory) -> Path:
    """A fresh virtual environment with the built wheel (and what it requires) installed, nothing else.

    One for the module: installing NumPy into a new environment is most of a test's time, and the two
    tests below only run the installed package, each in a folder of its own.
    """
    venv = tmp_path_factory.mktemp("wheel") / "venv"
    _run([sys.executable, "-m", "venv", str(venv)], cwd=venv.parent)
    wheel = next((replay.work / "dist").glob("*.whl"))
    _run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", str(wheel)], cwd=venv.parent)
    return venv


def test_the_wheel_alone_runs_the_readme_example(wheel_venv, tmp_path):
    venv = wheel_venv
    python = venv / "bin" / "python"
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


def test_the_wheel_alone_runs_the_exercises(wheel_venv, tmp_path):
    """A reader's first session with the graded exercises, from the wheel in a fresh environment:
    list, start, check the untouched file (it fails and says why), check a right answer (exit 0)."""
    venv = wheel_venv
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
