"""Benchmark one training step of ``backprop_derived`` against PyTorch, a per-weight loop and the machine.

One command, one JSON file:

    python benchmarks/bench.py --out benchmarks/results/latest.json

Measured side by side in the same run, float64, with the same weights and data: a full training
step (forward, backward, SGD update) of ``backprop_derived`` and of PyTorch eager on the CPU for three
sizes; for the iris network also the "one weight at a time" gradient of the single-variable
misconception, in Python loops; and the machine's float64 matrix-multiply throughput, so that each
step can be reported as a fraction of it. Timings are medians of repeated runs after a warm-up,
interleaved so that a burst of noise hits every contender alike; the spread is the interquartile
range. PyTorch is optional (``pip install torch==2.13.0``): without it those columns are null.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import os
import platform
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

import backprop_derived as bp
from backprop_derived.training import sgd_update

try:
    import torch
except ImportError:  # optional: the benchmark still measures everything else
    torch = None


@dataclass(frozen=True)
class Case:
    """One benchmark case; ``id`` names it in the results and in code (never its sizes)."""

    id: str
    name: str
    m: int  # batch rows in the full run
    sizes: tuple[int, ...]
    repeats: int  # timed calls in the full run
    iris: bool = False  # the data is iris itself (its m is fixed at 150) rather than synthetic


CASES = [
    Case("iris", "iris 150 x 4-5-3", 150, (4, 5, 3), 400, iris=True),
    Case("mnist-1", "1024 x 784-256-10", 1024, (784, 256, 10), 40),
    Case("mnist-2", "4096 x 784-512-512-10", 4096, (784, 512, 512, 10), 10),
]
LEARNING_RATE = 0.1
#: Seconds to wait before each timed block of the full run (see ``interleaved``); none in --quick.
PAUSE_S = 0.3


# --- the contenders --------------------------------------------------------------------------


def make_data(case: Case, m: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Iris itself for the iris case (standardised, all 150 rows), ``m`` Gaussian rows otherwise."""
    rng = np.random.default_rng(seed)
    if case.iris:
        X, y = bp.load_iris()
        X = bp.standardize(X)
    else:
        X = rng.normal(size=(m, case.sizes[0]))
        y = rng.integers(0, case.sizes[-1], m)
    return X, bp.one_hot(y, case.sizes[-1])


def backprop_step(net, X, Y):
    sgd_update(net, net.gradients(X, Y), LEARNING_RATE)  # the update bp.train makes per batch


def torch_model(net):
    """``torch.nn.Linear`` layers holding copies of ``net``'s weights (float64)."""
    layers = []
    for layer in net.layers:
        linear = torch.nn.Linear(layer.n_inputs, layer.n_neurons, dtype=torch.float64)
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(layer.W))
            linear.bias.copy_(torch.from_numpy(layer.b))
        layers += [linear, torch.nn.ReLU()]
    return torch.nn.Sequential(*layers[:-1])  # logits out; the softmax lives in the loss


def torch_step(model, X, y):
    model.zero_grad(set_to_none=True)
    loss = torch.nn.functional.cross_entropy(model(X), y)  # mean of -log softmax, as in backprop
    loss.backward()
    with torch.no_grad():
        for p in model.parameters():
            p -= LEARNING_RATE * p.grad


def per_weight_gradients(net, X, Y):
    """Every dC/dw of a 2-layer ReLU/softmax net, one weight at a time, from scalar chains.

    This is backpropagation as the single-variable picture suggests it: for each weight, walk its
    own chain of scalar derivatives for each observation (summing over the output neurons for a
    hidden weight, since each path must be followed separately), with no matrix anywhere.
    """
    W1, b1 = net.layer(1).W.tolist(), net.layer(1).b.tolist()
    W2, b2 = net.layer(2).W.tolist(), net.layer(2).b.tolist()
    n_in, n_hid, n_out = len(W1[0]), len(W1), len(W2)
    m = len(X)
    rows = X.tolist()
    targets = Y.tolist()

    # Forward pass per observation, in scalars.
    cache = []
    for x, y in zip(rows, targets):
        z1 = [sum(W1[i][j] * x[j] for j in range(n_in)) + b1[i] for i in range(n_hid)]
        a1 = [max(v, 0.0) for v in z1]
        z2 = [sum(W2[k][i] * a1[i] for i in range(n_hid)) + b2[k] for k in range(n_out)]
        top = max(z2)
        e = [math.exp(v - top) for v in z2]
        s = sum(e)
        a2 = [v / s for v in e]
        cache.append((x, y, z1, a1, a2))

    dW2 = [[0.0] * n_hid for _ in range(n_out)]
    db2 = [0.0] * n_out
    dW1 = [[0.0] * n_in for _ in range(n_hid)]
    db1 = [0.0] * n_hid
    for k in range(n_out):
        for i in range(n_hid + 1):  # the last column stands for the bias
            total = 0.0
            for _x, y, _z1, a1, a2 in cache:
                dC_dz = (a2[k] - y[k]) / m
                total += dC_dz * (a1[i] if i < n_hid else 1.0)
            if i < n_hid:
                dW2[k][i] = total
            else:
                db2[k] = total
    for i in range(n_hid):
        for j in range(n_in + 1):
            total = 0.0
            for x, y, z1, _a1, a2 in cache:
                relu_slope = 1.0 if z1[i] > 0 else 0.0
                for k in range(n_out):  # one chain per path through an output neuron
                    total += ((a2[k] - y[k]) / m) * W2[k][i] * relu_slope * (x[j] if j < n_in else 1.0)
            if j < n_in:
                dW1[i][j] = total
            else:
                db1[i] = total
    return [(np.array(dW1), np.array(db1)), (np.array(dW2), np.array(db2))]


