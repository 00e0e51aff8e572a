"""Training speed: steps per second of `gradcalc train` on a 1,000-row line fit, against NumPy by hand.

    python benchmarks/bench_train.py [--rows 1000] [--steps 2000]

Three loops do the same batch gradient descent on loss = mean((w*x + b - y)^2), lr 0.1, from w = b = 0:

- gradcalc: ``training.Trainer`` (the program lowered once, the graph run over all rows as arrays);
- NumPy by hand: the gradient written out, ``2*mean(r*x)`` and ``2*mean(r)``: the reference;
- the scalar engine row by row (``engine.evaluate`` per row, inputs set in place), to show why
  training vectorises: it runs far fewer steps, and its rate is extrapolated.

The ratio gradcalc / NumPy is the figure to watch; the aim is the same order of magnitude (ratio < 10).

At 100,000 rows and more a step is bound by memory: every array operation allocates 800 kB, and whether
glibc serves that from its heap or maps fresh pages (page faults) swings both loops by up to 10x from run
to run. ``MALLOC_MMAP_THRESHOLD_=268435456 MALLOC_TRIM_THRESHOLD_=1073741824`` in the environment keeps
the memory mapped and makes large-row figures comparable.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from gradcalc.dataset import Dataset
from gradcalc.engine import evaluate
from gradcalc.graph import Graph
from gradcalc.lowering import lower
from gradcalc.parser import parse
from gradcalc.source import Source
from gradcalc.training import Settings, Trainer

PROGRAM = "(w*x + b - y)^2"
LR = 0.1


def data(rows: int) -> tuple[np.ndarray, np.ndarray]:
    x = np.random.default_rng(0).uniform(-1.0, 1.0, rows)
    return x, 2.5 * x - 1.0


def numpy_by_hand(x: np.ndarray, y: np.ndarray, steps: int) -> tuple[float, float]:
    w = b = 0.0
    n = len(x)
    losses = []  # kept, as gradcalc keeps its history
    for _ in range(steps):
        r = w * x + b - y
        losses.append(float(r @ r) / n)
        gw, gb = 2.0 * float(r @ x) / n, 2.0 * float(r.sum()) / n
        w, b = w - LR * gw, b - LR * gb
    return w, b


def scalar_engine(x: np.ndarray, y: np.ndarray, steps: int) -> tuple[float, float]:
    graph = Graph()
    output = lower(parse(Source(PROGRAM)), graph, {"w": 0.0, "b": 0.0, "x": 0.0, "y": 0.0}).output
    assert output is not None
    nodes = {name: graph.nodes[graph.bindings[name]] for name in ("w", "b", "x", "y")}
    w = b = 0.0
    rows = list(zip(x.tolist(), y.tolist()))
    for _ in range(steps):
        nodes["w"].param, nodes["b"].param = w, b
        gw = gb = 0.0
        for xi, yi in rows:
            nodes["x"].param, nodes["y"].param = xi, yi
            evaluation = evaluate(graph, output)
            gw += evaluation.grads[graph.bindings["w"]]
            gb += evaluation.grads[graph.bindings["b"]]
        w, b = w - LR * gw / len(rows), b - LR * gb / len(rows)
    return w, b


def best_rates(runs: dict[str, tuple[object, tuple[object, ...], int]], repeat: int) -> dict[str, float]:
    """Steps per second of each run, best of ``repeat``; the runs take turns, so a busy machine slows all alike."""
    best = dict.fromkeys(runs, float("inf"))
    for _ in range(repeat):
        for name, (function, args, _) in runs.items():
            start = time.perf_counter()
            function(*args)  # type: ignore[operator]
            best[name] = min(best[name], time.perf_counter() - start)
    return {name: steps / best[name] for name, (_, _, steps) in runs.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    x, y = data(args.rows)
    trainer = Trainer(Source(PROGRAM), ["w", "b"], {}, Dataset("bench", {"x": x.tolist(), "y": y.tolist()}))
    settings = Settings(lr=LR, steps=args.steps, tol=0.0)

    scalar_steps = max(1, args.steps // 200)
    rates = best_rates(
        {
            "ours": (trainer.train, (settings,), args.steps),
            "numpy": (numpy_by_hand, (x, y, args.steps), args.steps),
            "scalar": (scalar_engine, (x, y, scalar_steps), scalar_steps),
        },
        args.repeat,
    )
    ours, reference, scalar = rates["ours"], rates["numpy"], rates["scalar"]
    trained, by_hand = trainer.train(settings), numpy_by_hand(x, y, args.steps)

    assert np.allclose(trained.values, by_hand, rtol=1e-9), (trained.values, by_hand)
    print(f"line fit, {args.rows:,} rows, {args.steps:,} steps of batch gradient descent", end="")
    print(f" (best of {args.repeat} runs, taking turns)")
    print(f"  gradcalc train (vectorised)   {ours:>10,.0f} steps/s")
    print(f"  NumPy by hand (reference)     {reference:>10,.0f} steps/s")
    print(f"  scalar engine, row by row     {scalar:>10,.1f} steps/s  ({scalar_steps} steps)")
    print(f"gradcalc takes {reference / ours:.2f}x the time of NumPy by hand", end="")
    print(f" (the scalar engine {reference / scalar:,.0f}x)")
    print(f"learned w = {trained.values[0]:.9f}, b = {trained.values[1]:.9f}")


if __name__ == "__main__":
    main()
