"""The --json text is written row by row for speed; it must stay exactly json.dumps of the document."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gradcalc.program import run_source
from gradcalc.source import Source
from gradcalc.views.json_view import document, render_json

EXAMPLES = sorted((Path(__file__).resolve().parents[1] / "examples").glob("*.gc"))
PROGRAMS = [
    "(x+y)*z",
    "relu(x) + abs(x) + 1/y",  # kinks at x = 0: warnings
    "a = 2; b = a*x; b = b^2; exp(b) - 3 + max(x, x)",
    "x^0.5 * log(y)",  # an infinite local partial and gradient at x = 0: null
    "x",
    "x*2^3 - pi",
]


@pytest.mark.parametrize("text", PROGRAMS + [path.read_text() for path in EXAMPLES])
def test_json_text_is_json_dumps_of_the_document(text):
    result = run_source(Source(text), {"x": 0.0, "y": 3.0, "z": -3.0, "x0": 1.0, "x1": -2.0})
    expected = json.dumps(document(result), allow_nan=False, separators=(", ", ": ")) + "\n"
    assert render_json(result) == expected
