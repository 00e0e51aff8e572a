"""The code is ruff clean and its type hints check, so a slip fails CI like any other bug."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT


def ruff() -> list[str]:
    script = Path(sys.executable).with_name("ruff")
    if script.exists():
        return [str(script)]
    if shutil.which("ruff"):
        return ["ruff"]
    pytest.skip("ruff is not installed (it is in the test extras)")


def test_ruff_check_is_clean():
    out = subprocess.run([*ruff(), "check", "src", "tests", "benchmarks"], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