# --- measuring -------------------------------------------------------------------------------


def stats(samples: list[float]) -> dict:
    q25, median, q75 = np.percentile(samples, [25, 50, 75])
    return {"median_s": median, "q25_s": q25, "q75_s": q75, "min_s": min(samples), "runs": len(samples)}


def interleaved(contenders: dict, repeats: int, warmup: int = 3, rounds: int = 5, pause: float = PAUSE_S) -> dict:
    """Time each callable ``repeats`` times after ``warmup`` untimed calls, taking turns in blocks.

    The contenders alternate in ``rounds`` blocks, so slow drifts of the machine hit all of them
    alike, while within a block one contender runs alone: PyTorch's OpenMP worker threads keep
    spinning for a while after each call, and on two cores they would slow down whatever ran
    right after them, so each block starts after a short pause.
    """
    for f in contenders.values():
        for _ in range(warmup):
            f()
    samples = {name: [] for name in contenders}
    per_round = max(1, repeats // rounds)
    for _ in range(rounds):
        for name, f in contenders.items():
            time.sleep(pause)  # let the previous contender's spinning worker threads go to sleep
            f()  # one untimed call to bring this contender's data back into the caches
            for _ in range(per_round):
                start = time.perf_counter()
                f()
                samples[name].append(time.perf_counter() - start)
    return {name: stats(s) for name, s in samples.items()}


def matmul_gflops(n: int = 1024, repeats: int = 10, pause: float = PAUSE_S) -> tuple[dict, dict | None]:
    """Float64 matrix-multiply throughput, 2 n^3 flops per n x n product: NumPy's BLAS, and
    PyTorch's (its CPU build brings its own BLAS) when installed, measured in the same blocks."""
    rng = np.random.default_rng(0)
    A, B = rng.normal(size=(n, n)), rng.normal(size=(n, n))
    out = np.empty((n, n))
    contenders = {"numpy": lambda: np.matmul(A, B, out=out)}
    if torch is not None:
        At, Bt, out_t = torch.from_numpy(A), torch.from_numpy(B), torch.empty(n, n, dtype=torch.float64)
        contenders["torch"] = lambda: torch.matmul(At, Bt, out=out_t)
    timings = interleaved(contenders, repeats, pause=pause)
    for result in timings.values():
        result["n"] = n
        result["gflops_median"] = 2 * n**3 / result["median_s"] / 1e9
        result["gflops_best"] = 2 * n**3 / result["min_s"] / 1e9
    return timings["numpy"], timings.get("torch")


def step_flops(m: int, sizes: list[int]) -> int:
    """Multiply-adds of one step, times 2: forward z = a W^T, backward dW = delta^T a, and
    delta W for every layer but the first (the input needs no delta)."""
    products = [i * j for j, i in itertools.pairwise(sizes)]
    return 2 * m * (2 * sum(products) + sum(products[1:]))


def environment() -> dict:
    info = {
        "python": sys.version.split()[0],
        "numpy": np.__version__,
        "torch": torch.__version__ if torch else None,
        "torch_threads": torch.get_num_threads() if torch else None,
        "cpu": next(
            (
                line.split(":", 1)[1].strip()
                for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")
            ),
            platform.processor(),
        )
        if Path("/proc/cpuinfo").exists()
        else platform.processor(),
        "cores": os.cpu_count(),
        "platform": platform.platform(),
    }
    try:
        from threadpoolctl import threadpool_info

        info["blas"] = [
            {k: d.get(k) for k in ("internal_api", "version", "num_threads", "architecture")} for d in threadpool_info()
        ]
    except ImportError:
        try:
            config = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        except TypeError:  # NumPy before 1.25 prints its configuration and cannot return it
            config = {}
        info["blas"] = [{"name": config.get("name"), "version": config.get("version")}]
    return info


def run(quick: bool = False) -> dict:
    results = {
        "command": "python benchmarks/bench.py --out benchmarks/results/latest.json",
        "date": time.strftime("%Y-%m-%d"),
        "environment": environment(),
        "cases": [],
    }
    pause = 0.0 if quick else PAUSE_S
    peak, torch_peak = matmul_gflops(512 if quick else 1024, 5 if quick else 20, pause=pause)
    results["matmul"], results["torch_matmul"] = peak, torch_peak
    for c in CASES:
        sizes, repeats = list(c.sizes), c.repeats
        m = c.m if c.iris or not quick else min(c.m, 64)
        if quick:
            repeats = 3
        X, Y = make_data(c, m)
        m = X.shape[0]  # the rows actually used: recorded below, and counted in the flops
        net = bp.Network(sizes, hidden="relu", output="softmax", seed=0)
        # Each lambda binds its arrays as defaults: they are called before the loop moves on, but
        # binding makes that independent of when they run.
        contenders = {"backprop": lambda net=net, X=X, Y=Y: backprop_step(net, X, Y)}
        if torch is not None:
            model = torch_model(net)
            Xt, yt = torch.from_numpy(X), torch.from_numpy(Y.argmax(axis=1))
            contenders["torch"] = lambda model=model, Xt=Xt, yt=yt: torch_step(model, Xt, yt)
        case = {"id": c.id, "name": c.name, "m": m, "sizes": sizes, "flops": step_flops(m, sizes)}
        # The same gradients before any timing: our backward pass against autograd.
        if torch is not None:
            model.zero_grad()
            torch.nn.functional.cross_entropy(model(Xt), yt).backward()
            ours = [g for pair in net.gradients(X, Y) for g in pair]
            theirs = [p.grad.numpy() for p in model.parameters()]
            case["max_abs_diff_vs_torch"] = max(float(np.abs(a - b).max()) for a, b in zip(ours, theirs))
            for a, b in zip(ours, theirs, strict=True):  # a wrong gradient stops the run before it is timed
                np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-9)
        timings = interleaved(contenders, repeats, pause=pause)
        case["backprop"] = timings["backprop"]
        case["backprop"]["gflops"] = case["flops"] / timings["backprop"]["median_s"] / 1e9
        case["backprop"]["fraction_of_matmul_peak"] = case["backprop"]["gflops"] / peak["gflops_median"]
        case["torch"] = timings.get("torch")
        case["ratio_backprop_to_torch"] = (
            timings["backprop"]["median_s"] / timings["torch"]["median_s"] if "torch" in timings else None
        )
        if c.id == "iris":  # the per-weight loop is written for one hidden layer: run it on iris only
            loop_net = bp.Network(sizes, seed=0)
            fast = loop_net.gradients(X, Y)
            slow = per_weight_gradients(loop_net, X, Y)
            case["per_weight_max_abs_diff"] = max(
                float(np.abs(a - b).max()) for pf, ps in zip(fast, slow) for a, b in zip(pf, ps)
            )
            for pf, ps in zip(fast, slow, strict=True):
                for a, b in zip(pf, ps, strict=True):
                    np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-9)
            loop = interleaved(
                {
                    "per_weight": lambda n=loop_net, X=X, Y=Y: per_weight_gradients(n, X, Y),
                    "backprop_gradients": lambda n=loop_net, X=X, Y=Y: n.gradients(X, Y),
                },
                3 if quick else 15,
                warmup=1,
                pause=pause,
            )
            case["per_weight_loop"] = loop["per_weight"]
            case["backprop_gradients_only"] = loop["backprop_gradients"]
            case["ratio_per_weight_to_backprop"] = (
                loop["per_weight"]["median_s"] / loop["backprop_gradients"]["median_s"]
            )
        results["cases"].append(case)
    return results


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="write the JSON here (default: print it)")
    parser.add_argument(
        "--quick", action="store_true", help="tiny sizes and few repeats: a smoke test, not a measurement"
    )
    args = parser.parse_args(argv)
    results = run(quick=args.quick)
    text = json.dumps(results, indent=2)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + "\n", encoding="utf-8")
    else:
        print(text)
    print(
        f"float64 matmul: NumPy {results['matmul']['gflops_median']:.0f} GFLOP/s"
        + (f", PyTorch {results['torch_matmul']['gflops_median']:.0f} GFLOP/s" if results["torch_matmul"] else ""),
        file=sys.stderr,
    )
    for case in results["cases"]:
        ratio = case["ratio_backprop_to_torch"]
        print(
            f"{case['name']:>24}: backprop {case['backprop']['median_s'] * 1e3:8.3f} ms"
            + (f", {ratio:.2f}x torch" if ratio else "")
            + f", {case['backprop']['fraction_of_matmul_peak']:.0%} of matmul peak",
            file=sys.stderr,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
