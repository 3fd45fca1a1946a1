"""The rules that keep the site's pages honest, written once for the build and for the test suite.

A page of the site is Markdown whose ```` ```python ```` blocks are run as tests. Five rules are
checked here, on the Markdown text alone, so any generator (and ``pytest``) can apply them:

* **Equations linked to their checks.** A displayed equation that the page says is checked carries
  ``\\tag{ID}`` inside its ``$$ ... $$``. The block that checks it starts with the comment line
  ``# Checks equation (ID).`` (or ``# Checks equations (ID1) and (ID2).``). Every tagged equation
  has at least one check on its page, every check names an equation of its page, and every check
  compares with an independent oracle (``ORACLES``) inside an assertion.
* **Tolerances no looser than the site's.** An assertion that compares with central differences
  uses ``rtol <= CENTRAL_DIFFERENCE_RTOL`` and ``atol <= CENTRAL_DIFFERENCE_ATOL``; a gradient
  check's relative error is compared with at most ``GRADIENT_CHECK_TOLERANCE``. A line that needs
  more carries a trailing ``# tolerance: <why>``.
* **Prose numbers backed where they stand.** A number written in a paragraph appears, to the
  digits written, in the nearest python block before or after it in the same section (its code or
  its expected output); ``prose_number_problems`` says which kinds of number are exempt.
* **TeX keeps its backslashes.** No literal control character, and no line inside a formula that
  starts with what a Python string leaves of ``\\rVert``, ``\\right``, ``\\rho`` or ``\\nabla``
  (``text_escape_problems``, which reads notebooks too).
* **No link that is only a formula.** ``[$x$](target)`` leaves the link without an accessible name
  (``math_link_problems``): link words beside the formula.

``python -m backprop_derived.page_checks docs`` lists every problem and the pages with no tagged
equation yet. The Markdown extension ``backprop_derived.equation_links`` applies the first rule
while building and draws the links.
"""

from __future__ import annotations

import ast
import re
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from .gradcheck import CENTRAL_DIFFERENCE_ATOL, CENTRAL_DIFFERENCE_RTOL
from .gradcheck import TOLERANCE as GRADIENT_CHECK_TOLERANCE

__all__ = [
    "ORACLES",
    "Page",
    "Problem",
    "check_problems",
    "parse_page",
    "prose_number_problems",
    "tex_escape_problems",
    "text_escape_problems",
    "tolerance_problems",
]

# ---------------------------------------------------------------------------------------------
# The recognised oracles: one place, cited by CONTRIBUTING.md.
# ---------------------------------------------------------------------------------------------

#: Package functions that compute central differences.
FINITE_DIFFERENCE_FUNCTIONS = frozenset({"numerical_jacobian", "numerical_gradients", "gradient_check"})
#: Functions whose result is a relative error, compared with ``GRADIENT_CHECK_TOLERANCE``.
RELATIVE_ERROR_FUNCTIONS = frozenset({"gradient_check", "relative_error"})
#: Calls that assert two values equal.
EQUALITY_CALLS = frozenset({"assert_array_equal", "assert_equal", "array_equal"})
#: Calls that compare two values within a tolerance, and whose tolerance the second rule reads.
CLOSENESS_CALLS = frozenset(
    {
        "assert_allclose",
        "allclose",
        "isclose",
        "assert_almost_equal",
        "assert_array_almost_equal",
        "assert_close",
        "approx",
    }
)

#: Calls and attributes whose values are derivatives computed by the package itself (backpropagation,
#: the autodiff engine, the analytic Jacobians, an activation's derivative). A closed form or an
#: explicit sum built from one of them compares the package with itself, so it is no oracle.
PACKAGE_DERIVATIVE_CALLS = frozenset(
    {
        "gradients",
        "backward",
        "backpropagate",
        "grad",
        "vjp",
        "jvp",
        "hvp",
        "derivative",
        "second_derivative",
        "gradient_norms",
        "jacobian_a_wrt_z",
        "jacobian_z_wrt_W",
        "jacobian_z_wrt_a_prev",
    }
)
PACKAGE_DERIVATIVE_ATTRIBUTES = frozenset({"delta", "grad"})

#: The independent computations a check may compare with, by name, with what marks each in a block.
ORACLES = {
    "central differences": "a call of bp.numerical_jacobian, bp.numerical_gradients or bp.gradient_check, "
    "or a central difference written out, (f(x + h) - f(x - h)) / (2 * h)",
    "a closed form": "a line carrying a comment that says 'closed form' (the formula written out by hand), "
    "whose value does not come from the package's own derivatives (PACKAGE_DERIVATIVE_CALLS, "
    "PACKAGE_DERIVATIVE_ATTRIBUTES)",
    "an explicit sum": "a for loop, comprehension or generator that adds up paths or observations one by one, "
    "from values that do not come from the package's own derivatives",
    "PyTorch": "import torch (or pytest.importorskip('torch')) in the block",
}

