"""How long the text drawing takes: the circuit beside Graphviz's own share of it, and the lane view at size.

For the expanded neuron (13 nodes) and a 42-node network it times a first circuit drawing
(``render_text(..., layout="circuit")``), the part of it spent waiting for ``dot -Tplain`` (the
layout), a redraw after an input changes (the layout is reused: the REPL's live view), and for
reference ``dot -Tsvg`` of the same graph's picture. Then it times the lane view
(the fallback for big graphs, no Graphviz) at 1,000, 10,000 and 100,000 nodes. Run:

    python benchmarks/bench_text_graph.py

The figures in the README's text-drawing section come from this script; ``CIRCUIT_MAX_NODES`` in
``views.text_graph`` is set from them and from looking at the drawings.
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from gradcalc.program import Result, run_source, view_of
from gradcalc.source import Source
from gradcalc.views import text_layout
from gradcalc.views.dot import render_dot
from gradcalc.views.text_graph import render_text

EXAMPLES = Path(__file__).parent.parent / "examples"
RUNS = 11


def neuron() -> Result:
    return run_source(Source((EXAMPLES / "neuron.gc").read_text()), expanded=True)


def network(neurons: int, inputs: int) -> Result:
    """``neurons`` tanh neurons over ``inputs`` shared inputs, summed: every input wire splits."""
    lines = [
        f"h{j} = tanh(" + " + ".join(f"x{i}*{(i * 31 + j * 17) % 11 - 5}" for i in range(inputs)) + ")"
        for j in range(neurons)
    ]
    lines.append("y = " + " + ".join(f"h{j}" for j in range(neurons)))
    return run_source(Source("\n".join(lines)), {f"x{i}": (i % 7 - 3) / 3 for i in range(inputs)})


def wide_sum(n: int) -> Result:
    text = " + ".join(f"w{i}*x{i}" for i in range(n))
    return run_source(Source(text), {f"w{i}": float(i % 7) for i in range(n)} | {f"x{i}": 2.0 for i in range(n)})


def median_ms(work: Callable[[], object], runs: int = RUNS) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def circuit_with_dot_share(result: Result) -> tuple[float, float, str]:
    """Median ms of a first circuit drawing (dot runs), of its dot -Tplain run, and the drawing's size."""
    real_run = subprocess.run
    waited: list[float] = []

    def timed_run(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return real_run(*args, **kwargs)
        finally:
            waited.append(time.perf_counter() - start)

    def first_drawing() -> None:
        text_layout._dot_layout.cache_clear()
        render_text(result, layout="circuit").text()

    text_layout.subprocess.run = timed_run  # type: ignore[attr-defined]
    try:
        total = median_ms(first_drawing)
    finally:
        text_layout.subprocess.run = real_run  # type: ignore[attr-defined]
    drawing = render_text(result, layout="circuit")
    return total, statistics.median(waited) * 1000, f"{drawing.width}×{drawing.height}"


def redraw_ms(result: Result) -> float:
    """Median ms to change an input, evaluate again and redraw: what the REPL's live view does."""
    graph, output = result.graph, result.evaluation.output
    name = result.labels[result.evaluation.inputs[0]]
    values = iter(range(10**6))

    def redraw() -> None:
        graph.set_input(name, next(values) / 7)
        render_text(view_of(graph, output), layout="circuit").text()

    render_text(result, layout="circuit")  # the layout is now known
    return median_ms(redraw)


def svg_ms(result: Result, dot: str) -> float:
    text = render_dot(result).encode()
    return median_ms(lambda: subprocess.run([dot, "-Tsvg"], input=text, capture_output=True, check=True), 5)


def main() -> None:
    dot = shutil.which("dot")
    if dot is None:
        print("Graphviz's dot is not installed: only the lane view is timed")
    else:
        print(
            "| graph | nodes | size (cols×rows) | first drawing | of which dot -Tplain "
            "| redraw after an input change | dot -Tsvg of the picture |"
        )
        print("|---|---:|---:|---:|---:|---:|---:|")
        for name, result in (("neuron --expand", neuron()), ("4 tanh neurons over 3 inputs", network(4, 3))):
            total, waited, size = circuit_with_dot_share(result)
            nodes = len(result.evaluation.order)
            print(
                f"| {name} | {nodes} | {size} | {total:.0f} ms | {waited:.0f} ms | {redraw_ms(result):.1f} ms "
                f"| {svg_ms(result, dot):.0f} ms |"
            )
    print()
    print("| lane view | nodes | time (median) | ms per 1,000 nodes |")
    print("|---|---:|---:|---:|")
    for n in (250, 2_500, 25_000):
        result = wide_sum(n)
        nodes = len(result.evaluation.order)
        runs = 5 if nodes < 50_000 else 3
        took = median_ms(lambda result=result: render_text(result, layout="lane", width=100).text(), runs)
        print(f"| w0*x0 + w1*x1 + ... | {nodes:,} | {took:.0f} ms | {took / nodes * 1000:.1f} |")


if __name__ == "__main__":
    main()
