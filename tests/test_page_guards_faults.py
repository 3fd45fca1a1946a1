"""The page guards, each seen to fail: planted faults on small pages, and the careless edits of issue 24.

Every fault below is one a real edit makes. A guard that stops seeing one of them fails here.
"""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

import backprop_derived as bp
from backprop_derived import page_checks as pc

ROOT = Path(__file__).resolve().parents[1]
FENCE = "```"


def page(text: str) -> pc.Page:
    return pc.parse_page(textwrap.dedent(text).replace("'''", FENCE), "planted.md")


def problems(text: str) -> list[str]:
    p = page(text)
    return [str(x) for rule in (pc.check_problems, pc.tolerance_problems, pc.prose_number_problems) for x in rule(p)]


GOOD = """\
# A page

$$
f'(x) = 2x
\\tag{P1}
$$

The derivative at 3 is 6.0.

'''python
# Checks equation (P1).
import numpy as np
import backprop_derived as bp

f = lambda v: v**2
x = np.array([3.0])
numeric = bp.numerical_jacobian(f, x)[0, 0]
np.testing.assert_allclose(2 * x[0], numeric, rtol=1e-6, atol=1e-9)
print(f"{2 * x[0]:.1f}")
'''

<!--pytest-codeblocks:expected-output-->
'''text
6.0
'''
"""


# The check's assertion in GOOD, which most planted faults replace, and the lines that set up the
# site's network on iris, as a check of the package's own gradients begins.
ASSERTION = "np.testing.assert_allclose(2 * x[0], numeric, rtol=1e-6, atol=1e-9)"
NETWORK = "net = bp.Network([4, 5, 3], seed=0)\nX, y = bp.load_iris()\n"


def with_assertion(new: str) -> str:
    """GOOD with its check's assertion replaced by ``new`` (lines of Python)."""
    return GOOD.replace(ASSERTION, new)


def test_a_consistent_page_passes() -> None:
    assert problems(GOOD) == []


def test_the_recognised_oracles_and_tolerances_are_the_sites() -> None:
    assert set(pc.ORACLES) == {"central differences", "a closed form", "an explicit sum", "PyTorch"}
    assert (bp.CENTRAL_DIFFERENCE_RTOL, bp.CENTRAL_DIFFERENCE_ATOL) == (1e-6, 1e-9)
    assert bp.GRADIENT_CHECK_TOLERANCE == 1e-7


# --- rule 1: equations and their checks -------------------------------------------------------


def test_a_tagged_equation_without_a_check_fails() -> None:
    found = problems(GOOD.replace("# Checks equation (P1).\n", ""))
    assert any("equation (P1) is tagged as checked but no python block" in p for p in found), found


def test_a_check_of_a_missing_equation_fails() -> None:
    found = problems(GOOD.replace("# Checks equation (P1).", "# Checks equations (P1) and (P9)."))
    assert any("checks equation (P9), but no displayed equation on this page has \\tag{P9}" in p for p in found)


def test_a_malformed_check_line_fails() -> None:
    found = problems(GOOD.replace("# Checks equation (P1).", "# Checks equation P1"))
    assert any("this check line cannot be read" in p for p in found), found


def test_a_check_of_the_package_against_itself_fails() -> None:
    text = GOOD.replace(
        "numeric = bp.numerical_jacobian(f, x)[0, 0]\n" + ASSERTION,
        NETWORK + "np.testing.assert_allclose(net.gradients(X[:1], bp.one_hot(y[:1], 3))[0][0], net.layer(1).W * 0 + "
        "net.gradients(X[:1], bp.one_hot(y[:1], 3))[0][0])",
    )
    found = problems(text)
    assert any("asserts nothing against an independent oracle" in p for p in found), found


def test_an_oracle_computed_but_never_asserted_fails() -> None:
    text = with_assertion(
        "sums = sum(2 * x[0] for _ in range(1))\nassert abs(sums - 2 * x[0]) < 1e-12\nassert abs(numeric) > 1"
    )
    found = problems(text)
    assert any("computes central differences (numeric) but no assertion compares them" in p for p in found), found