CHECK_LINE = re.compile(r"#\s*Checks\s+equations?\b")
CHECK_LINE_FULL = re.compile(r"#\s*Checks\s+equations?\s+(\([^()]+\)(?:(?:,\s*|,?\s+and\s+)\([^()]+\))*)\.\s*$")
CHECK_ID = re.compile(r"\(([^()]+)\)")
TAG = re.compile(r"\\tag\*?\{([^{}]+)\}")
FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})(?P<info>[^`]*)$")
HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
EXPECTED_OUTPUT = "<!--pytest-codeblocks:expected-output-->"
TOLERANCE_COMMENT = re.compile(r"#\s*tolerance:\s*\S")


@dataclass
class Problem:
    """One rule broken on one page: where, and what the author should do."""

    page: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.page}:{self.line}: {self.message}"


@dataclass
class Block:
    """A fenced code block. ``start`` is the 1-based line of its opening fence."""

    start: int
    end: int
    indent: str
    info: str
    code: str
    section: int
    expected_output: str | None = None
    check_ids: list[str] = field(default_factory=list)
    check_line_malformed: bool = False

    @property
    def is_python(self) -> bool:
        return self.info == "python"


@dataclass
class Equation:
    """A displayed ``$$ ... $$`` equation; ``ids`` are its ``\\tag{...}`` labels."""

    start: int
    end: int
    indent: str
    tex: str
    section: int
    ids: list[str]


@dataclass
class Page:
    """A Markdown page cut into what the rules read: headings, code blocks, equations, prose lines."""

    name: str
    lines: list[str]
    title: str
    blocks: list[Block]
    equations: list[Equation]
    sections: list[int]  # the 1-based line of each section's heading (0 for the text before the first)
    prose: list[tuple[int, int, str]]  # (line, section, text) outside code and display math
    raw: str = ""  # the text as read, before it is cut into lines (control characters included)

    @property
    def python_blocks(self) -> list[Block]:
        return [b for b in self.blocks if b.is_python]

    def checks_of(self, eq_id: str) -> list[Block]:
        return [b for b in self.python_blocks if eq_id in b.check_ids]

    @property
    def tags(self) -> list[tuple[str, Equation]]:
        return [(i, eq) for eq in self.equations for i in eq.ids]


def _dedent(lines: list[str], indent: str) -> list[str]:
    return [line[len(indent) :] if line.startswith(indent) else line.lstrip() for line in lines]


def parse_page(text: str, name: str = "<page>") -> Page:
    """Cut ``text`` into headings, fenced blocks, display equations and prose lines."""
    lines = text.splitlines()
    blocks: list[Block] = []
    equations: list[Equation] = []
    sections = [0]
    prose: list[tuple[int, int, str]] = []
    title = name
    i = 0
    while i < len(lines):
        line = lines[i]
        fence = FENCE.match(line)
        if fence:
            indent, mark, info = fence["indent"], fence["fence"], fence["info"].strip()
            j = i + 1
            while j < len(lines):
                close = lines[j].strip()
                if close.startswith(mark[0] * len(mark)) and set(close) == {mark[0]}:
                    break
                j += 1
            body = _dedent(lines[i + 1 : j], indent)
            block = Block(i + 1, j + 1, indent, info, "\n".join(body), len(sections) - 1)
            if block.is_python and body:
                first = body[0].strip()
                if CHECK_LINE.match(first):
                    full = CHECK_LINE_FULL.match(first)
                    if full:
                        block.check_ids = [m.strip() for m in CHECK_ID.findall(full[1])]
                    else:
                        block.check_line_malformed = True
            previous = next((lines[k].strip() for k in range(i - 1, -1, -1) if lines[k].strip()), "")
            if previous == EXPECTED_OUTPUT:
                owner = next((b for b in reversed(blocks) if b.is_python), None)
                if owner is not None:
                    owner.expected_output = block.code
            blocks.append(block)
            i = j + 1
            continue
        stripped = line.strip()
        if stripped.startswith("$$"):
            j = i
            if stripped.count("$$") < 2:
                j = i + 1
                while j < len(lines) and "$$" not in lines[j]:
                    j += 1
            tex = "\n".join(lines[i : j + 1])
            indent = line[: len(line) - len(line.lstrip())]
            equations.append(Equation(i + 1, j + 1, indent, tex, len(sections) - 1, TAG.findall(tex)))
            i = j + 1
            continue
        heading = HEADING.match(line)
        if heading:
            sections.append(i + 1)
            if heading[1] == "#" and title == name:
                title = heading[2]
        elif stripped:
            prose.append((i + 1, len(sections) - 1, line))
        i += 1
    return Page(name, lines, title, blocks, equations, sections, prose, text)


# ---------------------------------------------------------------------------------------------
# Reading a block's code: which names carry an oracle's value, and which assertions use them.
# ---------------------------------------------------------------------------------------------


def _call_name(node: ast.AST) -> str:
    if isinstance(node, ast.Call):
        node = node.func
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Name):
        return node.id
    return ""


def _is_two_times(node: ast.AST) -> bool:
    """``2 * h``, ``h * 2``, ``(2 * h)`` or a literal step like ``2e-6``."""
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
        return repr(float(node.value)).lstrip("0.").startswith("2")
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult):
        return any(isinstance(s, ast.Constant) and s.value == 2 for s in (node.left, node.right))
    return False


def _is_central_difference(node: ast.AST) -> bool:
    if not (isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div) and _is_two_times(node.right)):
        return False
    left = node.left
    while isinstance(left, ast.Subscript):  # (f(x + h) - f(x - h))[0] / (2 * h)
        left = left.value
    return isinstance(left, ast.BinOp) and isinstance(left.op, ast.Sub)


@dataclass
class _Flow:
    """Names holding an oracle's value, by kind, after reading a block."""

    tainted: dict[str, set[str]] = field(default_factory=dict)  # name -> oracle kinds
    functions: dict[str, set[str]] = field(default_factory=dict)  # def name -> oracle kinds
    closed_form_lines: set[int] = field(default_factory=set)
    torch: bool = False
    derived: set[str] = field(default_factory=set)  # names holding the package's own derivatives

    def derives(self, node: ast.AST) -> bool:
        """Whether ``node`` uses a derivative the package computed (see PACKAGE_DERIVATIVE_CALLS)."""
        for sub in ast.walk(node):
            if isinstance(sub, ast.Call) and _call_name(sub) in PACKAGE_DERIVATIVE_CALLS:
                return True
            if isinstance(sub, ast.Attribute) and sub.attr in PACKAGE_DERIVATIVE_ATTRIBUTES:
                return True
            if isinstance(sub, ast.Name) and sub.id in self.derived:
                return True
        return False

    def kinds(self, node: ast.AST, in_loop: bool = False) -> set[str]:
        """The oracle kinds whose values ``node`` uses.

        A closed form or an explicit sum written in ``node`` itself counts only when ``node`` does not
        use the package's own derivatives: ``[g for g in net.gradients(X, Y)[0][0]]`` and
        ``g = net.gradients(X, Y)[0][0]  # closed form`` are the package compared with itself.
        """
        found: set[str] = set()
        own: set[str] = set()  # the kinds this expression writes out by hand
        for sub in ast.walk(node):
            name = _call_name(sub) if isinstance(sub, ast.Call) else ""
            if name in FINITE_DIFFERENCE_FUNCTIONS:
                found.add("central differences")
            if name in self.functions:
                found |= self.functions[name]
            if _is_central_difference(sub):
                found.add("central differences")
            if isinstance(sub, (ast.GeneratorExp, ast.ListComp, ast.SetComp, ast.DictComp)):
                own.add("an explicit sum")
            if isinstance(sub, ast.Name) and sub.id in self.tainted:
                found |= self.tainted[sub.id]
            if isinstance(sub, ast.Name) and sub.id == "torch" and self.torch:
                found.add("PyTorch")
            if getattr(sub, "lineno", None) in self.closed_form_lines:
                own.add("a closed form")
        if in_loop:
            own.add("an explicit sum")
        if own and not self.derives(node):
            found |= own
        return found

    def assertion_kinds(self, test: ast.AST) -> set[str]:
        """The oracle kinds an assertion compares with, each side or argument read on its own.

        Reading the sides apart keeps ``assert_allclose(net.gradients(...)[0][0], x.T @ d)  # closed
        form`` an oracle (the closed form is on the other side from the package's value).
        """
        parts: list[ast.AST]
        if isinstance(test, ast.Call):
            parts = [*test.args, *(k.value for k in test.keywords)]
        elif isinstance(test, ast.Compare):
            parts = [test.left, *test.comparators]
        elif isinstance(test, ast.BoolOp):
            return set().union(*(self.assertion_kinds(v) for v in test.values))
        else:
            parts = [test]
        parts = [p for p in parts if not _metadata(p)]
        return set().union(*(self.kinds(p) for p in parts)) if parts else set()


# An array's shape, size, dimension count, type or length says nothing of its values: an assertion on
# an oracle's shape is no check against that oracle.
_METADATA_ATTRIBUTES = {"shape", "ndim", "size", "dtype"}


def _metadata(node: ast.AST) -> bool:
    if isinstance(node, ast.Attribute) and node.attr in _METADATA_ATTRIBUTES:
        return True
    return isinstance(node, ast.Call) and _call_name(node) == "len"


def _targets(node: ast.AST) -> list[str]:
    names = []
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name):
            names.append(sub.id)
        elif isinstance(sub, ast.Subscript | ast.Attribute):
            continue
    return names


def _base_name(node: ast.AST) -> str | None:
    while isinstance(node, ast.Subscript | ast.Attribute):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def _read_flow(tree: ast.Module, code: str) -> _Flow:
    flow = _Flow()
    for number, line in enumerate(code.splitlines(), start=1):
        if "#" in line and re.search(r"closed[ -]form", line.split("#", 1)[1], re.I):
            flow.closed_form_lines.add(number)
    for sub in ast.walk(tree):
        # J = bp.numerical_jacobian: the alias computes central differences too
        if (
            isinstance(sub, ast.Assign)
            and isinstance(sub.value, ast.Attribute | ast.Name)
            and _call_name(sub.value) in FINITE_DIFFERENCE_FUNCTIONS
        ):
            for target in sub.targets:
                if isinstance(target, ast.Name):
                    flow.functions[target.id] = {"central differences"}
        if isinstance(sub, ast.Import | ast.ImportFrom):
            names = [a.name for a in sub.names] + ([sub.module] if isinstance(sub, ast.ImportFrom) else [])
            if any(n and n.split(".")[0] == "torch" for n in names):
                flow.torch = True
        if (
            isinstance(sub, ast.Call)
            and _call_name(sub) == "importorskip"
            and any(isinstance(a, ast.Constant) and a.value == "torch" for a in sub.args)
        ):
            flow.torch = True

    def mark_derived(target: ast.AST, value: ast.AST) -> bool:
        if not flow.derives(value):
            return False
        names = [_base_name(target)] if isinstance(target, ast.Subscript | ast.Attribute) else _targets(target)
        new = {n for n in names if n is not None} - flow.derived
        flow.derived |= new
        return bool(new)

    def mark(target: ast.AST, kinds: set[str]) -> bool:
        changed = False
        if not kinds:
            return False
        for name in [_base_name(target)] if isinstance(target, ast.Subscript | ast.Attribute) else _targets(target):
            if name is None:
                continue
            before = flow.tainted.get(name, set())
            if not kinds <= before:
                flow.tainted[name] = before | kinds
                changed = True
        return changed

    def visit(body: list[ast.stmt], loops: int) -> bool:
        changed = False
        for stmt in body:
            if isinstance(stmt, ast.FunctionDef | ast.Lambda):
                kinds = flow.kinds(stmt)
                if kinds and not kinds <= flow.functions.get(stmt.name, set()):
                    flow.functions[stmt.name] = flow.functions.get(stmt.name, set()) | kinds
                    changed = True
                continue
            if isinstance(stmt, ast.Assign):
                kinds = flow.kinds(stmt.value)
                for t in stmt.targets:
                    changed |= mark(t, kinds) | mark_derived(t, stmt.value)
            elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
                changed |= mark(stmt.target, flow.kinds(stmt.value)) | mark_derived(stmt.target, stmt.value)
            elif isinstance(stmt, ast.AugAssign):
                changed |= mark(stmt.target, flow.kinds(stmt.value, in_loop=loops > 0))
                changed |= mark_derived(stmt.target, stmt.value)
            elif isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
                # rows.append(x) in a loop, or d.update(...): the container collects the values
                call = stmt.value
                if isinstance(call.func, ast.Attribute) and call.func.attr in {"append", "extend", "update"}:
                    kinds = set().union(*(flow.kinds(a, in_loop=loops > 0) for a in call.args)) if call.args else set()
                    changed |= mark(call.func.value, kinds)
                    for a in call.args:
                        changed |= mark_derived(call.func.value, a)
                elif isinstance(call.func, ast.Attribute):
                    # net.layer(1).W[0, 0] = ... is not tracked; a setter call passes its arguments on
                    pass
            if isinstance(stmt, ast.For | ast.AsyncFor):
                changed |= mark(stmt.target, flow.kinds(stmt.iter)) | mark_derived(stmt.target, stmt.iter)
                changed |= visit(stmt.body, loops + 1) | visit(stmt.orelse, loops)
            elif isinstance(stmt, ast.While):
                changed |= visit(stmt.body, loops + 1) | visit(stmt.orelse, loops)
            elif isinstance(stmt, ast.If):
                changed |= visit(stmt.body, loops) | visit(stmt.orelse, loops)
            elif isinstance(stmt, ast.With | ast.AsyncWith):
                changed |= visit(stmt.body, loops)
            elif isinstance(stmt, ast.Try):
                changed |= visit(stmt.body, loops) | visit(stmt.finalbody, loops)
        return changed

    for _ in range(20):  # names can feed each other in any order; a fixed point comes quickly
        if not visit(tree.body, 0):
            break
    return flow


def _assertions(tree: ast.Module) -> list[tuple[ast.AST, ast.stmt]]:
    """Every ``assert`` test and ``np.testing.assert_*`` / ``torch.testing.assert_close`` call, with its statement."""
    found: list[tuple[ast.AST, ast.stmt]] = []
    for stmt in ast.walk(tree):
        if isinstance(stmt, ast.Assert):
            found.append((stmt.test, stmt))
        elif (
            isinstance(stmt, ast.Expr)
            and isinstance(stmt.value, ast.Call)
            and _call_name(stmt.value).startswith("assert_")
        ):
            found.append((stmt.value, stmt))
    return found


def _negated(test: ast.AST) -> bool:
    return isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not)


def _parse(block: Block) -> ast.Module | None:
    try:
        return ast.parse(block.code)
    except SyntaxError:
        return None


def _is_closeness(test: ast.AST) -> bool:
    """An assertion that two values agree: an ``assert_allclose``-like call or a ``<`` bound."""
    for node in ast.walk(test):
        if isinstance(node, ast.Call) and _call_name(node) in CLOSENESS_CALLS | EQUALITY_CALLS:
            return True
        if isinstance(node, ast.Compare) and any(isinstance(op, ast.Lt | ast.LtE | ast.Eq) for op in node.ops):
            return True
    return False


def unasserted_differences(code: str) -> list[str]:
    """Names holding central differences when no closeness assertion uses any (a deleted check leaves these)."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return []
    flow = _read_flow(tree, code)
    computed = [n for n, kinds in flow.tainted.items() if "central differences" in kinds]
    for test, _stmt in _assertions(tree):
        if not _negated(test) and _is_closeness(test) and "central differences" in flow.assertion_kinds(test):
            return []
    return computed


def oracle_kinds(code: str) -> set[str]:
    """The oracle kinds that reach a positive assertion in ``code`` (empty when none does)."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return set()
    flow = _read_flow(tree, code)
    kinds: set[str] = set()
    for test, _stmt in _assertions(tree):
        if not _negated(test):
            kinds |= flow.assertion_kinds(test)
    return kinds


# ---------------------------------------------------------------------------------------------
# Rule 1: equations and their checks.
# ---------------------------------------------------------------------------------------------


def check_problems(page: Page) -> list[Problem]:
    """Tagged equations without a check, checks of missing equations, and checks with no oracle."""
    problems: list[Problem] = []
    tagged: dict[str, Equation] = {}
    for eq_id, eq in page.tags:
        if eq_id in tagged:
            problems.append(
                Problem(page.name, eq.start, f"equation ({eq_id}) is tagged twice (also at line {tagged[eq_id].start})")
            )
        tagged.setdefault(eq_id, eq)
    for block in page.python_blocks:
        if block.check_line_malformed:
            problems.append(
                Problem(
                    page.name,
                    block.start + 1,
                    "this check line cannot be read: write it as '# Checks equation (ID).' or "
                    "'# Checks equations (ID1) and (ID2).'",
                )
            )
        for eq_id in block.check_ids:
            if eq_id not in tagged:
                problems.append(
                    Problem(
                        page.name,
                        block.start + 1,
                        f"the block checks equation ({eq_id}), but no displayed equation on this page has "
                        f"\\tag{{{eq_id}}}: tag the equation or correct the ID",
                    )
                )
        if block.check_ids and not oracle_kinds(block.code):
            problems.append(
                Problem(
                    page.name,
                    block.start + 1,
                    f"the check of equation ({', '.join(block.check_ids)}) asserts nothing against an independent "
                    "oracle: assert the equation's value against "
                    + "; or ".join(f"{k} ({how})" for k, how in ORACLES.items()),
                )
            )
        if block.check_ids and oracle_kinds(block.code):
            for name in unasserted_differences(block.code):
                problems.append(
                    Problem(
                        page.name,
                        block.start + 1,
                        f"the check of equation ({', '.join(block.check_ids)}) computes central differences "
                        f"({name}) but no assertion compares them with the equation: assert it (e.g. "
                        "np.testing.assert_allclose(value, " + name + ", rtol=bp.CENTRAL_DIFFERENCE_RTOL, "
                        "atol=bp.CENTRAL_DIFFERENCE_ATOL)) or remove the unused computation",
                    )
                )
    for eq_id, eq in tagged.items():
        if not page.checks_of(eq_id):
            problems.append(
                Problem(
                    page.name,
                    eq.start,
                    f"equation ({eq_id}) is tagged as checked but no python block on this page begins with "
                    f"'# Checks equation ({eq_id}).': add that line to the block that checks it, or remove "
                    "the \\tag",
                )
            )
    return problems


# ---------------------------------------------------------------------------------------------
# Rule 2: tolerances.
# ---------------------------------------------------------------------------------------------


def _number(node: ast.AST) -> float | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
        return float(node.value)
    return None


def _scale_factor(node: ast.AST) -> float | None:
    """The number c of a bound written ``c * abs(x)``, ``c * np.abs(x)`` or ``c * norm(x)``; else None."""
    if not (isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult)):
        return None
    for factor, other in ((node.left, node.right), (node.right, node.left)):
        c = _number(factor)
        if c is not None and isinstance(other, ast.Call) and _call_name(other) in {"abs", "norm", "max"}:
            return c
    return None


def tolerance_problems(page: Page) -> list[Problem]:
    """Assertions against central differences looser than the site's tolerances, without a reason."""
    problems: list[Problem] = []
    for block in page.python_blocks:
        tree = _parse(block)
        if tree is None:
            continue
        flow = _read_flow(tree, block.code)
        code_lines = block.code.splitlines()
        for test, stmt in _assertions(tree):
            if _negated(test):
                continue  # a looser band only makes "these differ" harder to pass
            first, last = stmt.lineno, getattr(stmt, "end_lineno", stmt.lineno) or stmt.lineno
            if any(TOLERANCE_COMMENT.search(code_lines[n - 1]) for n in range(first, last + 1)):
                continue
            line = block.start + first
            for node in ast.walk(test):
                if not isinstance(node, ast.Call):
                    continue
                name = _call_name(node)
                if name not in CLOSENESS_CALLS:
                    continue
                if "central differences" not in flow.kinds(node):
                    continue
                given = {k.arg: _number(k.value) for k in node.keywords if k.arg}
                # pytest.approx(rel=, abs=) and decimal= (NumPy's almost_equal) say the same in other words
                given = {{"rel": "rtol", "abs": "atol"}.get(k, k): v for k, v in given.items()}
                decimal = given.pop("decimal", None)
                if decimal is not None:
                    given["atol"] = 1.5 * 10.0 ** (-decimal)
                elif name in {"assert_almost_equal", "assert_array_almost_equal"}:
                    given["atol"] = 1.5e-7  # their default, decimal=7
                limits = {"rtol": CENTRAL_DIFFERENCE_RTOL, "atol": CENTRAL_DIFFERENCE_ATOL}
                if name in {"allclose", "isclose"}:
                    # NumPy's defaults (rtol=1e-5, atol=1e-8) are looser than the site's
                    given = {"rtol": 1e-5, "atol": 1e-8, **given}
                for key, limit in limits.items():
                    value = given.get(key)
                    if value is not None and value > limit:
                        problems.append(
                            Problem(
                                page.name,
                                line,
                                f"{key}={value:g} against central differences is looser than the site's {key}="
                                f"{limit:g} (bp.CENTRAL_DIFFERENCE_{key.upper()}): tighten it, or end the line "
                                "with '# tolerance: <why>'",
                            )
                        )
            for node in ast.walk(test):
                if not (isinstance(node, ast.Compare) and len(node.ops) == 1):
                    continue
                if not isinstance(node.ops[0], ast.Lt | ast.LtE):
                    continue
                left = node.left
                relative = _call_name(left) in RELATIVE_ERROR_FUNCTIONS or (
                    isinstance(left, ast.Name) and "err" in left.id
                )
                bound = _number(node.comparators[0])
                scaled = bound is None and not relative and _scale_factor(node.comparators[0])
                if scaled:
                    bound = scaled  # `abs(a - b) < 1e-6 * abs(b)`: a bound relative to the value's size
                kinds = flow.kinds(node.left)
                if bound is None or "central differences" not in kinds:
                    continue
                if relative:
                    limit, what = GRADIENT_CHECK_TOLERANCE, "bp.GRADIENT_CHECK_TOLERANCE"
                elif scaled:
                    limit, what = CENTRAL_DIFFERENCE_RTOL, "bp.CENTRAL_DIFFERENCE_RTOL for a relative bound"
                else:
                    # An absolute bound says nothing about a small value (1e-7 on a derivative of 1e-4 is a
                    # relative 1e-3), so it is held to the site's absolute tolerance; scale it by the value.
                    limit = CENTRAL_DIFFERENCE_ATOL
                    what = (
                        "bp.CENTRAL_DIFFERENCE_ATOL for an absolute bound (write it relative to the "
                        "value's size, e.g. `< 1e-6 * abs(numeric)`, or use assert_allclose)"
                    )
                if bound > limit:
                    problems.append(
                        Problem(
                            page.name,
                            line,
                            f"the bound {bound:g} on a comparison with central differences is looser than {what} "
                            f"({limit:g}): tighten it, or end the line with '# tolerance: <why>'",
                        )
                    )
    return problems


# ---------------------------------------------------------------------------------------------
# Rule 3: prose numbers.
# ---------------------------------------------------------------------------------------------

_NUMBER = re.compile(r"(?<![\w.\-−])([−-]?\d+(?:,\d{3})*(?:\.\d+)?(?:[eE][−-]?\d+)?)(?![\w.]*\d)")
_IGNORED_SPANS = [
    re.compile(r"<!--.*?-->"),  # HTML comments
    re.compile(r"`[^`]*`"),  # code spans
    re.compile(r"\$[^$]*\$"),  # inline math
    re.compile(r"\\\(.*?\\\)"),
    re.compile(r"\]\([^)]*\)"),  # link targets
    re.compile(r"<[^>]+>"),  # HTML tags
    re.compile(r"\[\^?[^\]]*\]:"),  # reference definitions
    re.compile(r"\b\d+(?:-\d+){1,}\b"),  # layer sizes: 4-5-3, 784-256-10
    re.compile(r"\b\d+\s*[×x]\s*\d+(?:\s*[×x]\s*\d+)*\b"),  # shapes written 4 × 5
    re.compile(r"\((?:\d+|[A-Z]+\d+)\)"),  # equation numbers: (5), (BN1)
    re.compile(
        r"(?i)\b(?:equations?|eq\.|steps?|layers?|neurons?|flowers?|rows?|columns?|class|classes|chapters?|"
        r"sections?|§|tables?|figures?|questions?|exercises?|lines?|pages?|version|epochs?|seeds?|"
        r"index|entry|entries|slide|lecture|part|items?|ch\.)\s+\d+(?!\.\d)"
        r"(?:(?:\s*[–-]\s*|,\s*(?:\.\.\.|…),?\s*|,\s*|\s+and\s+|\s+to\s+)\d+(?!\.\d))*"
    ),
    re.compile(r"(?<![\d.,])\b(?:1[5-9]|20)\d\d\b(?![.,]\d)[a-z]?"),  # years: 1986, 2018a; not 0.1503
    re.compile(r"(?i)\barxiv:\d{4}\.\d{4,5}(?:v\d+)?"),  # arXiv identifiers: arXiv:1802.01528
    re.compile(r"\b\d+(?:st|nd|rd|th)\b"),  # ordinals
    re.compile(r"(?i)\b(?:numpy|python|pytorch|torch|mkdocs|katex|pytest|jax)\s+\d+(?:\.\d+)*"),  # versions
]

#: What ``prose_number_problems`` does not ask to be backed, in the words CONTRIBUTING.md uses.
EXEMPT_NUMBERS = (
    "single digits 0-9 (counts, indices, small constants of the text)",
    "equation numbers like (5) and names like 'layer 2', 'flower 100', 'step 4', 'question 1', 'chapter 3'",
    "the network's sizes written with hyphens (4-5-3, 784-256-10) and shapes written 4 × 5",
    "years (1986, 2015) and versions (NumPy 2.4), ordinals (3rd), arXiv identifiers (arXiv:1802.01528)",
    "numbers in headings, code spans, math, links, HTML and tables' header rows",
)


def _prose_numbers(text: str) -> list[tuple[str, float, float, bool]]:
    """(as written, value, half a unit in its last written digit, whether a sign is written) per number."""
    for pattern in _IGNORED_SPANS:
        text = pattern.sub(lambda m: " " * len(m.group(0)), text)
    found = []
    for match in _NUMBER.finditer(text):
        written = match.group(1)
        plain = written.replace("−", "-").replace(",", "")
        try:
            value = float(plain)
        except ValueError:
            continue
        mantissa, _, exponent = plain.lower().partition("e")
        decimals = len(mantissa.split(".")[1]) if "." in mantissa else 0
        half_unit = 0.5 * 10.0 ** (-decimals + (int(exponent) if exponent else 0))
        if "." not in mantissa and not exponent and abs(value) < 10:
            continue  # single digits are counts and indices
        signed = written[0] in "-−" or text[: match.start(1)].endswith("+")
        found.append((written, value, half_unit, signed))
    return found


def _numbers_in(text: str) -> list[float]:
    values = []
    for match in re.finditer(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?", text.replace("_", "")):
        try:
            values.append(float(match.group(0)))
        except ValueError:
            continue
    return values


def _backing_numbers(block: Block) -> tuple[list[float], list[float]]:
    """The numbers of a block's expected output, in order, and those of its code."""
    return _numbers_in(block.expected_output or ""), _numbers_in(block.code)


def _matches(value: float, half_unit: float, backed: float, signed: bool = False) -> bool:
    """Whether ``backed`` rounds to ``value``; with ``signed`` (the prose wrote a sign), to its sign too."""
    if signed and value != 0 and (backed < 0) != (value < 0):
        return False
    return abs(abs(backed) - abs(value)) <= half_unit * (1 + 1e-9)


def _paragraphs(page: Page) -> list[list[tuple[int, int, str]]]:
    """Prose lines grouped into paragraphs (consecutive lines of one section)."""
    groups: list[list[tuple[int, int, str]]] = []
    for entry in page.prose:
        if groups and groups[-1][-1][0] == entry[0] - 1 and groups[-1][-1][1] == entry[1]:
            groups[-1].append(entry)
        else:
            groups.append([entry])
    return groups


#: Pages whose prose numbers are not results the page derives: performance.md and site.md are filled
#: in from committed benchmark JSON by build hooks (which check their placeholders) beside the budgets
#: they quote, reference.md is API text, and README.md and CONTRIBUTING.md give versions, addresses
#: and times. Names as ``Page.name`` gives them (relative to docs/, or the file name at the root).
NUMBERS_FROM_ELSEWHERE = frozenset({"performance.md", "site.md", "reference.md", "README.md", "CONTRIBUTING.md"})


def prose_number_problems(page: Page) -> list[Problem]:
    """Numbers in paragraphs that the nearest python block before or after them does not back.

    A number is backed when the expected output or the code of the nearest python block before its
    paragraph, or of the nearest after it, in the same section, holds a number that rounds to it at
    the digits written (0.696 is backed by 0.69601, 2.47 by 2.4745). The sign is compared only where
    the text writes one ("−0.091" or "+0.096" needs a value of that sign; "a drop of 0.5" is backed
    by -0.5). Decimals of one paragraph backed by the same block must
    appear there in the order the text gives them, so two swapped values fail. Exempt:
    ``EXEMPT_NUMBERS``, and every number of the pages in ``NUMBERS_FROM_ELSEWHERE``.
    """
    if page.name in NUMBERS_FROM_ELSEWHERE:
        return []
    problems: list[Problem] = []
    python = page.python_blocks
    for paragraph in _paragraphs(page):
        first_line, section = paragraph[0][0], paragraph[0][1]
        before = [b for b in python if b.section == section and b.end < first_line]
        after = [b for b in python if b.section == section and b.start > paragraph[-1][0]]
        nearest = ([before[-1]] if before else []) + ([after[0]] if after else [])
        backings = [(b, _backing_numbers(b)) for b in nearest]
        positions: dict[int, int] = {}  # block start -> index of the last number matched there
        said: list[float] = []  # the values the paragraph has already given: a repeat is backed
        for k, (line, _section, text) in enumerate(paragraph):
            following = paragraph[k + 1][2] if k + 1 < len(paragraph) else ""
            if text.lstrip().startswith("|") and re.match(r"^\s*\|?\s*:?-{2,}", following):
                continue  # a table's header row
            for written, value, half_unit, signed in _prose_numbers(text):
                if any(abs(abs(v) - abs(value)) <= half_unit * 1e-6 for v in said):
                    continue
                said.append(value)
                found = False
                out_of_order = None
                ordered = "." in written  # printed decimals keep their order; integers are often restated
                for block, (printed, code) in backings:
                    matched = [i for i, v in enumerate(printed) if _matches(value, half_unit, v, signed)]
                    if matched and ordered:
                        later = [i for i in matched if i >= positions.get(block.start, 0)]
                        if later:
                            positions[block.start] = later[0]
                            found = True
                            break
                        out_of_order = block
                    elif matched or any(_matches(value, half_unit, v, signed) for v in code):
                        found = True
                        break
                if found:
                    continue
                if out_of_order is not None:
                    problems.append(
                        Problem(
                            page.name,
                            line,
                            f"the number {written} comes earlier in the expected output of the block at line "
                            f"{out_of_order.start} than the numbers the text puts before it: check whether two "
                            "values were swapped, or write them in the order the block gives them",
                        )
                    )
                    continue
                where = (
                    "the nearest python block before or after its paragraph in this section (at line "
                    + " and line ".join(str(b.start) for b in nearest)
                    + ")"
                    if nearest
                    else "a python block in this section (it has none)"
                )
                problems.append(
                    Problem(
                        page.name,
                        line,
                        f"the number {written}{' (with its sign)' if signed else ''} in the text is not printed "
                        f"or asserted by {where}: print it "
                        "(with its expected output) or assert it there, or correct the number",
                    )
                )
    return problems


# ---------------------------------------------------------------------------------------------
# TeX whose backslash a Python string ate.
# ---------------------------------------------------------------------------------------------

#: Control characters a page never holds on purpose: each is what "\r", "\t", "\f", "\v", "\b" or
#: "\a" becomes when TeX such as ``\rVert``, ``\theta``, ``\frac``, ``\vec``, ``\beta`` or
#: ``\alpha`` is written from a Python string that is not raw.
CONTROL_CHARACTERS = {"\r": "\\r", "\t": "\\t", "\f": "\\f", "\v": "\\v", "\b": "\\b", "\a": "\\a"}
#: What is left of a TeX command after "\r" or "\n" became a line break inside a formula:
#: ``\rVert`` -> "Vert", ``\right`` -> "ight", ``\rho`` -> "ho", ``\rangle`` -> "angle",
#: ``\nabla`` -> "abla", ``\neq`` -> "eq", ``\newline`` -> "ewline". KaTeX typesets the rest as
#: letters in italics, so the build sees no error.
EATEN_ESCAPE = re.compile(r"^\s*(Vert|vert|ight\w*|ho|angle|floor|ceil|brace|brack|abla|eq|eg|ewline|otin)(?![A-Za-z])")
_INLINE_CODE = re.compile(r"`+[^`]*`+")


def text_escape_problems(text: str, name: str) -> list[Problem]:
    r"""Where ``text`` (a Markdown page, or a notebook's ``.py``) shows TeX with an eaten backslash.

    Two signs: a control character anywhere (a literal carriage return, tab, form feed, vertical
    tab, backspace or bell), and a line that starts inside a formula with the remains of a
    ``\r...`` or ``\n...`` command (``EATEN_ESCAPE``). Fenced code is skipped for the second; in a
    ``.py`` notebook the leading ``#`` of a Markdown cell's lines is ignored.
    """
    problems: list[Problem] = []
    line_no = 1
    for k, ch in enumerate(text):
        if ch == "\n":
            line_no += 1
        elif ch in CONTROL_CHARACTERS:
            problems.append(
                Problem(
                    name,
                    line_no,
                    f"a literal control character ({CONTROL_CHARACTERS[ch]}) at column "
                    f"{k - text.rfind(chr(10), 0, k)}: TeX such as \\rVert, \\theta or \\frac written "
                    "from a Python string loses its backslash; write the TeX from a raw string",
                )
            )
    notebook = name.endswith(".py")
    in_display = in_inline = in_fence = False
    for number, line in enumerate(text.split("\n"), start=1):
        if notebook:
            line = re.sub(r"^#\s?", "", line)
        if FENCE.match(line):
            in_fence = not in_fence
            continue
        if in_fence:
            continue
        if not line.strip():
            in_inline = False  # inline math never spans a paragraph break
            continue
        if (in_display or in_inline) and EATEN_ESCAPE.match(line):
            problems.append(
                Problem(
                    name,
                    number,
                    f"the line starts inside a formula with {line.split()[0]!r}: the rest of a TeX "
                    "command (\\rVert, \\right, \\rho, \\rangle, \\nabla, \\neq) whose backslash and "
                    "first letter became a line break; write the TeX from a raw string",
                )
            )
        scan = _INLINE_CODE.sub("", line).replace("\\$", "")
        display_marks = scan.count("$$")
        if display_marks % 2:
            in_display = not in_display
        if scan.replace("$$", "").count("$") % 2 and not in_display:
            in_inline = not in_inline
    return problems


def tex_escape_problems(page: Page) -> list[Problem]:
    """``text_escape_problems`` of a parsed page (its text as read)."""
    return text_escape_problems(page.raw or "\n".join(page.lines), page.name)


# A Markdown link whose whole text is inline math: ``[$x$](target)``.
_MATH_ONLY_LINK = re.compile(r"\[\s*\$[^\]$]+\$\s*\]\(")


def math_link_problems(page: Page) -> list[Problem]:
    """Links whose only text is a formula: the typeset math is hidden from assistive technology inside
    a link, so the link has no accessible name (axe's ``link-name``). Put words in the link instead."""
    return [
        Problem(page.name, line, "a link whose only text is a formula has no accessible name: link words beside it")
        for line, _, text in page.prose
        if _MATH_ONLY_LINK.search(_INLINE_CODE.sub("", text))  # an example in a code span is no link
    ]


# ---------------------------------------------------------------------------------------------
# Over a whole site.
# ---------------------------------------------------------------------------------------------


def read_pages(docs: Path) -> list[Page]:
    """Every Markdown page under ``docs``, named by its path relative to it."""
    return [
        parse_page(path.read_text(encoding="utf-8"), path.relative_to(docs).as_posix())
        for path in sorted(docs.rglob("*.md"))
        if "assets" not in path.parts and "overrides" not in path.parts
    ]


def site_problems(pages: Iterable[Page], rules: Iterable[Callable[[Page], list[Problem]]]) -> list[Problem]:
    """``rules`` applied to every page, plus equation IDs used on two pages."""
    pages = list(pages)
    problems = [p for page in pages for rule in rules for p in rule(page)]
    seen: dict[str, str] = {}
    for page in pages:
        for eq_id, eq in page.tags:
            if eq_id in seen and seen[eq_id] != page.name:
                problems.append(
                    Problem(
                        page.name,
                        eq.start,
                        f"equation ID ({eq_id}) is already used on {seen[eq_id]}: IDs "
                        "are unique across the site; use a short page prefix, e.g. \\tag{BN1}",
                    )
                )
            seen.setdefault(eq_id, page.name)
    return problems


def pages_without_tags(pages: Iterable[Page]) -> list[str]:
    """Pages with python blocks but no tagged equation yet (a report, not a failure)."""
    return [p.name for p in pages if p.python_blocks and not p.tags]


def main(argv: list[str] | None = None) -> int:
    """``python -m backprop_derived.page_checks DOCS_DIR``: list every problem; exit 1 if any."""
    args = sys.argv[1:] if argv is None else argv
    docs = Path(args[0] if args else "docs")
    pages = read_pages(docs)
    rules = [check_problems, tolerance_problems, prose_number_problems, tex_escape_problems, math_link_problems]
    problems = site_problems(pages, rules)
    for notebook in sorted(docs.rglob("*.py")):
        text = notebook.read_text(encoding="utf-8")
        if "# %%" in text:  # a jupytext notebook page, whose Markdown cells hold TeX too
            problems += text_escape_problems(text, notebook.relative_to(docs).as_posix())
    for problem in problems:
        print(problem)
    untagged = pages_without_tags(pages)
    if untagged:
        print(f"pages with python blocks and no tagged equation yet ({len(untagged)}): {', '.join(untagged)}")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
