"""The autodiff pages' python blocks paste into the standard interactive interpreter.

The classic ``>>>`` prompt ends a compound statement (for, def, try, class) at the first blank
line and refuses an unindented line straight after its body. We feed each block line by line to
the same compiler the prompt uses (``codeop``, through ``code.InteractiveConsole``'s rule) without
running anything, so this test is cheap: a block that a reader's paste would break fails here.
"""

import codeop
import re
from pathlib import Path

import pytest

PAGES = ["forward-reverse.md", "engine.md", "second-derivatives.md", "memory.md"]
DOCS = Path(__file__).resolve().parents[1] / "docs" / "autodiff"


def python_blocks(text):
    for match in re.finditer(r"^( *)```python\n(.*?)^\1```", text, re.S | re.M):
        indent = len(match.group(1))
        lines = [line[indent:] for line in match.group(2).split("\n")]
        yield text[: match.start()].count("\n") + 1, lines


def repl_error(lines):
    """The first line the interactive prompt refuses, as (number, message); None when all compile."""
    buffer = []
    for number, line in enumerate([*lines, ""], start=1):
        buffer.append(line)
        try:
            compiled = codeop.compile_command("\n".join(buffer), "<stdin>", "single")
        except (SyntaxError, ValueError, OverflowError) as error:
            return number, str(error)
        if compiled is not None or (not line and len(buffer) == 1):
            buffer = []  # the prompt runs a complete statement, then starts afresh
        elif not line and compiled is None and buffer[-2:] == ["", ""]:
            return number, "a blank line did not end the statement"
    return None


@pytest.mark.parametrize("page", PAGES)
def test_every_block_pastes_into_the_interactive_interpreter(page):
    failures = [
        (start, repl_error(lines))
        for start, lines in python_blocks((DOCS / page).read_text())
        if repl_error(lines) is not None
    ]
    assert not failures, f"{page}: blocks (first line, (line in block, error)) the >>> prompt refuses: {failures}"


def test_the_check_sees_a_missing_blank_line():
    assert repl_error(["for k in range(2):", "    x = k", "print(x)"]) is not None
    assert repl_error(["class A:", "    def f(self):", "        pass", "", "    def g(self):", "        pass"])
    assert repl_error(["for k in range(2):", "    x = k", "", "print(x)"]) is None
