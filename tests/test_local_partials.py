"""Each gate's local partials, as every view reads them (``Evaluation.local``), are its op's own rule at
its arguments: those the backward pass computed, read off a constant rule, or left for ``local`` to
build (a product's, its two arguments swapped)."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fuzz_programs import inputs, op_programs, programs
from gradcalc.engine import backward, evaluate, forward, record
from gradcalc.errors import GradcalcError
from gradcalc.graph import Graph
from gradcalc.lowering import lower
from gradcalc.parser import parse
from gradcalc.program import Result, run_source
from gradcalc.source import Source
from helpers import run

FIXED = settings(
    deadline=None, database=None, derandomize=True, suppress_health_check=list(HealthCheck), max_examples=200
)


def assert_local_is_each_rule(result: Result) -> None:
    evaluation = result.evaluation
    nodes, values, local = result.graph.nodes, evaluation.values, evaluation.local
    assert len(local) == len(nodes)
    evaluated = set(evaluation.order)
    for i, node in enumerate(nodes):
        if node.args and i in evaluated:
            assert local[i] == node.local(*(values[a] for a in node.args), values[i]), (result.labels.get(i), i)
        else:
            assert local[i] == ()


def test_a_product_a_sum_and_a_negation_read_their_partials_and_the_rest_call_their_rules():
    result = run("y = -(a*b) + exp(a) * 3 - b", a=2, b=-0.5)
    assert_local_is_each_rule(result)
    ev, labels = result.evaluation, result.labels
    by_label = {labels[i]: ev.local[i] for i in ev.order if result.graph.nodes[i].args}
    assert by_label["y"] == (1.0, -1.0)  # the subtraction's constants
    assert list(by_label.values()).count((-0.5, 2.0)) == 1  # a*b: (b, a)


def test_a_node_the_output_does_not_depend_on_has_no_partials():
    graph = Graph()
    output = lower(parse(Source("u = x * y; v = x + 1; w = u * 2")), graph, {"x": 3.0, "y": 4.0}).output
    evaluation = evaluate(graph, output)
    nodes = graph.nodes
    unused = [i for i in range(len(nodes)) if i not in set(evaluation.order)]
    assert unused and all(evaluation.local[i] == () for i in unused)
    products = [i for i in evaluation.order if nodes[i].op.symbol == "*" and len(nodes[i].args) == 2]
    assert [evaluation.local[i] for i in products] == [(4.0, 3.0), (2.0, 12.0)]  # x*y, then u*2


def test_a_backward_pass_alone_gives_the_gradients_of_a_full_evaluation():
    graph = Graph()
    output = lower(parse(Source("a*b*c + a*sin(b)")), graph, {"a": 1.5, "b": -2.0, "c": 0.25}).output
    tape = record(graph, output)
    grads, _ = backward(tape, forward(graph, tape))
    assert grads == evaluate(graph, output).grads


@FIXED
@given(text=st.one_of(op_programs(), programs()), bindings=inputs)
def test_every_op_of_the_table_and_generated_programs(text: str, bindings: dict[str, float]) -> None:
    try:
        result = run_source(Source(text), bindings)
    except GradcalcError:
        return
    assert_local_is_each_rule(result)
