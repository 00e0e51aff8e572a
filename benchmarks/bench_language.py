"""Loops and calls against the statements they stand for, typed out.

    .venv/bin/python benchmarks/bench_language.py          # 1e4 steps and calls
    .venv/bin/python benchmarks/bench_language.py 100000   # another size

For N steps of the recurrence h = tanh(w*h + 1), it times text to graph (parse + lower) and lowering
alone, best of five, for: the loop ``for t in 1..N { ... }``; the N statements typed out; and N calls
``h = cell(h)`` of ``cell(v) = tanh(w*v + 1)``. Targets: the loop no slower than the typed-out
statements from text to graph (it has one statement to parse), and a call no dearer than its inlined
body (about as fast from text to graph; lowering alone pays the call's bookkeeping).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable

from gradcalc.graph import Graph
from gradcalc.lowering import lower
from gradcalc.parser import gc_paused, parse
from gradcalc.source import Source


def programs(steps: int) -> dict[str, str]:
    body = "tanh(w*h + 1)"
    return {
        "loop": f"h = 0; w = 0.5\nfor t in 1..{steps} {{ h = {body} }}",
        "typed out": "h = 0; w = 0.5\n" + "\n".join([f"h = {body}"] * steps),
        "calls": "h = 0; w = 0.5; cell(v) = tanh(w*v + 1)\n" + "\n".join(["h = cell(h)"] * steps),
    }


def best_of(runs: int, work: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(runs):
        started = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - started)
    return best


def main() -> None:
    steps = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    print(f"{steps:,} steps of h = tanh(w*h + 1)")
    print(f"{'':>10}  {'text to graph':>14}  {'lowering':>9}  nodes")
    for name, text in programs(steps).items():
        source = Source(text)
        program = parse(source)
        graph = Graph()
        with gc_paused():
            lower(program, graph)
            total = best_of(5, lambda s=source: lower(parse(s), Graph()))  # type: ignore[misc]
            lowered = best_of(5, lambda p=program: lower(p, Graph()))  # type: ignore[misc]
        print(f"{name:>10}  {total * 1000:>11.0f} ms  {lowered * 1000:>6.0f} ms  {len(graph.nodes):,}")


if __name__ == "__main__":
    main()
