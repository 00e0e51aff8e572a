"""The ``--json`` document: a public interface, documented in the README; keep it stable.

    {"output": {"label": NAME or null, "value": float},
     "gradients": {INPUT: float, ...},
     "nodes": [{"id": str, "op": str, "label": str, "inputs": [id, ...],
            "value": float, "grad": float, ...}, ...],
     "warnings": [{"node": id, "message": str}, ...]}

Nodes are in topological order, inputs first, output last. A node made by a call of a user function
or in a step of a loop has one more field, ``"scope"``: the calls and steps it is in, the outermost
first (``["t = 2", "cell #1"]``); the other nodes have none, so a program without functions or loops
gives the document it always gave. The nodes that ``grad(e, x)`` built are in a scope named after it
(``"∂(x^3)/∂x (1st derivative)"``) and have one more field, ``"order"``: their derivative order (1 for
``grad(e, x)``, 2 for ``grad(grad(e, x), x)``); the function's own nodes (order 0) have none. Numbers
keep full precision; a number that is not finite (an infinite gradient) is null, so every JSON parser
reads the document.
"""

from __future__ import annotations

import json
import json.encoder
import math
from collections.abc import Callable
from itertools import chain, repeat
from operator import attrgetter
from typing import TYPE_CHECKING, Any

from gradcalc.numbers import format_number
from gradcalc.program import Result
from gradcalc.scopes import result_scopes

if TYPE_CHECKING:
    from gradcalc.graph import Node
    from gradcalc.ops import Op


def _number(value: float) -> float | None:
    return value if math.isfinite(value) else None


def document(result: Result) -> dict[str, Any]:
    evaluation, labels, nodes = result.evaluation, result.labels, result.graph.nodes
    values, grads, local = evaluation.values, evaluation.grads, evaluation.local
    ids = {node: f"n{position}" for position, node in enumerate(evaluation.order)}
    node_id = ids.__getitem__
    scopes = result_scopes(result)
    rows = []
    for i in evaluation.order:
        node = nodes[i]
        row = {
            "id": node_id(i),
            "op": node.op.name,
            "symbol": node.op.gate_symbol(node.param, format_number),
            "label": labels[i],
            "inputs": [node_id(a) for a in node.args],
                "value": _number(values[i]),
            "grad": _number(grads[i]),
            "local": [_number(d) for d in local[i]],
        }
        if i in scopes.of_node:
            row["scope"] = list(scopes.path(i))
        if i in scopes.orders:
            row["order"] = scopes.orders[i]
        rows.append(row)
    return {
        "output": {"label": result.output_name, "value": _number(evaluation.value)},
        "gradients": {labels[i]: _number(grads[i]) for i in evaluation.inputs},
        "nodes": rows,
        "warnings": [
            {"node": node_id(w.node), "message": f"{labels[w.node]}: {w.message}"} for w in evaluation.warnings
        ],
    }


def render_json(result: Result) -> str:
    """The document as text, byte for byte ``json.dumps(document(result))``, written column by column.

    A 100,000-node graph would otherwise build 100,000 dictionaries only for the encoder to walk
    them. Here each column of numbers (values, gradients, partials) is encoded by the C encoder in one
    call, the labels and op heads by ``map``, and each node row is one f-string of the encoded parts
    (measured faster than ``%`` over the columns or one ``%`` of them all). ``document`` stays the
    definition: tests compare the two.
    """
    evaluation, labels = result.evaluation, result.labels
    order = evaluation.order
    nodes = list(map(result.graph.nodes.__getitem__, order))
    id_texts = [f'"n{position}"' for position in range(len(order))]
    ids = dict(zip(order, id_texts))
    node_id = ids.__getitem__
    input_texts = [", ".join(map(node_id, node.args)) for node in nodes]
    label_texts = list(map(_encode_string, map(labels.__getitem__, order)))
    value_texts = _numbers_text(list(map(evaluation.values.__getitem__, order)))
    grad_texts = _numbers_text(list(map(evaluation.grads.__getitem__, order)))
    local_texts = _lists_text(list(map(evaluation.local.__getitem__, order)))
    scopes = result_scopes(result)
    orders = scopes.orders
    scope_texts = [
        (f', "scope": {_dumps(list(scopes.path(i)))}' if i in scopes.of_node else "")
        + (f', "order": {orders[i]}' if i in orders else "")
        for i in order
    ] if scopes.of_node or orders else repeat("")  # fmt: skip
    rows = ", ".join([
        f'{{"id": {a}, {b}, "label": {c}, "inputs": [{d}], "value": {e}, "grad": {f}, "local": [{g}]{h}}}'
        for a, b, c, d, e, f, g, h in zip(
            id_texts, _heads_text(nodes), label_texts, input_texts, value_texts, grad_texts, local_texts, scope_texts
        )
    ])  # fmt: skip
    document_ = {
        "output": {"label": result.output_name, "value": _number(evaluation.value)},
        "gradients": {labels[i]: _number(evaluation.grads[i]) for i in evaluation.inputs},
        "nodes": None,
        "warnings": [
            {"node": ids[w.node][1:-1], "message": f"{labels[w.node]}: {w.message}"} for w in evaluation.warnings
        ],
    }
    before, _, after = _dumps(document_).partition('"nodes": null')
    return "".join((before, '"nodes": [', rows, "]", after, "\n"))


