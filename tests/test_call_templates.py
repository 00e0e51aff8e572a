"""A call or a loop step replayed from its template makes exactly the nodes lowering it afresh makes.

``lowering._Template`` and ``lowering._StepTemplate``: the first call (or step) of a shape is lowered by
walking the AST, later ones replay the nodes it made. Each program here is lowered both ways
(templates turned off by making every body one that cannot be replayed) and the graphs compared node
by node, name by name, scope by scope; and the user-visible numbers and errors are those of the
statements typed out.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from gradcalc import lowering
from gradcalc.graph import Graph
from gradcalc.parser import parse
from gradcalc.repl.session import Session
from gradcalc.source import Source
from helpers import gradients, run
from repl_support import run_gradcalc

PROGRAMS = [
    "h = 0; w = 0.5; cell(v) = tanh(w*v + 1)\nh = cell(h)\nh = cell(h)\nh = cell(h)",
    "f(x) = { a = 2*x; b = a^2; a + b + 1 }\nx = 1; y = 2\nz = f(x) + f(y) + f(x*y) + f(x)",
    "f(a, b) = a*b + a\nx = 3\ny = f(x, x) + f(x, 2*x) + f(2*x, x) + f(x, x)",  # which arguments are the same node
    "f(t) = t*pi + 2*3\nx = 1\ny = f(x) + f(x + 1)",  # constants folded in the body, a constant name
    "f(t) = t*pi\nx = 1; pi = 4\ny = f(x) + f(x)",  # pi bound by the program: another shape
    "sig(t) = 1/(1+exp(-t))\nw = 2; b = -1; x = 3\ny = sig(sig(w*x + b) * w + b) + sig(x)",
    "f(x) = x^2 + 1\nx = 3\ny = f(f(x))",
    "f(t) = t + 1\nx = 2\ny = f(2) + f(x) + f(3) + f(x)",  # constant arguments are lowered afresh
    "g(u) = 3*f(u) + f(u*u)\nf(t) = sqrt(t) + t\nx = 4\ny = g(x) + g(x + 1)",  # f's calls inside g's
    "f(t) = t * k\nk = 2; x = 1\nfor s in 1..3 { x = f(x) + f(x*s) }",  # in a loop: node and folded arguments
    "f(t) = { a = t; a * 2 }\nx = 1\ny = f(x) + f(x)",  # a local that names an argument's node: never replayed
    "f(t) = { q = t * 2; q = q + t; q }\nx = 1\ny = f(x) * f(x + 1)",  # a local assigned twice
    "f(x) = x\nw = 3\ny = f(w) * f(w)",  # a body that passes its argument through
    "h = 0; w = 0.5\nfor t in 1..5 { h = tanh(w*h + 1) }",
    "h = 0; w = 0.5; c = 1\nfor t in 1..4 { a = w*h; h = tanh(a + c); c = c * h; h = h + 0 }",
    "x = 1; y = 2\nfor t in 1..4 { z = x * y; x = y; y = z }",  # aliases: a name bound to another's node
    "x = 1; y = 2\nfor t in 1..4 { x = x + y; y = x; x * 2 }",  # the same node under two names; a bare last
    "h = 1\nfor t in 1..3 { h = h * pi; h = h + 2*3 }",  # constants folded in a step
    "s = 0; w = 2\nfor x in [1, 2, 3] { s = s + w*x }",  # the counter read: each step afresh
    "h = 1\nfor t in 1..3 { h = h + 1; k = 5 }",  # a constant assigned: an input set at each step
    "h = 1; w = 3\nfor s in 1..2 { for t in 1..3 { h = sin(w*h) } }",  # nested: the inner loop replayed
    "cell(v) = tanh(w*v + 1)\nh = 0; w = 0.5\nfor t in 1..4 { h = cell(h) }",  # a call in a step
    "h = 1\nfor t in 1..3 { h = h * 2 }\nfor t in 1..3 { h = h * 2 }",  # two loops, one body text
    # top-level assignments of one text: the third on are replayed from the second's nodes
    "x = 0.5; h = x * 1.0001\nh = h + x\nh = h * 1.0001\nh = h + x\nh = h * 1.0001\nh = h + x\nh = h * 1.0001",
    "x = 1\nh = x\nh = h * h\nh = h * h\nh = h * h\nh = h * h",  # one node read twice
    "x = 1; y = 2\nz = x * y\nz = x * y\nz = x * y\nx = z\nz = x * y\nz = x * y\ny = x\nz = x * y\nz = x * y",
    "a = 1; b = 2\nc = a\nc = a\nc = a\nd = c * b\nd = c * b\nd = c * b",  # aliases: no node made
    "x = 1\nh = x * pi\nh = h * pi\nh = h * pi\nh = h + 2*3\nh = h + 2*3\nh = h + 2*3",  # constants folded
    "k = 2*3\nk = 2*3\nk = 2*3\nh = k*k\nk = 2*3\nh = k*k",  # a constant assigned: an input set in place
    "x = 1\nh = x\nh = tanh(h) +  1\nh = tanh(h) +  1\nh = tanh(h) +  1\nh = tanh(h) + 1",  # spaces differ
    "f(t) = t^2\nx = 1\nh = f(x) + x\nh = f(x) + x\nh = f(x) + x\nh = grad(h, x)\nh = grad(h, x)",  # not replayed
    "x = 1; h = x\nfor t in 1..2 { h = h * 2 }\nh = h * 2\nh = h * 2\nfor t in 1..2 { h = h * 2 }\nh = h * 2",
]


def _graph(text: str, templates: bool, monkeypatch: pytest.MonkeyPatch) -> Graph:
    with monkeypatch.context() as patch:
        if not templates:
            patch.setattr(lowering, "_free_names", lambda function: None)
            patch.setattr(lowering, "_step_reads", lambda loop: None)
            patch.setattr(lowering, "_statement_reads", lambda statement: None)
        graph = Graph()
        lowering.lower(parse(Source(text)), graph)
    return graph


def _described(graph: Graph) -> list[tuple[object, ...]]:
    nodes = [
        (n.op.name, n.args, n.param, n.text, n.name, n.version, n.span and (n.span.start, n.span.end, n.span.text))
        for n in graph.nodes
    ]
    scopes = [(s.kind, s.name, s.value, s.parent, s.first, s.end, s.result, s.params, _args(s.args), s.text)
              for s in graph.scopes]
    return [*nodes, *scopes, tuple(sorted(graph.bindings.items()))]


def _args(args: object) -> tuple[object, ...]:
    """A call's arguments: nodes, or constants (compared by what they are, not by identity)."""
    return tuple(a if type(a) is int else (a.value, a.start, a.end, a.text) for a in args)  # type: ignore[attr-defined]


