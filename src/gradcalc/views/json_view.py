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
import re
from array import array
from collections.abc import Callable, Iterator
from itertools import chain, compress, count, repeat
from operator import attrgetter
from typing import TYPE_CHECKING, Any

import orjson

from gradcalc.numbers import format_number
from gradcalc.program import Result
from gradcalc.scopes import Scopes, result_scopes

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
    """The document as text, byte for byte ``json.dumps(document(result))`` (``json_chunks`` joined)."""
    return "".join(json_chunks(result))


def json_chunks(result: Result) -> Iterator[str]:
    """The document's text in pieces of a few thousand node rows, to be written as they are made.

    A 100,000-node graph would otherwise build 100,000 dictionaries only for the encoder to walk
    them, and then hold the whole text (and its encoded copy) at once. Here each column of numbers
    (values, gradients, partials) of a piece is written by orjson in one call, the labels and op heads
    by ``map``, and the piece's rows are one ``join`` of the columns zipped with the text between them:
    no row is a string of its own. ``document`` stays the definition: tests compare the two.
    """
    evaluation, labels = result.evaluation, result.labels
    order = evaluation.order
    position = _places(order, len(result.graph.nodes))  # a node's id is "n" and its place in order
    document_ = {
        "output": {"label": result.output_name, "value": _number(evaluation.value)},
        "gradients": None,
        "nodes": None,
        "warnings": [
            {"node": f"n{_place(w.node, position)}", "message": f"{labels[w.node]}: {w.message}"}
            for w in evaluation.warnings
        ],
    }
    head, _, tail = _dumps(document_).partition('"gradients": null')
    middle, _, tail = tail.partition('"nodes": null')
    yield "".join((head, '"gradients": {', _gradients_text(result), "}", middle, '"nodes": ['))
    scopes = result_scopes(result)
    for start, part in zip(count(0, _ROWS_PER_CHUNK), _pieces(order)):
        yield _rows_text(result, start, part, position, scopes)
    yield "".join(("]", tail, "\n"))


_ROWS_PER_CHUNK = 8_192
_ID = '"n%d"'
# The text around a row's own pieces, joined to the piece before or after it: a row is ten pieces, not
# twenty. A row's id is "n" and its place: the place is written by ``str``, the text before it ends the
# row before (``_NEXT_ROW``), the text after it starts the op's head (``_head``).
_ROW_START = '{"id": "n'
_NEXT_ROW = ", " + _ROW_START
_ROW_END = "]}"
_INPUTS = ', "inputs": [%s], "value": '
_NO_INPUTS = _INPUTS % ""


def _rows_text(result: Result, start: int, order: list[int], position: array[int] | None, scopes: Scopes) -> str:
    """The rows of the nodes ``order``, from place ``start`` on, each but the very first after ``, ``."""
    evaluation, labels = result.evaluation, result.labels
    nodes = list(map(result.graph.nodes.__getitem__, order))
    orders = scopes.orders
    if scopes.of_node or orders:
        ends = [
            "]"
            + (f', "scope": {_dumps(list(scopes.path(i)))}' if i in scopes.of_node else "")
            + (f', "order": {orders[i]}' if i in orders else "")
            + "}" + _NEXT_ROW
            for i in order
        ]  # fmt: skip
        ends[-1] = ends[-1][: -len(_NEXT_ROW)]
    else:
        ends = chain(repeat(_ROW_END + _NEXT_ROW, len(order) - 1), (_ROW_END,))  # type: ignore[assignment]
    return "".join(chain((_ROW_START if start == 0 else _NEXT_ROW,), chain.from_iterable(zip(
        map(str, range(start, start + len(order))),
        _heads_text(nodes),  # each starts with '", ' and ends with '"label": '
        map(_encode_string, map(labels.__getitem__, order)),
        _inputs_text(nodes, position),  # each ends with '"value": '
        _numbers_text(list(map(evaluation.values.__getitem__, order))),
        repeat(', "grad": '), _numbers_text(list(map(evaluation.grads.__getitem__, order))),
        repeat(', "local": ['), _lists_text(list(map(evaluation.local.__getitem__, order))),
        ends,
    ))))  # fmt: skip


def _places(order: list[int], size: int) -> array[int] | None:
    """Each node's place in ``order`` (by node id), or None where every node is at its own id's place
    (a program that assigns its inputs before it computes, as generated ones do)."""
    if len(order) == size and order == list(range(size)):
        return None
    position = array("q", bytes(8 * size))
    for place, i in enumerate(order):
        position[i] = place
    return position


def _place(node: int, position: array[int] | None) -> int:
    return node if position is None else position[node]


class _InputsFormats(dict[int, str]):
    """By a node's number of inputs, its ``, "inputs": [...], "value": `` to fill in with their places."""

    def __missing__(self, arity: int) -> str:
        made = self[arity] = _INPUTS % ", ".join([_ID] * arity)
        return made


_INPUTS_FORMATS = _InputsFormats()


