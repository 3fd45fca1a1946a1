"""Every ```python block of the pages runs once, as a test, in a fresh interpreter (a fork of a clean one).

That is what a reader does: paste one block into a new Python. Each block is one test named
``<file>::line <n>`` (the line of its fence); its printed output must equal the fence marked
``<!--pytest-codeblocks:expected-output-->`` after it. The blocks are parsed with
pytest-codeblocks' own reader, so its markers mean the same here; its in-process runner (the
``--codeblocks`` option) is not used, so no block runs twice and no block sees another's state.

This file lives at the root because pytest asks only the conftest files above a path to collect
it, and the pages are in docs/, README.md and CONTRIBUTING.md. Test helpers are in tests/conftest.py.
"""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from pytest_codeblocks import extract_from_file

# A block that has not finished after this many seconds is reported as a failure, not waited for.
BLOCK_TIMEOUT = 300
ZYGOTE = Path(__file__).parent / "tests" / "block_zygote.py"
PYTHON = [sys.executable, "-X", "utf8"]  # -X utf8: output is compared as UTF-8 text
# One BLAS thread a block: xdist already runs one worker per core, and NumPy's default of a thread per
# core would put two spinning threads on each core (the pages' blocks on a busy machine: 66 s with a
# thread per core, 38 s with one).
ENV = {**os.environ, "MPLBACKEND": "Agg", "OPENBLAS_NUM_THREADS": "1"}
_zygote: list[subprocess.Popen] = []  # this worker's one zygote, started at its first block


def _run_forked(code: str, cwd: str, out: str) -> tuple[int, str, str]:
    """Exit status, stdout and stderr of ``code`` run in ``cwd`` in a fork of this worker's zygote
    (tests/block_zygote.py), its output caught in the folder ``out``."""
    if not _zygote or _zygote[0].poll() is not None:
        _zygote[:] = [
            subprocess.Popen(
                [*PYTHON, str(ZYGOTE)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                bufsize=0,  # unbuffered: a readline takes no more than its line, so select() sees the rest
                env=ENV,
            )
        ]
    zygote = _zygote[0]
    assert zygote.stdin is not None and zygote.stdout is not None
    request = memoryview((json.dumps({"code": code, "cwd": cwd, "out": out}) + "\n").encode())
    while request:  # an unbuffered write may take part of a long request
        request = request[zygote.stdin.write(request) :]
    answer = zygote.stdout.readline()
    if not answer:  # it could not start (its file missing?) or died: say so, not a parse error
        raise BlockError(f"the block runner {ZYGOTE} exited with {zygote.wait()} before running the block")
    pid = int(answer)
    ready, _, _ = select.select([zygote.stdout], [], [], BLOCK_TIMEOUT)
    if not ready:
        os.kill(pid, signal.SIGKILL)
        zygote.stdout.readline()
        raise BlockError(f"did not finish in {BLOCK_TIMEOUT} s")
    status = int(zygote.stdout.readline())
    stdout, stderr = (Path(out, name).read_text(encoding="utf-8") for name in ("stdout.txt", "stderr.txt"))
    return status, stdout, stderr


def pytest_collect_file(file_path, parent):
    if file_path.suffix == ".md" and not parent.config.getoption("codeblocks", False):
        return MarkdownPage.from_parent(parent, path=file_path)
    return None


class MarkdownPage(pytest.File):
    def collect(self):
        for block in extract_from_file(self.path):
            if block.syntax != "python":
                continue  # console and text fences are shown, never run
            item = FreshInterpreterBlock.from_parent(self, name=f"line {block.lineno}", block=block)
            for mark in block.marks:
                item.add_marker(eval(mark, {"sys": sys, "pytest": pytest}))
            yield item


class BlockError(Exception):
    """A block exited with an error, or printed something other than its expected output."""


class FreshInterpreterBlock(pytest.Item):
    def __init__(self, *, block, **kwargs):
        super().__init__(**kwargs)
        self.block = block

    def runtest(self):
        if self.block.importorskip is not None:
            pytest.importorskip(self.block.importorskip)
        # A fresh temporary folder as the working directory: a block cannot read the checkout's files
        # by a relative path, nor leave files in it.
        # Where the system can fork, a copy of one interpreter that has imported NumPy and the package
        # runs it (the same clean start, without 0.2 s of start-up a block); elsewhere a new python.
        with tempfile.TemporaryDirectory() as cwd, tempfile.TemporaryDirectory() as out:
            if hasattr(os, "fork"):
                status, stdout, stderr = _run_forked(self.block.code, cwd, out)
            else:
                try:
                    result = subprocess.run(
                        [*PYTHON, "-c", self.block.code],
                        cwd=cwd,
                        capture_output=True,
                        text=True,
                        encoding="utf-8",
                        timeout=BLOCK_TIMEOUT,
                        env=ENV,
                    )
                except subprocess.TimeoutExpired as error:
                    raise BlockError(f"did not finish in {BLOCK_TIMEOUT} s") from error
                status, stdout, stderr = result.returncode, result.stdout, result.stderr
        if status != 0:
            raise BlockError(f"exited with {status}:\n{stderr[-4000:]}")
        expected = self.block.expected_output
        if expected is not None and stdout != expected:
            raise BlockError(f"printed\n{stdout}\ninstead of the expected\n{expected}")

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, BlockError):
            return f"{self.path.name}, {self.name}:\n```python\n{self.block.code}```\n{excinfo.value}"
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self):
        return self.path, self.block.lineno - 1, f"{self.path.name}::{self.name}"
