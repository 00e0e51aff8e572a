"""The op table is the single source of truth: every row is complete, registered and consistent.

Nothing here lists op names by hand: each test reads the table, so a new row is tested as it is added.
"""

from __future__ import annotations

import math
import re

import pytest

from conftest import ROOT
from gradcalc import ops
from gradcalc.expansion import expand
from gradcalc.graph import Graph
from gradcalc.ops import BY_NAME, FUNCTIONS, INFIX, OPS, PREFIX, Op, Syntax
from gradcalc.program import run_source, view_of
from gradcalc.source import Source
from helpers import point_in_domain

GATES = [op for op in OPS if op.syntax is not Syntax.LEAF]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_every_op_defined_in_the_module_is_registered_in_the_table():
    defined = {name: value for name, value in vars(ops).items() if isinstance(value, Op)}
    left_out = sorted(name for name, op in defined.items() if not any(op is row for row in OPS))
    assert left_out == []  # a row left out of OPS would silently be no part of the language
    assert len(BY_NAME) == len(OPS) == len(defined)  # machine names are unique


def test_every_function_of_the_language_computes_its_row():
    for name, op in FUNCTIONS.items():
        args = point_in_domain(op)
        inputs = dict(zip("ab", args))
        result = run_source(Source(f"{name}({', '.join(inputs)})"), inputs)
        assert result.graph.nodes[result.evaluation.output].op is op, name
        assert result.evaluation.value == op.forward(*args), name


def test_every_operator_spelling_computes_its_row():
    for spelling, op in INFIX.items():
        result = run_source(Source(f"a {spelling} b"), {"a": 0.7, "b": 1.3})
        assert result.graph.nodes[result.evaluation.output].op is op, spelling
        assert result.evaluation.value == op.forward(0.7, 1.3)
    for spelling, op in PREFIX.items():
        result = run_source(Source(f"{spelling}a"), {"a": 0.7})
        assert result.evaluation.value == op.forward(0.7)


@pytest.mark.parametrize("op", GATES, ids=lambda op: op.name)
def test_every_gate_has_one_or_two_arguments_and_a_formula_per_argument(op):
    assert op.arity in (1, 2)  # the engine unrolls arguments by hand
    assert len(op.formulas) == op.arity
    assert op.description
    assert len(op.roles) in (0, op.arity)


@pytest.mark.parametrize("op", GATES, ids=lambda op: op.name)
def test_local_rule_gives_one_finite_partial_per_argument(op):
    args = point_in_domain(op)
    lead = (2.0,) if op.parametric else ()
    out = op.forward(*lead, *args)
    slopes = op.local(*lead, *args, out)
    assert len(slopes) == op.arity
    assert all(math.isfinite(s) for s in slopes)


def test_kinks_are_declared_with_their_rule_and_listed_in_the_readme():
    section = README.split("### Points with no derivative", 1)[1].split("\n## ", 1)[0]
    listed = set(re.findall(r"`(\w+)\(", section))
    for op in OPS:
        assert (op.kink is None) == (op.kink_rule == ""), op.name
    assert {op.name for op in OPS if op.kink} <= listed


# Each composite with inputs only and, for two arguments, with either one a constant (which folds).
EXPANSIONS = [(op, k) for op in OPS if op.expand for k in (None, 0, 1)[: 1 + 2 * (op.arity == 2)]]


@pytest.mark.parametrize(("op", "constant"), EXPANSIONS, ids=lambda v: getattr(v, "name", f"constant {v}"))
def test_an_expansion_leaves_only_primitive_gates_and_keeps_the_value(op, constant):
    """``--expand`` rewrites a composite into gates that expand no further, folding a constant argument."""
    args = point_in_domain(op)
    graph = Graph()
    nodes = tuple(
        graph.constant(v, str(v)) if k == constant else graph.set_input("ab"[k], v) for k, v in enumerate(args)
    )
    output = graph.add(op, nodes)
    plain = view_of(graph, output)
    expanded, where = expand(graph, plain.evaluation.order)
    again, _ = expand(expanded, list(range(len(expanded.nodes))))
    gates = [(node.op.name, node.param) for node in expanded.nodes]
    assert gates == [(node.op.name, node.param) for node in again.nodes]  # nothing left to expand
    assert view_of(expanded, where[output]).evaluation.value == pytest.approx(op.forward(*args), rel=1e-12)


def test_the_readme_lists_every_function_of_the_language():
    section = README.split("\n## The language\n", 1)[1].split("\n## ", 1)[0]
    listed = re.search(r"^- Functions:(.*?)(?=^\S|^- |\Z)", section, flags=re.MULTILINE | re.DOTALL)
    assert listed is not None
    assert set(re.findall(r"`(\w+)\(", listed[1])) | set(re.findall(r"`(\w+)`", listed[1])) == set(FUNCTIONS)


def test_the_readme_says_which_functions_expand():
    section = README.split("\n## The language\n", 1)[1].split("\n## ", 1)[0]
    (sentence,) = re.findall(r"`--expand` writes (.*?) as their textbook circuits", section, flags=re.DOTALL)
    assert set(re.findall(r"`(\w+)`", sentence)) == {name for name, op in FUNCTIONS.items() if op.expand}


def test_the_readme_json_schema_names_every_op():
    (row,) = [line for line in README.splitlines() if line.startswith("| `nodes[].op`")]
    assert set(re.findall(r"`(\w+)`", row.split("|")[2])) == set(BY_NAME)


def test_gate_symbols_fold_their_constant():
    fmt = "{:g}".format
    assert BY_NAME["scale"].gate_symbol(-1.0, fmt) == "*-1"
    assert BY_NAME["shift"].gate_symbol(1.0, fmt) == "+1"
    assert BY_NAME["powc"].gate_symbol(2.0, fmt) == "^2"
    assert BY_NAME["recip"].gate_symbol(None, fmt) == "1/x"
