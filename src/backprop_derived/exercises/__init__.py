"""Exercises that grade the reader: write a backward pass, run one command, learn what is wrong.

``python -m backprop_derived.exercises list`` shows every exercise with its page;
``start NAME`` writes ``NAME.py`` with the function to complete; ``check NAME.py`` runs it in a
separate process with a time limit, compares it case by case with the reference solution, and names
the mistake when its numbers have a known signature (a transpose, a factor m, a missing path).

In Python, ``grade(get_exercise(name), function)`` yields one ``CaseResult`` per case.
"""

from __future__ import annotations

from ._base import SITE_URL, Case, Exercise, Mistake
from .catalog import EXERCISES, get_exercise
from .grading import CaseResult, grade

__all__ = ["EXERCISES", "SITE_URL", "Case", "CaseResult", "Exercise", "Mistake", "get_exercise", "grade"]
