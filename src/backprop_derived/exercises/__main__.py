"""The command line: ``python -m backprop_derived.exercises list | start NAME [FOLDER] | check FILE``.

Also installed as ``backprop-exercises``. Exit status: 0 when the command did what it was asked
(for ``check``: every case passes), 1 when a check fails, 2 for a usage error (an unknown
exercise, a missing file, a file that exists and no ``--force``).
"""

from __future__ import annotations

import argparse
import ast
import json
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

from ._base import Exercise
from .catalog import EXERCISES, get_exercise

PROG = "python -m backprop_derived.exercises"
DEFAULT_TIMEOUT = 20.0  # seconds for one step of the reader's code: importing the file, or one case
STARTUP_LIMIT = 300.0  # seconds for the child's Python and NumPy to start, on however loaded a machine


class UsageError(Exception):
    """A mistake in how the command was called: one line on stderr, exit status 2."""


def template(exercise: Exercise, check_path: str) -> str:
    """The file ``start`` writes: the signature, the shapes, the page's equation by its link, no body."""
    body = textwrap.dedent("    " + exercise.docstring).strip("\n")
    doc = "\n".join(f"    {line}" if line else "" for line in body.splitlines())
    statement = textwrap.fill(exercise.statement, width=99)
    equation = textwrap.fill(f"The equation is {exercise.equation}, on the page", width=99)
    return f'''"""Exercise {exercise.name}.

{statement}

{equation}
{exercise.url}

Write the function below, then let the grader check it:

    {PROG} check {check_path}
"""

import numpy as np


def {exercise.function}({", ".join(exercise.params)}):
    """{doc.lstrip()}
    """
    raise NotImplementedError("write {exercise.function} here")
'''


def cmd_list() -> int:
    width = max(len(name) for name in EXERCISES)
    for exercise in EXERCISES.values():
        print(f"{exercise.name:<{width}}  {exercise.statement}")
        print(f"{'':<{width}}  {exercise.url}")
    print(f"\nStart one with: {PROG} start NAME")
    return 0


def cmd_start(name: str, folder: str, force: bool) -> int:
    exercise = get_exercise(name)
    where = Path(folder)
    if where.exists() and not where.is_dir():
        raise UsageError(f"{folder} is a file, not a folder")
    path = where / f"{exercise.name}.py"
    if path.exists() and not force:
        raise UsageError(f"{path} exists already; not overwriting it (add --force to replace it)")
    where.mkdir(parents=True, exist_ok=True)
    path.write_text(template(exercise, str(path)), encoding="utf-8")
    print(f"Wrote {path}: complete the function {exercise.function}, then run")
    print(f"    {PROG} check {path}")
    print(f"The page that derives it: {exercise.url}")
    return 0


def _which_exercise(path: Path, name: str | None) -> Exercise:
    if name is not None:
        return get_exercise(name)
    if path.stem in EXERCISES:
        return EXERCISES[path.stem]
    try:  # a file with another name: the one exercise function it defines, read without running it
        tree = ast.parse(path.read_text(encoding="utf-8"))
        defined = [n.name for n in tree.body if isinstance(n, ast.FunctionDef) and n.name in EXERCISES]
    except (SyntaxError, UnicodeDecodeError, ValueError):
        defined = []
    if len(defined) == 1:
        return EXERCISES[defined[0]]
    raise UsageError(
        f"cannot tell which exercise {path.name} answers: name the file after the exercise "
        f"(e.g. softmax_vjp.py) or add --exercise NAME"
    )


def _records(results: Path) -> list[dict]:
    """The child's records so far; a line it is still writing (no newline yet) waits for the next read."""
    if not results.exists():
        return []
    complete = results.read_text(encoding="utf-8").split("\n")[:-1]
    return [json.loads(line) for line in complete if line.strip()]


def _run_child(command: list[str], cwd: Path, results: Path, timeout: float) -> tuple[bool, int | None, str]:
    """Run the child; stop it when one step (importing the file, or one case) takes longer than ``timeout``.

    The clock starts at each record the child writes, so Python's and NumPy's own start-up (bounded
    by STARTUP_LIMIT) never counts against the reader's code. Returns (timed out, exit status, output).
    """
    out_path = results.with_name("output.txt")
    with out_path.open("w", encoding="utf-8") as out:
        child = subprocess.Popen(command, cwd=cwd, stdout=out, stderr=subprocess.STDOUT)
        seen, since, limit = 0, time.monotonic(), STARTUP_LIMIT
        while child.poll() is None:
            n = len(_records(results))
            if n > seen:
                seen, since, limit = n, time.monotonic(), timeout
            elif time.monotonic() - since > limit:
                child.kill()
                child.wait()
                return True, None, out_path.read_text(encoding="utf-8", errors="replace")
            time.sleep(0.02)
    return False, child.returncode, out_path.read_text(encoding="utf-8", errors="replace")


