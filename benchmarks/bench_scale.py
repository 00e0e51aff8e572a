"""Scale: every phase at 1e4, 1e5 (and 1e6) nodes, and the whole process beside micrograd, in one run.

    .venv/bin/python benchmarks/bench_scale.py              # phases at 1e4 and 1e5 nodes, the process table
    .venv/bin/python benchmarks/bench_scale.py --huge       # phases at 1e6 nodes too (about 12 minutes, 3 GB)
    .venv/bin/python benchmarks/bench_scale.py --phases     # the phase table only

Run it with a non-editable install (``pip install .`` into a venv of its own, plus ``pip install micrograd``
for the comparison; micrograd is not a dependency of gradcalc). Every figure that matters is a ratio
against something measured in the same run, so a loaded or slow machine still gives comparable numbers:

- each phase's cost per node at every size, and its growth from the smallest size to the largest
  (target: at most 1.5x; a quadratic phase shows 10x per decade), each size measured on 100,000 nodes'
  worth of its programs so that the processor's caches do not favour the small ones (``phases``), each
  in a process of its own (``measured_afresh``), with the pages it touched for the first time, and the
  program's names resolved in a dictionary alone beside the lowering (``names_reference``);
- the whole process at 100,000 statements (the chain) or terms (the other shapes), as the issue counts
  them, ``gradcalc eval - --json`` with the program on standard input, against micrograd's
  forward and backward passes alone on the same graph (no parsing, no output) and the hand-written
  tape of bench_core.py, with each process's peak memory, the best of ``--repeats`` runs (3) of each, the
  two alternated (targets: at or below micrograd, under 300 MB);
- parsing in µs per token beside CPython's ``ast.parse`` of the same text where CPython can parse it
  (target: within 2x).

The four shapes are the programs people generate: a re-assignment chain (``h = h*1.0001`` and
``h = h + x`` alternating), a wide sum whose inputs are assigned in the program (``w0 = 0.51`` lines, then
``w0*x0 + w1*x1 + ...``), one input reused in every term (``x*c0 + x*c1 + ...``), and parentheses nested
as deep as the program is long (``((x * 1.0001) * 1.0001) ...``).
"""

from __future__ import annotations

import argparse
import ast as python_ast
import gc
import io
import json
import math
import mmap
import os
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from gradcalc import ast
from gradcalc.engine import backward, forward, record
from gradcalc.graph import Graph
from gradcalc.labels import node_labels
from gradcalc.lowering import lower
from gradcalc.parser import gc_paused, parse
from gradcalc.program import Result
from gradcalc.source import Source

# -- the programs: each takes a size n and makes a program of about n nodes -------------------------------


