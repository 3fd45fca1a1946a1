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


class _CompileOnly(code.InteractiveConsole):
    """The standard interpreter's reading rules (a compound statement ends at a blank line), without running."""

    def __init__(self):
        super().__init__()
        self.errors: list[str] = []

    def runcode(self, code_object):  # compiled is enough: a paste fails at reading, not running
        pass

    def showsyntaxerror(self, filename=None, **kwargs):
        self.errors.append(f"{sys.exc_info()[0].__name__}: {sys.exc_info()[1]}")


def paste_problems(source: str) -> list[str]:
    """Why pasting ``source`` line by line into the interactive interpreter would fail ([] if it would not)."""
    console = _CompileOnly()
    more = False
    for number, line in enumerate(source.splitlines(), start=1):
        more = console.push(line)
        if console.errors:
            return [f"line {number}: {console.errors[0]}"]
    if more:
        console.push("")
    return console.errors


# Every page's blocks are kept pasteable (the home page promises it), and iris.py's code cells too.
PASTEABLE = sorted(str(path.relative_to(ROOT)) for path in (ROOT / "docs").rglob("*.md"))


def python_fences(text: str) -> list[tuple[int, str]]:
    """(line, source) of every ```python fence, dedented, blank lines kept as the page shows them.

    pytest-codeblocks drops the blank lines of a block indented in an admonition; a reader copying
    from the page gets them, so the paste guard reads the fences itself.
    """
    found, lines, n = [], text.splitlines(), 0
    while n < len(lines):
        m = FENCE.match(lines[n])
        n += 1
        if not m or m["info"].strip() != "python":
            continue
        start, indent, body = n, len(m["indent"]), []
        while not lines[n].strip().startswith(m["fence"]):
            body.append(lines[n][indent:])
            n += 1
        n += 1
        found.append((start, "\n".join(body)))
    return found


def _pasteable_blocks():
    for name in PASTEABLE:
        for lineno, source in python_fences((ROOT / name).read_text(encoding="utf-8")):
            yield pytest.param(source, id=f"{name}:{lineno}")
    notebook = (ROOT / "docs/notebooks/iris.py").read_text(encoding="utf-8")
    for number, cell in enumerate(re.split(r"^# %%.*$", notebook, flags=re.M)):
        if cell.strip() and not cell.lstrip().startswith("# "):
            yield pytest.param(cell.strip("\n"), id=f"docs/notebooks/iris.py:cell{number}")


@pytest.mark.parametrize("source", list(_pasteable_blocks()))
def test_block_pastes_into_the_interactive_interpreter(source: str):
    """A reader pastes a block into ``python``: a loop or ``with`` must end with a blank line."""
    assert paste_problems(source) == []


@pytest.mark.parametrize(
    "source",
    [
        "for i in range(2):\n    x = i\nprint(x)\n",
        "with open(__file__) as f:\n    pass\nx = 1\n",
        "for i in range(2):\n    def f():\n        y = 1\n\n        return y\n",
    ],
)
def test_paste_guard_catches_a_missing_blank_line(source: str):
    assert paste_problems(source) != []


def test_paste_guard_accepts_a_blank_line_after_the_body():
    assert paste_problems("for i in range(2):\n    x = i\n\nprint(x)\n") == []
