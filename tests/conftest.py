"""Shared fixtures and paths for the test suite."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"


def markdown_files() -> list[Path]:
    """Every page whose code blocks are tested: the Markdown under docs/ and the README."""
    return sorted(DOCS.rglob("*.md")) + [ROOT / "README.md"]


@pytest.fixture
def rng():
    return np.random.default_rng(12345)
