"""Loops and calls against the statements they stand for, typed out.

    .venv/bin/python benchmarks/bench_language.py          # 1e4 steps and calls
    .venv/bin/python benchmarks/bench_language.py 100000   # another size

For N steps of the recurrence h = tanh(w*h + 1), it times, best of five: end to end (parse, lower,
and the forward and backward passes), text to graph (parse + lower) and lowering alone, for: the loop
``for t in 1..N { ... }``; the N statements typed out; and N calls ``h = cell(h)`` of
``cell(v) = tanh(w*v + 1)``; then each one's ratio to the typed-out statements. Targets (issue 12):
the loop lowers as fast as the statements typed out, and a call costs no more than its inlined body
(a ratio of at most 1.1, end to end and lowering alone).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable

from gradcalc.engine import evaluate
from gradcalc.graph import Graph
from gradcalc.lowering import lower
from gradcalc.parser import gc_paused, parse
from gradcalc.source import Source


def programs(steps: int) -> dict[str, str]:
    body = "tanh(w*h + 1)"
    return {
        "typed out": "h = 0; w = 0.5\n" + "\n".join([f"h = {body}"] * steps),
        "loop": f"h = 0; w = 0.5\nfor t in 1..{steps} {{ h = {body} }}",
        "calls": "h = 0; w = 0.5; cell(v) = tanh(w*v + 1)\n" + "\n".join(["h = cell(h)"] * steps),
    }


def best_of(runs: int, work: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(runs):
        started = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - started)
    return best


def end_to_end(source: Source) -> None:
    graph = Graph()
    lowered = lower(parse(source), graph)
    assert lowered.output is not None
    evaluate(graph, lowered.output)


def main() -> None:
    steps = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    print(f"{steps:,} steps of h = tanh(w*h + 1)")
    print(f"{'':>10}  {'end to end':>10}  {'text to graph':>13}  {'lowering':>8}  {'nodes':>7}  ratios to typed out")
    times: dict[str, tuple[float, float, float]] = {}
    for name, text in programs(steps).items():
        source = Source(text)
        program = parse(source)
        graph = Graph()
        with gc_paused():
            lower(program, graph)
            whole = best_of(5, lambda s=source: end_to_end(s))  # type: ignore[misc]
            total = best_of(5, lambda s=source: lower(parse(s), Graph()))  # type: ignore[misc]
            lowered = best_of(5, lambda p=program: lower(p, Graph()))  # type: ignore[misc]
        times[name] = whole, total, lowered
        base = times.get("typed out", (whole, total, lowered))
        ratios = "  ".join(f"{mine / theirs:.2f}" for mine, theirs in zip((whole, total, lowered), base))
        print(f"{name:>10}  {whole * 1000:>7.0f} ms  {total * 1000:>10.0f} ms  {lowered * 1000:>5.0f} ms  "
              f"{len(graph.nodes):>7,}  {ratios if name != 'typed out' else ''}")


if __name__ == "__main__":
    main()
