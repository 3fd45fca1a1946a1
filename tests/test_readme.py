"""The README's two commands are what a newcomer runs; CI must run the same install and tests."""

from __future__ import annotations

import re

from conftest import ROOT


def console_commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return [b.strip() for b in re.findall(r"```console\n(.*?)```", text, re.S)]


def test_readme_opens_with_two_commands_serve_and_test():
    commands = console_commands()
    serve, test = commands[:2]
    assert serve.endswith("mkdocs serve") and '".[docs]"' in serve
    assert test.endswith("python -m pytest") and '".[docs,test]"' in test


def test_ci_runs_the_readme_test_command_in_a_temporary_venv():
    """.ci/run runs the README's command word for word, except that its venv is a fresh temporary
    folder instead of the reader's .venv, which CI must never delete."""
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    readme_test = console_commands()[1]
    assert readme_test.replace(".venv", '"$venv"') in ci
    assert re.search(r'^venv="\$\(mktemp -d\)"$', ci, re.M)
    code = "\n".join(line for line in ci.splitlines() if not line.lstrip().startswith("#"))
    assert ".venv" not in code  # the reader's venv is not created, activated or removed
    assert "mkdocs build --strict" in ci
    # The post-build check runs on what the strict build made, after it.
    assert ci.index("mkdocs build --strict") < ci.index('python .ci/check_site.py "$site"')


def test_readme_offers_pip_install_beside_the_clone():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    index = (ROOT / "docs" / "index.md").read_text(encoding="utf-8")
    for text in (readme, index):
        assert "pip install backprop-derived" in text and "clone" in text
