"""Grade a function against an exercise: run every case, compare with the reference, and name the
likely mistake from the numbers.

A case passes when every returned array has the expected shape and agrees with the reference
solution entry by entry (``rtol=1e-6, atol=1e-9``, the site's tolerance for an analytic gradient
against central differences). Every reference is itself checked against central differences of its
own forward function in the test suite; the report also gives the answer's relative error against
those central differences, case by case.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..gradcheck import relative_error
from ._base import Case, Exercise

RTOL, ATOL = 1e-6, 1e-9


@dataclass
class CaseResult:
    label: str
    passed: bool
    lines: list[str] = field(default_factory=list)  # what to tell the reader, one line each
    diagnoses: list[str] = field(default_factory=list)  # the known mistakes recognised (for tests)

    def to_json(self) -> dict[str, Any]:
        return {"label": self.label, "passed": self.passed, "lines": self.lines, "diagnoses": self.diagnoses}


def close(got: np.ndarray, expected: np.ndarray) -> bool:
    return got.shape == expected.shape and bool(np.allclose(got, expected, rtol=RTOL, atol=ATOL))


def _index(idx: tuple[int, ...]) -> str:
    return "[" + ", ".join(str(i) for i in idx) + "]"


def _copy(inputs: dict[str, Any]) -> dict[str, Any]:
    return {k: v.copy() if isinstance(v, np.ndarray) else v for k, v in inputs.items()}


def _type_name(value: object) -> str:
    if value is None:
        return "None (is a `return` missing?)"
    if isinstance(value, np.ndarray):
        return f"an array of dtype {value.dtype}"
    return f"a {type(value).__name__}"


def _as_arrays(result: object, exercise: Exercise, expected: tuple[np.ndarray, ...]) -> tuple[np.ndarray, ...] | str:
    """The reader's result as arrays, or a sentence saying why it is not what the exercise returns."""
    names = exercise.outputs
    shapes = ", ".join(f"{n} {e.shape}" for n, e in zip(names, expected))
    if len(names) == 1:
        items: tuple[object, ...] = (result,)
        wanted = f"one NumPy array, {shapes}"
    elif isinstance(result, (tuple, list)) and len(result) == len(names):
        items = tuple(result)
        wanted = ""
    else:
        if isinstance(result, (tuple, list)):
            what = f"a {type(result).__name__} of {len(result)} items"
        else:
            what = _type_name(result)
        return f"returned {what}; expected a tuple of {len(names)} NumPy arrays ({shapes})"
    arrays = []
    for name, item, exp in zip(names, items, expected):
        if not isinstance(item, np.ndarray) or item.dtype.kind not in "fiu":
            if len(names) == 1:
                return f"returned {_type_name(item)}; expected {wanted}"
            return f"returned {_type_name(item)} for {name}; expected a NumPy array of shape {exp.shape}"
        arrays.append(item.astype(np.float64))
    return tuple(arrays)


def _factor_diagnosis(got: np.ndarray, expected: np.ndarray, case: Case) -> str | None:
    denom = float(np.vdot(expected, expected))
    if denom == 0:
        return None
    c = float(np.vdot(got, expected)) / denom
    if not close(got, c * expected) or abs(c - 1) < 1e-6:
        return None
    if abs(c + 1) < 1e-6:
        return "sign flipped: every entry has the right size and the wrong sign"
    if abs(c) < 1e-12:
        return None
    factors = dict(case.factors)
    factors.setdefault("2", (2.0, "2"))
    for value, description in factors.values():
        if np.isclose(abs(c), value, rtol=1e-6):
            size = "large" if abs(c) > 1 else "small"
            return f"off by a factor {description} = {value:g}: yours is {value:g} times too {size}" + (
                ", with the sign flipped" if c < 0 else ""
            )
        if np.isclose(abs(c), 1 / value, rtol=1e-6):
            return f"off by a factor {description} = {value:g}: yours is {value:g} times too small" + (
                ", with the sign flipped" if c < 0 else ""
            )
    return f"off by a constant factor: yours is {c:.6g} times the expected values"


def diagnose(exercise: Exercise, case: Case, output: str, got: np.ndarray, expected: np.ndarray) -> list[str]:
    """The known mistakes whose numbers ``got`` reproduces, most specific first (empty when none does)."""
    fill = {name: f"{value:g}" for name, (value, _) in case.factors.items()}
    found = []
    for mistake in exercise.mistakes:
        if mistake.output != output:
            continue
        try:
            with np.errstate(all="ignore"):
                wrong = np.asarray(mistake.compute(**_copy(dict(case.inputs))), dtype=np.float64)
        except Exception:  # a mistake that cannot happen at this case's shapes (a transpose of a non-square W)
            continue
        if close(got, wrong):
            text = mistake.diagnosis
            for key, value in fill.items():  # not str.format: diagnoses write subscripts like W_{l+1}
                text = text.replace("{" + key + "}", value)
            found.append(text)
    if found:
        return found
    if got.ndim == 2 and got.T.shape == expected.shape and close(got.T, expected):
        return [f"transposed: yours has shape {got.shape}, the transpose of the expected {expected.shape}"]
    if got.shape == expected.shape:
        factor = _factor_diagnosis(got, expected, case)
        if factor:
            return [factor]
        if not got.any() and expected.any():
            return ["every entry is 0"]
    return []


