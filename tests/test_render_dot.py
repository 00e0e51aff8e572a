"""The DOT text of the pictures: golden files, wire labels, splits, escaping, determinism.

Regenerate the golden files after an intended change with
``GRADCALC_UPDATE_GOLDEN=1 pytest tests/test_render_dot.py`` and review the diff.
"""

from __future__ import annotations

import math
import os
import re
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gradcalc.errors import UsageError
from gradcalc.program import Result, run_source
from gradcalc.source import Source
from gradcalc.views.dot import GRAD_COLOR, VALUE_COLOR, escape, render_dot
from gradcalc.views.json_view import document

GOLDEN = Path(__file__).parent / "golden"
UPDATE = bool(os.environ.get("GRADCALC_UPDATE_GOLDEN"))

SEED = ("(x+y)*z", {"x": 1, "y": 3, "z": -3})
NEURON = ("sigmoid(w0*x0 + w1*x1 + w2)", {"w0": 2, "x0": -1, "w1": -3, "x1": -2, "w2": -3})
REUSE = ("y = x*x + a + a", {"x": 3, "a": 1})

CASES = {
    "seed": (SEED, False, {}),
    "seed_boxes": (SEED, False, {"style": "boxes"}),
    "seed_tb": (SEED, False, {"rankdir": "TB"}),
    "neuron": (NEURON, False, {}),
    "neuron_expanded": (NEURON, True, {}),
    "reuse": (REUSE, False, {}),
}


def run(program: tuple[str, dict[str, float]], expanded: bool = False) -> Result:
    text, inputs = program
    return run_source(Source(text), {k: float(v) for k, v in inputs.items()}, expanded=expanded)


def wires(dot: str) -> dict[str, list[tuple[str, str]]]:
    """Each wire node's id -> its (colour, text) pieces, in order: name, value, gradient."""
    found = {}
    for node, label in re.findall(r"^  (n\d+|b\d+_\d+) \[shape=plaintext, margin=0, label=<(.*)>\];$", dot, re.M):
        found[node] = re.findall(r'<font color="(#[0-9a-f]{6})">([^<]*)</font>', label)
    return found


def numbers(pieces: list[tuple[str, str]]) -> tuple[list[str], list[str]]:
    """The green and the red texts of a wire."""
    return [t for c, t in pieces if c == VALUE_COLOR], [t for c, t in pieces if c == GRAD_COLOR]


@pytest.mark.parametrize("name", sorted(CASES))
def test_dot_matches_golden_file(name):
    program, expanded, options = CASES[name]
    text = render_dot(run(program, expanded), **options)
    golden = GOLDEN / f"{name}.dot"
    if UPDATE:
        golden.write_text(text, encoding="utf-8")
    assert text == golden.read_text(encoding="utf-8")


def test_same_program_gives_byte_identical_dot():
    first = render_dot(run(NEURON, expanded=True))
    again = render_dot(run(NEURON, expanded=True))
    assert first == again


def test_expanded_neuron_wires_carry_the_textbook_values_and_gradients():
    pieces = wires(render_dot(run(NEURON, expanded=True)))
    gates = [numbers(p) for node, p in pieces.items() if node.startswith("n") and int(node[1:]) >= 5]
    assert [v for (v,), _ in gates] == ["-2.00", "6.00", "4.00", "1.00", "-1.00", "0.37", "1.37", "0.73"]
    assert [g for _, (g,) in gates] == ["0.20", "0.20", "0.20", "0.20", "-0.20", "-0.53", "-0.53", "1.00"]
    inputs = {p[0][1]: numbers(p) for node, p in pieces.items() if node in {"n0", "n1", "n2", "n3", "n4"}}
    assert inputs == {
        "w0": (["2.00"], ["-0.20"]),
        "x0": (["-1.00"], ["0.39"]),
        "w1": (["-3.00"], ["-0.39"]),
        "x1": (["-2.00"], ["-0.59"]),
        "w2": (["-3.00"], ["0.20"]),
    }


