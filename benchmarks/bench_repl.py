"""The REPL stays instant on a large session.

A session of 1,000 statements (about 10,000 nodes) where every statement builds on the one before, so
the last value depends on every node: the worst case for a redisplay. Measured, each the median of
REPEATS runs:

- update: ``x = 0.7`` on the existing input (in place) and the redisplay of the last value ``h999``
  (a forward and backward pass over all its ancestors, the labels and the printed summary). Target:
  under 100 ms;
- reference: ``gradcalc run`` of the same session from scratch (parse, lower, evaluate): what
  re-running the whole program would cost instead;
- typing: the average time of one statement while the session is built (parse, lower, evaluate, print).

Run: python benchmarks/bench_repl.py [STATEMENTS]
"""

from __future__ import annotations

import io
import statistics
import sys
import time

from rich.console import Console

from gradcalc.program import run_source
from gradcalc.repl.commands import run_line
from gradcalc.repl.display import renderable
from gradcalc.repl.session import Session
from gradcalc.source import Source

REPEATS = 21
TARGET_MS = 100.0


def session_lines(statements: int) -> list[str]:
    lines = ["x = 0.5; w = 1.5; b = 0.1", "h0 = x"]
    lines += [f"h{i} = tanh(w * h{i - 1} + b) * 0.5 + sin(h{i - 1}) * 0.25" for i in range(1, statements - 1)]
    return lines


def shown(session: Session, line: str, console: Console) -> None:
    for outcome in run_line(session, line):
        console.print(renderable(outcome, session.settings.precision))


def main() -> None:
    statements = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    lines = session_lines(statements)
    console = Console(file=io.StringIO(), width=100, highlight=False)
    session = Session()
    start = time.perf_counter()
    for line in lines:
        shown(session, line, console)
    typing = (time.perf_counter() - start) / len(lines)
    last = f"h{statements - 2}"

    updates = []
    for repeat in range(REPEATS):
        start = time.perf_counter()
        shown(session, f"x = {0.7 + repeat / 100}", console)
        shown(session, last, console)
        updates.append(time.perf_counter() - start)

    program = session.program_text()
    references = []
    for _ in range(5):
        start = time.perf_counter()
        run_source(Source(program, "session.gc"))
        references.append(time.perf_counter() - start)

    update_ms = statistics.median(updates) * 1000
    reference_ms = statistics.median(references) * 1000
    print(f"session: {len(lines):,} statements, {len(session.graph):,} nodes (the last value depends on all)")
    print(f"update one input and redisplay the last value: median {update_ms:.1f} ms, max {max(updates) * 1000:.1f} ms")
    print(f"reference, the whole session run from scratch: {reference_ms:.1f} ms ({reference_ms / update_ms:.1f}x)")
    print(f"one statement typed while building it: {typing * 1000:.2f} ms on average")
    verdict = "OK" if update_ms < TARGET_MS else "TOO SLOW"
    print(f"target: under {TARGET_MS:.0f} ms: {verdict}")
    if update_ms >= TARGET_MS:
        sys.exit(1)


if __name__ == "__main__":
    main()
