"""The chain rule told step by step: a structured narration of both passes of an evaluated program.

Everything here is read off a ``program.Result``: the values and gradients the engine computed, each
gate's local partials (numbers from ``Evaluation.local``, formulas from the op table) and the labels
the tables use (``p = x + y``). Views turn an ``Explanation`` into text for a terminal, Markdown notes
or LaTeX slides; nothing is formatted here except the formulas, which are written in node labels.

The backward pass walks the gates from the output back to the inputs (reverse topological order). At
each gate it gives the gate's local partials, then one chain-rule product per argument: the gradient
flowing into the gate times the local partial. A node that feeds several gates collects one product per
path; its gradient is their sum, stated when the walk reaches it (gates) or at the end (inputs).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from gradcalc.numbers import format_number
from gradcalc.ops import CONST, Op
from gradcalc.program import Result

_SIMPLE_LABEL = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.'")


@dataclass(frozen=True, slots=True)
class Gate:
    """An op applied to labelled arguments: ``p * z``, with their values ``4, -3``."""

    op: Op
    param: float | None  # the constant folded into a gate such as *-1, +1, ^2
    args: tuple[str, ...]  # the arguments' labels
    values: tuple[float, ...]  # the arguments' values


@dataclass(frozen=True, slots=True)
class Leaf:
    """An input (or a constant the program names) and its value: ``x = 1``."""

    node: int
    label: str
    value: float


@dataclass(frozen=True, slots=True)
class ForwardStep:
    """``label = gate = value``: one gate computed from its arguments' values."""

    node: int
    label: str
    gate: Gate
    value: float


@dataclass(frozen=True, slots=True)
class LocalPartial:
    """One local partial of a gate: ``∂g/∂p = z = -3``."""

    arg: int
    arg_label: str
    formula: str  # the op table's formula in node labels, e.g. "z" or "-1/v^2"
    value: float


@dataclass(frozen=True, slots=True)
class ChainProduct:
    """The chain rule along one edge: ``∂out/∂arg = ∂out/∂gate · ∂gate/∂arg = upstream · local``."""

    arg: int
    arg_label: str
    gate_label: str
    upstream: float  # ∂out/∂gate
    local: float  # ∂gate/∂arg
    product: float
    one_of_several: bool  # the argument feeds more than one gate: this is one path of a sum


@dataclass(frozen=True, slots=True)
class PathSum:
    """A node that feeds several gates: its gradient is the sum of the products along each path."""

    node: int
    label: str
    terms: tuple[tuple[str, float], ...]  # (the gate the path goes through, the product along it)
    total: float


@dataclass(frozen=True, slots=True)
class BackwardStep:
    """The backward pass through one gate, whose gradient ``upstream`` is complete when it is reached."""

    node: int
    label: str
    gate: Gate
    upstream: float  # ∂out/∂label: 1 at the output
    paths: PathSum | None  # how ``upstream`` was summed, when the gate feeds several others
    partials: tuple[LocalPartial, ...]
    products: tuple[ChainProduct, ...]
    kink_rule: str | None  # the convention used when the gate sits on a point with no derivative


@dataclass(frozen=True, slots=True)
class Explanation:
    output: int
    output_label: str
    value: float
    leaves: tuple[Leaf, ...]  # the inputs, in the order the tables list them
    forward: tuple[ForwardStep, ...]
    backward: tuple[BackwardStep, ...]
    input_sums: tuple[PathSum, ...]  # the inputs that feed several gates
    gradients: tuple[Leaf, ...]  # each input's gradient ∂out/∂input
    expanded: bool


def explain(result: Result) -> Explanation:
    """The narration of ``result``'s forward and backward passes."""
    graph, evaluation, labels = result.graph, result.evaluation, result.labels
    nodes, values, grads, local = graph.nodes, evaluation.values, evaluation.grads, evaluation.local
    output = evaluation.output
    gates = [i for i in evaluation.order if nodes[i].args]

    def gate_of(i: int) -> Gate:
        node = nodes[i]
        return Gate(node.op, node.param, tuple(labels[a] for a in node.args), tuple(values[a] for a in node.args))

    forward = tuple(ForwardStep(i, labels[i], gate_of(i), values[i]) for i in gates)

    paths = [0] * len(nodes)  # how many gate arguments each node is: the number of paths through it
    for i in gates:
        for a in nodes[i].args:
            paths[a] += 1
    contributions: dict[int, list[tuple[str, float]]] = {}
    backward = []
    for i in reversed(gates):
        node, label, upstream = nodes[i], labels[i], grads[i]
        summed = _path_sum(i, label, contributions.get(i), upstream)
        partials, products = [], []
        formulas = _formulas(node.op, [labels[a] for a in node.args], node.param, label)
        for a, formula, slope in zip(node.args, formulas, local[i]):
            if nodes[a].op is CONST:
                continue  # a constant gets no gradient: nothing flows into it worth telling
            partials.append(LocalPartial(a, labels[a], formula, slope))
            product = upstream * slope
            products.append(ChainProduct(a, labels[a], label, upstream, slope, product, paths[a] > 1))
            contributions.setdefault(a, []).append((label, product))
        kink = node.op.kink is not None and node.op.kink(*(values[a] for a in node.args))
        backward.append(
            BackwardStep(
                i, label, gate_of(i), upstream, summed, tuple(partials), tuple(products),
                node.op.kink_rule if kink else None,
            )
        )  # fmt: skip

    inputs = evaluation.inputs
    input_sums = tuple(s for i in inputs if (s := _path_sum(i, labels[i], contributions.get(i), grads[i])) is not None)
    return Explanation(
        output=output,
        output_label=labels[output],
        value=values[output],
        leaves=tuple(Leaf(i, labels[i], values[i]) for i in inputs),
        forward=forward,
        backward=tuple(backward),
        input_sums=input_sums,
        gradients=tuple(Leaf(i, labels[i], grads[i]) for i in inputs),
        expanded=result.expanded,
    )


def _path_sum(node: int, label: str, terms: list[tuple[str, float]] | None, total: float) -> PathSum | None:
    if terms is None or len(terms) < 2:
        return None
    return PathSum(node, label, tuple(reversed(terms)), total)  # in the order the gates were computed


def _formulas(op: Op, args: list[str], param: float | None, out: str) -> Iterator[str]:
    """The op table's local partials written with the node labels: ``{b}`` of ``p * z`` is ``z``."""
    names = dict(zip("ab", (_operand(a) for a in args)), out=_operand(out))
    if param is not None:
        names["c"] = format_number(param)
    for formula in op.formulas:
        yield formula.format(**names)


def _operand(label: str) -> str:
    """A label as it can stand in a formula: ``2*pi`` (a constant's source text) gets parentheses."""
    if set(label) <= _SIMPLE_LABEL:
        return label
    try:
        float(label)
    except ValueError:
        return f"({label})"
    return label
