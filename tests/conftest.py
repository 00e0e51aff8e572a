"""Shared helpers: run the real console script the way a user does."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import settings

# CI draws the same examples on every run, so a red CI names an example anyone can rerun; elsewhere each
# run draws new ones (and may find what CI never tries). A test's own settings still say how many.
settings.register_profile("ci", derandomize=True, database=None)
if os.environ.get("CI"):
    settings.load_profile("ci")

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"


def gradcalc_command() -> list[str]:
    """The console script installed beside this Python (not another install on PATH), else the module."""
    beside = Path(sys.executable).with_name("gradcalc")
    return [str(beside)] if beside.exists() else [sys.executable, "-m", "gradcalc"]


def run_gradcalc(
    *args: str,
    stdin: str | None = None,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 60,
    columns: int | None = 200,
) -> subprocess.CompletedProcess[str]:
    """``columns=None`` runs with no COLUMNS at all: output to a pipe is then laid out for its content."""
    full_env = {**os.environ, "NO_COLOR": "1", "COLUMNS": str(columns), **(env or {})}
    if columns is None:
        del full_env["COLUMNS"]
    result = subprocess.run(
        [*gradcalc_command(), *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=cwd,
        env=full_env,
        timeout=timeout,
    )
    assert "Traceback" not in result.stderr, result.stderr
    return result


@pytest.fixture
def gradcalc():
    return run_gradcalc


@pytest.fixture(scope="session")
def dot() -> str:
    """Graphviz's ``dot``: the tests that draw with it skip without it, and fail when CI is set."""
    found = shutil.which("dot")
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("CI is set but Graphviz's dot is not on PATH: install graphviz")
        pytest.skip("Graphviz's dot is not installed")
    return found
