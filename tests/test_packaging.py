"""The grammar ships inside the wheel, and the installed command finds it from anywhere."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

from conftest import ROOT, run_gradcalc


def test_wheel_contains_the_grammar(tmp_path):
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("gradcalc-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "gradcalc/grammar/gradcalc.lark" in names
    grammar = zipfile.ZipFile(wheel).read("gradcalc/grammar/gradcalc.lark").decode()
    assert grammar == (ROOT / "grammar" / "gradcalc.lark").read_text()


def test_installed_command_works_from_another_folder(tmp_path):
    out = run_gradcalc("eval", "x*x", "x=3", "--json", cwd=tmp_path)
    assert json.loads(out.stdout)["gradients"] == {"x": 6.0}


def test_grammar_is_found_where_the_package_is_installed():
    import gradcalc
    from gradcalc.parser import grammar_path

    path = grammar_path()
    assert path.is_file()
    package = Path(gradcalc.__file__).parent
    if package.parent.name == "site-packages":  # a regular (non-editable) install, as in CI
        assert path.is_relative_to(package)