@pytest.mark.parametrize("text", PROGRAMS)
def test_a_replayed_call_makes_the_nodes_lowering_its_body_makes(text: str, monkeypatch: pytest.MonkeyPatch):
    assert _described(_graph(text, True, monkeypatch)) == _described(_graph(text, False, monkeypatch))


@pytest.mark.parametrize("compiled_after", [1, 2])
@pytest.mark.parametrize("text", PROGRAMS)
def test_a_compiled_step_replay_makes_the_nodes_lowering_afresh_makes(
    text: str, compiled_after: int, monkeypatch: pytest.MonkeyPatch
):
    """A step or a top-level assignment's template is compiled once replayed often (``_step_replayer``):
    here from its first replay on, or its second (the loop's replay first, then the compiled one's)."""
    monkeypatch.setattr(lowering, "_COMPILED_AFTER", compiled_after)
    assert _described(_graph(text, True, monkeypatch)) == _described(_graph(text, False, monkeypatch))


def test_a_long_chain_is_replayed_by_compiled_templates(monkeypatch: pytest.MonkeyPatch):
    compiled: list[lowering._StepTemplate] = []
    original = lowering._step_replayer

    def counting(template: lowering._StepTemplate) -> lowering._StepReplay:
        compiled.append(template)
        return original(template)

    monkeypatch.setattr(lowering, "_step_replayer", counting)
    lines = ["x = 0.5", "h = x * 1.0001"] + ["h = h * 1.0001" if i % 2 else "h = h + x" for i in range(300)]
    text = "\n".join(lines)
    assert _described(_graph(text, True, monkeypatch)) == _described(_graph(text, False, monkeypatch))
    assert len(compiled) == 2  # one template for each of the two texts
    assert all(template.uses == lowering._COMPILED_AFTER for template in compiled)
    result = run(text)
    assert (result.evaluation.value, gradients(result)["x"]) == pytest.approx(_chain(300), rel=1e-12)


def _chain(statements: int) -> tuple[float, float]:
    """The chain's value at x = 0.5 and its derivative in x, step by step."""
    h, dh = 0.5 * 1.0001, 1.0001
    for i in range(statements):
        h, dh = (h * 1.0001, dh * 1.0001) if i % 2 else (h + 0.5, dh + 1)
    return h, dh


