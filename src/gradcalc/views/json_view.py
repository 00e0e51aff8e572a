"""The ``--json`` document: a public interface, documented in the README; keep it stable.

    {"output": {"label": NAME or null, "value": float},
     "gradients": {INPUT: float, ...},
     "nodes": [{"id": str, "op": str, "label": str, "inputs": [id, ...],
                "value": float, "grad": float, ...}, ...],
     "warnings": [{"node": id, "message": str}, ...]}

Nodes are in topological order, inputs first, output last. Numbers keep full precision; a number
that is not finite (an infinite gradient) is null, so every JSON parser reads the document.
"""

from __future__ import annotations

import json
import math
from typing import Any

from gradcalc.numbers import format_number
from gradcalc.program import Result


def _number(value: float) -> float | None:
    return value if math.isfinite(value) else None


def document(result: Result) -> dict[str, Any]:
    evaluation, labels, nodes = result.evaluation, result.labels, result.graph.nodes
    values, grads, local = evaluation.values, evaluation.grads, evaluation.local
    ids = {node: f"n{position}" for position, node in enumerate(evaluation.order)}
    node_id = ids.__getitem__
    rows = []
    for i in evaluation.order:
        node = nodes[i]
        rows.append(
            {
                "id": node_id(i),
                "op": node.op.name,
                "symbol": node.op.gate_symbol(node.param, format_number),
                "label": labels[i],
                "inputs": [node_id(a) for a in node.args],
                "value": _number(values[i]),
                "grad": _number(grads[i]),
                "local": [_number(d) for d in local[i]],
            }
        )
    return {
        "output": {"label": result.output_name, "value": _number(evaluation.value)},
        "gradients": {labels[i]: _number(grads[i]) for i in evaluation.inputs},
        "nodes": rows,
        "warnings": [
            {"node": node_id(w.node), "message": f"{labels[w.node]}: {w.message}"} for w in evaluation.warnings
        ],
    }


def render_json(result: Result) -> str:
    return json.dumps(document(result), allow_nan=False, separators=(", ", ": ")) + "\n"
