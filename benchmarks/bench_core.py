"""Core speed: parse, lower, forward and backward beside a minimal hand-written tape, and start-up.

    .venv/bin/python benchmarks/bench_core.py            # the full run (1e3, 1e4 and 1e5 terms)
    .venv/bin/python benchmarks/bench_core.py --quick    # 1e3 and 1e4 only

Every figure is a ratio against a reference measured in the same run, so machines compare:
- forward + backward against a minimal Python tape (a list of (op, inputs) records, a forward loop and
  a reversed backward loop) on the same graphs; target: within 2x;
- the 1e5-term wide sum from text to gradients: target under 5 s and 500 MB (measured in a fresh process);
- one-shot `gradcalc eval "(x+y)*z" x=1 y=3 z=-3` (table and --json) against a minimal Typer app whose
  one command prints a constant; targets: --json under 1.3x, the table under 1.6x. Run it with the
  README's own install (.venv), not an editable one.
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from gradcalc.engine import backward, forward, record
from gradcalc.graph import Graph
from gradcalc.lowering import lower
from gradcalc.parser import gc_paused, parse
from gradcalc.source import Source

ROOT = Path(__file__).resolve().parents[1]


# -- the programs ------------------------------------------------------------------------------------


def chain(n: int) -> tuple[str, dict[str, float]]:
    """y = ((x * 1.0001 + 0.001) * 1.0001 + 0.001) ...: every node depends on the one before."""
    text = "x" + "".join(" * a + b" for _ in range(n))
    return text, {"x": 0.5, "a": 1.0001, "b": 0.001}


def wide(n: int) -> tuple[str, dict[str, float]]:
    """w0*x0 + w1*x1 + ...: many inputs, each used once."""
    text = " + ".join(f"w{i}*x{i}" for i in range(n))
    return text, {f"w{i}": 0.5 for i in range(n)} | {f"x{i}": 2.0 for i in range(n)}


def reuse(n: int) -> tuple[str, dict[str, float]]:
    """x*c0 + x*c1 + ...: one input used in every term; its gradient accumulates n times."""
    text = " + ".join(f"x*c{i}" for i in range(n))
    return text, {"x": 1.5} | {f"c{i}": float(i % 5) for i in range(n)}


SHAPES: dict[str, Callable[[int], tuple[str, dict[str, float]]]] = {"chain": chain, "wide": wide, "reuse": reuse}


# -- the reference: a minimal hand-written tape -------------------------------------------------------


def reference_tape(graph: Graph, output: int) -> tuple[list[tuple[str, tuple[int, ...]]], list[float]]:
    """The same graph as (op, inputs) records, plus the leaves' values."""
    records = [(node.op.name, node.args) for node in graph.nodes]
    leaves = [node.param if not node.args else 0.0 for node in graph.nodes]
    return records, leaves


def reference_forward(records: list[tuple[str, tuple[int, ...]]], leaves: list[float]) -> list[float]:
    values = list(leaves)
    for i, (op, args) in enumerate(records):
        if op == "add":
            values[i] = values[args[0]] + values[args[1]]
        elif op == "mul":
            values[i] = values[args[0]] * values[args[1]]
    return values


def reference_backward(records: list[tuple[str, tuple[int, ...]]], values: list[float], output: int) -> list[float]:
    grads = [0.0] * len(records)
    grads[output] = 1.0
    for i in range(len(records) - 1, -1, -1):
        op, args = records[i]
        g = grads[i]
        if op == "add":
            grads[args[0]] += g
            grads[args[1]] += g
        elif op == "mul":
            a, b = args
            grads[a] += g * values[b]
            grads[b] += g * values[a]
    return grads


# -- measuring ---------------------------------------------------------------------------------------


def best_of(repeats: int, fn: Callable[[], object]) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeats):
        gc.collect()
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return min(times), result


def measure_shape(name: str, n: int) -> dict[str, float]:
    text, inputs = SHAPES[name](n)
    repeats = 5 if n <= 10_000 else 2
    source = Source(text)
    with gc_paused():
        t_parse, program = best_of(repeats, lambda: parse(source))

        def lowered() -> tuple[Graph, int]:
            graph = Graph()
            return graph, lower(program, graph, inputs).output  # type: ignore[return-value]

        t_lower, (graph, output) = best_of(repeats, lowered)
    t_record, tape = best_of(repeats, lambda: record(graph, output))
    t_forward, values = best_of(repeats, lambda: forward(graph, tape))
    t_backward, (grads, _) = best_of(repeats, lambda: backward(tape, values))
    records, leaves = reference_tape(graph, output)
    r_forward, ref_values = best_of(repeats, lambda: reference_forward(records, leaves))
    r_backward, ref_grads = best_of(repeats, lambda: reference_backward(records, ref_values, output))
    assert ref_values[output] == values[output] and ref_grads == grads, "the reference disagrees"
    ours = t_forward + t_backward
    reference = r_forward + r_backward
    return {"parse": t_parse, "lower": t_lower, "record": t_record, "forward": t_forward, "backward": t_backward,
            "ref_fb": reference, "ratio": ours / reference, "nodes": len(tape.order)}