@pytest.mark.parametrize(
    "oracle",
    [
        "numeric = (f(x + 1e-6) - f(x - 1e-6))[0] / (2 * 1e-6)",  # a central difference written out
        "numeric = 6.0  # the closed form f'(3) = 2 * 3",
        "numeric = sum(2 * x[0] / 3 for _ in range(3))",  # an explicit sum
    ],
)
def test_each_kind_of_oracle_is_recognised(oracle: str) -> None:
    assert problems(GOOD.replace("numeric = bp.numerical_jacobian(f, x)[0, 0]", oracle)) == []


SELF_COMPARISONS = [
    # a "closed form" that is the package's own gradient
    "g = net.gradients(X[:1], Y)[0][0]   # closed form\nnp.testing.assert_allclose(g, net.gradients(X[:1], Y)[0][0])",
    # an "explicit sum" that only copies the package's gradient
    "np.testing.assert_allclose(net.gradients(X[:1], Y)[0][0], "
    "np.array([row for row in net.gradients(X[:1], Y)[0][0]]))",
    # a loop that adds up the package's deltas
    "total = 0.0\nfor k in range(3):\n    total += net.layer(2).delta[0, k]\n"
    "assert abs(total - net.layer(2).delta[0].sum()) < 1e-12",
]


@pytest.mark.parametrize("comparison", SELF_COMPARISONS)
def test_an_oracle_shaped_copy_of_the_package_is_no_oracle(comparison: str) -> None:
    text = GOOD.replace(
        "numeric = bp.numerical_jacobian(f, x)[0, 0]\n"
        "np.testing.assert_allclose(2 * x[0], numeric, rtol=1e-6, atol=1e-9)",
        "net = bp.Network([4, 5, 3], seed=0)\nX, y = bp.load_iris()\nY = bp.one_hot(y[:1], 3)\n" + comparison,
    )
    found = problems(text)
    assert any("asserts nothing against an independent oracle" in p for p in found), found


def test_a_closed_form_beside_the_packages_value_is_an_oracle() -> None:
    """The package's gradient on one side of the assertion, the formula written out on the other."""
    code = (
        "import numpy as np\nimport backprop_derived as bp\n"
        "net = bp.Network([4, 3], hidden=[], seed=0)\nX, y = bp.load_iris()\nY = bp.one_hot(y[:2], 3)\n"
        "[(dW, db)] = net.gradients(X[:2], Y)\na = net.layer(1).a\n"
        "np.testing.assert_allclose(dW, (a - Y).T @ X[:2] / 2)   # closed form\n"
    )
    assert pc.oracle_kinds(code) == {"a closed form"}


def test_equation_ids_are_unique_across_pages() -> None:
    one, two = pc.parse_page(GOOD.replace("'''", FENCE), "a.md"), pc.parse_page(GOOD.replace("'''", FENCE), "b.md")
    found = [str(p) for p in pc.site_problems([one, two], [])]
    assert any("equation ID (P1) is already used on a.md" in p for p in found), found


def test_a_page_with_no_tags_is_reported_not_failed() -> None:
    text = GOOD.replace("\\tag{P1}\n", "").replace("# Checks equation (P1).\n", "")
    assert problems(text) == []
    assert pc.pages_without_tags([page(text)]) == ["planted.md"]


# --- the build: links drawn, disagreements stop it ---------------------------------------------


def render(text: str) -> str:
    markdown = pytest.importorskip("markdown")  # the docs extra, which builds the site
    extensions = ["pymdownx.superfences", "pymdownx.arithmatex", "backprop_derived.equation_links"]
    return markdown.markdown(textwrap.dedent(text).replace("'''", FENCE), extensions=extensions)


def test_the_build_links_each_equation_to_its_check_and_back() -> None:
    html = render(GOOD)
    assert '<span id="eq-P1"></span>' in html
    assert '<a href="#check-P1">the block below</a>' in html
    assert "against central differences" in html
    assert '<span id="check-P1"></span>This block checks equation <a href="#eq-P1">(P1)</a>' in html
    # the block itself is unchanged: the check line stays its first line, so it still runs
    assert re.search(r"<code>.*# Checks equation \(P1\)\.", html, re.S)


def test_two_checks_of_one_equation_are_linked_under_two_names() -> None:
    block = GOOD[GOOD.index("'''python") :]
    html = render(GOOD + "\n" + block)  # the same check once more, further below
    assert '<a href="#check-P1">the block below</a> and <a href="#check-P1-2">the second block below</a>' in html


