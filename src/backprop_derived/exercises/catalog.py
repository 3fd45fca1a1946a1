"""The exercises, in the order of the site's pages."""

from __future__ import annotations

from ._base import Exercise
from .calculus import CENTRAL_DIFFERENCE, CHAIN_RULE_DIRECT_TERM
from .conv import CONV2D_BACKWARD, MAXPOOL_BACKWARD
from .dense import DENSE_BATCH_GRADS, HIDDEN_DELTA, OUTPUT_DELTA, SOFTMAX_VJP
from .modes import HVP_QUADRATIC, JVP_DENSE
from .norm import BATCHNORM_BACKWARD, LAYERNORM_BACKWARD
from .sequence import ATTENTION_BACKWARD, RNN_BPTT

EXERCISES: dict[str, Exercise] = {
    e.name: e
    for e in (
        CHAIN_RULE_DIRECT_TERM,
        OUTPUT_DELTA,
        HIDDEN_DELTA,
        DENSE_BATCH_GRADS,
        CENTRAL_DIFFERENCE,
        SOFTMAX_VJP,
        JVP_DENSE,
        HVP_QUADRATIC,
        BATCHNORM_BACKWARD,
        LAYERNORM_BACKWARD,
        CONV2D_BACKWARD,
        MAXPOOL_BACKWARD,
        ATTENTION_BACKWARD,
        RNN_BPTT,
    )
}


def get_exercise(name: str) -> Exercise:
    """The exercise called ``name``; a ValueError listing the names when there is none."""
    if not isinstance(name, str):
        raise TypeError(f"name must be an exercise's name, a str; got {type(name).__name__}")
    try:
        return EXERCISES[name]
    except KeyError:
        raise ValueError(f"no exercise named {name!r}; the exercises are: {', '.join(EXERCISES)}") from None
