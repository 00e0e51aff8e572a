"""The long fuzz run: ``python scripts/fuzz.py --n 100000 --jobs 2`` programs (and n/20 REPL sessions).

The generators and the check are those of the CI run (``tests/fuzz_programs.py``); here they run in
batches of 500 programs (and 25 sessions) for as many programs (or ``--minutes``) as asked, on ``--jobs``
processes, with progress on stderr, and the slowest programs seen are printed at the end. Batch ``b`` of
the run ``--seed s`` always draws the same inputs, whatever the number of jobs, so a failure names its
batch and reproduces alone with ``--seed s --batch b``; hypothesis shrinks it to its smallest reproducer.
Exit status 0 when every input passed and none under 10 kB took over a second in a view (but the views
of ``KNOWN_SLOW``, reported on their own).
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
import traceback
import warnings
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from collections.abc import Callable
from typing import TypeVar

from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis.errors import HypothesisWarning
from hypothesis.strategies import SearchStrategy

import fuzz_programs as fp

T = TypeVar("T")

BATCH = 500  # programs per batch; a batch also runs a twentieth of its size in REPL sessions


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


def run_batch(run_seed: int, batch: int, size: int, keep: int) -> tuple[fp.Timings, int, str | None, int]:
    """One batch, in a worker process: its timings, its number of sessions, its failure's report, and the
    worker's resident memory at its end in MB (a worker runs batch after batch: that must stay flat)."""
    warnings.simplefilter("ignore", HypothesisWarning)  # "overly large repr" of a deep program
    timings = fp.Timings(keep=keep)
    batch_seed = run_seed * 1_000_003 + batch
    last: list[object] = []  # the example run last: after shrinking, the smallest that fails

    def program(case: tuple[str, dict[str, float]]) -> None:
        last[:] = [case]
        fp.exercise(*case, timings=timings)

    def session(lines: list[str]) -> None:
        last[:] = [lines]
        fp.exercise_session(lines, timings)

    try:
        run(size, batch_seed, fp.st.tuples(fp.any_program, fp.inputs), program)
        run(size // 20, batch_seed, fp.sessions, session)
    except Exception:  # the report of a failure is what the run is for
        example = repr(last[0]) if last else "?"
        return timings, size // 20, f"{traceback.format_exc()}smallest failing input: {example[:3000]}", _resident()
    return timings, size // 20, None, _resident()


def _resident() -> int:
    """This process's resident memory now, in MB (Linux), else its peak."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * resource.getpagesize() // 2**20
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000, help="programs to generate (default 10000)")
    parser.add_argument("--minutes", type=float, default=None, help="start no batch after this time")
    parser.add_argument("--seed", type=int, default=0, help="the run's seed: the same seed, the same inputs")
    parser.add_argument("--jobs", type=int, default=1, help="processes to run batches on (default 1)")
    parser.add_argument("--batch", type=int, default=None, help="run only this batch of the run (to reproduce)")
    parser.add_argument("--slowest", type=int, default=10, help="how many of the slowest programs to print")
    args = parser.parse_args()
    batches = range((args.n + BATCH - 1) // BATCH) if args.batch is None else [args.batch]
    timings = fp.Timings(keep=args.slowest)
    programs = sessions = 0
    failures: list[tuple[int, str]] = []
    began = time.perf_counter()
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        waiting = iter(batches)
        running: dict[Future[tuple[fp.Timings, int, str | None, int]], int] = {}
        memory: list[int] = []  # each batch's worker's resident memory at its end, in MB
        while True:
            while len(running) < args.jobs:  # a failed batch is reported at the end; the others run on
                if args.minutes is not None and time.perf_counter() - began > 60 * args.minutes:
                    break
                batch = next(waiting, None)
                if batch is None:
                    break
                size = min(BATCH, args.n - batch * BATCH) if args.batch is None else BATCH
                running[pool.submit(run_batch, args.seed, batch, size, args.slowest)] = batch
            if not running:
                break
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                batch = running.pop(future)
                batch_timings, batch_sessions, failure, resident = future.result()
                memory.append(resident)
                timings.merge(batch_timings)
                programs, sessions = timings.programs, sessions + batch_sessions
                if failure is not None:
                    failures.append((batch, failure))
                elapsed = time.perf_counter() - began
                print(
                    f"{programs} programs, {sessions} sessions in {elapsed:.0f} s"
                    f" (batch {batch}: worker at {resident} MB)",
                    file=sys.stderr,
                    flush=True,
                )
    elapsed = time.perf_counter() - began
    for batch, failure in failures:
        print(f"batch {batch} failed (rerun it alone with --seed {args.seed} --batch {batch}):\n{failure}")
    verdict = "ran" if failures else "passed"
    print(
        f"{programs} programs ({timings.succeeded} of them evaluated in every view) and {sessions} REPL sessions"
        f" {verdict} in {elapsed:.0f} s on {args.jobs} job{'s' * (args.jobs != 1)}"
    )
    if memory:
        print(f"worker memory after each batch: first {memory[0]} MB, largest {max(memory)} MB, last {memory[-1]} MB")
    missing = sorted({op.name for op in fp.ops.OPS} - timings.ops_seen)
    if missing:
        print(f"ops of the table no evaluated graph used: {', '.join(missing)}")
    total = sum(timings.spent.values()) or 1.0
    shares = sorted(timings.spent.items(), key=lambda item: -item[1])
    print("time by view: " + ", ".join(f"{view} {100 * seconds / total:.0f}%" for view, seconds in shares))
    _print_slowest("slowest:", timings.slowest)
    over = timings.over(fp.SLOW_SECONDS)
    if over:
        print(f"{len(over)} of the slowest programs under 10 kB took more than {fp.SLOW_SECONDS} s in a view")
    for view, why in fp.KNOWN_SLOW.items():
        _print_slowest(
            f"slowest in {view} (known: {why}):", [t for t in timings.known_slowest if t[1].startswith(view)]
        )
    return 1 if over or failures else 0


def _print_slowest(title: str, slowest: list[tuple[float, str, str]]) -> None:
    print(title)
    for seconds, view, text in slowest:
        shown = text if len(text) <= 100 else text[:97] + "..."
        print(f"  {seconds:6.3f} s  {view:<26} {len(text.encode('utf-8', 'replace')):>6} B  {shown!r}")


if __name__ == "__main__":
    sys.exit(main())
