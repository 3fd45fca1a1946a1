"""Guards on what the pages claim: every chapter checks what it derives, and every printed output is
compared. Prose numbers are the page guards' (backprop_derived.page_checks, tests/test_page_guards.py).

These rules apply to every Markdown page under docs/ (new pages included) and to the README. The
exemptions are listed here with their reasons; add to them only when a page cannot follow a rule.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from pytest_codeblocks import extract_from_file

from backprop_derived import page_checks as pc
from conftest import DOCS, ROOT, markdown_files

#: Pages that derive nothing, so need no finite-difference check: the README, CONTRIBUTING and the
#: home page point to the chapters, notation.md shows shapes only, glossary.md defines words,
#: reference.md is generated from docstrings, and performance.md and site.md report timings that
#: docs/hooks/benchmark_page.py fills in from committed JSON.
NO_DERIVATION = {
    "README.md", "CONTRIBUTING.md", "docs/notation.md", "docs/glossary.md", "docs/reference.md", "docs/performance.md",
    "docs/site.md",
}  # fmt: skip

#: Pages whose check is a closed form written out by hand rather than a finite difference, and
#: why: the forward pass derives no derivative; its equations are checked written out in NumPy.
CLOSED_FORM = {"docs/forward-pass.md"}

#: Pages whose prose numbers are not results (the one list is in backprop_derived.page_checks).
NUMBERS_FROM_ELSEWHERE = {n if (ROOT / n).exists() else f"docs/{n}" for n in pc.NUMBERS_FROM_ELSEWHERE}

FINITE_DIFFERENCE = re.compile(r"numerical_jacobian\(|numerical_gradients\(|gradient_check\(|/ \(2 \* h\)")
CLOSED_FORM_CHECK = re.compile(r"assert_allclose\(.*(net\.forward|net\.cost|\.z\b|\.a\b)")
PRINTS = re.compile(r"(?<![\w.])print\(")
TO_STDERR = re.compile(r"^.*print\(.*file=sys\.stderr\).*$", re.M)  # a notice, not the block's output


def _name(path: Path) -> str:
    return str(path.relative_to(ROOT))


def _python_blocks(path: Path):
    return [b for b in extract_from_file(path) if b.syntax == "python"]


def missing_check(path: Path) -> str | None:
    """Why ``path`` lacks the check its derivation needs (None if it has one)."""
    name = _name(path)
    if name in NO_DERIVATION:
        return None
    codes = [b.code for b in _python_blocks(path)]
    if any(FINITE_DIFFERENCE.search(code) for code in codes):
        return None
    if name in CLOSED_FORM and any(CLOSED_FORM_CHECK.search(code) for code in codes):
        return None
    return (
        f"{name}: no block compares with finite differences (numerical_jacobian, numerical_gradients, "
        "gradient_check or a hand-written central difference)"
    )


def unchecked_prints(path: Path) -> list[str]:
    """The blocks of ``path`` that print but whose output no expected-output fence checks."""
    return [
        f"{_name(path)}:{b.lineno}"
        for b in _python_blocks(path)
        if PRINTS.search(TO_STDERR.sub("", b.code)) and b.expected_output is None
    ]


PAGES = markdown_files()
IDS = [_name(p) for p in PAGES]


@pytest.mark.parametrize("path", PAGES, ids=IDS)
def test_page_checks_what_it_derives(path: Path):
    assert missing_check(path) is None, missing_check(path)


@pytest.mark.parametrize("path", PAGES, ids=IDS)
def test_every_printing_block_has_its_output_checked(path: Path):
    assert unchecked_prints(path) == [], "add <!--pytest-codeblocks:expected-output--> and the exact output"


def test_the_exemptions_name_real_pages():
    for name in NO_DERIVATION | CLOSED_FORM | NUMBERS_FROM_ELSEWHERE:
        assert (ROOT / name).is_file(), name


# Each guard, shown failing on a planted fault (a guard that cannot fail would pass vacuously).

CHAPTER = """# A chapter

The slope is 2.5 at the point.

```python
import numpy as np
import backprop_derived as bp

slope = bp.numerical_jacobian(lambda v: 2.5 * v, np.array([1.0]))[0, 0]
print(f"{slope:.1f}")
```

<!--pytest-codeblocks:expected-output-->
```text
2.5
```
"""


def _page(tmp_path: Path, text: str) -> Path:
    docs = tmp_path / "docs"
    docs.mkdir(exist_ok=True)
    path = docs / "chapter.md"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def as_root(monkeypatch, tmp_path):
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    return tmp_path


def test_a_sound_page_passes(as_root):
    path = _page(as_root, CHAPTER)
    assert missing_check(path) is None and unchecked_prints(path) == []


def test_guard_catches_a_chapter_without_finite_differences(as_root):
    path = _page(as_root, CHAPTER.replace("bp.numerical_jacobian(lambda v: 2.5 * v, np.array([1.0]))[0, 0]", "2.5"))
    assert "no block compares with finite differences" in missing_check(path)


def test_guard_catches_a_removed_expected_output_marker(as_root):
    path = _page(as_root, CHAPTER.replace("<!--pytest-codeblocks:expected-output-->\n", ""))
    assert unchecked_prints(path) == ["docs/chapter.md:5"]


def test_pages_exist():
    assert len(PAGES) > 10 and all(p.is_file() for p in PAGES)
    assert DOCS in PAGES[0].parents


#: A link to an API entry in the reference's hand-written tables: [`shown name`](#backprop_derived.dotted.path).
REFERENCE_LINK = re.compile(r"\[`([^`(]+)[^`]*`\]\(#(backprop_derived(?:\.\w+)+)\)")

#: Run in a fresh interpreter: importing a submodule anywhere sets it as an attribute of the package,
#: so in the test process bp.sequence_models would resolve whatever the package exports.
RESOLVE = """
import importlib.util, json, sys
import backprop_derived as bp
missing = []
for shown, target in json.loads(sys.argv[1]):
    obj = bp
    for part in target.split(".")[1:]:
        obj = getattr(obj, part, None)
    if obj is None and not (shown == target and importlib.util.find_spec(target)):
        missing.append(target)
print(json.dumps(missing))
"""


def reference_names_not_under_bp(text: str) -> list[str]:
    """Names the reference shows as reachable from ``import backprop_derived as bp`` that are not.

    A name shown with its full path (``backprop_derived.sequence_models``) need only be importable by
    that path; every other is looked up attribute by attribute from ``bp``, as a reader's ``bp.X`` is.
    """
    import json
    import subprocess

    links = json.dumps(REFERENCE_LINK.findall(text))
    out = subprocess.run(
        [sys.executable, "-c", RESOLVE, links], capture_output=True, text=True, check=True, timeout=120
    )
    return json.loads(out.stdout)


def test_every_name_the_reference_lists_under_bp_resolves():
    text = (DOCS / "reference.md").read_text(encoding="utf-8")
    assert len(REFERENCE_LINK.findall(text)) >= 30
    assert reference_names_not_under_bp(text) == []
    # the fault the reference once had: a module listed by its bare name, as if bp exported it
    planted = text.replace("[`backprop_derived.sequence_models`]", "[`sequence_models`]")
    assert reference_names_not_under_bp(planted) == ["backprop_derived.sequence_models"] * 2
