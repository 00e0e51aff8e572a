"""Shared helpers: run the real console script the way a user does."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"


def gradcalc_command() -> list[str]:
    """The installed console script, or the module when no script is on PATH."""
    script = shutil.which("gradcalc") or str(Path(sys.executable).with_name("gradcalc"))
    return [script] if Path(script).exists() else [sys.executable, "-m", "gradcalc"]


def run_gradcalc(
    *args: str,
    stdin: str | None = None,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 60,
) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "200", **(env or {})}
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