def test_expanded_neuron_gates_show_their_folded_constants():
    dot = render_dot(run(NEURON, expanded=True))
    symbols = re.findall(r"^  g\d+ \[shape=ellipse, [^\]]*label=<([^>]*)>\];$", dot, re.M)
    assert symbols == ["*", "*", "+", "+", "*-1", "exp", "+1", "1/x"]


@pytest.mark.parametrize("program", ["tanh(a*b) / (a - 2)", "sigmoid(w0*x0 + w1*x1 + w2)", "-x^2 + x/4"])
def test_picture_and_json_show_the_same_expanded_gates(program):
    result = run_source(Source(program), {n: 0.5 for n in ("a", "b", "w0", "x0", "w1", "x1", "w2", "x")}, expanded=True)
    gates = [row["symbol"] for row in document(result)["nodes"] if row["inputs"]]
    dot = render_dot(result)
    assert re.findall(r"^  g\d+ \[shape=ellipse, [^\]]*label=<([^>]*)>\];$", dot, re.M) == gates


def test_a_value_used_twice_splits_into_branches_whose_gradients_add_up():
    dot = render_dot(run(("q = x*y + x", {"x": 2, "y": 5})))
    pieces = wires(dot)
    assert numbers(pieces["n0"]) == (["2.00"], ["6.00"])  # x: the trunk carries the sum ...
    assert numbers(pieces["b0_0"]) == ([], ["5.00"])  # ... of y through the product
    assert numbers(pieces["b0_1"]) == ([], ["1.00"])  # ... and 1 through the sum
    assert "n0:w:e -> s0 [arrowhead=none];" in dot
    assert "b0_0:w:e -> g2;" in dot and "b0_1:w:e -> g3;" in dot
    assert "n1:w:e -> g2;" in dot  # y is used once: no split


def test_square_draws_both_wires_into_the_gate():
    dot = render_dot(run(("x*x", {"x": 3})))
    pieces = wires(dot)
    assert numbers(pieces["n0"]) == (["3.00"], ["6.00"])
    assert numbers(pieces["b0_0"]) == numbers(pieces["b0_1"]) == ([], ["3.00"])
    assert dot.count("-> g1;") == 2


def test_precision_sets_the_decimals_of_every_number():
    pieces = wires(render_dot(run(NEURON), precision=4))
    assert numbers(pieces["n0"]) == (["2.0000"], ["-0.1966"])
    pieces = wires(render_dot(run(NEURON), precision=1))
    assert numbers(pieces["n0"]) == (["2.0"], ["-0.2"])


def test_output_wire_is_named_only_when_the_program_names_it():
    named = wires(render_dot(run(("f = x*2", {"x": 1}))))
    assert named["n2"] == [(VALUE_COLOR, "2.00"), ("#000000", "f"), (GRAD_COLOR, "1.00")]
    unnamed = wires(render_dot(run(("x*2", {"x": 1}))))
    assert unnamed["n2"] == [(VALUE_COLOR, "2.00"), (GRAD_COLOR, "1.00")]
    alias = wires(render_dot(run(("f = x", {"x": 1}))))  # the input x is the output f
    assert alias["n0"] == [("#000000", "x"), (VALUE_COLOR, "1.00"), ("#000000", "f"), (GRAD_COLOR, "1.00")]
    rebound = wires(render_dot(run(("c = x*2\nc = c*3", {"x": 1}))))
    assert ("#000000", "c'") in rebound["n4"]


def test_named_intermediate_values_are_written_before_their_value():
    pieces = wires(render_dot(run(("q = x + y\nf = q * z", {"x": 1, "y": 3, "z": -3}))))
    assert pieces["n3"][:2] == [("#000000", "q ="), (VALUE_COLOR, "4.00")]