def test_links_inside_a_collapsible_box_are_paragraphs_not_html_in_a_paragraph() -> None:
    markdown = pytest.importorskip("markdown")
    boxed = textwrap.indent(textwrap.dedent(GOOD.split("\n", 2)[2]).replace("'''", FENCE), "    ")
    html = markdown.markdown(
        '??? note "A box"\n' + boxed,
        extensions=["admonition", "attr_list", "pymdownx.details", "pymdownx.superfences", "pymdownx.arithmatex",
                    "backprop_derived.equation_links"],
    )  # fmt: skip
    assert "<details" in html and "<p><p" not in html and "<p><div" not in html
    assert '<p class="checked-equation"><span id="eq-P1"></span></p>' in html
    assert '<p class="equation-check">Equation (P1) is checked in <a href="#check-P1">the block below</a>' in html
    assert '<p class="equation-check"><span id="check-P1"></span>This block checks equation' in html


def test_the_markers_stay_next_to_their_fence() -> None:
    pytest.importorskip("markdown")
    from backprop_derived.equation_links import link_page

    text = GOOD.replace("'''python\n# Checks", "<!--pytest-codeblocks:importorskip(numpy)-->\n'''python\n# Checks")
    lines = link_page(textwrap.dedent(text).replace("'''", FENCE)).splitlines()
    marker = lines.index("<!--pytest-codeblocks:importorskip(numpy)-->")
    assert lines[marker + 1] == FENCE + "python"
    assert 'id="check-P1"' in lines[marker - 2]


@pytest.mark.parametrize(
    ("fault", "message"),
    [
        (("# Checks equation (P1).\n", ""), "equation (P1) is tagged as checked but no python block"),
        (("# Checks equation (P1).", "# Checks equation (P2)."), "checks equation (P2), but no displayed"),
        (
            ("numeric = bp.numerical_jacobian(f, x)[0, 0]", "numeric = 2 * x[0]"),
            "asserts nothing against an independent oracle",
        ),
    ],
)
def test_a_disagreement_stops_the_build_naming_page_and_equation(fault: tuple[str, str], message: str) -> None:
    pytest.importorskip("markdown")
    from backprop_derived.equation_links import EquationCheckError

    with pytest.raises(EquationCheckError, match=re.escape(message)) as error:
        render(GOOD.replace(*fault))
    assert "page 'A page'" in str(error.value)


# --- rule 2: tolerances -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "loose",
    [
        "np.testing.assert_allclose(2 * x[0], numeric, rtol=1e-2, atol=1e-9)",
        "np.testing.assert_allclose(2 * x[0], numeric, rtol=1e-6, atol=1e2)",
        "assert np.allclose(2 * x[0], numeric)",  # NumPy's defaults are looser than the site's
        "assert abs(2 * x[0] - numeric) < 1e-3",
        "assert abs(2 * x[0] - numeric) < 1e-7",  # absolute: a relative 1e-3 on a derivative of 1e-4
        "assert abs(2 * x[0] - numeric) < 1e-3 * abs(numeric)",  # relative, but looser than rtol
        "np.testing.assert_array_almost_equal(2 * x[0], numeric, decimal=4)",
        "assert 2 * x[0] == pytest.approx(numeric, rel=1e-3)",
    ],
)
def test_a_loosened_tolerance_fails(loose: str) -> None:
    found = problems(with_assertion(loose))
    assert any("looser than" in p and "# tolerance: <why>" in p for p in found), found


def test_a_loosened_gradient_check_threshold_fails() -> None:
    text = with_assertion(NETWORK + "assert bp.gradient_check(net, X[:5], bp.one_hot(y[:5], 3)) < 1e-4\n" + ASSERTION)
    found = problems(text)
    assert any("looser than bp.GRADIENT_CHECK_TOLERANCE" in p for p in found), found


def test_a_bound_relative_to_the_value_passes() -> None:
    text = with_assertion("assert abs(2 * x[0] - numeric) < 1e-6 * abs(numeric)")
    assert problems(text) == []


