"""The DOT text of the pictures: golden files, wire labels, splits, escaping, determinism.

Regenerate the golden files after an intended change with
``GRADCALC_UPDATE_GOLDEN=1 pytest tests/test_render_dot.py`` and review the diff.
"""

from __future__ import annotations

import math
import os
import re
import sys
import tracemalloc
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gradcalc.errors import UsageError
from gradcalc.ops import OPS
from gradcalc.program import Result, run_source
from gradcalc.source import Source
from gradcalc.views.dot import _FLUSH_LINES, GRAD_COLOR, VALUE_COLOR, dot_pieces, escape, render_dot
from gradcalc.views.draw_options import DrawOptions
from gradcalc.views.image import write_image
from gradcalc.views.json_view import document
from gradcalc.views.palette import PALETTES

PALE = PALETTES["safe"].generated

GOLDEN = Path(__file__).parent / "golden"
UPDATE = bool(os.environ.get("GRADCALC_UPDATE_GOLDEN"))

SEED = ("(x+y)*z", {"x": 1, "y": 3, "z": -3})
NEURON = ("sigmoid(w0*x0 + w1*x1 + w2)", {"w0": 2, "x0": -1, "w1": -3, "x1": -2, "w2": -3})
REUSE = ("y = x*x + a + a", {"x": 3, "a": 1})
ROLES = ("y = b/a - a^b - max(-a, c)", {"a": 2, "b": 3, "c": -2})  # argument roles, neg, a kink
TWO_CALLS = ("f(x) = x^2 + 1; y = f(f(x))", {"x": 3})  # a cluster per call: f #1, f #2
THREE_STEPS = ("h = 0; w = 0.5; for t in 1..3 { h = tanh(w*h + 1) }", {})  # a cluster per step: t = 1, 2, 3
SECOND = ("grad(grad(x^3, x), x)", {"x": 2})  # a tinted cluster per derivative order, and their legend

CASES = {
    "seed": (SEED, False, {}),
    "seed_boxes": (SEED, False, {"style": "boxes"}),
    "seed_tb": (SEED, False, {"rankdir": "TB"}),
    "neuron": (NEURON, False, {}),
    "neuron_expanded": (NEURON, True, {}),
    "reuse": (REUSE, False, {}),
    "roles": (ROLES, False, {}),
    "roles_boxes_classic": (ROLES, False, {"style": "boxes", "palette": "classic", "legend": True}),
    "two_calls": (TWO_CALLS, False, {}),
    "three_steps": (THREE_STEPS, False, {}),
    "second_derivative": (SECOND, False, {}),
    "second_derivative_boxes_classic": (SECOND, False, {"style": "boxes", "palette": "classic", "legend": True}),
}


def run(program: tuple[str, dict[str, float]], expanded: bool = False) -> Result:
    text, inputs = program
    return run_source(Source(text), {k: float(v) for k, v in inputs.items()}, expanded=expanded)


def wires(dot: str) -> dict[str, list[tuple[str, str]]]:
    """Each wire node's id -> its (colour, text) pieces, in order: name, value, gradient."""
    found = {}
    for node, label in re.findall(r'^  (n\d+|b\d+_\d+) \[shape=plaintext, margin=0, label=<(.*)>, id="', dot, re.M):
        found[node] = re.findall(r'<font color="(#[0-9a-f]{6})"(?: point-size="\d+")?>([^<]*)</font>', label)
    return found


def gate_symbols(dot: str) -> list[str]:
    """The symbols in the gates' circles, in order."""
    return re.findall(r"^  g\d+ \[shape=ellipse, [^\]]*?label=<([^>]*)>", dot, re.M)


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
    assert gate_symbols(dot) == ["*", "*", "+", "+", "*-1", "exp", "+1", "1/x"]


@pytest.mark.parametrize("program", ["tanh(a*b) / (a - 2)", "sigmoid(w0*x0 + w1*x1 + w2)", "-x^2 + x/4"])
def test_picture_and_json_show_the_same_expanded_gates(program):
    result = run_source(Source(program), {n: 0.5 for n in ("a", "b", "w0", "x0", "w1", "x1", "w2", "x")}, expanded=True)
    gates = [row["symbol"] for row in document(result)["nodes"] if row["inputs"]]
    dot = render_dot(result)
    assert gate_symbols(dot) == gates