def test_calls_of_one_shape_are_replayed_and_others_recorded():
    functions: lowering.Functions = {}
    graph = Graph()
    lowering.lower(parse(Source(PROGRAMS[2])), graph, functions=functions)
    assert set(functions["f"].templates) == {(0, 0), ()}  # f(x, x); f(x, 2*x) and f(2*x, x), all different


def test_a_repeated_top_level_assignment_is_replayed_from_its_second(monkeypatch: pytest.MonkeyPatch):
    replayed: list[int] = []
    original = lowering._replay_step

    def counting(low: lowering._Lowering, outside: list[int], template: lowering._StepTemplate, base: int = 0) -> None:
        replayed.append(base)
        original(low, outside, template, base)

    monkeypatch.setattr(lowering, "_replay_step", counting)
    text = "x = 0.5\n" + "h = x\n" + "h = h * 1.0001\n" * 5
    lowering.lower(parse(Source(text)), Graph())
    assert replayed == [14 + 15 * k for k in range(2, 5)]  # the 3rd to 5th "h = h * 1.0001", where each starts


def test_replayed_assignments_read_an_override_as_typed(monkeypatch: pytest.MonkeyPatch):
    text = "h = 1\n" + "h = h * x + 1\n" * 6  # x: given on the command line, an input from its first read
    graphs = []
    for templates in (True, False):
        with monkeypatch.context() as patch:
            if not templates:
                patch.setattr(lowering, "_statement_reads", lambda statement: None)
            graph = Graph()
            lowered = lowering.lower(parse(Source(text)), graph, {"x": 2.0})
        assert not lowered.unused_overrides and graph.nodes[graph.bindings["x"]].param == 2.0
        graphs.append(_described(graph))
    assert graphs[0] == graphs[1]


def test_a_recurrence_replayed_step_by_step_has_the_known_answers():
    result = run("h = 0; w = 0.5; for t in 1..3 { h = tanh(w*h + 1) }")
    assert result.evaluation.value == pytest.approx(0.893811, abs=5e-7)
    assert gradients(result)["w"] == pytest.approx(0.194320, abs=5e-7)


def test_a_step_replayed_in_a_repl_session_changes_inputs_and_names_as_typed():
    session = Session()
    session.run("h = 0; w = 0.5")
    shown = session.run("for t in 1..3 { h = tanh(w*h + 1) }")
    assert str(shown[0].value)[:8] == "0.893811"  # type: ignore[union-attr]
    session.run("w = 1")
    again = session.run("h")[0]
    expected = math.tanh(math.tanh(math.tanh(1) + 1) + 1)  # the three steps again, with w = 1
    assert again.result.evaluation.value == pytest.approx(expected, rel=1e-15)  # type: ignore[union-attr]


def test_the_weights_of_replayed_calls_are_shared():
    result = run("layer(v) = tanh(w*v + b)\nw = 0.5; b = 0.1; x = 1\ny = layer(layer(layer(x)))")
    typed = run("w = 0.5; b = 0.1; x = 1\nv1 = tanh(w*x + b)\nv2 = tanh(w*v1 + b)\ny = tanh(w*v2 + b)")
    assert result.evaluation.value == typed.evaluation.value
    assert gradients(result) == pytest.approx(gradients(typed), rel=1e-15)


def test_a_redefined_function_is_not_replayed_from_its_old_body():
    session = Session()
    session.run("f(t) = t + 1")
    session.run("x = 1")
    session.run("y = f(x)")
    session.run("f(t) = t * 10")
    outcome = session.run("z = f(x) + f(x)")[0]
    assert outcome.value == 20  # type: ignore[union-attr]


def test_an_error_in_a_replayed_call_names_that_call(tmp_path: Path):
    done = run_gradcalc("eval", "f(t) = log(t)\nx = -1\ny = f(-x) + f(x)", home=tmp_path)
    assert done.returncode == 1
    assert done.stderr.splitlines()[0] == (
        "<program>:3:13: error: log(-1) is undefined: log needs a positive argument"
        " (in f #2: the call f(x) at line 3, column 13)"
    )
    assert "in the body of f (f #2), at <program>:1:8:" in done.stderr


def test_the_steps_after_the_first_of_a_recurrence_are_replayed(monkeypatch: pytest.MonkeyPatch):
    replayed: list[int] = []
    original = lowering._replay_step

    def counting(low: lowering._Lowering, outside: list[int], template: lowering._StepTemplate) -> None:
        replayed.append(len(template.steps))
        original(low, outside, template)

    monkeypatch.setattr(lowering, "_replay_step", counting)
    lowering.lower(parse(Source(PROGRAMS[13])), Graph())
    assert replayed == [4, 4, 4, 4]  # steps 2 to 5, each w*h, 1, +, tanh
