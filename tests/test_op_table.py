"""The op table is the single source of truth: every row is complete and consistent."""

from __future__ import annotations

import math

import pytest

from gradcalc.ops import BY_NAME, FUNCTIONS, INFIX, OPS, PREFIX, Syntax

GATES = [op for op in OPS if op.syntax is not Syntax.LEAF]


def test_names_are_unique_and_every_language_function_is_in_the_table():
    assert len(BY_NAME) == len(OPS)
    assert set(FUNCTIONS) == {"exp", "log", "sqrt", "sin", "cos", "tan", "tanh", "sigmoid", "relu", "abs",
                              "max", "min"}
    assert set(INFIX) == {"+", "-", "*", "/", "^", "**"}
    assert set(PREFIX) == {"-"}


@pytest.mark.parametrize("op", GATES, ids=lambda op: op.name)
def test_every_gate_has_one_or_two_arguments_and_a_formula_per_argument(op):
    assert op.arity in (1, 2)  # the engine unrolls arguments by hand
    assert len(op.formulas) == op.arity
    assert op.description


@pytest.mark.parametrize("op", GATES, ids=lambda op: op.name)
def test_local_rule_gives_one_partial_per_argument(op):
    args = (0.7, 1.3)[: op.arity]
    if op.parametric:
        out = op.forward(2.0, *args)
        slopes = op.local(2.0, *args, out)
    else:
        out = op.forward(*args)
        slopes = op.local(*args, out)
    assert len(slopes) == op.arity
    assert all(math.isfinite(s) for s in slopes)


def test_kinks_are_declared_with_their_rule():
    for op in OPS:
        assert (op.kink is None) == (op.kink_rule == "")
    assert {op.name for op in OPS if op.kink} == {"relu", "abs", "max", "min"}


def test_composites_declare_their_expansion():
    assert {op.name for op in OPS if op.expand} == {"add", "sub", "mul", "div", "neg", "sigmoid", "tanh"}


def test_gate_symbols_fold_their_constant():
    fmt = "{:g}".format
    assert BY_NAME["scale"].gate_symbol(-1.0, fmt) == "*-1"
    assert BY_NAME["shift"].gate_symbol(1.0, fmt) == "+1"
    assert BY_NAME["powc"].gate_symbol(2.0, fmt) == "^2"
    assert BY_NAME["recip"].gate_symbol(None, fmt) == "1/x"