def _inputs_text(nodes: list[Node], position: array[int] | None) -> list[str]:
    """Each node's ``, "inputs": [...], "value": ``, its inputs as ids: one ``%`` of its arguments'
    places (its arguments themselves where every node is at its own place); a leaf's is one text for all."""
    inputs = list(map(attrgetter("args"), nodes))
    if position is not None:
        place = position.__getitem__
        inputs = [tuple(map(place, args)) for args in inputs]
    formats = _INPUTS_FORMATS
    return [formats[len(args)] % args if args else _NO_INPUTS for args in inputs]


def _gradients_text(result: Result) -> str:
    """The inside of ``"gradients": {...}``: each input's label and gradient, written as the nodes are.

    In pieces too: a wide sum has 200,000 inputs, and each piece's texts are let go once joined.
    """
    labels, grads = result.labels, result.evaluation.grads
    inputs = result.evaluation.inputs
    if len(set(map(labels.__getitem__, inputs))) < len(inputs):  # pragma: no cover - inputs are names, each once
        return _dumps({labels[i]: _number(grads[i]) for i in inputs})[1:-1]  # and a dict keeps the last of each

    def pairs(part: list[int]) -> str:
        keys = map(_encode_string, map(labels.__getitem__, part))
        values = _numbers_text(list(map(grads.__getitem__, part)))
        return "".join(chain.from_iterable(zip(keys, repeat(": "), values, repeat(", "))))[:-2]

    return ", ".join(map(pairs, _pieces(inputs)))


def _pieces(items: list[int]) -> Iterator[list[int]]:
    return (items[start : start + _ROWS_PER_CHUNK] for start in range(0, len(items), _ROWS_PER_CHUNK))


def _heads_text(nodes: list[Node]) -> list[str]:
    """Each node's ``"op": ..., "symbol": ..., "label": ``, encoded once per op (and per folded constant)."""
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
    symbol = _encode_string(op.gate_symbol(param, format_number))
    return f'", "op": {_encode_string(op.name)}, "symbol": {symbol}, "label": '


def _numbers_text(numbers: list[float]) -> list[str]:
    """Each number as json.dumps writes it, null where not finite.

    orjson writes the shortest text that reads back as the same float, as CPython's repr does, about
    fifteen times faster. The two write the same digits, and the same text but for numbers below 1e-4 in
    size: where repr writes ``4e-05``, orjson writes ``0.00004`` or ``4e-5`` (``1e+16`` and ``1e-100``
    they write alike). So a text starting ``0.0000`` or with an exponent of one digit after its minus is
    written again by repr (checked on random bit patterns of every exponent).
    """
    if not numbers:
        return []
    written = orjson.dumps(numbers).decode()
    return _respelled(written, written[1:-1].split(","), numbers, _number_text)


def _lists_text(lists: list[tuple[float, ...]]) -> list[str]:
    """The inside of each list of numbers as json.dumps writes it: ``[[1.0, 2.0], []]`` -> "1.0, 2.0", ""."""
    if not lists:
        return []
    written = orjson.dumps(lists).decode()
    texts = written[2:-2].replace(",", ", ").split("], [")
    return _respelled(written, texts, lists, lambda numbers: ", ".join(map(_number_text, numbers)))


def _number_text(value: float) -> str:
    """One number as json.dumps writes it (``float.__repr__``; null where not finite), for the few that
    orjson spells otherwise (``json.dumps`` of each cost 2.5 µs)."""
    return repr(value) if math.isfinite(value) else "null"


def _respelled(written: str, texts: list[str], items: list[Any], spell: Callable[[Any], str]) -> list[str]:
    """``texts`` (of orjson's ``written``) with each one json.dumps spells differently written by ``spell``.

    Most columns have none, and a few scans of the whole text say so: a negative exponent's ``e-``, or a
    number that starts ``0.0000`` (after ``[``, ``,`` or ``-``; ``3570.00000001`` is not one). Where there
    may be some, they are found by C-level iteration: a regular expression mapped over the texts, for an
    exponent of one digit after its minus or a number that starts ``0.0000``. Numbers of 1e16 and more,
    which a long product reaches, are written alike: a column of those used to be written again number
    by number (parentheses nested 1e6 deep: the JSON 4.6 µs a node, against 1.2 µs now and 1.0 at 1e5).
    """
    if "e-" in written or ",0.0000" in written or "[0.0000" in written or "-0.0000" in written:
        for i in compress(count(), map(_RESPELL, texts)):
            texts[i] = spell(items[i])
    return texts


_RESPELL = re.compile(r"e-\d(?!\d)|(?<![\d.])0\.0000").search


# What json.dumps itself calls for a string (ensure_ascii, the default): the C encoder where it exists.
_encode_string: Callable[[str], str] = getattr(json.encoder, "c_encode_basestring_ascii", None) or (
    json.encoder.py_encode_basestring_ascii
)


def _dumps(value: object) -> str:
    return json.dumps(value, allow_nan=False, separators=(", ", ": "))
