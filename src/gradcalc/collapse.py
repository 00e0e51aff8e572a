"""``--collapse``: each call of a user function shown as one gate, a module with its own local derivatives.

The seed's "break up our function into modules for which we can easily derive local gradients, and
then use chain rule": a call's gate takes every value from outside that its body reads (its arguments,
and the names it shares with the caller, such as a weight), and its local partials are the module's
own derivatives, d(call)/d(each of those), computed by a backward pass over the call's nodes alone from
the partials the evaluation already has. The chain rule outside the calls is then exactly the one the
whole graph had: the values and the gradients of every node left are the evaluation's own.

A call is collapsed at its outermost level (a call inside a call is part of the outer one); the steps
of a loop stay clusters. A call whose value is one of its arguments (``f(x) = x``) has no gate to show.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING

from gradcalc.engine import Evaluation, Warning_
from gradcalc.graph import Graph
from gradcalc.labels import node_labels
from gradcalc.ops import Op, Syntax

if TYPE_CHECKING:  # the facade (program) applies this to its results
    from gradcalc.program import Result


MAX_TEXT = 40  # a definition longer than this is cut where explain quotes it


def _constant(value: float) -> Callable[..., float]:
    return lambda *_: value


def _partials(values: tuple[float, ...]) -> Callable[..., tuple[float, ...]]:
    return lambda *_: values


def collapse(result: Result) -> Result:
    """``result`` with each outermost call drawn as one gate whose local partials are the module's."""
    graph, evaluation = result.graph, result.evaluation
    nodes, order = graph.nodes, evaluation.order
    scope_of = graph.scope_map(order)
    scopes = graph.scopes
    outermost: dict[int, int] = {}  # scope -> the outermost call around it (or itself), or -1

    def call_of(scope: int) -> int:
        found = outermost.get(scope)
        if found is None:
            found, s = -1, scope
            while s >= 0:
                if scopes[s].kind == "call":
                    found = s
                s = scopes[s].parent
            outermost[scope] = found
        return found

    members: dict[int, list[int]] = {}
    for i in order:
        scope = scope_of.get(i)
        if scope is None or nodes[i].is_input:  # an input first read in a body is shared, not the call's
            continue
        outer_call = call_of(scope)
        if outer_call >= 0 and scopes[outer_call].result >= 0:
            members.setdefault(outer_call, []).append(i)
    if not members:
        return result
    module_of = {i: call for call, inside in members.items() for i in inside}

    new = Graph()
    new.scopes = scopes
    new.node_scope = {}
    where: dict[int, int] = {}
    values, grads, local = evaluation.values, evaluation.grads, evaluation.local
    new_values: list[float] = []
    new_grads: list[float] = []
    new_local: list[tuple[float, ...] | None] = []
    for i in order:
        call = module_of.get(i)
        if call is not None and i != scopes[call].result:
            continue
        node = nodes[i]
        if call is None:
            args = tuple(where[a] for a in node.args)
            target = new.add(node.op, args, param=node.param, text=node.text, at=node)
            slopes = local[i]
            outer = scope_of.get(i)
            if outer is not None and call_of(outer) >= 0:  # an input first read inside a call now drawn as a gate
                outer = scopes[call_of(outer)].parent
        else:
            inputs, slopes = _module(graph, evaluation, members[call], i, scopes[call].param_nodes())
            target = new.add(_module_op(graph, call, inputs, slopes, values[i]), tuple(where[a] for a in inputs),
                             at=node)  # fmt: skip
            outer = scopes[call].parent
        moved = new.nodes[target]
        moved.name, moved.version = node.name, node.version
        if node.name is not None and graph.bindings.get(node.name) == i:
            new.bindings[node.name] = target
        if outer is not None and outer >= 0:
            new.node_scope[target] = outer
        where[i] = target
        new_values.append(values[i])
        new_grads.append(grads[i])
        new_local.append(slopes)
    new_order = list(range(len(new.nodes)))
    warnings = [_moved_warning(w, where, module_of, graph, result.labels) for w in evaluation.warnings]
    collapsed = Evaluation(new, where[evaluation.output], new_order, new_values, new_grads, new_local,
                           [w for w in warnings if w is not None])  # fmt: skip
    labels = node_labels(new, new_order, collapsed.output)
    return replace(result, graph=new, evaluation=collapsed, labels=labels, uncollapsed=result)


def _module(
    graph: Graph, evaluation: Evaluation, inside: list[int], out: int, params: dict[int, str]
) -> tuple[list[int], tuple[float, ...]]:
    """The values a call reads from outside (its arguments first), and d(call)/d(each): a backward pass
    over its nodes alone."""
    nodes, local = graph.nodes, evaluation.local
    own = set(inside)
    read = {a for i in inside for a in nodes[i].args if a not in own}
    inputs: list[int] = [a for a in params if a in read]
    for i in inside:
        for a in nodes[i].args:
            if a not in own and a not in inputs:
                inputs.append(a)
    upstream = {out: 1.0}
    for i in reversed(inside):
        g = upstream.get(i, 0.0)
        if g:
            for slot, a in enumerate(nodes[i].args):
                upstream[a] = upstream.get(a, 0.0) + g * local[i][slot]
    return inputs, tuple(upstream.get(a, 0.0) for a in inputs)


def _module_op(graph: Graph, call: int, inputs: list[int], slopes: tuple[float, ...], value: float) -> Op:
    """The gate of one call: the function's name, a role per argument (its parameter, or the shared name)."""
    scope = graph.scopes[call]
    param_of = scope.param_nodes()
    roles = tuple(param_of.get(a) or graph.nodes[a].name or "" for a in inputs)
    inside = " ".join(scope.text.split())
    inside = inside if len(inside) <= MAX_TEXT else inside[: MAX_TEXT - 1] + "…"
    inside = inside.replace("{", "{{").replace("}", "}}")  # the formulas are format strings
    return Op(
        "module",
        scope.name,
        len(inputs),
        Syntax.CALL,
        _constant(value),
        _partials(slopes),
        formulas=tuple(f"∂{scope.name}/∂{role} (inside {inside})" for role in roles),
        roles=roles if len(inputs) > 1 else (),
        description=f"a call of {scope.name}, shown as one gate",
    )


def _moved_warning(warning: Warning_, where: dict[int, int], module_of: dict[int, int], graph: Graph,
                   labels: dict[int, str]) -> Warning_ | None:  # fmt: skip
    """A warning on a node still shown stays on it; one inside a call goes to the call's gate."""
    if warning.node in where:
        return Warning_(where[warning.node], warning.message)
    call = module_of.get(warning.node)
    if call is None:  # pragma: no cover - every node of the evaluation is shown or in a call
        return None
    return Warning_(where[graph.scopes[call].result], f"inside, at {labels[warning.node]}: {warning.message}")