def test_a_value_used_twice_splits_into_branches_whose_gradients_add_up():
    dot = render_dot(run(("q = x*y + x", {"x": 2, "y": 5})))
    pieces = wires(dot)
    assert numbers(pieces["n0"]) == (["2.00"], ["6.00"])  # x: the trunk carries the sum ...
    assert numbers(pieces["b0_0"]) == ([], ["5.00"])  # ... of y through the product
    assert numbers(pieces["b0_1"]) == ([], ["1.00"])  # ... and 1 through the sum
    assert 'n0:w:e -> s0 [arrowhead=none, class="split"];' in dot
    assert 'b0_0:w:e -> g2 [class="feed"];' in dot and 'b0_1:w:e -> g3 [class="feed"];' in dot
    assert 'n1:w:e -> g2 [class="feed"];' in dot  # y is used once: no split


def test_square_draws_both_wires_into_the_gate():
    dot = render_dot(run(("x*x", {"x": 3})))
    pieces = wires(dot)
    assert numbers(pieces["n0"]) == (["3.00"], ["6.00"])
    assert numbers(pieces["b0_0"]) == numbers(pieces["b0_1"]) == ([], ["3.00"])
    assert dot.count("-> g1 [") == 2


def test_precision_sets_the_decimals_of_every_number():
    pieces = wires(render_dot(run(NEURON), precision=4))
    assert numbers(pieces["n0"]) == (["2.0000"], ["-0.1966"])
    pieces = wires(render_dot(run(NEURON), precision=1))
    assert numbers(pieces["n0"]) == (["2.0"], ["-0.2"])


def test_output_wire_is_labelled_with_its_name_from_the_table():
    named = wires(render_dot(run(("f = x*2", {"x": 1}))))
    assert named["n2"] == [(VALUE_COLOR, "2.00"), ("#000000", "f"), (GRAD_COLOR, "1.00")]
    unnamed = wires(render_dot(run(("x*2", {"x": 1}))))  # the table calls an unnamed output f
    assert unnamed["n2"] == [(VALUE_COLOR, "2.00"), ("#000000", "f"), (GRAD_COLOR, "1.00")]
    taken = run(("f = 3\nx*f", {"x": 1}))  # f is the user's: the output gets another name, as in the table
    assert wires(render_dot(taken))["n2"][1] == ("#000000", taken.labels[taken.evaluation.output]) != ("#000000", "f")
    alias = wires(render_dot(run(("f = x", {"x": 1}))))  # the input x is the output f
    assert alias["n0"] == [("#000000", "x"), (VALUE_COLOR, "1.00"), ("#000000", "f"), (GRAD_COLOR, "1.00")]
    rebound = wires(render_dot(run(("c = x*2\nc = c*3", {"x": 1}))))
    assert ("#000000", "c'") in rebound["n4"]


def test_every_node_carries_its_name_from_the_table():
    result = run(NEURON, expanded=True)
    pieces = wires(render_dot(result))
    shown = set()
    for k, i in enumerate(result.evaluation.order):
        texts = [text.removesuffix(" =") for color, text in pieces[f"n{k}"] if color in ("#000000", PALE)]
        shown.update(texts)
        assert result.labels[i] in texts
    assert shown == set(result.labels.values()) == {"w0", "x0", "w1", "x1", "w2", *"pqrstuv", "f"}


def test_made_up_names_are_small_and_grey_and_the_users_names_as_typed():
    dot = render_dot(run(("h = x*y\nh + z", {"x": 1, "y": 3, "z": -3})))
    assert f'<font color="{PALE}" point-size="10">p =</font>' not in dot  # h is the user's
    assert '<font color="#000000">h =</font>' in dot
    seed = render_dot(run(SEED))
    assert f'<font color="{PALE}" point-size="10">p =</font> <font color="{VALUE_COLOR}">4.00</font>' in seed


def test_named_intermediate_values_are_written_before_their_value():
    pieces = wires(render_dot(run(("q = x + y\nf = q * z", {"x": 1, "y": 3, "z": -3}))))
    assert pieces["n3"][:2] == [("#000000", "q ="), (VALUE_COLOR, "4.00")]


