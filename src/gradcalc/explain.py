"""The chain rule told step by step: a structured narration of both passes of an evaluated program.

Everything here is read off a ``program.Result``: the values and gradients the engine computed, each
gate's local partials (numbers from ``Evaluation.local``, formulas from the op table) and the labels
the tables use (``p = x + y``). Views turn an ``Explanation`` into text for a terminal, Markdown notes
or LaTeX slides; nothing is formatted here except the formulas, which are written in node labels.

The backward pass walks the gates from the output back to the inputs (reverse topological order). At
each gate it gives the gate's local partial with respect to each node among its arguments (a node that
is several of the arguments, as ``x`` in ``x * x``, gets one partial: the sum of a term per argument,
``x + x = 2*x``), then one chain-rule product per such node: the gradient flowing into the gate times
the local partial. A node used by several gates (its *consumers*) collects one product from each; its
gradient is their sum, stated when the walk reaches it (gates) or at the end (inputs), with how often
each consumer uses it and how many paths lead from it to the output.

Constants are not differentiated: they get no partials, no products and no gradients.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import NamedTuple

from gradcalc.defaults import EXPLAIN_STEPS
from gradcalc.numbers import format_number
from gradcalc.ops import CONST, Op
from gradcalc.program import Result
from gradcalc.scopes import StepSplit, step_contributions

_SIMPLE_LABEL = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.'")
PATH_CAP = 10**12  # path counts saturate here: they can grow exponentially with the program
ROUTE_SHOWN = 4  # a unique path to the output is written out up to this many nodes past the start
ROUTES_WRITTEN = 6  # a node with more consumers than this gets path counts: no consumer's route is found
MAX_STEPS = EXPLAIN_STEPS  # steps told per pass (2,000 in all) and inputs listed, unless asked for more


class Gate(NamedTuple):
    """An op applied to labelled arguments: ``p * z``, with their values ``4, -3``.

    ``forward`` and ``local`` are the node's rules with any folded constant bound, so a view can
    redo the arithmetic on the numbers it printed and say ``=`` only where that arithmetic holds.
    """

    op: Op
    param: float | None  # the constant folded into a gate such as *-1, +1, ^2
    args: tuple[str, ...]  # the arguments' labels
    values: tuple[float, ...]  # the arguments' values
    constant: tuple[bool, ...]  # which arguments are constants (written as their exact source text)
    forward: Callable[..., float]
    local: Callable[..., tuple[float, ...]]


class Leaf(NamedTuple):
    """An input (or a constant the program names) and its value: ``x = 1``."""

    node: int
    label: str
    value: float


class ForwardStep(NamedTuple):
    """``label = gate = value``: one gate computed from its arguments' values."""

    node: int
    label: str
    gate: Gate
    value: float


class LocalPartial(NamedTuple):
    """A gate's local partial with respect to one node among its arguments: ``∂g/∂p = z = -3``.

    A node that is several of the arguments (``x`` in ``x * x``) has one term per argument position,
    and its partial is their sum: ``∂p/∂x = x + x = 2*x = 6``.
    """

    arg: int
    arg_label: str
    slots: tuple[int, ...]  # the argument positions (0-based) holding this node
    terms: tuple[str, ...]  # the op table's formula for each slot, in node labels, e.g. "z" or "-1/v^2"
    combined: str | None  # the terms combined into one formula ("2*x") where their text allows
    value: float  # the sum over the slots of the engine's local partials
    one_of_several: bool  # the node has other consumers too, so ∂gate/∂node is not its whole gradient

    @property
    def formula(self) -> str:
        """The partial as one formula: the single term, the combined form, or the sum of the terms."""
        if len(self.terms) == 1:
            return self.terms[0]
        return self.combined or " + ".join(self.terms)


class ChainProduct(NamedTuple):
    """The chain rule along one consumer: ``∂out/∂arg = ∂out/∂gate · ∂gate/∂arg = upstream · local``."""

    arg: int
    arg_label: str
    gate_label: str
    upstream: float  # ∂out/∂gate
    local: float  # ∂gate/∂arg (summed over the slots when the node is several arguments)
    product: float
    one_of_several: bool  # the argument has more than one consumer: this is one term of a sum


class Consumer(NamedTuple):
    """One gate that uses a node, and what flows back through it."""

    label: str
    uses: int  # how many of the gate's arguments are the node
    paths: int  # paths from the node to the output through this gate: uses × the gate's own paths
    # The gate's one path to the output (labels, "…" where cut), if it is unique and the node has at most
    # ROUTES_WRITTEN consumers (an input used 5,000 times is told by its path counts).
    route: tuple[str, ...] | None
    product: float  # ∂out/∂gate · ∂gate/∂node


