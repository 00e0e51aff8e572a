"""Forward mode: every node carries its value and its tangent (a dual number), over the same graph.

Seeding one input's tangent with 1 (and every other input's with 0), the tangent of a gate is the sum
over its arguments of the op table's local partial times the argument's tangent, so one loop forward
gives the derivative of *every* node with respect to that one input. Reverse mode (``engine.backward``)
gives the derivative of one output with respect to every input in one loop backward: forward mode needs
one pass per input, reverse mode one pass per output. The two use the same local partials, so on any
program the tangents at the output equal the gradients at the inputs.
"""

from __future__ import annotations

from gradcalc.engine import Evaluation


def tangents(evaluation: Evaluation, seed: int) -> list[float]:
    """d(node)/d(seed) for every node of ``evaluation``, indexed by node id: one forward pass.

    The local partials are the evaluation's own, the op table's rules at the values of the forward pass
    (those the backward pass multiplied by), so nothing here knows any op.
    """
    nodes, local = evaluation.graph.nodes, evaluation.local
    dot = [0.0] * len(evaluation.values)
    dot[seed] = 1.0
    for i in evaluation.order:
        args = nodes[i].args
        if not args:
            continue
        if len(args) == 1:
            (a,) = args
            dot[i] = local[i][0] * dot[a] if dot[a] else 0.0
        else:
            a, b = args
            da, db = local[i]
            dot[i] = (da * dot[a] if dot[a] else 0.0) + (db * dot[b] if dot[b] else 0.0)
    return dot