def test_infinite_gradients_and_primed_names_are_written_safely():
    pieces = wires(render_dot(run(("a = x * 1\na = sqrt(a)", {"x": 0}))))
    assert numbers(pieces["n0"]) == (["0.00"], ["inf"])
    assert ("#000000", "a'") in pieces["n3"]
    negative = wires(render_dot(run(("-sqrt(x)", {"x": 0}))))
    assert numbers(negative["n0"]) == (["0.00"], ["-inf"])


def legend(dot: str) -> str | None:
    found = re.findall(r"^  graph \[labelloc=b, labeljust=l, label=<(.*)>\];$", dot, re.M)
    return found[0] if found else None


def test_circuits_have_a_legend_by_default_and_boxes_do_not():
    circuit = legend(render_dot(run(SEED)))
    assert circuit is not None
    assert f'<font color="{VALUE_COLOR}" point-size="10">value (above): forward pass</font>' in circuit
    assert f'<font color="{GRAD_COLOR}" point-size="10">gradient ∂f/∂value (below): backward pass</font>' in circuit
    assert legend(render_dot(run(SEED), legend=False)) is None
    assert legend(render_dot(run(SEED), style="boxes")) is None
    boxes = legend(render_dot(run(SEED), style="boxes", legend=True))
    assert boxes is not None and "data: the value" in boxes and "grad: ∂f/∂value" in boxes


def test_the_legend_names_the_output_and_follows_the_direction():
    assert "∂loss/∂value" in (legend(render_dot(run(("loss = x*x", {"x": 2})))) or "")
    tb = legend(render_dot(run(SEED), rankdir="TB")) or ""
    assert "value (left)" in tb and "(right): backward pass" in tb


def test_palette_sets_the_colours_of_values_and_gradients():
    for name, palette in PALETTES.items():
        dot = render_dot(run(SEED), palette=name)
        x = re.findall(r'<font color="(#[0-9a-f]{6})">([^<]*)</font>', dot.split("\n")[5])
        assert x == [("#000000", "x"), (palette.value, "1.00"), (palette.grad, "-3.00")]
    safe, classic = PALETTES["safe"], PALETTES["classic"]
    assert (classic.value, classic.grad) == ("#1a7f1a", "#d11f1f")  # the textbook's green and red
    assert len({safe.value, safe.grad, classic.value, classic.grad}) == 4
    default = render_dot(run(SEED))
    assert default == render_dot(run(SEED), palette="safe") != render_dot(run(SEED), palette="classic")
    assert classic.value not in default and classic.grad not in default


def feeds(dot: str, gate: str) -> list[tuple[str, str]]:
    """(wire, argument role) of each edge into ``gate``, in argument order; role '' when none is written."""
    edges = re.findall(rf'^  (\w+):w:[es] -> {gate} \[class="feed"(?:, label=<([^>]*)>)?\];$', dot, re.M)
    return [(wire, role) for wire, role in edges]


def test_non_commutative_gates_name_their_arguments():
    dot = render_dot(run(("b/a - a^b", {"a": 2, "b": 3})))
    # b, a are n0, n1, each split in two; the quotient p is n2, the power q n3, the difference n4
    assert [role for _, role in feeds(dot, "g2")] == ["num", "den"]
    assert feeds(dot, "g2")[0][0].startswith("b0_")  # b is the numerator
    assert [role for _, role in feeds(dot, "g3")] == ["base", "exponent"]
    assert feeds(dot, "g3")[0][0].startswith("b1_")  # a is the base
    assert feeds(dot, "g4") == [("n2", "+"), ("n3", "\u2212")]


def test_commutative_gates_name_no_arguments():
    dot = render_dot(run(("x*y + max(x, y) + min(x, y)", {"x": 2, "y": 3})))
    assert "label=<" not in "".join(line for line in dot.splitlines() if '[class="feed"' in line)


def test_argument_roles_come_from_the_op_table():
    """A two-argument op names its arguments exactly when swapping them changes its value."""
    for op in (op for op in OPS if op.arity == 2):
        assert bool(op.roles) == (op.forward(0.7, 1.3) != op.forward(1.3, 0.7)), op.name
    assert all(len(op.roles) == op.arity for op in OPS if op.roles)


