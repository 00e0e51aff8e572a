"""Helpers for the REPL tests: the real console script, through a pipe or a pseudo-terminal."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from gradcalc.program import Result


def gradcalc_command() -> list[str]:
    """The console script of the Python running the tests (else on PATH), or the module."""
    beside = Path(sys.executable).with_name("gradcalc")
    script = str(beside) if beside.exists() else shutil.which("gradcalc")
    return [script] if script else [sys.executable, "-m", "gradcalc"]


def isolated_env(home: Path, **extra: str) -> dict[str, str]:
    """A HOME and XDG data directory of the test's own, so history never leaks between tests."""
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "XDG_DATA_HOME", "COLUMNS", "LINES")}
    env.update(HOME=str(home), XDG_DATA_HOME=str(home / "data"), XDG_CACHE_HOME=str(home / "cache"))
    env.update(extra)
    return env


def run_gradcalc(
    *args: str, stdin: str | None = None, home: Path, cwd: Path | None = None, **env: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*gradcalc_command(), *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=cwd,
        env=isolated_env(home, COLUMNS="200", **env),
        timeout=60,
    )


def rows(result: Result) -> list[tuple[str, str, float, float]]:
    """(label, op, value, gradient) of every node, in the table's order."""
    ev, nodes = result.evaluation, result.graph.nodes
    return [(result.labels[i], nodes[i].op.name, ev.values[i], ev.grads[i]) for i in ev.order]
