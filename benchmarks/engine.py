"""The autodiff engine's gradient against ``Network.gradients``, on the benchmark's 1024 x 784-256-10 case.

One command, one JSON file:

    python benchmarks/engine.py --out benchmarks/results/engine.json

Both compute dC/dW and dC/db of the same ReLU/softmax/cross-entropy network from the same arrays.
The engine wraps X as a constant Tensor each call without copying it, ``Tensor(X, copy=False)``,
as Network.gradients reads it without a copy; both check it is finite each call. Each keeps its
last pass's arrays until the next call: the network in its layers' caches, the engine in the graph
of the cost it returns, which the loop holds as a training loop holds its last ``C``. (A graph
dropped at the end of every call hands its ~20 MB back to the allocator, which returns it to the
system, and the next call pays for fresh pages: a cost of how the loop is written, not of the
engine.) The two are timed alternately, a few dozen calls each after a warm-up, and the ratio of
their medians is reported: a ratio from one run, not two absolute times from different moments.
The script also counts the matrix products' multiply-adds in the engine's forward and backward
passes.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import statistics
import time
from pathlib import Path

import numpy as np

import backprop_derived as bp
from backprop_derived.autodiff import Tensor, ops, softmax_cross_entropy

SIZES = (784, 256, 10)
ROWS = 1024


def setup(seed: int = 0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(ROWS, SIZES[0]))
    Y = bp.one_hot(rng.integers(0, SIZES[-1], ROWS), SIZES[-1])
    net = bp.Network(list(SIZES), seed=seed)
    params = [Tensor(p, requires_grad=True) for p in net.parameters()]
    return X, Y, net, params


def engine_gradients(X, Y, params):
    """One gradient of the engine: forward and backward; returns the cost, whose graph holds the pass's arrays."""
    for p in params:
        p.grad = None
    W1, b1, W2, b2 = params
    C = softmax_cross_entropy((Tensor(X, copy=False) @ W1.T + b1).relu() @ W2.T + b2, Y)
    C.backward()
    return C


def count_multiply_adds(X, Y, params):
    """Multiply-adds of the matrix products in the engine's forward and backward passes."""
    counts = {"forward": 0, "backward": 0}
    phase = ["forward"]
    plain = ops.MatMul.value

    def counted(self, A, B):
        counts[phase[0]] += A.shape[0] * A.shape[1] * B.shape[1]
        return plain(self, A, B)

    ops.MatMul.value = counted
    try:
        W1, b1, W2, b2 = params
        C = softmax_cross_entropy((Tensor(X) @ W1.T + b1).relu() @ W2.T + b2, Y)
        phase[0] = "backward"
        C.backward()
    finally:
        ops.MatMul.value = plain
    return counts


def measure(repeats: int = 30, warmup: int = 3) -> dict:
    # The load before and after: NumPy's matrix products use every core, so a busy machine slows
    # both sides, and by different amounts (their shares of time in those products differ).
    load_before = os.getloadavg()[0]
    X, Y, net, params = setup()
    engine_gradients(X, Y, params)
    ours = [p.grad for p in params]
    theirs = [g for pair in net.gradients(X, Y) for g in pair]
    worst = max(float(np.max(np.abs(a - b))) for a, b in zip(ours, theirs))
    last = [None]  # the engine's last cost (its graph), held until the next call replaces it
    for _ in range(warmup):
        last[0] = engine_gradients(X, Y, params)
        net.gradients(X, Y)
    engine_s, network_s = [], []
    for k in range(repeats):
        # Alternate which goes first, so a drift in the machine's speed hits both alike.
        for name in ("engine", "network") if k % 2 == 0 else ("network", "engine"):
            t0 = time.perf_counter()
            if name == "engine":
                last[0] = engine_gradients(X, Y, params)
                engine_s.append(time.perf_counter() - t0)
            else:
                net.gradients(X, Y)
                network_s.append(time.perf_counter() - t0)
    counts = count_multiply_adds(X, Y, params)
    return {
        "case": f"{ROWS} x {'-'.join(map(str, SIZES))}",
        "repeats": repeats,
        "engine_median_s": statistics.median(engine_s),
        "network_median_s": statistics.median(network_s),
        "time_ratio": statistics.median(engine_s) / statistics.median(network_s),
        "largest_gradient_difference": worst,
        "multiply_adds": counts,
        "multiply_add_ratio": counts["backward"] / counts["forward"],
        "numpy": np.__version__,
        "python": platform.python_version(),
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d"),
        "cores": os.cpu_count(),
        "load_average": [round(load_before, 2), round(os.getloadavg()[0], 2)],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=None, help="write the results here as JSON")
    parser.add_argument("--repeats", type=int, default=30)
    args = parser.parse_args()
    result = measure(args.repeats)
    text = json.dumps(result, indent=2)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")


if __name__ == "__main__":
    main()
