"""The sequence pages' blocks paste into the standard interactive interpreter.

The standard REPL (before Python 3.13) ends a compound statement only at a blank line, and a blank
line inside an indented body ends it early. Each block is fed line by line to ``codeop``, as
``code.InteractiveConsole`` does, without running it.
"""

from __future__ import annotations

import codeop
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "docs" / "beyond" / name for name in ("attention.md", "bptt.md", "sequence-model.md")]
BLOCK = re.compile(r"^([ \t]*)```python\n(.*?)^\1```[ \t]*$", re.DOTALL | re.MULTILINE)


def paste_failure(source: str) -> str | None:
    """The first line the interactive interpreter rejects, or None."""
    compile_line = codeop.CommandCompiler()
    buffer: list[str] = []
    for number, line in enumerate(source.split("\n") + [""], start=1):
        buffer.append(line)
        try:
            complete = compile_line("\n".join(buffer), "<stdin>", "single")
        except SyntaxError as error:
            return f"line {number} of the block: {error.msg}"
        if complete is not None:
            buffer = []
    return None


def blocks(path: Path) -> list[tuple[int, str]]:
    text = path.read_text(encoding="utf-8")
    found = []
    for match in BLOCK.finditer(text):
        indent = match.group(1)
        body = "\n".join(line[len(indent) :] for line in match.group(2).rstrip("\n").split("\n"))
        found.append((text[: match.start()].count("\n") + 1, body))
    return found


@pytest.mark.parametrize("path", PAGES, ids=lambda p: p.name)
def test_every_block_pastes_into_the_interactive_interpreter(path: Path):
    failures = [(line, why) for line, body in blocks(path) if (why := paste_failure(body))]
    assert failures == [], f"{path.name}: blocks starting at these lines fail when pasted: {failures}"


def test_the_guard_catches_a_statement_right_after_a_loop():
    assert paste_failure("for i in range(2):\n    x = i\ny = 1") is not None
    assert paste_failure("for i in range(2):\n    x = i\n\n    y = i") is not None
    assert paste_failure("for i in range(2):\n    x = i\n\ny = 1") is None
