"""Loops and calls against the statements they stand for, typed out.

    .venv/bin/python benchmarks/bench_language.py          # 1e4 steps and calls
    .venv/bin/python benchmarks/bench_language.py 100000   # another size

For N steps of the recurrence h = tanh(w*h + 1), it times, best of five: end to end (parse, lower,
and the forward and backward passes), text to graph (parse + lower) and lowering alone, for: the loop
``for t in 1..N { ... }``; the N statements typed out; and N calls ``h = cell(h)`` of
``cell(v) = tanh(w*v + 1)``; then each one's ratio to the typed-out statements. Targets (issue 12):
the loop lowers as fast as the statements typed out, and a call costs no more than its inlined body
(a ratio of at most 1.1, end to end and lowering alone). Times are CPU time (``time.process_time``):
on a shared machine, wall-clock time measures the other processes as much as this one.
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
        started = time.process_time()
        work()
        best = min(best, time.process_time() - started)
    return best


def end_to_end(source: Source) -> None:
    graph = Graph()
    lowered = lower(parse(source), graph)
    assert lowered.output is not None
    evaluate(graph, lowered.output)


def main() -> None:
    steps = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 7
    print(f"{steps:,} steps of h = tanh(w*h + 1), best of {rounds} interleaved rounds")
    texts = programs(steps)
    sources = {name: Source(text) for name, text in texts.items()}
    parsed = {name: parse(source) for name, source in sources.items()}
    work: dict[str, list[Callable[[], object]]] = {
        name: [
            lambda s=sources[name]: end_to_end(s),  # type: ignore[misc]
            lambda s=sources[name]: lower(parse(s), Graph()),  # type: ignore[misc]
            lambda p=parsed[name]: lower(p, Graph()),  # type: ignore[misc]
        ]
        for name in texts
    }
    best = {name: [float("inf")] * 3 for name in texts}
    with gc_paused():
        for _ in range(rounds):  # each program in turn, so the machine's load weighs on all alike
            for name, jobs in work.items():
                for k, job in enumerate(jobs):
                    best[name][k] = min(best[name][k], best_of(1, job))
    print(f"{'':>10}  {'end to end':>10}  {'text to graph':>13}  {'lowering':>8}  ratios to typed out")
    base = best["typed out"]
    for name, (whole, total, lowered) in best.items():
        ratios = "  ".join(f"{mine / theirs:.2f}" for mine, theirs in zip((whole, total, lowered), base))
        print(f"{name:>10}  {whole * 1000:>7.0f} ms  {total * 1000:>10.0f} ms  {lowered * 1000:>5.0f} ms  "
              f"{ratios if name != 'typed out' else ''}")


if __name__ == "__main__":
    main()
