"""The README's two commands are what a newcomer runs; CI must run the same test command."""

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


def test_ci_runs_the_readme_test_command_verbatim():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert console_commands()[1] in ci
    assert "mkdocs build --strict" in ci
    assert "set -euo pipefail" in ci