def test_negation_is_drawn_apart_from_subtraction():
    dot = render_dot(run(("-x - y", {"x": 2, "y": 3})))
    assert gate_symbols(dot) == ["neg", "-"]
    assert 'class="gate neg"' in dot and 'class="gate sub"' in dot
    expanded = render_dot(run(("-x - y", {"x": 2, "y": 3}), expanded=True))
    assert gate_symbols(expanded) == ["*-1", "*-1", "+"]  # the textbook circuit: negation is a *-1 gate


def test_a_kink_is_marked_on_its_gate():
    result = run(("max(x, y) + relu(z)", {"x": 1, "y": 1, "z": 2}))
    dot = render_dot(result)
    (kinked,) = [line for line in dot.splitlines() if "style=dashed" in line]
    assert kinked.startswith("  g3 [") and "label=<max>" in kinked and 'class="gate max kink"' in kinked
    assert f'xlabel=<<font color="{PALETTES["safe"].kink}" point-size="10">kink</font>>' in kinked
    assert 'tooltip="max is at a point with no derivative: a tie splits the gradient evenly"' in kinked
    assert "dashed gate: a kink" in (legend(dot) or "")
    assert "style=dashed" in render_dot(result, style="boxes")
    smooth = render_dot(run(("max(x, y) + relu(z)", {"x": 1, "y": 2, "z": 2})))
    assert "style=dashed" not in smooth and "kink" not in smooth


def test_relu_at_zero_is_a_kink():
    dot = render_dot(run(("relu(x)", {"x": 0})))
    assert 'class="gate relu kink"' in dot


def test_nodes_carry_their_name_as_id_and_a_class():
    dot = render_dot(run(("q = x*y + x + 2", {"x": 2, "y": 5})))
    ids = re.findall(r'^  (\w+) \[.*, id="(\w+)", class="([\w ]+)"\];$', dot, re.M)
    assert all(node == id_ for node, id_, _ in ids)
    classes = {node: kind for node, _, kind in ids}
    assert classes["n0"] == "wire input" and classes["s0"] == "split" and classes["b0_0"] == "wire branch"
    assert classes["g2"] == "gate mul" and classes["g3"] == "gate add" and classes["n2"] == "wire"
    assert classes["n4"] == "wire const" and classes["n5"] == "wire output"
    nodes = re.findall(r"^  (\w+) \[shape=", dot, re.M)
    assert len(nodes) == len(ids) == 12 and set(nodes) == set(classes)  # every node has both


def test_escape_makes_any_text_safe_in_a_label():
    assert escape('a<b & "c">d\ne') == "a&lt;b &amp; &quot;c&quot;&gt;d e"


def test_constant_text_is_escaped_and_long_labels_are_shortened():
    dot = render_dot(run(("x * 123456789012345678901234567890", {"x": 1})))
    assert "12345678901234567890123…" in dot


def test_top_to_bottom_joins_wires_at_their_top_and_bottom():
    dot = render_dot(run(SEED), rankdir="TB")
    assert "graph [rankdir=TB," in dot
    assert 'n0:w:s -> g3 [class="feed"];' in dot and 'g3 -> n3:w:n [arrowhead=none, class="drive"];' in dot


def test_boxes_show_label_value_and_gradient_in_one_box_per_value():
    dot = render_dot(run(SEED), style="boxes")
    assert f'<td><font color="#000000">x</font></td><td>data <font color="{VALUE_COLOR}">1.00</font></td>' in dot
    assert f'<td>grad <font color="{GRAD_COLOR}">-3.00</font></td>' in dot
    assert 'o4 [shape=ellipse, width=0.3, height=0.3, margin=0.02, label=<*>, id="o4", class="gate mul"];' in dot
    assert 'n3:e -> o4 [class="feed"];' in dot and 'o4 -> n4:w [class="drive"];' in dot


@pytest.mark.parametrize(
    ("option", "value"), [("style", "fancy"), ("rankdir", "RL"), ("precision", -1), ("palette", "neon")]
)
def test_bad_options_are_usage_errors(option, value):
    with pytest.raises(UsageError):
        render_dot(run(SEED), **{option: value})


