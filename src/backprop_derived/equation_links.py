"""Python-Markdown extension: each checked equation links to its check, and each check back to it.

Register it in ``mkdocs.yml`` (any generator that runs Python-Markdown can do the same)::

    markdown_extensions:
      - backprop_derived.equation_links

It reads the page's Markdown before the fences and the math are processed, with the rules of
``backprop_derived.page_checks``:

* a displayed equation with ``\\tag{ID}`` gets an anchor ``eq-ID`` and, under it, a line naming the
  oracle its check compares with and linking to each check block (``check-ID``, ``check-ID-2``, ...);
* a python block that begins ``# Checks equation (ID).`` gets, above it, a line linking back to
  equation (ID) and naming its oracle.

A page whose tags and checks do not agree (a tagged equation with no check, a check naming an
equation the page does not have, a check with no independent oracle) stops the build with an
``EquationCheckError`` naming the page and the equation. The source Markdown is not changed, so
pytest-codeblocks still runs the blocks as written: the check line is a Python comment.
"""

from __future__ import annotations

import html
import re
from typing import Any

from markdown import Extension, Markdown
from markdown.preprocessors import Preprocessor

from .page_checks import CHECK_LINE, TAG, Block, Page, check_problems, oracle_kinds, parse_page

__all__ = ["EquationCheckError", "EquationLinksExtension", "makeExtension"]

# Oracle kinds in the order a reader is told them.
_ORDER = ["central differences", "an explicit sum", "a closed form", "PyTorch"]


class EquationCheckError(ValueError):
    """A page's tagged equations and check blocks do not agree."""


def anchor(kind: str, eq_id: str, n: int = 1) -> str:
    """``eq-5``, ``check-5``, ``check-5-2``: HTML ids made of the equation ID's letters and digits."""
    slug = re.sub(r"[^A-Za-z0-9]+", "-", eq_id).strip("-")
    return f"{kind}-{slug}" + (f"-{n}" if n > 1 else "")


def _against(kinds: set[str]) -> str:
    named = [k for k in _ORDER if k in kinds]
    if not named:
        return ""
    return " against " + (named[0] if len(named) == 1 else ", ".join(named[:-1]) + " and " + named[-1])


def _listed(refs: list[str]) -> str:
    """'equation (5)', or 'equations (2), (3) and (4)'."""
    if len(refs) == 1:
        return "equation " + refs[0]
    return "equations " + ", ".join(refs[:-1]) + " and " + refs[-1]


def link_page(text: str, name: str = "<page>") -> str:
    """The page's Markdown with the links added; raises ``EquationCheckError`` when tags and checks disagree."""
    if not TAG.search(text) and not CHECK_LINE.search(text):
        return text  # nothing to link or check: most conversions (every docstring) end here
    page = parse_page(text, name)
    problems = check_problems(page)
    if problems:
        raise EquationCheckError(
            f"page '{page.title}'" + (f" ({name})" if name != "<page>" else "") + ": "
            "equations and their checks do not agree:\n" + "\n".join(f"  line {p.line}: {p.message}" for p in problems)
        )
    return "\n".join(_linked_lines(page))


def _block(indent: str, inner: str, css_class: str, tag: str = "p") -> list[str]:
    """The lines of one added element. At the top level a raw HTML block; indented (inside an
    admonition or a collapsible box) Markdown does not read raw HTML blocks and would wrap it in a
    ``<p>``, so there it is a paragraph given its class by attr_list."""
    if not indent:
        return [f'<{tag} class="{css_class}">{inner}</{tag}>']
    return [f"{indent}{inner}", f"{indent}{{: .{css_class} }}"]


_ORDINALS = ("", "second ", "third ", "fourth ", "fifth ", "sixth ", "seventh ", "eighth ", "ninth ", "tenth ")


def _where(block: Block, checks: list[Block], start: int) -> str:
    """'the block below', 'the second block below', ...: counted from the equation outward, so two
    links to two blocks never read the same."""
    side = [b for b in checks if (b.start < start) == (block.start < start)]
    side.sort(key=lambda b: abs(b.start - start))
    k = side.index(block)
    ordinal = _ORDINALS[k] if k < len(_ORDINALS) else f"{k + 1}th "
    return f"the {ordinal}block {'above' if block.start < start else 'below'}"


def _linked_lines(page: Page) -> list[str]:
    insert_before: dict[int, list[str]] = {}  # 0-based line index -> lines to put before it
    insert_after: dict[int, list[str]] = {}
    for eq in page.equations:
        if not eq.ids:
            continue
        links = []
        kinds: set[str] = set()
        for eq_id in eq.ids:
            checks = page.checks_of(eq_id)
            for block in checks:
                kinds |= oracle_kinds(block.code)
            where = [
                f'<a href="#{anchor("check", eq_id, n)}">{_where(b, checks, eq.start)}</a>'
                for n, b in enumerate(checks, start=1)
            ]
            links.append(f"Equation ({html.escape(eq_id)}) is checked in " + " and ".join(where))
        ids = "".join(f'<span id="{anchor("eq", i)}"></span>' for i in eq.ids)
        insert_before.setdefault(eq.start - 1, []).extend(["", *_block(eq.indent, ids, "checked-equation", "div"), ""])
        insert_after.setdefault(eq.end - 1, []).extend(
            ["", *_block(eq.indent, "; ".join(links) + f"{_against(kinds)}.", "equation-check")]
        )
    for block in page.python_blocks:
        if not block.check_ids:
            continue
        spans: list[str] = []
        refs: list[str] = []
        for eq_id in block.check_ids:
            n = page.checks_of(eq_id).index(block) + 1
            spans.append(f'<span id="{anchor("check", eq_id, n)}"></span>')
            refs.append(f'<a href="#{anchor("eq", eq_id)}">({html.escape(eq_id)})</a>')
        # put the line above the markers (<!--pytest...-->) that must stay next to the fence
        k = block.start - 1
        while k > 0 and page.lines[k - 1].strip().startswith("<!--"):
            k -= 1
        text = "".join(spans) + "This block checks " + _listed(refs) + f"{_against(oracle_kinds(block.code))}."
        insert_before.setdefault(k, []).extend([*_block(block.indent, text, "equation-check"), ""])
    out: list[str] = []
    for i, line in enumerate(page.lines):
        out.extend(insert_before.get(i, []))
        out.append(line)
        out.extend(insert_after.get(i, []))
    return out


class _LinkPreprocessor(Preprocessor):
    def run(self, lines: list[str]) -> list[str]:
        return link_page("\n".join(lines)).split("\n")


class EquationLinksExtension(Extension):
    """Adds the links; runs after whitespace normalisation and snippets, before fenced code."""

    def extendMarkdown(self, md: Markdown) -> None:
        md.preprocessors.register(_LinkPreprocessor(md), "equation_links", 28)


def makeExtension(**kwargs: Any) -> EquationLinksExtension:
    """The entry point Python-Markdown looks up by module name."""
    return EquationLinksExtension(**kwargs)