def chain(n: int) -> str:
    """x = 0.5, then h re-bound n times: h = h + x and h = h * 1.0001 alternating (n gates, n/2 constants)."""
    lines = ["x = 0.5", "h = x * 1.0001"]
    lines += ["h = h * 1.0001" if i % 2 else "h = h + x" for i in range(max(0, 2 * n // 3 - 1))]
    return "\n".join(lines) + "\n"


def wide(n: int) -> str:
    """w_i = 0.51 and x_i = 1..7 assigned, then the sum of the products (n/2 inputs, n/2 gates)."""
    k = max(1, n // 4)
    lines = [f"w{i} = 0.51" for i in range(k)] + [f"x{i} = {i % 7 + 1}" for i in range(k)]
    lines.append(" + ".join(f"w{i}*x{i}" for i in range(k)))
    return "\n".join(lines) + "\n"


def reuse(n: int) -> str:
    """x = 1.5 and c_i = 0..4 assigned, then x*c0 + x*c1 + ...: x's gradient accumulates from every term."""
    k = max(1, n // 3)
    lines = ["x = 1.5"] + [f"c{i} = {i % 5}" for i in range(k)]
    lines.append(" + ".join(f"x*c{i}" for i in range(k)))
    return "\n".join(lines) + "\n"


def nested(n: int) -> str:
    """((x * 1.0001) * 1.0001) ... with every product in its own parentheses: n/2 deep."""
    k = max(1, n // 2)
    return "x = 2\n" + "(" * k + "x" + " * 1.0001)" * k + "\n"


SHAPES: dict[str, Callable[[int], str]] = {"chain": chain, "wide": wide, "reuse": reuse, "nested": nested}

# The whole-process sizes are counted in statements (the chain) and terms (the others): the
# nodes per statement or term of each shape, so that 100,000 of them is the program.
NODES_PER_TERM = {"chain": 1.5, "wide": 4, "reuse": 3, "nested": 2}

# The same graphs in micrograd, built as its users build them: the building is its forward pass.
_MICROGRAD = """
import resource, sys, threading, time
from micrograd.engine import Value
sys.setrecursionlimit(10**7)
threading.stack_size(1 << 30)  # micrograd's topological sort recurses once per node on the longest path
shape, n = sys.argv[1], int(sys.argv[2])

def run():
    start = time.process_time()
    if shape == "chain":
        x = Value(0.5)
        h = x * 1.0001
        for i in range(max(0, 2 * n // 3 - 1)):
            h = h * 1.0001 if i % 2 else h + x
        out = h
    elif shape == "wide":
        k = max(1, n // 4)
        ws = [Value(0.51) for i in range(k)]
        xs = [Value(float(i % 7 + 1)) for i in range(k)]
        out = ws[0] * xs[0]
        for i in range(1, k):
            out = out + ws[i] * xs[i]
    elif shape == "reuse":
        k = max(1, n // 3)
        x = Value(1.5)
        cs = [Value(float(i % 5)) for i in range(k)]
        out = x * cs[0]
        for i in range(1, k):
            out = out + x * cs[i]
    else:
        k = max(1, n // 2)
        x = Value(2.0)
        out = x
        for _ in range(k):
            out = out * 1.0001
    built = time.process_time()
    out.backward()
    done = time.process_time()
    print(built - start, done - built, out.data, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)

thread = threading.Thread(target=run)
thread.start()
thread.join()
"""


# -- measuring -------------------------------------------------------------------------------------------


def timed(fn: Callable[[], object]) -> tuple[float, object]:
    """CPU seconds, not wall time: other processes on a shared machine then barely move the figures."""
    gc.collect()
    start = time.process_time()
    result = fn()
    return time.process_time() - start, result


def faults() -> int:
    """The pages this process has touched for the first time so far (minor page faults)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt


def first_touch(megabytes: int, repeats: int = 3) -> float:
    """CPU µs to write to one fresh 4 KB page of a new ``megabytes`` mapping: what the kernel (and, in a
    virtual machine, its host) spends on a page a phase touches for the first time. The best of 3."""
    size, page = megabytes << 20, mmap.PAGESIZE
    spent = []
    for _ in range(repeats):
        start = time.process_time()
        with mmap.mmap(-1, size) as fresh:
            for offset in range(0, size, page):
                fresh[offset] = 1
        spent.append(time.process_time() - start)
    return min(spent) / (size // page) * 1e6


def best(repeats: int, fn: Callable[[], object]) -> tuple[float, object]:
    runs = [timed(fn) for _ in range(repeats)]
    return min(t for t, _ in runs), runs[-1][1]


# Each phase is measured this many times at each size, 1e6 too, the sizes taking turns; the best is kept.
# A phase's runs on this machine spread by up to 30%: the best of five beside a single run of 1e6 (as
# before) made 1e6 look up to 1.3x slower per node for that alone.
ROUNDS = 5
MEASURED = 100_000  # the nodes each measurement handles: ten programs of 1e4 nodes, one of 1e5


def copies(n: int) -> int:
    """How many programs of ``n`` nodes one measurement runs: ``MEASURED`` nodes' worth, at least one."""
    return max(1, MEASURED // n)


def phases(shape: str, n: int) -> dict[str, float]:
    """Seconds per phase for ``copies(n)`` programs of ``n`` nodes, one after another.

    Every size below 1e6 then handles the same 100,000 nodes, so it meets the same caches: a 1e4-node
    graph run alone stays in the processor's cache, where a 1e5-node one cannot, and its per-node cost
    would be lower for that alone (by up to 2x on the development machine, which is the memory's growth,
    not the program's). What is left to grow is what the code does per node. 1e6 is one program, and its
    memory is ten times more: the hand-written tape's row measures what that costs on its own.
    """
    from rich.console import Console

    from gradcalc.engine import Evaluation
    from gradcalc.views.dot import dot_pieces
    from gradcalc.views.draw_options import DrawOptions
    from gradcalc.views.json_view import render_json
    from gradcalc.views.table import result_view

    sources = [Source(SHAPES[shape](n)) for _ in range(copies(n))]
    times: dict[str, float] = {}

    def each(phase: str, fn: Callable[[Any], Any], items: list[Any]) -> list[Any]:
        """``fn`` of every item, timed, and the pages it touched afresh counted."""
        touched = faults()
        times[phase], done = timed(lambda: [fn(item) for item in items])
        times["faults"] = times.get("faults", 0) + faults() - touched
        return done  # type: ignore[return-value]

    def lowered(program: ast.Program) -> tuple[Graph, int]:
        graph = Graph()
        return graph, lower(program, graph).output  # type: ignore[return-value]

    def forward_pass(lowered: tuple[Graph, int]) -> tuple[Graph, int, Any, list[float]]:
        graph, output = lowered
        tape = record(graph, output)
        return graph, output, tape, forward(graph, tape)

    def evaluated(passes: tuple[Graph, int, Any, list[float]]) -> Evaluation:
        graph, output, tape, values = passes
        grads, local = backward(tape, values)
        return Evaluation(graph, output, tape.order, values, grads, local, steps=tape.steps)

    def labelled(evaluation: Evaluation) -> Result:
        labels = node_labels(evaluation.graph, evaluation.order, evaluation.output)
        return Result(evaluation.graph, evaluation, labels, None, [])

    def dot(result: Result) -> None:
        """The DOT text as ``gradcalc render -o FILE.dot`` (and ``-o -``) writes it: each piece encoded and
        written as it is drawn (here to /dev/null), so the text is never held whole. The API's ``.dot()``
        joins them into one string, a copy of it all, two bytes a character for the legend's ``∂`` (a
        million-node chain's 686 MB of text is 1.4 GB as one string), that this phase leaves out."""
        sink.writelines(piece.encode("utf-8") for piece in dot_pieces(result, DrawOptions()))

    def table(result: Result) -> str:
        console = Console(file=io.StringIO(), width=120, highlight=False, color_system=None)
        console.print(result_view(result))
        return console.file.getvalue()  # type: ignore[attr-defined]

    # The collector as the console script has it: paused from parsing to labels (``run_source``), and
    # what they made then frozen (``cli.collector.lasting``) while the views run.
    with gc_paused():
        programs = each("parse", parse, sources)
        graphs = each("lower", lowered, programs)
        del programs
        evaluations = each("backward", evaluated, each("forward", forward_pass, graphs))
        del graphs
        results = each("labels", labelled, evaluations)
    gc.freeze()
    try:
        with open(os.devnull, "wb") as sink:
            for phase, view in (("table", table), ("json", render_json), ("dot", dot)):
                each(phase, view, results)
    finally:
        gc.unfreeze()
    times["nodes"] = len(evaluations[0].order)  # in one program
    times["handled"] = sum(len(evaluation.order) for evaluation in evaluations)
    return times


def measured_afresh(shape: str, n: int) -> dict[str, float]:
    """``phases`` and the hand-written tape in a process of their own, as a one-shot ``gradcalc`` meets them.

    In one long process, a round of the small sizes used again the memory an earlier round had let go,
    where a 1e6-node program's blocks are too big to be kept (glibc maps each of more than 32 MB afresh,
    and gives it back when freed): its phases paid for every page they touched, the small ones for about
    two fifths of theirs, and per node that read as growth. A fresh process pays for every page at every size.
    """
    command = [sys.executable, str(Path(__file__).resolve()), "--measure", shape, str(n)]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.splitlines()[-1])  # type: ignore[no-any-return]


def name_visits(program: ast.Program) -> tuple[list[str], list[bool]]:
    """Each name ``program`` reads or binds, in the order its lowering meets them (a statement's reads, then
    its binding), and which of them are bindings: an explicit walk, no recursion."""
    names: list[str] = []
    binds: list[bool] = []
    for statement in program.statements:
        todo: list[Any] = [statement.expr if type(statement) is ast.Assign else statement]
        while todo:
            expr = todo.pop()
            if type(expr) is ast.Name:
                names.append(expr.id)
                binds.append(False)
            else:
                todo.extend(reversed(getattr(expr, "children", ())))
        if type(statement) is ast.Assign:
            names.append(statement.name)
            binds.append(True)
    return names, binds


def names_reference(shape: str, n: int) -> float:
    """CPU seconds of what any lowering that resolves names must do, alone: each program's names looked up
    and bound in a dictionary of their own, in the lowering's order (``copies(n)`` programs, as ``phases``).

    A wide sum binds 500,000 names at 1e6 nodes and reads each once: its dictionary's index (4 MB) no longer
    fits the processor's cache, and every visit is a read of far memory. This row is that cost, measured.
    """
    visits = [name_visits(parse(Source(SHAPES[shape](n)))) for _ in range(copies(n))]

    def resolved() -> None:
        for names, binds in visits:
            bindings: dict[str, int] = {}
            get = bindings.get
            for k, (name, bind) in enumerate(zip(names, binds)):
                get(name)  # a read's lookup, or set_input's before it binds
                if bind:
                    bindings[name] = k

    return best(1, resolved)[0]


PHASES = ("parse", "lower", "forward", "backward", "labels", "table", "json", "dot")


def phase_table(sizes: list[int]) -> dict[str, object]:
    print(
        f"Each phase in µs per node at {', '.join(f'{n:,}' for n in sizes)} nodes; 'growth' is the per-node cost\n"
        "at the largest size over the smallest (target <= 1.5x). The row 'tape' is the hand-written tape of\n"
        "bench_core.py on the same graphs: a flat loop, so its growth is the memory's, not an algorithm's, and\n"
        f"'÷ tape' is each phase's growth over it. Each measurement handles {MEASURED:,} nodes (ten programs of\n"
        f"{MEASURED // 10:,} or one of {MEASURED:,}; 1e6 is one program), so that every size meets the same caches,\n"
        f"in a process of its own: the best of {ROUNDS} rounds, the sizes taking turns. The row '(pages)' counts\n"
        "the 4 KB pages the phases touched for the first time, per 1,000 nodes: ten small programs take turns\n"
        "with the memory of what they make and drop, where a big one needs all of its own, and each such page\n"
        "costs what the last line says. The row 'names' is the program's names alone, each looked up and bound\n"
        "in a dictionary in the lowering's order: what any lowering that resolves names pays, its dictionary's\n"
        "index read from far memory once it outgrows the cache.\n"
    )
    print(f"{'shape':<7} {'phase':<9}" + "".join(f"{n:>11,}" for n in sizes) + f"{'growth':>9}{'÷ tape':>8}")
    figures: dict[str, object] = {}
    worst = worst_relative = worst_touched = 0.0
    names_beside_lowering: dict[str, tuple[list[float], list[float]]] = {}
    for shape in SHAPES:
        runs: list[dict[str, float]] = [{} for _ in sizes]
        tapes = [math.inf for _ in sizes]
        dictionaries = [math.inf for _ in sizes]
        for _ in range(ROUNDS):
            for i, n in enumerate(sizes):
                measured = measured_afresh(shape, n)
                tapes[i] = min(tapes[i], measured.pop("tape"))
                dictionaries[i] = min(dictionaries[i], measured.pop("names"))
                for phase, seconds in measured.items():
                    runs[i][phase] = min(seconds, runs[i].get(phase, math.inf))
        tape = [seconds / (n * copies(n)) * 1e6 for seconds, n in zip(tapes, sizes, strict=True)]
        tape_growth = tape[-1] / tape[0]
        print(f"{shape:<7} {'tape':<9}" + "".join(f"{v:>11.3f}" for v in tape) + f"{tape_growth:>8.2f}x")
        figures[f"{shape}.tape"] = {"us_per_node": tape, "growth": tape_growth}
        names = [seconds / (n * copies(n)) * 1e6 for seconds, n in zip(dictionaries, sizes, strict=True)]
        names_growth = names[-1] / max(names[0], 1e-9)
        print(f"{shape:<7} {'names':<9}" + "".join(f"{v:>11.3f}" for v in names) + f"{names_growth:>8.2f}x")
        figures[f"{shape}.names"] = {"us_per_node": names, "growth": names_growth}
        for phase in PHASES:
            per_node = [run[phase] / run["handled"] * 1e6 for run in runs]
            growth = per_node[-1] / per_node[0]
            if phase == "lower":
                names_beside_lowering[shape] = (per_node, names)
            worst = max(worst, growth)
            worst_relative = max(worst_relative, growth / tape_growth)
            figures[f"{shape}.{phase}"] = {"us_per_node": per_node, "growth": growth}
            print(
                f"{shape:<7} {phase:<9}" + "".join(f"{v:>11.3f}" for v in per_node)
                + f"{growth:>8.2f}x{growth / tape_growth:>7.2f}x"
            )  # fmt: skip
        print(f"{'':<7} {'(nodes)':<9}" + "".join(f"{int(run['nodes']):>11,}" for run in runs))
        touched = [run["faults"] / run["handled"] * 1000 for run in runs]  # the best round's fewest
        touched_growth = touched[-1] / touched[0]
        worst_touched = max(worst_touched, touched_growth)
        figures[f"{shape}.faults"] = {"per_1000_nodes": touched, "growth": touched_growth}
        print(f"{'':<7} {'(pages)':<9}" + "".join(f"{v:>11.1f}" for v in touched) + f"{touched_growth:>8.2f}x")
    print(f"\nlargest growth of any phase: {worst:.2f}x (target <= 1.5x); over the tape's: {worst_relative:.2f}x")
    # Where resolving names is a real share of the lowering (the wide and reused sums bind a name every
    # two or three nodes), what it adds per node at the largest size beside what the lowering adds.
    added = {
        shape: (lowering[-1] - lowering[0], names[-1] - names[0])
        for shape, (lowering, names) in names_beside_lowering.items()
        if names[-1] >= 0.1 * lowering[-1]
    }
    print(
        "µs a node the lowering adds from the smallest size to the largest, and its names' dictionary alone: "
        + ", ".join(f"{shape} {lowered:+.2f} and {named:+.2f}" for shape, (lowered, named) in added.items())
    )
    figures["lower_and_names_added_us"] = added
    # What a page touched afresh costs is the machine's, measured in a mapping as big as the largest measurement.
    memory = [int(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)] if sizes[-1] > MEASURED else []
    touch = [first_touch(megabytes) for megabytes in (256, *memory)]
    print(
        f"pages touched afresh per node grew at most {worst_touched:.2f}x; a fresh page cost "
        + " and ".join(f"{us:.2f} µs in {mb:,} MB" for us, mb in zip(touch, (256, *memory), strict=True))
    )
    figures["worst_growth"] = worst
    figures["worst_growth_over_tape"] = worst_relative
    figures["worst_pages_growth"] = worst_touched
    figures["first_touch_us"] = dict(zip(map(str, (256, *memory)), touch, strict=True))
    return figures


# -- the whole process ------------------------------------------------------------------------------------


# Started from a small process of its own: a child's ru_maxrss on Linux counts the memory of the process
# it was forked from, so a child forked from this one (hundreds of MB after the phase table) would report
# this process's peak, not its own.
_LAUNCH = (
    "import os, subprocess, sys\n"
    "child = subprocess.Popen(sys.argv[1:])\n"
    "_, status, usage = os.wait4(child.pid, 0)\n"
    "sys.stderr.write(f'\\n@rusage {usage.ru_utime + usage.ru_stime} {usage.ru_maxrss}\\n')\n"
    "sys.exit(os.waitstatus_to_exitcode(status))\n"
)


def _run_with_peak(command: list[str], stdin: bytes | None = None) -> tuple[float, float, bytes]:
    """CPU seconds, the child's own peak MB and its output."""
    done = subprocess.run([sys.executable, "-c", _LAUNCH, *command], input=stdin or b"", capture_output=True)
    if done.returncode:
        raise SystemExit(f"{command[0]} failed: {done.stderr.decode()[-2000:]}")
    seconds, kilobytes = done.stderr.decode().rsplit("@rusage", 1)[1].split()
    return float(seconds), float(kilobytes) / 1024, done.stdout


def gradcalc_command() -> list[str]:
    script = Path(sys.executable).parent / "gradcalc"
    return [str(script)] if script.exists() else [sys.executable, "-m", "gradcalc"]


def hand_tape(shape: str, n: int, repeats: int = 1, programs: int = 1) -> float:
    """bench_core.py's hand-written tape, forward and backward, on gradcalc's graph of the same program
    (``programs`` such graphs one after another, as ``phases`` runs them; the best of ``repeats`` runs)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from bench_core import reference_backward, reference_forward, reference_tape

    program = parse(Source(SHAPES[shape](n)))
    tapes = []
    for _ in range(programs):
        graph = Graph()
        output = lower(program, graph).output
        assert output is not None
        tapes.append((*reference_tape(graph, output), output))

    def passes() -> None:
        for records, leaves, output in tapes:
            reference_backward(records, reference_forward(records, leaves), output)

    return best(repeats, passes)[0]


def process_table(terms: int, repeats: int) -> dict[str, object]:
    """Text to --json in a fresh gradcalc process, beside micrograd's passes alone, for each shape: the best
    of ``repeats`` runs of each, the two alternated."""
    print(f"\nThe whole process at {terms:,} statements (chain) or terms (the others): `gradcalc eval - --json`")
    print("(start-up, parse, ..., JSON written) beside micrograd's forward + backward alone on the same graph,")
    print("and the hand-written tape.\n")
    print(
        f"{'shape':<7} {'nodes':>8} {'gradcalc s':>11} {'MB':>6} {'micrograd s':>12} {'MB':>6} {'ratio':>6}"
        f" {'tape s':>8}"
    )
    have_micrograd = subprocess.run([sys.executable, "-c", "import micrograd"], capture_output=True).returncode == 0
    figures: dict[str, object] = {}
    for shape in SHAPES:
        n = int(terms * NODES_PER_TERM[shape])
        text = SHAPES[shape](n).encode()
        row: dict[str, float] = {"seconds": math.inf}
        for _ in range(repeats):  # alternated, so a slow minute of the machine slows both
            seconds, peak, out = _run_with_peak([*gradcalc_command(), "eval", "-", "--json"], text)
            document = json.loads(out)
            value = document["output"]["value"]
            if seconds < row["seconds"]:
                row |= {"nodes": len(document["nodes"]), "seconds": seconds, "peak_mb": peak, "bytes": len(out)}
            if have_micrograd:
                _, mpeak, mout = _run_with_peak([sys.executable, "-c", _MICROGRAD, shape, str(n)])
                built, back, mvalue, _ = (float(v) for v in mout.split())
                assert abs(mvalue - value) <= 1e-9 * abs(value), (shape, mvalue, value)
                if built + back < row.get("micrograd_seconds", math.inf):
                    row |= {"micrograd_seconds": built + back, "micrograd_peak_mb": mpeak}
        seconds, peak = row["seconds"], row["peak_mb"]
        row["tape_seconds"] = hand_tape(shape, n)
        figures[shape] = row
        micro = (f"{row['micrograd_seconds']:>12.2f} {row['micrograd_peak_mb']:>6.0f} "
                 f"{seconds / row['micrograd_seconds']:>6.2f}") if have_micrograd else f"{'(not installed)':>26}"
        print(f"{shape:<7} {row['nodes']:>8,} {seconds:>11.2f} {peak:>6.0f} {micro} {row['tape_seconds']:>8.3f}")
    print(f"CPU seconds of each process, the best of {repeats} (the micrograd process counts its two passes only).")
    print("targets: ratio (gradcalc / micrograd) <= 1, gradcalc under 300 MB")
    return figures


# -- parsing beside CPython ------------------------------------------------------------------------------


def token_count(text: str) -> int:
    """The tokens the language's grammar reads in ``text`` (Lark's own lexer, newlines included)."""
    from lark import Lark

    from gradcalc.parser import grammar_path

    lexer = Lark(grammar_path().read_text(encoding="utf-8"), parser="lalr", lexer="basic")
    return sum(1 for _ in lexer.lex(text))


def parse_table(n: int) -> dict[str, object]:
    print(f"\nParsing at {n:,} nodes, µs per token: gradcalc (text to AST) beside CPython's ast.parse of the same")
    print("text.\n")
    print(f"{'shape':<7} {'tokens':>9} {'gradcalc':>9} {'CPython':>9} {'ratio':>6}")
    figures: dict[str, object] = {}
    for shape in SHAPES:
        text = SHAPES[shape](n)
        tokens = token_count(text)
        with gc_paused():
            ours, _ = best(3, lambda: parse(Source(text)))  # noqa: B023
            try:
                theirs, _ = best(3, lambda: python_ast.parse(text))  # noqa: B023
            except (RecursionError, SyntaxError, MemoryError):
                theirs = float("nan")
        us, cpython = ours / tokens * 1e6, theirs / tokens * 1e6
        shown = f"{cpython:>9.2f} {us / cpython:>6.2f}" if cpython == cpython else f"{'cannot':>9} {'':>6}"
        print(f"{shape:<7} {tokens:>9,} {us:>9.2f} {shown}")
        figures[shape] = {"tokens": tokens, "us_per_token": us, "cpython_us_per_token": cpython}
    print("target: within 2x of CPython where it can parse the text")
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--huge", action="store_true", help="phases at 1e6 nodes too (about 12 minutes, 3 GB)")
    parser.add_argument("--phases", action="store_true", help="the phase table only")
    parser.add_argument("--size", type=int, default=100_000, help="nodes for the parse table")
    parser.add_argument("--terms", type=int, default=100_000, help="statements or terms for the process table")
    parser.add_argument("--repeats", type=int, default=3, help="runs of each process, the best kept")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument("--measure", nargs=2, metavar=("SHAPE", "N"), help=argparse.SUPPRESS)  # measured_afresh's
    args = parser.parse_args()
    sys.setrecursionlimit(1000)  # gradcalc must work at the default limit
    if args.measure:
        shape, n = args.measure[0], int(args.measure[1])
        measured = phases(shape, n)  # first, in a fresh process: the references after it use its freed memory
        measured |= {"tape": hand_tape(shape, n, programs=copies(n)), "names": names_reference(shape, n)}
        print(json.dumps(measured))
        return
    print(f"python {sys.version.split()[0]} on {os.cpu_count()} CPUs, {time.strftime('%Y-%m-%d %H:%M')}\n")
    sizes = [10_000, 100_000, 1_000_000] if args.huge else [10_000, 100_000]
    figures: dict[str, object] = {"phases": phase_table(sizes)}
    if not args.phases:
        figures["parse"] = parse_table(args.size)
        figures["process"] = process_table(args.terms, args.repeats)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
