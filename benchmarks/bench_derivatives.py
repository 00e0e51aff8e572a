"""What derivatives cost: ``grad`` of an n-node expression, and a Hessian of k inputs.

    .venv/bin/python benchmarks/bench_derivatives.py              # 1e4 and 1e5 nodes, k = 1, 2, 4, 8, 16
    .venv/bin/python benchmarks/bench_derivatives.py 30000        # other sizes

``grad``: the function is a chain of n nodes, ``a = sin(a)*w + a`` repeated (3 nodes a statement), and
``grad(a, x)`` its derivative built as nodes (``gradient_graph``). For each size it prints the nodes of
the function alone and with its gradient, and the time to lower and evaluate (forward and backward)
each, best of 5, parsed beforehand: ``grad`` is linear when the ratios (gradient's nodes / function's,
time with the gradient / time without) stay the same from 1e4 to 1e5 nodes.

Hessian: the function is a chain over k inputs, ``a = tanh(a*x_j + x_(j+1))`` cycling through them,
about 1e4 nodes. A Hessian (``gradcalc.hessian``: forward mode over the backward pass, one pass per
input) is timed against one backward pass (``engine.backward`` over the recorded tape) and one whole
evaluation (forward and backward), best of 5: it costs about k reverse passes when "per input" stays
flat as k grows.

Many small grads: ``s = s + grad(sin(w*t), w)`` in each of N loop steps. Each grad walks only the
nodes it differentiates, so the time grows as N (it grew as N² when each swept the whole graph).
"""

from __future__ import annotations

import gc
import sys
import time
from collections.abc import Callable

from gradcalc.engine import backward, evaluate, forward, record
from gradcalc.graph import Graph
from gradcalc.hessian import hessian
from gradcalc.lowering import lower
from gradcalc.parser import gc_paused, parse
from gradcalc.program import run_source
from gradcalc.source import Source

RUNS = 5
HESSIAN_RUNS = 5


def best_of(work: Callable[[], object], runs: int = RUNS) -> float:
    """The best time of ``runs`` runs, the garbage collector paused as the command line pauses it."""
    best = float("inf")
    for _ in range(runs):
        gc.collect()
        with gc_paused():
            started = time.perf_counter()
            work()
            best = min(best, time.perf_counter() - started)
    return best


def chain(nodes: int) -> str:
    """About ``nodes`` nodes: x, w, then 3 a statement."""
    return "a = x\n" + "a = sin(a)*w + a\n" * max(1, (nodes - 2) // 3)


def lower_and_evaluate(text: str, inputs: dict[str, float]) -> Callable[[], tuple[Graph, int]]:
    program = parse(Source(text))

    def run() -> tuple[Graph, int]:
        graph = Graph()
        lowered = lower(program, graph, inputs)
        assert lowered.output is not None
        evaluate(graph, lowered.output)
        return graph, lowered.output

    return run


def grad_rows(sizes: list[int]) -> None:
    print("grad(a, x) of a chain of n nodes (a = sin(a)*w + a), lowering + evaluation, best of 5")
    print(f"{'function':>10}  {'with grad':>10}  {'nodes ×':>7}  {'function':>9}  {'with grad':>10}  {'time ×':>6}")
    inputs = {"x": 0.5, "w": 0.9}
    for size in sizes:
        text = chain(size)
        plain = lower_and_evaluate(text, inputs)
        with_grad = lower_and_evaluate(text + "grad(a, x)\n", inputs)
        n_plain, n_grad = len(plain()[0].nodes), len(with_grad()[0].nodes)
        t_plain, t_grad = best_of(plain), best_of(with_grad)
        print(
            f"{n_plain:>10,}  {n_grad:>10,}  {n_grad / n_plain:>7.2f}  {t_plain * 1000:>6.0f} ms  "
            f"{t_grad * 1000:>7.0f} ms  {t_grad / t_plain:>6.2f}"
        )


def hessian_rows(ks: list[int], nodes: int = 10_000) -> None:
    print(f"\nHessian of k inputs, a chain of about {nodes:,} nodes (a = tanh(a*x_j + x_(j+1))), best of 5")
    print(f"{'k':>3}  {'nodes':>7}  {'backward':>9}  {'evaluation':>10}  {'Hessian':>9}  per input")
    for k in ks:
        statements = max(1, (nodes - k) // 3)
        text = "a = 0\n" + "".join(f"a = tanh(a*x{j % k} + x{(j + 1) % k})\n" for j in range(statements))
        inputs = {f"x{j}": 0.1 + 0.05 * j for j in range(k)}
        graph = Graph()
        lowered = lower(parse(Source(text)), graph, inputs)
        assert lowered.output is not None
        output = lowered.output
        tape = record(graph, output)
        values = forward(graph, tape)
        evaluation = evaluate(graph, output)
        t_backward = best_of(lambda: backward(tape, values), HESSIAN_RUNS)  # noqa: B023 - run before the next k
        t_evaluate = best_of(lambda: evaluate(graph, output), HESSIAN_RUNS)  # noqa: B023
        t_hessian = best_of(lambda: hessian(evaluation), HESSIAN_RUNS)  # noqa: B023
        per_input = t_hessian / k
        print(
            f"{k:>3}  {len(graph.nodes):>7,}  {t_backward * 1000:>6.1f} ms  {t_evaluate * 1000:>7.1f} ms  "
            f"{t_hessian * 1000:>6.0f} ms  {per_input / t_backward:>4.1f} backward passes, "
            f"{per_input / t_evaluate:.2f} evaluations"
        )


def many_grads_rows(steps: list[int]) -> None:
    print("\nmany small grads: for t in 1..N { s = s + grad(sin(w*t), w) }, text to values, best of 3")
    print(f"{'N':>7}  {'nodes':>8}  {'time':>8}  per step")
    for n in steps:
        source = Source(f"s = 0; for t in 1..{n} {{ s = s + grad(sin(w*t), w) }}")
        graph_size = len(run_source(source, {"w": 0.5}).graph.nodes)
        took = best_of(lambda s=source: run_source(s, {"w": 0.5}), 3)  # type: ignore[misc]
        print(f"{n:>7,}  {graph_size:>8,}  {took * 1000:>5.0f} ms  {took / n * 1e6:.0f} µs")


def main() -> None:
    sizes = [int(arg) for arg in sys.argv[1:]] or [10_000, 100_000]
    grad_rows(sizes)
    hessian_rows([1, 2, 4, 8, 16])
    many_grads_rows([2_000, 8_000, 32_000])


if __name__ == "__main__":
    main()
