"""Guards around the page collector (conftest.py), which runs only ```` ```python ```` fences.

Every fence that looks like Python must be exactly ```` ```python ```` (so it is collected) and carry
no skip or continuation marker (every block runs on its own, as a reader copies it). Running each
block once in a fresh interpreter is the collector's job, so it is not repeated here.
"""

from __future__ import annotations

import code
import re
import sys
from pathlib import Path

import pytest

from conftest import ROOT, markdown_files

FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})(?P<info>.*)$")
PYTHONISH = re.compile(r"^\{?\s*\.?(py|python[0-9]*|pycon|ipython[0-9]*)\b", re.I)
MARKER = re.compile(r"<!--\s*(pytest\.mark\.(skip|skipif|xfail)|pytest-codeblocks:\s*(cont|skip|skipif))", re.I)
CODE_HINT = re.compile(r"^\s*(import |from \w+ import |print\(|def |np\.)", re.M)


def fence_problems(text: str) -> list[str]:
    """Why each Python-looking fence in ``text`` would not run as a standalone test ([] if none)."""
    problems = []
    lines = text.splitlines()
    n = 0
    while n < len(lines):
        m = FENCE.match(lines[n])
        if not m:
            n += 1
            continue
        start, info, fence = n, m["info"].strip(), m["fence"]
        n += 1
        body = []
        while n < len(lines) and not lines[n].strip().startswith(fence):
            body.append(lines[n])
            n += 1
        n += 1  # the closing fence
        code = "\n".join(body)
        python_like = bool(PYTHONISH.match(info)) or (info == "" and CODE_HINT.search(code))
        if python_like and (info != "python" or fence != "```"):
            problems.append(f"line {start + 1}: fence {fence}{info!r} is not collected; write ```python")
        if info in ("sh", "bash", "zsh", "shell"):
            problems.append(
                f"line {start + 1}: ```{info} blocks are executed by the tests; show commands as ```console"
            )
        previous = next((lines[k] for k in range(start - 1, -1, -1) if lines[k].strip()), "")
        if info == "python" and MARKER.search(previous):
            problems.append(f"line {start + 1}: marker {previous.strip()!r}: every block must run on its own")
        for marker in MARKER.finditer(code if info == "python" else ""):
            problems.append(f"line {start + 1}: marker inside a block: {marker.group(0)}")
    return problems


@pytest.mark.parametrize("path", markdown_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_python_fence_is_collected_and_standalone(path: Path):
    assert fence_problems(path.read_text(encoding="utf-8")) == []


@pytest.mark.parametrize(
    "text, expected",
    [
        ("```py\nimport numpy\n```\n", "fence ```'py'"),
        ('```python title="x.py"\nprint(1)\n```\n', "fence ```'python title=\"x.py\"'"),
        ("```{.python}\nprint(1)\n```\n", "fence ```'{.python}'"),
        ("~~~python\nprint(1)\n~~~\n", "fence ~~~'python'"),
        ("```\nimport numpy as np\n```\n", "fence ```''"),
        ("```bash\npip install .\n```\n", "```bash blocks are executed"),
        ("<!--pytest.mark.skip-->\n```python\nprint(1)\n```\n", "marker"),
        ("```python\nx = 1\n```\n<!--pytest-codeblocks:cont-->\n```python\nprint(x)\n```\n", "marker"),
    ],
)
def test_guard_catches_planted_fault(tmp_path: Path, text: str, expected: str):
    page = tmp_path / "page.md"
    page.write_text("# A page\n\n" + text, encoding="utf-8")
    problems = fence_problems(page.read_text(encoding="utf-8"))
    assert len(problems) == 1 and expected in problems[0], problems


def test_guard_accepts_plain_python_console_and_text(tmp_path: Path):
    text = "```python\nprint(1)\n```\n\n```console\n$ pip install .\n```\n\n```text\nimport this\n```\n"
    assert fence_problems(text) == []


# The pages that promise (on the home page) that every block also pastes line by line into the
# standard interactive interpreter, where a blank line ends an indented body and a statement
# right after a body needs a blank line first. Other pages join this list once they pass it.
REPL_PAGES = [
    "index.md",
    "notation.md",
    "partial-derivatives.md",
    "total-derivative.md",
    "forward-pass.md",
    "cost.md",
    "output-layer.md",
    "hidden-layer.md",
    "batches.md",
    "gradient-checking.md",
]
PYTHON_FENCE = re.compile(r"^(?P<indent>[ \t]*)```python[ \t]*$")


class _CompileOnlyConsole(code.InteractiveConsole):
    """The standard REPL's rules for where a statement ends, compiling each statement, running none."""

    def __init__(self):
        super().__init__()
        self.errors: list[str] = []

    def runcode(self, code_object):
        pass

    def showsyntaxerror(self, filename=None, **kwargs):
        self.errors.append(repr(sys.exc_info()[1]))


def repl_problems(text: str) -> list[str]:
    """Python blocks of ``text`` that the standard REPL would reject when pasted line by line."""
    problems, lines, n = [], text.splitlines(), 0
    while n < len(lines):
        m = PYTHON_FENCE.match(lines[n])
        n += 1
        if not m:
            continue
        start, indent, body = n, len(m["indent"]), []
        while n < len(lines) and not lines[n].strip().startswith("```"):
            body.append(lines[n][indent:])  # as the reader copies it: blank lines kept
            n += 1
        console = _CompileOnlyConsole()
        for line in body + [""]:
            console.push(line)
        if console.errors:
            problems.append(f"block at line {start}: {console.errors[0]}")
    return problems


@pytest.mark.parametrize("name", REPL_PAGES)
def test_blocks_paste_into_the_standard_repl(name: str):
    assert repl_problems((ROOT / "docs" / name).read_text(encoding="utf-8")) == []


@pytest.mark.parametrize(
    "body",
    [
        "for i in range(2):\n    x = i\n\n    y = i\n",  # a blank line inside a loop
        "for i in range(2):\n    x = i\nprint(x)\n",  # no blank line after the loop
    ],
)
def test_repl_guard_catches_planted_fault(body: str):
    assert len(repl_problems("```python\n" + body + "```\n")) == 1
    assert repl_problems("```python\nfor i in range(2):\n    x = i\n\nprint(x)\n```\n") == []
