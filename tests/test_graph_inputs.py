"""``Graph.set_inputs`` binds a run of input lines exactly as ``set_input`` binds them one at a time: the new
names of a generated program all at once, and a run that re-binds a name (or names one twice) in turn."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from gradcalc.graph import Graph, Node
from gradcalc.ops import INFIX, INPUT
from gradcalc.source import Source

SOURCE = Source("a = 1\n")
NAMES = st.sampled_from(["a", "b", "c", "w0", "x0"])


def state(graph: Graph) -> tuple[object, ...]:
    nodes = [(n.op.name, n.args, n.param, n.name, n.version, n.source, n.start, n.end) for n in graph.nodes]
    return nodes, graph.bindings, graph.namings


def prepared(before: list[tuple[str, bool]]) -> Graph:
    """A graph where each of ``before`` is an input, or (True) a gate of that name, then unbound or not."""
    graph = Graph()
    for k, (name, gate) in enumerate(before):
        node = graph.set_input(name, float(k), SOURCE, k, k + 1)
        if gate:
            graph.bind(name, graph.add(INFIX["*"], (node, node)))
        if k % 3 == 2:
            graph.unbind(name)
    return graph


@given(st.lists(st.tuples(NAMES, st.booleans()), max_size=6), st.lists(NAMES, min_size=1, max_size=8))
def test_a_run_is_bound_as_its_lines_are_one_by_one(before: list[tuple[str, bool]], run: list[str]) -> None:
    values = [0.5 + k for k in range(len(run))]
    starts = [10 * k for k in range(len(run))]
    ends = [10 * k + 7 for k in range(len(run))]
    at_once, one_by_one, model = prepared(before), prepared(before), prepared(before)
    last = at_once.set_inputs(run, values, SOURCE, starts, ends)
    for name, value, start, end in zip(run, values, starts, ends, strict=True):
        expected = one_by_one.set_input(name, value, SOURCE, start, end)
        modelled = bound_as_documented(model, name, value, start, end)
    assert last == expected == modelled
    assert state(at_once) == state(one_by_one) == state(model)


def bound_as_documented(graph: Graph, name: str, value: float, start: int, end: int) -> int:
    """``set_input``'s meaning, spelled out: an input of that name changes in place; otherwise a new input,
    its version the number of names the graph had given before."""
    node = graph.bindings.get(name)
    if node is not None and graph.nodes[node].op is INPUT and graph.nodes[node].name == name:
        graph.nodes[node].param = value
        return node
    graph.nodes.append(Node(INPUT, (), value, None, SOURCE, start, end, name, graph.namings))
    graph.namings += 1
    graph.bindings[name] = len(graph.nodes) - 1
    return len(graph.nodes) - 1


def test_new_names_are_inputs_bound_and_versioned_in_order() -> None:
    graph = Graph()
    assert graph.set_inputs(["w0", "w1", "w2"], [0.5, 1.5, 2.5], SOURCE, [0, 6, 12], [5, 11, 17]) == 2
    assert graph.bindings == {"w0": 0, "w1": 1, "w2": 2}
    assert [(n.op.name, n.param, n.name, n.version, n.start, n.end) for n in graph.nodes] == [
        ("input", 0.5, "w0", 0, 0, 5),
        ("input", 1.5, "w1", 1, 6, 11),
        ("input", 2.5, "w2", 2, 12, 17),
    ]
