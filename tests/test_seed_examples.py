"""The two worked examples gradcalc was started from, to the digit."""

from __future__ import annotations

import math

import pytest

from conftest import EXAMPLES
from helpers import by_label, gradients, run


def test_add_mul_seed_forward_and_backward():
    result = run("(x+y)*z", x=1, y=3, z=-3)
    nodes = by_label(result)
    assert nodes["p"] == (4.0, -3.0)  # p = x + y = 4, dg/dp = z = -3
    assert result.evaluation.value == -12.0
    assert gradients(result) == {"x": -3.0, "y": -3.0, "z": 4.0}


def test_add_mul_seed_local_gradients_are_the_gates_own():
    result = run("g = (x+y)*z", x=1, y=3, z=-3)
    ev, labels = result.evaluation, result.labels
    mul = ev.output
    assert labels[mul] == "g"
    assert ev.local[mul] == (-3.0, 4.0)  # dg/dp = z, dg/dz = p
    add = result.graph.nodes[mul].args[0]
    assert ev.local[add] == (1.0, 1.0)


def neuron_expected() -> dict[str, float]:
    t = 2 * -1 + -3 * -2 + -3
    s = 1 / (1 + math.exp(-t))
    d = s * (1 - s)
    return {"w0": d * -1, "x0": d * 2, "w1": d * -2, "x1": d * -3, "w2": d}


def test_neuron_seed_value_and_input_gradients():
    result = run("w0=2; x0=-1; w1=-3; x1=-2; w2=-3; f = sigmoid(w0*x0 + w1*x1 + w2)")
    assert result.evaluation.value == pytest.approx(0.7310585786300049, abs=1e-15)
    got = gradients(result)
    for name, want in neuron_expected().items():
        assert got[name] == pytest.approx(want, rel=1e-12)
    assert {k: round(v, 2) for k, v in got.items()} == {"w0": -0.2, "x0": 0.39, "w1": -0.39, "x1": -0.59, "w2": 0.2}


def test_neuron_expanded_into_the_textbook_gates():
    result = run("w0=2; x0=-1; w1=-3; x1=-2; w2=-3; f = sigmoid(w0*x0 + w1*x1 + w2)", expanded=True)
    ev, nodes = result.evaluation, result.graph.nodes
    gates = [i for i in ev.order if nodes[i].args]
    values = [round(ev.values[i], 2) for i in gates]
    grads = [round(ev.grads[i], 2) for i in gates]
    assert values == [-2, 6, 4, 1, -1, 0.37, 1.37, 0.73]
    assert grads == [0.2, 0.2, 0.2, 0.2, -0.2, -0.53, -0.53, 1.0]
    symbols = [nodes[i].op.gate_symbol(nodes[i].param, lambda c: f"{c:g}") for i in gates]
    assert symbols == ["*", "*", "+", "+", "*-1", "exp", "+1", "1/x"]
    plain = run("w0=2; x0=-1; w1=-3; x1=-2; w2=-3; f = sigmoid(w0*x0 + w1*x1 + w2)")
    for name, grad in gradients(plain).items():
        assert gradients(result)[name] == pytest.approx(grad, rel=1e-12)


def test_textbook_formula_expands_to_the_same_circuit():
    result = run("f = 1/(1+exp(-(w0*x0 + w1*x1 + w2)))", expanded=True, w0=2, x0=-1, w1=-3, x1=-2, w2=-3)
    nodes = result.graph.nodes
    symbols = [
        nodes[i].op.gate_symbol(nodes[i].param, lambda c: f"{c:g}") for i in result.evaluation.order if nodes[i].args
    ]
    assert symbols == ["*", "*", "+", "+", "*-1", "exp", "+1", "1/x"]
    for name, want in neuron_expected().items():
        assert gradients(result)[name] == pytest.approx(want, rel=1e-12)


def test_example_files_reproduce_the_seeds(gradcalc):
    import json

    seed = json.loads(gradcalc("run", str(EXAMPLES / "seed_add_mul.gc"), "--json").stdout)
    assert seed["output"] == {"label": "g", "value": -12.0}
    assert seed["gradients"] == {"x": -3.0, "y": -3.0, "z": 4.0}
    neuron = json.loads(gradcalc("run", str(EXAMPLES / "neuron.gc"), "--json").stdout)
    assert round(neuron["output"]["value"], 2) == 0.73
    assert {k: round(v, 2) for k, v in neuron["gradients"].items()} == {
        "w0": -0.2,
        "x0": 0.39,
        "w1": -0.39,
        "x1": -0.59,
        "w2": 0.2,
    }
