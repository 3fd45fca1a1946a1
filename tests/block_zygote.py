"""Run the pages' Python blocks, each in its own forked copy of one interpreter that has imported NumPy and the package.

``conftest.py`` starts one of these per test worker and sends it one request per block: a line of
JSON ``{"code": ..., "cwd": ..., "out": ...}``. For each, this process forks; the child changes to
``cwd``, sends its output to ``out/stdout.txt`` and ``out/stderr.txt``, runs the code as ``python -c``
would (in a new ``__main__`` namespace, ``sys.argv == ["-c"]``) and exits with its status. This
process answers with the child's process id, then with its exit status.

Each block still starts from the same clean state, as in a new interpreter (a fork shares nothing
with its siblings), but none pays for starting Python and importing NumPy again: about 0.2 s a
block, most of a short block's time.
"""

from __future__ import annotations

import atexit
import io
import json
import os
import sys
import threading
import traceback

import numpy  # noqa: F401  (imported once here, shared by every fork)

import backprop_derived  # noqa: F401


def _run_child(code: str, cwd: str, out: str) -> None:
    os.chdir(cwd)
    for fd, name in ((1, "stdout.txt"), (2, "stderr.txt")):
        target = os.open(os.path.join(out, name), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.dup2(target, fd)
        os.close(target)
    # New text streams on the redirected descriptors: nothing buffered before the fork is written.
    sys.stdout = io.TextIOWrapper(io.FileIO(1, "w", closefd=False), encoding="utf-8", line_buffering=False)
    sys.stderr = io.TextIOWrapper(io.FileIO(2, "w", closefd=False), encoding="utf-8", line_buffering=True)
    sys.argv = ["-c"]
    status = 0
    try:
        exec(compile(code, "<string>", "exec"), {"__name__": "__main__", "__builtins__": __builtins__})
    except SystemExit as stop:
        status = stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 1)
        if not isinstance(stop.code, (int, type(None))):
            print(stop.code, file=sys.stderr)
    except BaseException:
        traceback.print_exc()
        status = 1
    for thread in threading.enumerate():  # as at the end of python -c: its non-daemon threads finish first
        if thread is not threading.current_thread() and not thread.daemon:
            thread.join()
    atexit._run_exitfuncs()  # then its exit handlers, which os._exit below would skip
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    finally:
        os._exit(status)


def main() -> None:
    answers = sys.stdout
    for line in sys.stdin:
        request = json.loads(line)
        answers.flush()
        pid = os.fork()
        if pid == 0:
            _run_child(request["code"], request["cwd"], request["out"])
        answers.write(f"{pid}\n")
        answers.flush()
        _, status = os.waitpid(pid, 0)
        code = os.waitstatus_to_exitcode(status)
        answers.write(f"{code}\n")
        answers.flush()


if __name__ == "__main__":
    main()
