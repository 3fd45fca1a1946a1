"""The page collector (conftest.py at the root) runs each ```python block once, in a fresh
interpreter, and checks its printed output: seen here on one small page where every block but the
first carries a planted fault (one pytest run for all of them, to keep this harness test cheap)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

from conftest import ROOT

BLOCKS = {
    "good": '```python\nx = 2\nprint(f"{x * 3}")\n```\n\n<!--pytest-codeblocks:expected-output-->\n```text\n6\n```\n',
    "wrong-output": '```python\nprint("6")\n```\n\n<!--pytest-codeblocks:expected-output-->\n```text\n7\n```\n',
    "shared-name": "```python\nprint(x)\n```\n",  # leans on the first block's x
    "sets-state": "```python\nimport os\nos.environ['SEEN'] = '1'\n```\n",
    "shared-process": "```python\nimport os\nassert 'SEEN' in os.environ\n```\n",  # leans on the block above
    "raises": "```python\nraise ValueError('planted')\n```\n",
    "at-exit": (  # its exit handler runs, as at the end of python -c
        '```python\nimport atexit\natexit.register(print, "bye")\nprint("hi")\n```\n\n'
        "<!--pytest-codeblocks:expected-output-->\n```text\nhi\nbye\n```\n"
    ),
    "shown-only": "```console\n$ this is shown, never run\n```\n",
}
PASSES = {"good", "sets-state", "at-exit"}


def test_each_block_runs_alone_and_a_planted_fault_fails_its_own_block(tmp_path: Path):
    page, lines = "# A page\n\n", {}
    for name, block in BLOCKS.items():
        lines[name] = page.count("\n") + 1  # the fence's line: the test's name
        page += block + "\n"
    shutil.copy(ROOT / "conftest.py", tmp_path / "conftest.py")
    (tmp_path / "tests").mkdir()
    shutil.copy(ROOT / "tests" / "block_zygote.py", tmp_path / "tests" / "block_zygote.py")  # its block runner
    (tmp_path / "page.md").write_text(page, encoding="utf-8")
    (tmp_path / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")  # no project configuration
    args = [sys.executable, "-m", "pytest", "page.md", "-rA", "-p", "no:randomly", "-p", "no:cacheprovider"]
    result = subprocess.run(args + ["-p", "no:xdist"], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    outcomes = {
        line: outcome for outcome, line in re.findall(r"^(PASSED|FAILED) page\.md::line (\d+)", result.stdout, re.M)
    }
    expected = {str(lines[n]): "PASSED" if n in PASSES else "FAILED" for n in BLOCKS if n != "shown-only"}
    assert outcomes == expected, result.stdout[-3000:]
    assert "instead of the expected" in result.stdout and "NameError" in result.stdout
    assert "AssertionError" in result.stdout and "planted" in result.stdout