def _show_output(text: str) -> None:
    if text.strip():
        lines = text.rstrip().splitlines()
        print("Your file printed" + (f" (last 20 of {len(lines)} lines):" if len(lines) > 20 else ":"))
        for line in lines[-20:]:
            print(f"    {line}")
        print()


def cmd_check(file: str, name: str | None, timeout: float) -> int:
    path = Path(file)
    if not path.is_file():
        raise UsageError(f"{file}: no such file" if not path.exists() else f"{file} is not a file")
    exercise = _which_exercise(path, name)
    n_cases = len(exercise.cases())
    print(f"Checking {path.name} against exercise {exercise.name} ({n_cases} cases)")
    print(f"The page that derives it: {exercise.url}\n")
    with tempfile.TemporaryDirectory() as tmp:
        results = Path(tmp) / "results.jsonl"
        command = [
            sys.executable,
            "-m",
            "backprop_derived.exercises._child",
            exercise.name,
            str(path.resolve()),
            str(results),
        ]
        timed_out, returncode, output = _run_child(command, path.resolve().parent, results, timeout)
        records = _records(results)
    _show_output(output)
    passed = 0
    done = False
    started: dict | None = None
    previous_failure: dict = {}
    for record in records:
        kind = record["kind"]
        if kind == "load_error":
            print(record["message"])
            return 1
        if kind == "internal_error":
            print(f"The grader itself failed ({record['message']}); please report it.")
            return 1
        if kind in ("loading", "start"):
            started = record
        elif kind == "case":
            started = None
            head = f"case {record['index'] + 1} of {n_cases} ({record['label']}): "
            if record["passed"]:
                passed += 1
                print(head + "pass, " + "; ".join(record["lines"]))
            elif record["lines"] == previous_failure.get("lines") and record["lines"][0].startswith(
                ("your", exercise.name)
            ):
                print(head + f"FAIL, as case {previous_failure['index'] + 1}")  # the same error: say it once
            else:
                print(head + "FAIL")
                for line in record["lines"]:
                    print(f"    {line}")
                previous_failure = record
        elif kind == "done":
            done = True
    if timed_out:
        if started and started["kind"] == "start":
            where = f"case {started['index'] + 1} of {n_cases} ({started['label']})"
        elif started:
            where = f"{path.name}, while it was imported,"
        else:
            where = "The grader, starting up,"
        print(
            f"{where} did not finish within {timeout:g} s: an endless loop? The check stopped it "
            f"(--timeout SECONDS sets the limit)."
        )
        return 1
    if not done:
        print(f"The check of {path.name} stopped unexpectedly (exit status {returncode}).")
        return 1
    if passed == n_cases:
        print(f"\nAll {n_cases} cases pass: {exercise.function} is right.")
        return 0
    print(f"\n{passed} of {n_cases} cases pass.")
    return 1


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=PROG, description="Exercises that grade your backward passes.")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    sub.add_parser("list", help="every exercise, with its page and a one-line statement")
    start = sub.add_parser("start", help="write NAME.py, the function to complete")
    start.add_argument("name", metavar="NAME")
    start.add_argument("folder", metavar="FOLDER", nargs="?", default=".", help="where to write it (default: here)")
    start.add_argument("--force", action="store_true", help="replace NAME.py if it exists")
    check = sub.add_parser("check", help="grade FILE, case by case")
    check.add_argument("file", metavar="FILE")
    check.add_argument("--exercise", metavar="NAME", help="the exercise FILE answers (default: FILE's name)")
    check.add_argument(
        "--timeout",
        metavar="SECONDS",
        type=float,
        default=DEFAULT_TIMEOUT,
        help=f"stop a case (or the file's import) after this long (default {DEFAULT_TIMEOUT:g})",
    )
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.command is None:  # no command: say what the commands are
        parser().print_help()
        return 0
    try:
        if args.command == "list":
            return cmd_list()
        if args.command == "start":
            return cmd_start(args.name, args.folder, args.force)
        if args.timeout <= 0:
            raise UsageError(f"--timeout must be a positive number of seconds; got {args.timeout:g}")
        return cmd_check(args.file, args.exercise, args.timeout)
    except (UsageError, ValueError, OSError) as error:
        print(f"{PROG}: error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