def test_long_chain_renders_at_the_default_recursion_limit():
    assert sys.getrecursionlimit() <= 1000
    result = run(("a = x\n" + "a = sin(a) + a\n" * 20_000, {"x": 0.5}))
    text = render_dot(result)
    assert len(re.findall(r"^  g\d+ \[", text, re.M)) == 40_000
    assert text.count("shape=point") == 20_000  # every a feeds sin and +: one split each


def test_a_picture_written_in_pieces_is_one_statement_a_line_and_every_edge_joins_drawn_nodes(tmp_path: Path):
    # 100,000 lines: the text is joined from many pieces (views.dot._FLUSH_LINES lines each).
    result = run(("a = x\n" + "a = sin(a) + a\n" * 8_000, {"x": 0.5}))
    text = render_dot(result)
    pieces = list(dot_pieces(result, DrawOptions()))
    assert len(pieces) > 10 and all(piece.endswith("\n") for piece in pieces)
    write_image(result, tmp_path / "chain.dot")  # a file is written piece by piece
    assert (tmp_path / "chain.dot").read_bytes() == text.encode()
    lines = text.split("\n")
    assert len(lines) > 10 * 4096 and lines[-2:] == ["}", ""]
    body = lines[5:-2]  # after the header's comment, digraph and three defaults
    assert all(line.startswith("  ") and line.endswith((";", ";}")) for line in body)
    declared = {m for m in re.findall(r"^  ([a-z]\d+(?:_\d+)?) \[", text, re.M)}
    ends = re.findall(r"^  ([a-z]\d+(?:_\d+)?)(?::w:[ew])? -> ([a-z]\d+(?:_\d+)?)(?::w:[ew])? \[", text, re.M)
    assert len(ends) > 60_000 and {node for edge in ends for node in edge} <= declared
    assert len(declared) == len(re.findall(r"^  [a-z]\d+(?:_\d+)? \[", text, re.M))  # each drawn once


def test_a_big_picture_written_to_a_file_is_never_held_whole(tmp_path: Path):
    # 24,000 nodes, 16 MB of DOT text: a file is written as the pieces are drawn, so at no moment does the
    # drawing hold more than a few of them (held whole, the peak was the text's size and more).
    result = run(("a = x\n" + "a = sin(a) + a\n" * 8_000, {"x": 0.5}))
    size = len(render_dot(result).encode())
    tracemalloc.start()
    try:
        write_image(result, tmp_path / "chain.dot")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert (tmp_path / "chain.dot").stat().st_size == size > 10_000_000
    assert peak < size / 2  # 4.7 MB here; the whole text was 16 MB


def test_the_options_are_checked_before_anything_is_drawn():
    result = run(("(x + y) * z", {"x": 1, "y": 3, "z": -3}))
    with pytest.raises(UsageError, match="unknown style"):
        dot_pieces(result, DrawOptions(style="bubbles"))  # not only once the first piece is asked for


def test_an_input_read_by_every_term_is_written_in_pieces_with_every_number_right():
    # x's split has 12,000 branches: more lines than a piece holds, more numbers than the fonts keep.
    terms = 12_000
    written = [f"{i // 100 + 1}.{i % 100:02d}" for i in range(terms)]  # 1.00 ... 120.99, each printed as typed
    program = "x = 1.5\n" + "".join(f"c{i} = {text}\n" for i, text in enumerate(written))
    result = run((program + " + ".join(f"x*c{i}" for i in range(terms)) + "\n", {}))
    pieces = list(dot_pieces(result, DrawOptions()))
    assert max(piece.count("\n") for piece in pieces) <= _FLUSH_LINES + 8  # not one piece of 24,000 lines
    drawn = wires("".join(pieces))
    assert sum(node.startswith("b0_") for node in drawn) == terms
    for j, text in enumerate(written):
        assert numbers(drawn[f"n{j + 1}"]) == ([text], ["1.50"])  # c_j: its value, and x's as its gradient
        assert numbers(drawn[f"b0_{j}"]) == ([], [text])  # the j-th product's partial with respect to x


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
