"""backprop_derived: a small NumPy network whose backward pass reads like the total-derivative derivation.

Row vectors throughout: ``z = a_prev W^T + b`` with ``W`` of shape (neurons, inputs).

``backprop_derived.plots`` (matplotlib) is imported on first use, so ``import backprop_derived`` stays fast.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from . import autodiff
from .activations import Activation, get_activation, register_activation, unregister_activation
from .costs import Cost, get_cost
from .data import CLASS_NAMES, FEATURE_NAMES, load_digits, load_iris, one_hot, standardize, train_test_split
from .diagnostics import dead_units, gradient_norms
from .gradcheck import (
    CENTRAL_DIFFERENCE_ATOL,
    CENTRAL_DIFFERENCE_RTOL,
    gradient_check,
    numerical_gradients,
    relative_error,
)
from .gradcheck import TOLERANCE as GRADIENT_CHECK_TOLERANCE
from .jacobians import jacobian_a_wrt_z, jacobian_z_wrt_a_prev, jacobian_z_wrt_W, numerical_jacobian
from .layers import Layer
from .metrics import accuracy, confusion_matrix
from .network import Network
from .training import History, train

if TYPE_CHECKING:
    from . import plots

#: The one place the version is written; pyproject.toml reads it from here.
__version__ = "0.2.0"


def __getattr__(name: str) -> Any:
    """Import ``backprop_derived.plots`` (and matplotlib with it) only when it is first used."""
    if name == "plots":
        return importlib.import_module(".plots", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "CENTRAL_DIFFERENCE_ATOL",
    "CENTRAL_DIFFERENCE_RTOL",
    "CLASS_NAMES",
    "FEATURE_NAMES",
    "GRADIENT_CHECK_TOLERANCE",
    "Activation",
    "Cost",
    "History",
    "Layer",
    "Network",
    "accuracy",
    "autodiff",
    "confusion_matrix",
    "dead_units",
    "get_activation",
    "get_cost",
    "gradient_check",
    "gradient_norms",
    "jacobian_a_wrt_z",
    "jacobian_z_wrt_W",
    "jacobian_z_wrt_a_prev",
    "load_digits",
    "load_iris",
    "numerical_gradients",
    "numerical_jacobian",
    "one_hot",
    "plots",
    "register_activation",
    "relative_error",
    "standardize",
    "train",
    "train_test_split",
    "unregister_activation",
]
