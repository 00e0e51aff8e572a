"""The long fuzz run: ``python scripts/fuzz.py --n 100000`` programs (and n/20 REPL sessions).

The generators and the check are those of the CI run (``tests/fuzz_programs.py``); here they run in
batches of 500 for as many programs (or ``--minutes``) as asked, with progress on stderr, and the
slowest programs seen are printed at the end. A failure stops the run with hypothesis's smallest
reproducer of it. Exit status 0 when every input passed and none under 10 kB took over a second.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from collections.abc import Callable
from typing import TypeVar

from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis.strategies import SearchStrategy

import fuzz_programs as fp

T = TypeVar("T")


BATCH = 500  # programs per batch; a batch also runs n/20 of its size in REPL sessions


def run(count: int, run_seed: int, strategy: SearchStrategy[T], check: Callable[[T], None]) -> None:
    """``count`` examples of ``strategy`` through ``check``; a failure is shrunk and raised."""

    @seed(run_seed)
    @settings(
        max_examples=count,
        deadline=None,
        database=None,
        phases=[Phase.generate, Phase.shrink],
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def case(example: T) -> None:
        check(example)

    case()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000, help="programs to generate (default 10000)")
    parser.add_argument("--minutes", type=float, default=None, help="stop after the batch that passes this time")
    parser.add_argument("--seed", type=int, default=0, help="the run's seed: the same seed, the same inputs")
    parser.add_argument("--slowest", type=int, default=10, help="how many of the slowest programs to print")
    args = parser.parse_args()
    timings = fp.Timings(keep=args.slowest)
    sessions = 0
    began = time.perf_counter()
    programs = fp.st.tuples(fp.any_program, fp.inputs)
    for batch, first in enumerate(range(0, args.n, BATCH)):
        size = min(BATCH, args.n - first)
        run(size, args.seed * 1_000_003 + batch, programs, lambda case: fp.exercise(*case, timings=timings))
        count = timings.programs
        run(size // 20, args.seed * 1_000_003 + batch, fp.sessions, lambda lines: fp.exercise_session(lines, timings))
        sessions += size // 20
        elapsed = time.perf_counter() - began
        print(f"{first + size} programs, {sessions} sessions in {elapsed:.0f} s", file=sys.stderr, flush=True)
        if args.minutes is not None and elapsed > 60 * args.minutes:
            break
    programs_run = first + size
    elapsed = time.perf_counter() - began
    print(
        f"{programs_run} programs ({count} evaluated or rejected, {timings.succeeded} of them evaluated in every"
        f" view) and {sessions} REPL sessions passed in {elapsed:.0f} s"
    )
    print("slowest:")
    for seconds, view, text in timings.slowest:
        shown = text if len(text) <= 100 else text[:97] + "..."
        print(f"  {seconds:6.3f} s  {view:<22} {len(text.encode('utf-8', 'replace')):>6} B  {shown!r}")
    over = timings.over(fp.SLOW_SECONDS)
    if over:
        print(f"{len(over)} of the slowest programs under 10 kB took more than {fp.SLOW_SECONDS} s in a view")
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
