"""backprop: a small NumPy network whose backward pass reads like the total-derivative derivation.

Row vectors throughout: ``z = a_prev W^T + b`` with ``W`` of shape (neurons, inputs).
"""

from . import autodiff
from . import plots
from .activations import get_activation
from .costs import get_cost
from .data import CLASS_NAMES, FEATURE_NAMES, load_iris, one_hot, standardize, train_test_split
from .diagnostics import dead_units, gradient_norms
from .gradcheck import TOLERANCE as GRADIENT_CHECK_TOLERANCE
from .gradcheck import gradient_check, numerical_gradients, relative_error
from .jacobians import jacobian_a_wrt_z, jacobian_z_wrt_a_prev, jacobian_z_wrt_W, numerical_jacobian
from .layers import Layer
from .metrics import accuracy, confusion_matrix
from .network import Network
from .training import History, train

__version__ = "0.1.0"

__all__ = [
    "CLASS_NAMES",
    "FEATURE_NAMES",
    "GRADIENT_CHECK_TOLERANCE",
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
    "load_iris",
    "numerical_gradients",
    "numerical_jacobian",
    "one_hot",
    "plots",
    "relative_error",
    "standardize",
    "train",
    "train_test_split",
]
