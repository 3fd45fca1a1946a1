"""A small automatic differentiation engine on NumPy arrays, in both directions.

Reverse mode is Karpathy's micrograd on arrays: each operation records its inputs and pulls a
cotangent back through itself with a vector-Jacobian product (VJP) that never forms the Jacobian.
Forward mode carries a tangent with every value (dual numbers) through each operation's
Jacobian-vector product (JVP). Every operation holds its value, JVP and VJP side by side: the
site's engine page ("One operation, its two rules") and the docstring of the source module
``backprop_derived.autodiff.core`` give the protocol with a worked example; ``ops`` holds the
operations.

Shapes follow the rest of the package: a batch is ``(m, n)``, one observation per row, and a bias of
shape ``(n,)`` broadcasts over the rows. Beyond that only a scalar and the size-1 axes that
``keepdims=True`` leaves broadcast, so a shape mistake raises.

Examples
--------
>>> W = Tensor([[1.0, 2.0]], requires_grad=True)
>>> C = (Tensor([[3.0, 4.0]]) @ W.T).sum()
>>> C.backward()
>>> W.grad
array([[3., 4.]])
"""

from .conv import avg_pool2d, conv2d, max_pool2d
from .core import Operation, Tensor, backpropagate, constant, no_grad, sum_to, topological_order
from .functional import checkpoint, grad, hvp, jvp, vjp
from .norm import batch_norm, layer_norm
from .ops import activation, softmax_cross_entropy
from .sequence import attention, clip_grad_norm, rnn

__all__ = [
    "Operation",
    "Tensor",
    "activation",
    "attention",
    "avg_pool2d",
    "backpropagate",
    "batch_norm",
    "checkpoint",
    "clip_grad_norm",
    "constant",
    "conv2d",
    "grad",
    "hvp",
    "jvp",
    "layer_norm",
    "max_pool2d",
    "no_grad",
    "rnn",
    "softmax_cross_entropy",
    "sum_to",
    "topological_order",
    "vjp",
]
