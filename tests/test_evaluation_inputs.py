"""``Evaluation.inputs`` is every input the evaluation read, in its order, wherever the program assigns
it: after gates, inside a function's body, in a loop, in a REPL session, collapsed or expanded. The
property reads only the order's first nodes, so these check that every way of making an evaluation puts
its inputs first."""

from __future__ import annotations

import pytest

from gradcalc.program import Result, run_source
from gradcalc.repl.session import Session
from gradcalc.source import Source

PROGRAMS = [
    "x = 1\ny = 3\nz = -3\n(x+y)*z",
    "x = 1\ny = x * 2\nw = 3\nf = y * w + x",  # an input assigned after a gate that reads another
    "a = 1\nb = a * a\nc = 2\nb = b + c\nd = 5\nb * d",
    "w = 0.5\nh = 0\ncell(v, x) = tanh(w*v + x)\nfor x in [1, 0.5, -0.25] {\n  h = cell(h, x)\n}\nh",
    "k = 3\nsq(t) = t*t*k\nz = 2\nsq(z) + sq(k)",
    "x = 0.5\nf = sigmoid(2*x + 1)",
]


def read(result: Result) -> list[int]:
    nodes = result.graph.nodes
    return [i for i in result.evaluation.order if nodes[i].is_input]


@pytest.mark.parametrize("text", PROGRAMS)
@pytest.mark.parametrize("how", [{}, {"expanded": True}, {"collapsed": True}])
def test_the_inputs_are_those_the_order_holds_in_its_order(text: str, how: dict[str, bool]) -> None:
    result = run_source(Source(text), **how)
    assert result.evaluation.inputs == read(result)
    assert result.evaluation.inputs  # each program reads an input


def test_a_sessions_inputs_are_those_its_order_holds_after_every_line() -> None:
    session = Session()
    for line in ["x = 0.5", "h = x * 2", "y = 3", "h = h + y", "z = 1", "h * z + x", "y = 4", "h"]:
        session.run(line)
        result = session.last_result()
        assert result.evaluation.inputs == read(result), line