def test_infinite_gradients_and_primed_names_are_written_safely():
    pieces = wires(render_dot(run(("a = x * 1\na = sqrt(a)", {"x": 0}))))
    assert numbers(pieces["n0"]) == (["0.00"], ["inf"])
    assert ("#000000", "a'") in pieces["n3"]
    negative = wires(render_dot(run(("-sqrt(x)", {"x": 0}))))
    assert numbers(negative["n0"]) == (["0.00"], ["-inf"])


def test_escape_makes_any_text_safe_in_a_label():
    assert escape('a<b & "c">d\ne') == "a&lt;b &amp; &quot;c&quot;&gt;d e"


def test_constant_text_is_escaped_and_long_labels_are_shortened():
    dot = render_dot(run(("x * 123456789012345678901234567890", {"x": 1})))
    assert "12345678901234567890123…" in dot


def test_top_to_bottom_joins_wires_at_their_top_and_bottom():
    dot = render_dot(run(SEED), rankdir="TB")
    assert "graph [rankdir=TB," in dot
    assert "n0:w:s -> g3;" in dot and "g3 -> n3:w:n [arrowhead=none];" in dot


def test_boxes_show_label_value_and_gradient_in_one_box_per_value():
    dot = render_dot(run(SEED), style="boxes")
    assert f'<td>x</td><td>data <font color="{VALUE_COLOR}">1.00</font></td>' in dot
    assert f'<td>grad <font color="{GRAD_COLOR}">-3.00</font></td>' in dot
    assert "o4 [shape=ellipse, width=0.3, height=0.3, margin=0.02, label=<*>];" in dot
    assert "n3:e -> o4;" in dot and "o4 -> n4:w;" in dot


@pytest.mark.parametrize(("option", "value"), [("style", "fancy"), ("rankdir", "RL"), ("precision", -1)])
def test_bad_options_are_usage_errors(option, value):
    with pytest.raises(UsageError):
        render_dot(run(SEED), **{option: value})


def test_long_chain_renders_at_the_default_recursion_limit():
    assert sys.getrecursionlimit() <= 1000
    result = run(("a = x\n" + "a = sin(a) + a\n" * 20_000, {"x": 0.5}))
    text = render_dot(result)
    assert len(re.findall(r"^  g\d+ \[", text, re.M)) == 40_000
    assert text.count("shape=point") == 20_000  # every a feeds sin and +: one split each


def expressions() -> st.SearchStrategy[str]:
    leaves = st.sampled_from(["x", "y", "z", "2"])
    return st.recursive(
        leaves,
        lambda inner: st.one_of(
            st.tuples(inner, st.sampled_from(["+", "-", "*"]), inner).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
            st.tuples(st.sampled_from(["sin", "tanh", "sigmoid"]), inner).map(lambda t: f"{t[0]}({t[1]})"),
        ),
        max_leaves=12,
    )


@settings(max_examples=60, deadline=None)
@given(
    program=expressions(),
    values=st.tuples(*[st.floats(-2, 2, allow_nan=False) for _ in range(3)]),
    expanded=st.booleans(),
)
def test_every_split_shows_branch_gradients_that_add_up_to_the_wire_before_it(program, values, expanded):
    result = run_source(Source(program), dict(zip("xyz", values)), expanded=expanded)
    pieces = wires(render_dot(result, precision=17))
    nodes, order = result.graph.nodes, result.evaluation.order
    for k, i in enumerate(order):
        uses = sum(arg == i for j in order for arg in nodes[j].args)
        branches = [pieces[f"b{k}_{j}"] for j in range(uses)] if uses > 1 else []
        assert f"b{k}_{uses}" not in pieces and (uses > 1 or f"b{k}_0" not in pieces)
        if branches:
            (trunk,) = numbers(pieces[f"n{k}"])[1]
            total = math.fsum(float(numbers(b)[1][0]) for b in branches)
            assert math.isclose(total, float(trunk), rel_tol=1e-9, abs_tol=1e-12)