def test_a_tolerance_with_its_reason_passes() -> None:
    text = GOOD.replace(
        "rtol=1e-6, atol=1e-9)",
        "rtol=1e-3, atol=1e-9)  # tolerance: float32 keeps about 7 digits",
    )
    assert problems(text) == []


def test_a_looser_band_on_a_claim_of_difference_is_not_a_weakening() -> None:
    text = GOOD.replace(
        'print(f"{2 * x[0]:.1f}")', 'assert not np.allclose(x[0], numeric, rtol=1e-1)\nprint(f"{2 * x[0]:.1f}")'
    )
    assert problems(text) == []


# --- rule 3: prose numbers ----------------------------------------------------------------------


def test_a_changed_prose_number_fails_and_says_what_to_do() -> None:
    found = problems(GOOD.replace("The derivative at 3 is 6.0.", "The derivative at 3 is 6.5."))
    assert any(
        "the number 6.5 in the text is not printed or asserted by the nearest python block" in p and "print it" in p
        for p in found
    ), found


def test_a_number_backed_only_in_another_section_fails() -> None:
    text = GOOD.replace("The derivative at 3 is 6.0.", "## Elsewhere\n\nThe derivative at 3 is 6.0.\n\n## Back")
    assert any("the number 6.0" in p and "it has none" in p for p in problems(text))


def test_swapped_decimals_fail() -> None:
    text = (
        GOOD.replace("The derivative at 3 is 6.0.", "The values are 0.25 and 0.75.")
        .replace('print(f"{2 * x[0]:.1f}")', 'print("0.75 0.25")')
        .replace("6.0\n'''", "0.75 0.25\n'''")
    )
    found = problems(text)
    assert any("comes earlier in the expected output" in p for p in found), found
    assert problems(text.replace("The values are 0.25 and 0.75.", "The values are 0.75 and 0.25.")) == []


def test_a_written_sign_is_compared() -> None:
    printed = GOOD.replace('print(f"{2 * x[0]:.1f}")', 'print(f"{-2 * x[0]:.1f}")').replace("6.0\n'''", "-6.0\n'''")
    assert problems(printed) == []  # no sign written: "a drop of 6.0" is backed by -6.0
    for flipped in ("+6.0", "−6.0"):
        text = printed if flipped == "+6.0" else GOOD
        found = problems(text.replace("is 6.0.", f"is {flipped}."))
        assert any(f"the number {flipped.lstrip('+')} (with its sign) in the text" in p for p in found), found
    assert problems(printed.replace("is 6.0.", "is −6.0.")) == []


def test_the_exempt_kinds_of_number_pass() -> None:
    exempt = (
        "Equation (5) of the 4-5-3 network and 784-256-10, a 4 × 5 matrix, layer 2, flower 100, step 4, "
        "chapter 3, flowers 0, 15, 30, ..., 135, epochs 100 to 200, "
        "He et al. 2015, NumPy 2.4, the 3rd row, `rtol=1e-6`, $x^{12}$ and [a link](page.md#s-12), "
        "seeds 1 to 10, arXiv:1802.01528."
    )
    assert problems(GOOD.replace("The derivative at 3 is 6.0.", exempt)) == []


def test_four_decimals_are_not_read_as_a_year() -> None:
    found = problems(GOOD.replace("The derivative at 3 is 6.0.", "The cost falls to 0.1503."))
    assert any("the number 0.1503 in the text" in p for p in found), found


# --- the careless edits of issue 24, made to the real pages -------------------------------------


def _read(name: str) -> str:
    return (ROOT / "docs" / name).read_text(encoding="utf-8")


def _all_problems(name: str, text: str) -> list[str]:
    p = pc.parse_page(text, name)
    # without line numbers, so that a deleted line does not make every later problem look new
    return [x.message for rule in (pc.check_problems, pc.tolerance_problems, pc.prose_number_problems) for x in rule(p)]


def _delete_central_difference_asserts_of_equation_5(text: str) -> str:
    # The block checks (H1) and (5) together: both its asserts against central differences go.
    p = pc.parse_page(text, "hidden-layer.md")
    (block,) = [b for b in p.python_blocks if "5" in b.check_ids]
    lines = text.splitlines(keepends=True)
    doomed = [n for n in range(block.start, block.end) if "assert_allclose(" in lines[n]]
    if not doomed:
        raise AssertionError("no assert against central differences found in the check of equation (5)")
    return "".join(line for n, line in enumerate(lines) if n not in doomed)


