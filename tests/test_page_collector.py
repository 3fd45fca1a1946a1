"""The page collector (conftest.py at the root) runs each ```python block once, in a fresh
interpreter, and checks its printed output: seen here on small pages with planted faults."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT

GOOD = """# A page

```python
x = 2
print(f"{x * 3}")
```

<!--pytest-codeblocks:expected-output-->
```text
6
```

```console
$ this is shown, never run
```
"""


def _pytest_on(tmp_path: Path, page: str) -> subprocess.CompletedProcess:
    shutil.copy(ROOT / "conftest.py", tmp_path / "conftest.py")
    (tmp_path / "page.md").write_text(page, encoding="utf-8")
    (tmp_path / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")  # no project configuration
    args = [sys.executable, "-m", "pytest", "page.md", "-q", "-p", "no:randomly", "-p", "no:cacheprovider"]
    return subprocess.run(args, cwd=tmp_path, capture_output=True, text=True, timeout=120)


def test_a_good_page_runs_its_python_block_and_checks_its_output(tmp_path: Path):
    result = _pytest_on(tmp_path, GOOD)
    assert result.returncode == 0, result.stdout[-2000:]
    assert "1 passed" in result.stdout


@pytest.mark.parametrize(
    "page, message",
    [
        (GOOD.replace("\n6\n", "\n7\n"), "instead of the expected"),  # wrong expected output
        (GOOD + "\n```python\nprint(x)\n```\n", "NameError"),  # leans on an earlier block's state
        (
            GOOD + "\n```python\nimport os\nos.environ['SEEN'] = '1'\n```\n\n"
            "```python\nimport os\nassert 'SEEN' in os.environ\n```\n",
            "AssertionError",
        ),  # leans on an earlier block's process
        (GOOD + "\n```python\nraise ValueError('planted')\n```\n", "planted"),
    ],
    ids=["wrong-output", "shared-name", "shared-process", "raises"],
)
def test_a_planted_fault_fails(tmp_path: Path, page: str, message: str):
    result = _pytest_on(tmp_path, page)
    assert result.returncode == 1, result.stdout[-2000:]
    assert message in result.stdout and "1 failed" in result.stdout, result.stdout[-2000:]