_END_TO_END = """
import resource, sys, time
start = time.perf_counter()
from gradcalc.program import run_source
from gradcalc.source import Source
n = {n}
text = " + ".join(f"w{{i}}*x{{i}}" for i in range(n))
inputs = {{f"w{{i}}": 0.5 for i in range(n)}} | {{f"x{{i}}": 2.0 for i in range(n)}}
begin = time.perf_counter()
result = run_source(Source(text), inputs)
seconds = time.perf_counter() - begin
assert result.evaluation.value == n
print(seconds, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
"""


def end_to_end(n: int) -> tuple[float, float]:
    """Text to gradients (parse, lower, forward, backward, labels) in a fresh process: seconds, peak MB."""
    out = subprocess.run([sys.executable, "-c", _END_TO_END.format(n=n)], capture_output=True, text=True,
                         check=True)
    seconds, megabytes = out.stdout.split()
    return float(seconds), float(megabytes)


_TYPER_FLOOR = """
import typer

app = typer.Typer(add_completion=False)


@app.command()
def main(name: str) -> None:
    print("constant")


app()
"""


def startup(runs: int) -> dict[str, float]:
    """Median wall time of one-shot commands against the Typer floor, in this Python's install."""
    bindir = Path(sys.executable).parent
    script = bindir / "gradcalc"
    gradcalc = [str(script)] if script.exists() else [sys.executable, "-m", "gradcalc"]
    with tempfile.TemporaryDirectory() as tmp:
        floor = Path(tmp) / "floor.py"
        floor.write_text(_TYPER_FLOOR)
        commands = {
            "typer floor": [sys.executable, str(floor), "x"],
            "eval --json": [*gradcalc, "eval", "(x+y)*z", "x=1", "y=3", "z=-3", "--json"],
            "eval (table)": [*gradcalc, "eval", "(x+y)*z", "x=1", "y=3", "z=-3"],
        }
        for command in commands.values():  # warm the file cache and gradcalc's parse-table cache
            subprocess.run(command, capture_output=True, check=True)
        times: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(runs):
            for name, command in commands.items():  # interleaved, so drifts in load hit all alike
                start = time.perf_counter()
                subprocess.run(command, capture_output=True, check=True)
                times[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) for name, values in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1e3 and 1e4 terms only")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()
    sizes = [1_000, 10_000] if args.quick else [1_000, 10_000, 100_000]
    figures: dict[str, object] = {"python": sys.version.split()[0]}

    print("Phases in milliseconds; 'ratio' is (forward + backward) / the hand-written tape's (target <= 2).")
    header = f"{'graph':>14} {'nodes':>8} {'parse':>9} {'lower':>9} {'record':>8} {'forward':>8} " \
             f"{'backward':>9} {'tape f+b':>9} {'ratio':>6}"
    print(header)
    rows = []
    for name in SHAPES:
        for n in sizes:
            row = measure_shape(name, n)
            rows.append({"graph": name, "terms": n, **row})
            ms = {k: v * 1000 for k, v in row.items() if k not in ("ratio", "nodes")}
            print(f"{name + ' ' + format(n, ','):>14} {row['nodes']:>8,} {ms['parse']:>9.1f} {ms['lower']:>9.1f} "
                  f"{ms['record']:>8.1f} {ms['forward']:>8.1f} {ms['backward']:>9.1f} {ms['ref_fb']:>9.1f} "
                  f"{row['ratio']:>6.2f}")
    figures["phases"] = rows

    n = sizes[-1]
    seconds, megabytes = end_to_end(n)
    figures["wide_end_to_end"] = {"terms": n, "seconds": seconds, "peak_mb": megabytes}
    print(f"\nWide sum of {n:,} terms, text to gradients in a fresh process: {seconds:.2f} s, "
          f"peak {megabytes:.0f} MB (targets at 1e5: < 5 s, < 500 MB)")

    times = startup(runs=15)
    floor = times["typer floor"]
    figures["startup_ms"] = {k: v * 1000 for k, v in times.items()}
    print(f"\nOne-shot start-up, median of 15 ({sys.executable}):")
    for name, value in times.items():
        print(f"  {name:<14} {value * 1000:7.1f} ms   {value / floor:5.2f}x the Typer floor")
    print("  targets: eval --json < 1.3x, eval (table) < 1.6x")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