def check_outputs(exercise: Exercise, case: Case, result: object) -> CaseResult:
    """Compare one call's result with the reference for ``case``: pass, or what is wrong and why."""
    expected = exercise.expected(case)
    arrays = _as_arrays(result, exercise, expected)
    if isinstance(arrays, str):
        return CaseResult(case.label, False, [f"your function {arrays}"])
    lines: list[str] = []
    diagnoses: list[str] = []
    for name, got, exp in zip(exercise.outputs, arrays, expected):
        if close(got, exp):
            continue
        if not np.all(np.isfinite(got)):
            bad = tuple(int(i) for i in np.argwhere(~np.isfinite(got))[0])
            lines.append(
                f"{name}{_index(bad)} is {got[bad]}: expected a finite number, {exp[bad]:.10g}"
                if got.shape == exp.shape
                else f"{name}{_index(bad)} is {got[bad]}"
            )
            continue
        if got.shape != exp.shape:
            lines.append(f"{name} has shape {got.shape}; expected {exp.shape}")
        else:
            wrong = ~np.isclose(got, exp, rtol=RTOL, atol=ATOL)
            idx = tuple(int(i) for i in np.argwhere(wrong)[0])
            lines.append(
                f"{name}: first wrong entry {name}{_index(idx)}: expected {exp[idx]:.10g}, got {got[idx]:.10g}"
                f" ({int(wrong.sum())} of {wrong.size} entries wrong)"
            )
        found = diagnose(exercise, case, name, got, exp)
        diagnoses += found
        if found:
            lines += [f"  diagnosis: {d}" for d in found]
        elif got.shape == exp.shape:
            lines.append("  no known mistake matches these numbers")
    if lines:
        return CaseResult(case.label, False, lines, diagnoses)
    numeric = exercise.numeric(case)
    error = max(relative_error(got, n) for got, n in zip(arrays, numeric))
    return CaseResult(case.label, True, [f"relative error against {exercise.oracle} {error:.1e}"])


def _reader_frame(error: BaseException, path: str | None) -> str:
    """`` at line 12: return g @ a`` for the deepest frame of the reader's file, or ``""``."""
    frames = traceback.extract_tb(error.__traceback__)
    if path is not None:
        mine = [f for f in frames if Path(f.filename).resolve() == Path(path).resolve()]
        if mine:
            f = mine[-1]
            return f", at line {f.lineno} of {Path(path).name}: {(f.line or '').strip()}"
    return ""


def describe_error(error: BaseException, function: str, path: str | None = None) -> str:
    """One sentence for an exception raised by the reader's function."""
    if type(error) is NotImplementedError:
        return (
            f"{function} is not written yet (it raises NotImplementedError){_reader_frame(error, path)}: "
            "replace that line with your code"
        )
    text = f"your function raised {type(error).__name__}: {error}{_reader_frame(error, path)}"
    message = str(error)
    if any(s in message for s in ("matmul", "not aligned", "could not be broadcast", "shapes")):
        text += " (compare each array's shape with the docstring: a transposed matrix often shows up this way)"
    return text


def run_case(exercise: Exercise, case: Case, function: Callable[..., Any], path: str | None = None) -> CaseResult:
    """Call ``function`` on a copy of the case's inputs and grade what it returns."""
    inputs = _copy(dict(case.inputs))
    try:
        with np.errstate(all="ignore"):
            result = function(*(inputs[name] for name in exercise.params))  # by position: any argument names
    except Exception as error:
        return CaseResult(case.label, False, [describe_error(error, exercise.function, path)])
    changed = [
        k
        for k, v in inputs.items()
        if isinstance(v, np.ndarray)
        and not (v.shape == case.inputs[k].shape and np.allclose(v, case.inputs[k], rtol=1e-12, atol=1e-12))
    ]
    if changed:
        return CaseResult(
            case.label,
            False,
            [
                f"your function changed its argument {', '.join(changed)} in place; "
                "it must leave its inputs as they came (work on a copy)"
            ],
        )
    return check_outputs(exercise, case, result)


def grade(exercise: Exercise, function: Callable[..., Any], path: str | None = None) -> Iterator[CaseResult]:
    """Grade ``function`` on every case of ``exercise``, in order (in this process: no time limit)."""
    for case in exercise.cases():
        yield run_case(exercise, case, function, path)
