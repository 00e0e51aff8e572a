"""The code is ruff clean and its type hints check, so a slip fails CI like any other bug."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT


def tool(name: str) -> list[str]:
    script = Path(sys.executable).with_name(name)
    if script.exists():
        return [str(script)]
    if shutil.which(name):
        return [name]
    pytest.skip(f"{name} is not installed (it is in the test extras)")


def test_ruff_check_is_clean():
    out = subprocess.run([*tool("ruff"), "check", "src", "tests", "benchmarks"], cwd=ROOT, capture_output=True,
                         text=True)
    assert out.returncode == 0, out.stdout + out.stderr


def test_type_hints_check_with_mypy():
    out = subprocess.run(tool("mypy"), cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
