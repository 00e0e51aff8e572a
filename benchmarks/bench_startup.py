"""One-shot start-up: `gradcalc eval` beside the Typer floor and the bare interpreter, in CPU time.

    .venv/bin/python benchmarks/bench_startup.py              # best of 20
    .venv/bin/python benchmarks/bench_startup.py --runs 50 --imports

Run it with the Python of the README's install (``pip install .`` into a venv): an editable install
resolves imports through a path hook and measures differently. The figures are the child process's
user + system CPU time (from ``os.wait4``), best of N, so other processes on the machine cost it
little; each command runs interleaved with the others, so a drift in load hits all alike.

- ``python -c pass``: the interpreter alone (with the venv's site-packages);
- the Typer floor: a Typer app with one command (a text argument and a flag, like ``eval x --json``)
  that prints a constant; Typer's own import and its argument checking are in it;
- ``gradcalc eval x x=1 --json`` and the same with the table; targets (issue 10): --json within 1.3x
  the Typer floor, the table within 1.6x.

``--instructions`` also counts each command's instructions under Valgrind's callgrind (one run each,
``PYTHONHASHSEED=0``): slow (about 15 s a command) but the same on every run however loaded the
machine is, where CPU times on a shared machine move by 10-20 %. ``--imports`` also prints the twenty
slowest modules of ``python -X importtime`` for each gradcalc command (cumulative microseconds), to see
what start-up still imports.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

TYPER_FLOOR = """
import typer

app = typer.Typer(add_completion=False)


@app.command()
def main(program: str, json: bool = typer.Option(False, "--json")) -> None:
    print("constant")


app()
"""


def cpu_seconds(command: list[str]) -> float:
    """User + system CPU time of one run of ``command`` (its output discarded); it must succeed."""
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(command)} exited with {process.returncode}")
    return usage.ru_utime + usage.ru_stime


def gradcalc_command() -> list[str]:
    script = Path(sys.executable).parent / "gradcalc"
    return [str(script)] if script.exists() else [sys.executable, "-m", "gradcalc"]


def commands(floor: Path) -> dict[str, list[str]]:
    gradcalc = gradcalc_command()
    return {
        "python -c pass": [sys.executable, "-c", "pass"],
        "typer floor": [sys.executable, str(floor), "x", "--json"],
        "eval x x=1 --json": [*gradcalc, "eval", "x", "x=1", "--json"],
        "eval x x=1 (table)": [*gradcalc, "eval", "x", "x=1"],
    }


def best_times(named: dict[str, list[str]], runs: int) -> dict[str, float]:
    for command in named.values():  # warm the file cache and gradcalc's parse-table cache
        cpu_seconds(command)
    times: dict[str, list[float]] = {name: [] for name in named}
    for _ in range(runs):
        for name, command in named.items():
            times[name].append(cpu_seconds(command))
    return {name: min(values) for name, values in times.items()}


def instructions(command: list[str]) -> int:
    """Instructions one run of ``command`` executes, counted by callgrind."""
    out = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", *command],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONHASHSEED": "0"},
    )
    found = re.search(r"Collected : (\d+)", out.stderr)
    if found is None:
        raise SystemExit(f"callgrind gave no count for {' '.join(command)}: {out.stderr[-500:]}")
    return int(found.group(1))


def slowest_imports(command: list[str], count: int = 20) -> list[tuple[int, str]]:
    """The ``count`` modules with the largest cumulative import time (µs) in one run of ``command``."""
    if Path(command[0]).name == "gradcalc":
        command = [sys.executable, "-m", "gradcalc", *command[1:]]
    else:
        command = [command[0], *command[1:]]
    out = subprocess.run([command[0], "-X", "importtime", *command[1:]], capture_output=True, text=True)
    rows = []
    for line in out.stderr.splitlines():
        if line.startswith("import time:") and "cumulative" not in line:
            _, cumulative, name = line.split("|")
            rows.append((int(cumulative), name.rstrip()))
    return sorted(rows, reverse=True)[:count]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20, help="runs of each command (best is kept)")
    parser.add_argument("--imports", action="store_true", help="also list the slowest imports")
    parser.add_argument("--instructions", action="store_true", help="also count instructions (Valgrind)")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        floor = Path(tmp) / "typer_floor.py"
        floor.write_text(TYPER_FLOOR)
        named = commands(floor)
        times = best_times(named, args.runs)
        python, typer_floor = times["python -c pass"], times["typer floor"]
        print(f"One-shot start-up, CPU time (user + system), best of {args.runs} ({sys.executable}):")
        for name, seconds in times.items():
            print(f"  {name:<20} {seconds * 1000:7.1f} ms   {seconds / typer_floor:5.2f}x the Typer floor   "
                  f"{(seconds - python) * 1000:+7.1f} ms over python")
        print("  targets: eval --json <= 1.3x, eval (table) <= 1.6x the Typer floor")
        figures = {name: seconds * 1000 for name, seconds in times.items()}
        if args.instructions:
            if shutil.which("valgrind") is None:
                raise SystemExit("--instructions needs valgrind (apt-get install valgrind)")
            counts = {name: instructions(command) for name, command in named.items()}
            floor_count = counts["typer floor"]
            print("\nInstructions (callgrind, one run each; the same on every run):")
            for name, count in counts.items():
                print(f"  {name:<20} {count / 1e6:7.1f} M   {count / floor_count:5.2f}x the Typer floor")
            figures |= {f"{name} (M instructions)": count / 1e6 for name, count in counts.items()}
        if args.imports:
            for name in ("eval x x=1 --json", "eval x x=1 (table)"):
                print(f"\nSlowest imports of {name} (cumulative µs, one run, -X importtime):")
                for micros, module in slowest_imports(named[name]):
                    print(f"  {micros:>8,} {module}")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