def _heads_text(nodes: list[Node]) -> list[str]:
    """Each node's ``"op": ..., "symbol": ...``, encoded once per op (and per folded constant)."""
    ops = list(map(attrgetter("op"), nodes))
    heads = {op: _head(op, None) for op in dict.fromkeys(ops)}
    if not any(op.parametric for op in heads):
        return list(map(heads.__getitem__, ops))
    folded: dict[tuple[Op, float | None], str] = {}
    texts = []
    for op, node in zip(ops, nodes):
        if op.parametric and node.param is not None:
            key = (op, node.param)
            head = folded.get(key)
            if head is None:
                head = folded[key] = _head(op, node.param)
            texts.append(head)
        else:
            texts.append(heads[op])
    return texts


def _head(op: Op, param: float | None) -> str:
    return f'"op": {_encode_string(op.name)}, "symbol": {_encode_string(op.gate_symbol(param, format_number))}'


def _numbers_text(numbers: list[float]) -> list[str]:
    """Each number as json.dumps writes it, null where not finite: one encoder call for the whole list."""
    if not numbers:
        return []
    if not all(map(math.isfinite, numbers)):
        numbers = [_number(x) for x in numbers]  # type: ignore[misc]
    return _each_once(numbers, lambda unique: _dumps(unique)[1:-1].split(", "))


def _lists_text(lists: list[tuple[float, ...]]) -> list[str]:
    """The inside of each list of numbers as json.dumps writes it: ``[[1.0, 2.0], []]`` -> "1.0, 2.0", ""."""
    if not lists:
        return []
    if not all(map(math.isfinite, chain.from_iterable(lists))):
        lists = [tuple(_number(x) for x in numbers) for numbers in lists]  # type: ignore[misc]
    return _each_once(lists, lambda unique: _dumps(unique)[2:-2].split("], ["))


def _each_once(items: list[Any], encode: Callable[[list[Any]], list[str]]) -> list[str]:
    """``encode(items)``, encoding each distinct item once where most repeat.

    Writing a float costs about a microsecond, and generated graphs repeat theirs (the partials of a
    sum are all 1.0, a wide sum's inputs take a few values). A sample of the items decides first, so a
    column of distinct numbers (a chain's values) is not hashed for nothing. Zeros keep the plain path:
    0.0 and -0.0 are one dictionary key but two texts.
    """
    sample = items[:_SAMPLE]
    if 2 * len(set(sample)) > len(sample):
        return encode(items)
    unique = dict.fromkeys(items)
    if 2 * len(unique) > len(items) or _has_zero(unique):
        return encode(items)
    texts = dict(zip(unique, encode(list(unique))))
    return list(map(texts.__getitem__, items))


_SAMPLE = 1_000


def _has_zero(unique: dict[Any, None]) -> bool:
    if 0.0 in unique:
        return True
    tuples = [k for k in unique if isinstance(k, tuple)]
    return 0.0 in chain.from_iterable(tuples)


# What json.dumps itself calls for a string (ensure_ascii, the default): the C encoder where it exists.
_encode_string: Callable[[str], str] = getattr(json.encoder, "c_encode_basestring_ascii", None) or (
    json.encoder.py_encode_basestring_ascii
)


def _dumps(value: object) -> str:
    return json.dumps(value, allow_nan=False, separators=(", ", ": "))