def _replace(old: str, new: str):
    def edit(text: str) -> str:
        assert text.count(old) == 1, f"the page no longer has {old!r}: update this edit"
        return text.replace(old, new)

    return edit


EDITS = {
    "finite-difference tolerance 1e-7 -> 1e2": (
        "autodiff/paths.md",
        _replace(
            "    np.testing.assert_allclose(path_sum, numeric, rtol=1e-6, atol=1e-9)\n    assert abs(path_sum - dW1",
            "    np.testing.assert_allclose(path_sum, numeric, rtol=1e2, atol=1e-9)\n    assert abs(path_sum - dW1",
        ),
    ),
    "assert_allclose tolerances -> 1e2": (
        "autodiff/paths.md",
        _replace(
            "np.testing.assert_allclose(composite, dW1[0, 0] + lam * w[0], rtol=1e-6, atol=1e-9)\n",
            "np.testing.assert_allclose(composite, dW1[0, 0] + lam * w[0], rtol=1e2, atol=1e2)\n",
        ),
    ),
    "the asserts checking equations (H1) and (5) against finite differences deleted": (
        "hidden-layer.md",
        _delete_central_difference_asserts_of_equation_5,
    ),
    "a prose integer changed, 180 -> 181": (
        "autodiff/paths.md",
        _replace("costs 180 with the 60 paths listed", "costs 181 with the 60 paths listed"),
    ),
    "two prose decimals swapped": (
        "training/initialisation.md",
        _replace(
            "shrink by 0.23 a layer, though three single steps exceed $1/4$ (up to 0.31)",
            "shrink by 0.31 a layer, though three single steps exceed $1/4$ (up to 0.23)",
        ),
    ),
}


@pytest.mark.parametrize("edit", list(EDITS), ids=list(EDITS))
def test_the_careless_edits_of_issue_24_are_caught(edit: str) -> None:
    name, change = EDITS[edit]
    before = _read(name)
    after = change(before)
    new = set(_all_problems(name, after)) - set(_all_problems(name, before))
    assert new, f"the edit '{edit}' on {name} is not caught"


# A formula written from a Python string that is not raw: "\\r" became a line break (issue of the
# slips page, where \\rVert showed as "Vert" in italics), "\\t" a tab, "\\f" a form feed.
ESCAPED = "The error $\\lVert g - n \\rVert / (\\lVert g \\rVert + \\lVert n \\rVert)$ is 1.\n"


def test_tex_with_its_backslashes_passes() -> None:
    assert pc.text_escape_problems(ESCAPED, "planted.md") == []
    assert pc.tex_escape_problems(pc.parse_page(ESCAPED, "planted.md")) == []


@pytest.mark.parametrize(
    ("eaten", "where"),
    [
        (ESCAPED.replace("\\rVert", "\rVert"), "control character (\\r)"),
        (ESCAPED.replace("\\rVert", "\nVert"), "line starts inside a formula"),
        ("$$\nf(x) = \\left( x \night)\n$$\n", "line starts inside a formula"),
        ("Its density is $\\rho$ and $p(\\theta \\mid x) \\propto \n\nho$.\n", None),
        ("The angle $\theta$.\n", "control character (\\t)"),
        ("A ratio $\frac{1}{2}$.\n", "control character (\\f)"),
        ("The loss $\\lVert r \rVert$.\n", "control character (\\r)"),
    ],
)
def test_tex_that_lost_a_backslash_fails(eaten: str, where: str | None) -> None:
    found = [str(p) for p in pc.text_escape_problems(eaten, "planted.md")]
    if where is None:  # a paragraph break ends inline math: no formula is open on the next line
        assert found == []
    else:
        assert found and all(where in f for f in found), found
        assert [str(p) for p in pc.tex_escape_problems(pc.parse_page(eaten, "planted.md"))] == found


def test_notebook_markdown_cells_are_read_too() -> None:
    cell = "# %% [markdown]\n# The error $\\lVert g \n# Vert$ is 1.\n"
    assert [p.line for p in pc.text_escape_problems(cell, "notebooks/planted.py")] == [3]
