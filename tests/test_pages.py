"""Guards on what the pages claim: every chapter checks what it derives, every printed output is
compared, and every decimal number in the prose is backed by a checked output or an assertion.

These rules apply to every Markdown page under docs/ (new pages included) and to the README. The
exemptions are listed here with their reasons; add to them only when a page cannot follow a rule.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from pytest_codeblocks import extract_from_file

from conftest import DOCS, ROOT, markdown_files

#: Pages that derive nothing, so need no finite-difference check: the README, CONTRIBUTING and the
#: home page point to the chapters, notation.md shows shapes only, reference.md is generated from docstrings,
#: and performance.md and site.md report timings that docs/hooks/benchmark_page.py fills in from committed JSON.
NO_DERIVATION = {
    "README.md", "CONTRIBUTING.md", "docs/notation.md", "docs/reference.md", "docs/performance.md", "docs/site.md"
}  # fmt: skip

#: Pages whose check is a closed form written out by hand rather than a finite difference, and
#: why: the forward pass derives no derivative; its equations are checked written out in NumPy.
CLOSED_FORM = {"docs/forward-pass.md"}

#: Pages whose prose numbers are not results: performance.md's numbers are filled in from committed
#: JSON by a hook (which checks its placeholders), site.md's too, beside its budgets (0.02, 1.6 Mbit/s),
#: reference.md is API text, and the decimals of the README and CONTRIBUTING are versions and
#: addresses (Python 3.11, 127.0.0.1).
NUMBERS_FROM_ELSEWHERE = {"docs/performance.md", "docs/site.md", "docs/reference.md", "README.md", "CONTRIBUTING.md"}

FINITE_DIFFERENCE = re.compile(r"numerical_jacobian\(|numerical_gradients\(|gradient_check\(|/ \(2 \* h\)")
CLOSED_FORM_CHECK = re.compile(r"assert_allclose\(.*(net\.forward|net\.cost|\.z\b|\.a\b)")
PRINTS = re.compile(r"(?<![\w.])print\(")
DECIMAL = re.compile(r"(?<![\w.\-])-?\d+\.\d+(?:e[-+]?\d+)?(?![\w])")
FENCE = re.compile(r"^[ \t]*(`{3,}|~{3,})[^\n]*\n.*?^[ \t]*\1[ \t]*$", re.DOTALL | re.MULTILINE)
INLINE_CODE = re.compile(r"`[^`\n]+`")
LINK_TARGET = re.compile(r"\]\([^)]*\)")
ARXIV = re.compile(r"arXiv:\S+")  # an identifier, not a number


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
        f"{_name(path)}:{b.lineno}" for b in _python_blocks(path) if PRINTS.search(b.code) and b.expected_output is None
    ]


def prose(text: str) -> str:
    """The page without its fenced blocks, inline code, link targets and HTML comments."""
    text = FENCE.sub("", text)
    text = re.sub(r"<!--.*?-->", "", text, flags=re.DOTALL)
    return ARXIV.sub("", LINK_TARGET.sub("]", INLINE_CODE.sub("", text)))


def backed_numbers(path: Path) -> str:
    """Everything a prose number may be found in: checked outputs and assertion lines."""
    parts = []
    for block in _python_blocks(path):
        if block.expected_output is not None:
            parts.append(block.expected_output)
        parts += [line for line in block.code.splitlines() if "assert" in line]
    return "\n".join(parts)


def unbacked_decimals(path: Path) -> list[str]:
    """Decimal numbers in the prose of ``path`` that no checked output or assertion contains."""
    if _name(path) in NUMBERS_FROM_ELSEWHERE:
        return []
    backing = set(DECIMAL.findall(backed_numbers(path)))
    backing |= {n.lstrip("-") for n in backing}
    return sorted(
        {
            n
            for n in DECIMAL.findall(prose(path.read_text(encoding="utf-8")))
            if n not in backing and n.lstrip("-") not in backing
        }
    )


PAGES = markdown_files()
IDS = [_name(p) for p in PAGES]


@pytest.mark.parametrize("path", PAGES, ids=IDS)
def test_page_checks_what_it_derives(path: Path):
    assert missing_check(path) is None, missing_check(path)


@pytest.mark.parametrize("path", PAGES, ids=IDS)
def test_every_printing_block_has_its_output_checked(path: Path):
    assert unchecked_prints(path) == [], "add <!--pytest-codeblocks:expected-output--> and the exact output"


@pytest.mark.parametrize("path", PAGES, ids=IDS)
def test_every_decimal_in_prose_is_backed(path: Path):
    assert unbacked_decimals(path) == [], "print or assert these numbers in a block on the same page"


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
    assert missing_check(path) is None and unchecked_prints(path) == [] and unbacked_decimals(path) == []


def test_guard_catches_a_chapter_without_finite_differences(as_root):
    path = _page(as_root, CHAPTER.replace("bp.numerical_jacobian(lambda v: 2.5 * v, np.array([1.0]))[0, 0]", "2.5"))
    assert "no block compares with finite differences" in missing_check(path)


def test_guard_catches_a_removed_expected_output_marker(as_root):
    path = _page(as_root, CHAPTER.replace("<!--pytest-codeblocks:expected-output-->\n", ""))
    assert unchecked_prints(path) == ["docs/chapter.md:5"]


def test_guard_catches_a_number_that_contradicts_the_output(as_root):
    path = _page(as_root, CHAPTER.replace("The slope is 2.5", "The slope is 2.6"))
    assert unbacked_decimals(path) == ["2.6"]


def test_prose_leaves_out_code_and_links():
    text = (
        "A 1.5 here.\n\n```python\nx = 3.25\n```\n\nSee `f(0.75)`, arXiv:1802.01528 and [it](a-0.5.md). <!-- 9.5 -->\n"
    )
    assert DECIMAL.findall(prose(text)) == ["1.5"]


def test_pages_exist():
    assert len(PAGES) > 10 and all(p.is_file() for p in PAGES)
    assert DOCS in PAGES[0].parents