class PathSum(NamedTuple):
    """A node with several consumers: its gradient is the sum of what flows back through each."""

    node: int
    label: str
    consumers: tuple[Consumer, ...]  # in the order the gates were computed
    total: float

    @property
    def uses(self) -> int:
        return sum(c.uses for c in self.consumers)

    @property
    def paths(self) -> int:
        return min(PATH_CAP, sum(c.paths for c in self.consumers))

    @property
    def terms(self) -> tuple[tuple[str, float], ...]:
        """(consumer, product) pairs: the terms of the sum."""
        return tuple((c.label, c.product) for c in self.consumers)


class BackwardStep(NamedTuple):
    """The backward pass through one gate, whose gradient ``upstream`` is complete when it is reached."""

    node: int
    label: str
    gate: Gate
    upstream: float  # ∂out/∂label: 1 at the output
    paths: PathSum | None  # how ``upstream`` was summed, when the gate has several consumers
    partials: tuple[LocalPartial, ...]
    products: tuple[ChainProduct, ...]
    kink_rule: str | None  # the convention used when the gate sits on a point with no derivative


class Explanation(NamedTuple):
    output: int
    output_label: str
    value: float
    leaves: tuple[Leaf, ...]  # the inputs, in the order the tables list them
    forward: tuple[ForwardStep, ...]
    backward: tuple[BackwardStep, ...]
    input_sums: tuple[PathSum, ...]  # the inputs that have several consumers
    gradients: tuple[Leaf, ...]  # each input's gradient ∂out/∂input (never a constant's)
    constants: tuple[str, ...]  # the constants the output uses, as written (once each): no gradient
    expanded: bool
    # What a cap on the steps (``explain(result, max_steps)``) left out: gates of each pass, inputs listed.
    forward_left_out: int = 0
    backward_left_out: int = 0
    inputs_left_out: int = 0

    steps: tuple[StepSplit, ...] = ()  # inputs shared by a loop's steps: their gradients split by step

    @property
    def left_out(self) -> int:
        return self.forward_left_out + self.backward_left_out + self.inputs_left_out


