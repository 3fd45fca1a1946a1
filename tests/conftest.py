"""Shared fixtures and paths for the test suite."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

import backprop_derived as bp

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"


def markdown_files() -> list[Path]:
    """Every page whose code blocks are tested: the Markdown under docs/, the README and CONTRIBUTING."""
    return sorted(DOCS.rglob("*.md")) + [ROOT / "README.md", ROOT / "CONTRIBUTING.md"]


@pytest.fixture
def rng():
    return np.random.default_rng(12345)


def load_module(name: str, path: Path) -> ModuleType:
    """Import the Python file at ``path`` (a script or a build hook, not on sys.path) as ``name``."""
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None, path
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def iris_split() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The pages' iris split (30 % test, seed 0), standardised by the training rows."""
    X, y = bp.load_iris()
    X_tr, X_te, y_tr, y_te = bp.train_test_split(X, y, test_fraction=0.3, seed=0)
    X_tr, X_te = bp.standardize(X_tr, X_te)
    return X_tr, X_te, y_tr, y_te


# The browser tests' fixtures (tests/browser_harness.py): the site built once per run, served by
# this process, and Chromium.
@pytest.fixture(scope="session")
def site(tmp_path_factory):
    """(folder, URL): the built site and the address this process serves it at."""
    import browser_harness

    folder = browser_harness.built_site(tmp_path_factory)
    with browser_harness.served(folder) as url:
        yield folder, url


@pytest.fixture(scope="session")
def base_url(site):
    return site[1]


@pytest.fixture(scope="session")
def browser():
    import browser_harness

    with browser_harness.launched() as b:
        yield b
