"""The Python API's speed: ``import gradcalc`` beside ``python -c pass``, and ``evaluate`` once imported.

    .venv/bin/python benchmarks/bench_api.py

- start-up, median of 21 fresh processes each: ``python -c pass``; ``import gradcalc`` (which imports
  no parser, view or interface library); ``import gradcalc`` and one ``evaluate`` (the parser, its
  cached tables and the engine come in with the first call); the same with ``.to_json()``; and
  ``gradcalc eval ... --json`` run the same way, for comparison;
- ``evaluate("(x+y)*z", x=1, y=3, z=-3)`` once imported, best of 7 rounds of 2,000 calls, beside the
  internal pipeline it wraps (``program.run_source``), its parts (parse, lower, evaluate), and the
  hand-written tape of benchmarks/bench_core.py (forward and backward only, on the same graph);
  target: tens of microseconds.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from collections.abc import Callable

import gradcalc
from bench_core import reference_backward, reference_forward, reference_tape
from gradcalc.engine import evaluate as engine_evaluate
from gradcalc.graph import Graph
from gradcalc.lowering import lower
from gradcalc.parser import parse
from gradcalc.program import run_source
from gradcalc.source import Source

PROGRAM, INPUTS = "(x+y)*z", {"x": 1.0, "y": 3.0, "z": -3.0}


def startup(code: str, runs: int = 21) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True, stdout=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def per_call(fn: Callable[[], object], calls: int = 2000, rounds: int = 7) -> float:
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(calls):
            fn()
        best = min(best, (time.perf_counter() - start) / calls)
    return best


def main() -> None:
    evaluate_code = f"import gradcalc; gradcalc.evaluate({PROGRAM!r}, x=1, y=3, z=-3)"
    floor = startup("pass")
    rows = [
        ("python -c pass", floor),
        ("import gradcalc", startup("import gradcalc")),
        ("import gradcalc; evaluate(...)", startup(evaluate_code)),
        ("import gradcalc; evaluate(...).to_json()", startup(evaluate_code + ".to_json()")),
        (
            "gradcalc eval '(x+y)*z' x=1 y=3 z=-3 --json (the command, for comparison)",
            startup("from gradcalc.cli.entry import main; main(['eval', '(x+y)*z', 'x=1', 'y=3', 'z=-3', '--json'])"),
        ),
    ]
    print("| start-up (median of 21 processes) | time | − python -c pass |")
    print("|---|---:|---:|")
    for name, seconds in rows:
        print(f"| `{name}` | {seconds * 1e3:.1f} ms | {(seconds - floor) * 1e3:+.1f} ms |")

    source = Source(PROGRAM)
    graph = Graph()
    output = lower(parse(source), graph, INPUTS).output
    assert output is not None
    records, leaves = reference_tape(graph, output)

    def tape() -> None:
        reference_backward(records, reference_forward(records, leaves), output)

    def parse_lower() -> None:
        lower(parse(source), Graph(), INPUTS)

    timings = [
        ('gradcalc.evaluate("(x+y)*z", x=1, y=3, z=-3)', per_call(lambda: gradcalc.evaluate(PROGRAM, **INPUTS))),
        ("  … then .to_json()", per_call(lambda: gradcalc.evaluate(PROGRAM, **INPUTS).to_json())),
        ("  … then .gradients", per_call(lambda: gradcalc.evaluate(PROGRAM, **INPUTS).gradients)),
        ("program.run_source (the pipeline it wraps)", per_call(lambda: run_source(source, INPUTS))),
        ("  parse", per_call(lambda: parse(source))),
        ("  parse + lower", per_call(parse_lower)),
        ("  engine.evaluate (record, forward, backward)", per_call(lambda: engine_evaluate(graph, output))),
        ("hand-written tape, forward + backward", per_call(tape)),
    ]
    print()
    tape_time = timings[-1][1]
    print("| once imported (best of 7 × 2,000 calls) | per call | ÷ tape |")
    print("|---|---:|---:|")
    for name, seconds in timings:
        print(f"| {name} | {seconds * 1e6:.1f} µs | {seconds / tape_time:.0f} |")


if __name__ == "__main__":
    main()
