"""The --json text is written row by row for speed; it must stay exactly json.dumps of the document."""

from __future__ import annotations

import json
import math
import random
import struct
from pathlib import Path

import pytest

from gradcalc.program import run_source
from gradcalc.source import Source
from gradcalc.views.json_view import _lists_text, _numbers_text, document, render_json

EXAMPLES = sorted((Path(__file__).resolve().parents[1] / "examples").glob("*.gc"))
PROGRAMS = [
    "(x+y)*z",
    "relu(x) + abs(x) + 1/y",  # kinks at x = 0: warnings
    "a = 2; b = a*x; b = b^2; exp(b) - 3 + max(x, x)",
    "x^0.5 * log(y)",  # an infinite local partial and gradient at x = 0: null
    "x",
    "x*2^3 - pi",
    "y = relu(x) * 2; z = 3; abs(y) * z + relu(x)",  # an input after gates (inputs come first) and warnings
    "d = x * 5; (x + y) * z",  # a node the output does not read: the ids are places in the order, not node ids
]


@pytest.mark.parametrize("text", PROGRAMS + [path.read_text() for path in EXAMPLES])
def test_json_text_is_json_dumps_of_the_document(text):
    result = run_source(Source(text), {"x": 0.0, "y": 3.0, "z": -3.0, "x0": 1.0, "x1": -2.0})
    expected = json.dumps(document(result), allow_nan=False, separators=(", ", ": ")) + "\n"
    assert render_json(result) == expected


def _chain(n: int) -> str:
    lines = ["x = 0.5", "h = x * 1.0001"] + ["h = h * 1.0001" if i % 2 else "h = h + x" for i in range(n)]
    return "\n".join(lines)


def _wide(n: int, values: list[str]) -> str:
    lines = [f"w{i} = {values[i % len(values)]}" for i in range(n)] + [f"x{i} = {i % 7 + 1}" for i in range(n)]
    return "\n".join([*lines, " + ".join(f"w{i}*x{i}" for i in range(n))])


SCALE = {
    "chain": _chain(12_000),  # every value and gradient a different number
    "wide, values repeating": _wide(4_000, ["0.51", "2", "-1.5"]),  # each number written once, then reused
    "wide, signed zeros": _wide(4_000, ["0.51", "0", "-0.0", "2"]),  # 0.0 and -0.0: one dict key, two texts
    "infinite partials": "x = 0\n" + " + ".join(f"x^0.5 * {i % 3}" for i in range(3_000)),  # null, repeated
    "every magnitude": "x = 3e-7\n"  # values and partials from 1e-300 to 1e300: orjson's texts respelled
    + " + ".join(f"x * {1 + i % 9}.{i % 7}e{i % 601 - 300}" for i in range(3_000)),
    "loops and calls": "w = 0.5\nh = 0\ncell(v, x) = tanh(w*v + x)\n"
    + "for x in [" + ", ".join(str(i % 5 / 4) for i in range(3_000)) + "] {\n  h = cell(h, x)\n}\n",
}


@pytest.mark.parametrize("text", SCALE.values(), ids=SCALE.keys())
def test_json_text_is_json_dumps_of_the_document_at_scale(text):
    # thousands of nodes, each column written in one orjson call
    for expanded in (False, True):
        result = run_source(Source(text), {}, expanded=expanded)
        assert len(result.evaluation.order) > 2_000
        expected = json.dumps(document(result), allow_nan=False, separators=(", ", ": ")) + "\n"
        assert render_json(result) == expected


def test_each_float_is_written_as_json_dumps_writes_it():
    # random bit patterns: every exponent, subnormals, signed zeros, integers, infinities and NaN
    rng = random.Random(1)
    numbers = [struct.unpack("d", rng.getrandbits(64).to_bytes(8, "little"))[0] for _ in range(50_000)]
    numbers += [rng.uniform(-1e-3, 1e-3) * 10 ** -rng.randint(0, 12) for _ in range(20_000)]
    numbers += [float(rng.randint(-(10**18), 10**18)) for _ in range(5_000)]
    numbers += [3570.0000000000005, 10.00001, -0.00001, 0.0, -0.0, 1e16, 1e-4, 9.999999999999999e-05, 5e-324]
    numbers += [math.inf, -math.inf, math.nan]
    finite = [x if math.isfinite(x) else None for x in numbers]
    assert _numbers_text(numbers) == [json.dumps(x) for x in finite]
    lists = [tuple(numbers[i : i + i % 3]) for i in range(0, len(numbers) - 2, 2)]
    assert _lists_text(lists) == [json.dumps([x if math.isfinite(x) else None for x in t])[1:-1] for t in lists]
    # columns of one kind each: a long product's values past 1e16 (written alike), small ones (respelled)
    for column in ([2 * 1.0001**k for k in range(400_000, 401_000)], [1.5e-7, 2e-5, 3e-9], [1e-100, 1e-10]):
        assert _numbers_text(column) == [json.dumps(x) for x in column]
        assert _lists_text([tuple(column)]) == [json.dumps(column)[1:-1]]
