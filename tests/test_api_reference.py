"""docs/API.md is what scripts/api_reference.py writes from the docstrings, and their examples hold."""

from __future__ import annotations

import doctest
import subprocess
import sys

import pytest

import gradcalc.api.results
import gradcalc.api.session
import gradcalc.api.training
from conftest import ROOT


def test_the_committed_reference_is_up_to_date():
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "api_reference.py"), "--check"], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("module", [gradcalc.api.results, gradcalc.api.session, gradcalc.api.training, gradcalc])
def test_the_examples_in_the_docstrings_hold(module):
    failed, tried = doctest.testmod(module, globs={**vars(module), "gradcalc": gradcalc}, report=False)
    assert tried > 0 and failed == 0


def test_every_public_name_is_found_where_the_package_says():
    import gradcalc.api

    assert sorted(gradcalc.api.__all__) == sorted(name for name in gradcalc.__all__ if name != "__version__")
    for name in gradcalc.api.__all__:
        assert getattr(gradcalc, name) is getattr(gradcalc.api, name)


def test_the_python_examples_in_the_readme_hold():
    """The README's ``pycon`` blocks, run in order in one namespace, print what they show."""
    import re

    text = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"^```pycon\n(.*?)^```", text, re.S | re.M)
    assert blocks
    parser, runner, namespace = doctest.DocTestParser(), doctest.DocTestRunner(), {}
    for k, block in enumerate(blocks):
        test = parser.get_doctest(block, namespace, f"README pycon block {k + 1}", "README.md", 0)
        runner.run(test, clear_globs=False)
        namespace = test.globs  # a DocTest runs in a copy of the names it is given
    failed, tried = runner.summarize(verbose=False)
    assert tried > 0 and failed == 0
