"""Run a reader's file in this (separate) process and write one JSON line per event to a results file.

Started by ``check`` as ``python -m backprop_derived.exercises._child NAME FILE RESULTS``: the
parent enforces the time limit and prints the report; nothing here may print a traceback of its
own, since the reader should only ever see messages about their file.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from typing import Any


def _write(results: Path, record: dict[str, Any]) -> None:
    with results.open("a", encoding="utf-8") as f:  # one line per event, flushed: a timeout keeps what came before
        f.write(json.dumps(record) + "\n")


def load(path: Path, function: str) -> Any:
    """The reader's function, or a str saying why the file gives none."""
    name = path.name
    sys.path.insert(0, str(path.parent))  # as when the file is run as a script: its folder's modules import
    spec = importlib.util.spec_from_file_location("_reader_solution", path)
    if spec is None or spec.loader is None:
        return f"{name} cannot be imported as Python (is it a .py file?)"
    module = importlib.util.module_from_spec(spec)
    sys.modules["_reader_solution"] = module
    try:
        spec.loader.exec_module(module)
    except SyntaxError as error:
        where = f"line {error.lineno}" if error.lineno else "somewhere"
        text = f": {error.text.strip()}" if error.text else ""
        return f"{name} has a syntax error at {where}{text} ({error.msg})"
    except ImportError as error:
        return f"{name} could not be imported: {type(error).__name__}: {error}" + _line(error, path)
    except BaseException as error:  # SystemExit, KeyboardInterrupt: anything a file can do while it loads
        return f"{name} raised {type(error).__name__} while it was imported: {error}" + _line(error, path)
    fn = getattr(module, function, None)
    if fn is None:
        mine = module.__name__
        defined = sorted(k for k, v in vars(module).items() if callable(v) and getattr(v, "__module__", "") == mine)
        hint = f" (it defines {', '.join(defined)})" if defined else ""
        return f"{name} defines no function named {function}{hint}"
    if not callable(fn):
        return f"{name} defines {function}, but as a {type(fn).__name__}, not a function"
    return fn


def _line(error: BaseException, path: Path) -> str:
    from .grading import _reader_frame

    return _reader_frame(error, str(path))


def main(argv: list[str]) -> int:
    name, file, results = argv
    results_path = Path(results)
    try:
        from .catalog import get_exercise
        from .grading import CaseResult, run_case

        exercise = get_exercise(name)
        _write(results_path, {"kind": "loading"})  # the parent's clock for the reader's code starts here
        fn = load(Path(file), exercise.function)
        if isinstance(fn, str):
            _write(results_path, {"kind": "load_error", "message": fn})
            return 0
        cases = exercise.cases()
        for index, case in enumerate(cases):
            _write(results_path, {"kind": "start", "index": index, "label": case.label})
            try:
                result = run_case(exercise, case, fn, file)
            except BaseException as error:  # SystemExit or KeyboardInterrupt from the reader's function
                result = CaseResult(case.label, False, [f"your function raised {type(error).__name__}: {error}"])
            _write(results_path, {"kind": "case", "index": index, **result.to_json()})
        _write(results_path, {"kind": "done"})
    except BaseException as error:
        _write(results_path, {"kind": "internal_error", "message": f"{type(error).__name__}: {error}"})
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