def explain(result: Result, max_steps: int = MAX_STEPS) -> Explanation:
    """The narration of ``result``'s forward and backward passes.

    With ``max_steps`` (0: no cap), each pass tells at most that many gates (the forward pass its first,
    from the inputs; the backward pass its first, from the output) and at most that many inputs are
    listed; the explanation counts what it left out. Steps left out are never built, so a 100,000-node
    program is explained in the time of its first steps plus one linear pass.
    """
    graph, evaluation, labels = result.graph, result.evaluation, result.labels
    nodes, values, grads, local = graph.nodes, evaluation.values, evaluation.grads, evaluation.local
    output = evaluation.output
    gates = [i for i in evaluation.order if nodes[i].args]
    cap = max_steps if max_steps > 0 else len(nodes) + 1

    def gate_of(i: int) -> Gate:
        node = nodes[i]
        return Gate(
            node.op, node.param, tuple(labels[a] for a in node.args), tuple(values[a] for a in node.args),
            tuple(nodes[a].op is CONST for a in node.args), node.forward, node.local,
        )  # fmt: skip

    forward = tuple(ForwardStep(i, labels[i], gate_of(i), values[i]) for i in gates[:cap])

    # Consumers and paths, by one pass over the gates from the output back (a node's paths to the
    # output are the sum over its uses of the paths of the gate using it): linear, no enumeration.
    consumers = [0] * len(nodes)  # how many distinct gates use each node
    paths = [0] * len(nodes)
    successor = [-1] * len(nodes)  # a gate using the node: the next step of its path when it is unique
    paths[output] = 1
    # (A constant is counted too, though nothing reads its count: testing for one cost more than counting.)
    for i in reversed(gates):
        args = nodes[i].args
        through = paths[i]
        if len(args) < 2 or (len(args) == 2 and args[0] != args[1]):  # distinct arguments: one loop
            for a in args:
                total = paths[a] + through
                paths[a] = total if total < PATH_CAP else PATH_CAP  # min(), spelled out: a call fewer
                consumers[a] += 1
                successor[a] = i
            continue
        for a in args:
            total = paths[a] + through
            paths[a] = total if total < PATH_CAP else PATH_CAP
        for a in dict.fromkeys(args):
            consumers[a] += 1
            successor[a] = i

    def route(i: int) -> tuple[str, ...] | None:
        """The one path from gate ``i`` to the output, cut after ``ROUTE_SHOWN`` steps; None if several."""
        if paths[i] != 1:
            return None
        shown = [labels[i]]
        while i != output and len(shown) <= ROUTE_SHOWN:
            i = successor[i]
            shown.append(labels[i])
        if i != output:
            shown[-1:] = ["…", labels[output]]
        return tuple(shown)

    # What flows back into each node from each gate using it: (gate, uses, paths, product).
    contributions: dict[int, list[tuple[int, int, int, float]]] = {}

    def path_sum(i: int, total: float) -> PathSum | None:
        terms = contributions.get(i)
        if terms is None or len(terms) < 2:
            return None
        routed = len(terms) <= ROUTES_WRITTEN
        consumers = tuple(
            Consumer(labels[gate], uses, through, route(gate) if routed else None, product)
            for gate, uses, through, product in reversed(terms)  # in the order the gates were computed
        )
        return PathSum(i, labels[i], consumers, total)

    backward = []
    told = gates[::-1][:cap]
    for i in told:
        node, label, upstream = nodes[i], labels[i], grads[i]
        summed = path_sum(i, upstream)
        partials, products = [], []
        formulas = list(_formulas(node.op, [labels[a] for a in node.args], node.param, label))
        slots: dict[int, list[int]] = {}
        for k, a in enumerate(node.args):
            if nodes[a].op is not CONST:  # a constant gets no gradient: nothing flows into it worth telling
                slots.setdefault(a, []).append(k)
        for a, where in slots.items():
            terms = tuple(formulas[k] for k in where)
            slope = sum(local[i][k] for k in where)
            several = consumers[a] > 1
            partials.append(LocalPartial(a, labels[a], tuple(where), terms, _combined(terms), slope, several))
            product = upstream * slope
            products.append(ChainProduct(a, labels[a], label, upstream, slope, product, several))
            through = min(PATH_CAP, len(where) * paths[i])
            contributions.setdefault(a, []).append((i, len(where), through, product))
        kink = node.op.kink is not None and node.op.kink(*(values[a] for a in node.args))
        backward.append(
            BackwardStep(
                i, label, gate_of(i), upstream, summed, tuple(partials), tuple(products),
                node.op.kink_rule if kink else None,
            )
        )  # fmt: skip

    every_input = evaluation.inputs
    summed_inputs = {i for i in every_input if consumers[i] > 1}  # the inputs whose gradient is a sum
    sums = {a: contributions.setdefault(a, []) for a in summed_inputs}
    for i in reversed(gates[: len(gates) - len(told)]):  # steps not told: only what flows into the inputs' sums
        args = nodes[i].args
        if summed_inputs.isdisjoint(args):
            continue
        if len(args) < 2 or (len(args) == 2 and args[0] != args[1]):  # each argument once: one slot each
            for k, a in enumerate(args):
                if a in sums:  # ``+ 0.0``: a slope of -0.0 counts as 0.0, as the steps told sum their slots
                    sums[a].append((i, 1, paths[i], grads[i] * (local[i][k] + 0.0)))
            continue
        for a in dict.fromkeys(args):
            if a in sums:
                where = [k for k, b in enumerate(args) if b == a]
                through = len(where) * paths[i]
                product = grads[i] * sum(local[i][k] for k in where)
                sums[a].append((i, len(where), through if through < PATH_CAP else PATH_CAP, product))
    inputs = every_input[:cap]
    input_sums = tuple(s for i in inputs if (s := path_sum(i, grads[i])) is not None)
    return Explanation(
        output=output,
        output_label=labels[output],
        value=values[output],
        leaves=tuple(Leaf(i, labels[i], values[i]) for i in inputs),
        forward=forward,
        backward=tuple(backward),
        input_sums=input_sums,
        gradients=tuple(Leaf(i, labels[i], grads[i]) for i in inputs),
        constants=tuple(dict.fromkeys(labels[i] for i in evaluation.order if nodes[i].op is CONST)),
        expanded=result.expanded,
        forward_left_out=len(gates) - len(forward),
        backward_left_out=len(gates) - len(told),
        inputs_left_out=len(every_input) - len(inputs),
        steps=tuple(step_contributions(result)),
    )


def _combined(terms: tuple[str, ...]) -> str | None:
    """Equal terms written once with their count (``x + x`` is ``2*x``); None where that says nothing new.

    Read off the formulas' text, so it holds for every op: a sum of different terms stays a sum.
    """
    if len(terms) < 2 or len(set(terms)) > 1:
        return None
    try:
        float(terms[0])
    except ValueError:
        return f"{len(terms)}*{_operand(terms[0]) if ' ' not in terms[0] else f'({terms[0]})'}"
    return None  # ``1 + 1`` is already as plain as ``2*1``


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
