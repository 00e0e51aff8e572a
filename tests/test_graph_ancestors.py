"""``Graph.ancestors``: every node the output depends on, found by one sweep from the output down."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from gradcalc.graph import Graph
from gradcalc.ops import INFIX, PREFIX


@st.composite
def graphs(draw: st.DrawFn) -> tuple[Graph, int]:
    """A graph of constants and gates of one or two older nodes, and one of its nodes as the output."""
    graph = Graph()
    for i in range(draw(st.integers(1, 40))):
        kind = draw(st.sampled_from(["leaf", "unary", "binary"])) if i else "leaf"
        if kind == "leaf":
            graph.constant(1.0, "1")
        elif kind == "unary":
            graph.add(PREFIX["-"], (draw(st.integers(0, i - 1)),))
        else:
            graph.add(INFIX["*"], (draw(st.integers(0, i - 1)), draw(st.integers(0, i - 1))))
    return graph, draw(st.integers(0, len(graph.nodes) - 1))


@given(graphs())
@settings(max_examples=300, deadline=None)
def test_ancestors_are_every_node_the_output_reaches_through_its_arguments_in_id_order(made: tuple[Graph, int]):
    graph, output = made
    reached, todo = {output}, [output]
    while todo:
        for arg in graph.nodes[todo.pop()].args:
            if arg not in reached:
                reached.add(arg)
                todo.append(arg)
    assert graph.ancestors(output) == sorted(reached)
