"""The evaluation trace: Baydin et al.'s table of both modes of automatic differentiation, as data.

One row per node in evaluation order, named as in the textbook: the n inputs are v_{1-n} ... v_0 and
the gates v_1, v_2, ... (constants are no rows: they appear in the expressions as written). Each row has
the primal value, the tangent of forward mode seeded with 1 at one input (``forward_mode.tangents``) and
the adjoint of reverse mode (the engine's gradients). The output's tangent is one entry of the gradient;
the inputs' adjoints are all of it: forward mode costs one pass per input, reverse mode one per output.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from gradcalc.engine import op_call_text
from gradcalc.errors import UsageError
from gradcalc.forward_mode import tangents
from gradcalc.ops import CONST, Op
from gradcalc.program import Result


@dataclass(frozen=True, slots=True)
class TraceRow:
    node: int
    name: str  # v-1, v0, v1, ...
    label: str  # the label the other views give the node: x1, p, f
    args: tuple[str, ...]  # the arguments' names (a constant's source text)
    expression: str  # ``sin(v0)``, ``v-1 * v0``; an input's own label
    op: Op
    param: float | None  # a folded constant (*-1, ^2)
    value: float
    tangent: float
    adjoint: float
    is_input: bool


@dataclass(frozen=True, slots=True)
class Trace:
    rows: tuple[TraceRow, ...]
    wrt: str  # the input whose tangent was seeded with 1
    output: str  # the output's label
    inputs: tuple[str, ...]

    @property
    def forward_passes(self) -> int:
        """Forward mode gives one input's column of derivatives per pass: the gradient needs one per input."""
        return len(self.inputs)

    @property
    def reverse_passes(self) -> int:
        """Reverse mode gives one output's row of derivatives per pass; a program has one output."""
        return 1


def written(row: TraceRow, name: Callable[[str], str]) -> str:
    """The row's expression with each argument's name written by ``name`` (a view's own notation)."""
    if row.is_input:
        return row.label
    return op_call_text(row.op, [name(a) for a in row.args], row.param)


def trace(result: Result, wrt: str | None = None) -> Trace:
    """The trace of ``result`` with the tangent seeded at the input labelled ``wrt`` (default: the first)."""
    evaluation, labels, nodes = result.evaluation, result.labels, result.graph.nodes
    inputs = evaluation.inputs
    if not inputs:
        raise UsageError("the program has no inputs, so it has no derivatives to trace",
                         hint="trace a program of inputs given values, e.g. gradcalc trace 'x*x' x=2")
    by_label = {labels[i]: i for i in inputs}
    if wrt is None:
        seed = inputs[0]
    elif wrt in by_label:
        seed = by_label[wrt]
    else:
        raise UsageError(f"--wrt {wrt}: not an input of the program", hint=f"its inputs: {', '.join(by_label)}")
    dot = tangents(evaluation, seed)
    names: dict[int, str] = {i: f"v{k - len(inputs) + 1}" for k, i in enumerate(inputs)}
    gates = 0
    rows = []
    for i in evaluation.order:
        node = nodes[i]
        if node.op is CONST:
            names[i] = labels[i]
            continue
        if node.is_input:
            args: tuple[str, ...] = ()
            expression = labels[i]
        else:
            gates += 1
            names[i] = f"v{gates}"
            args = tuple(names[a] for a in node.args)
            expression = op_call_text(node.op, list(args), node.param)
        row = TraceRow(i, names[i], labels[i], args, expression, node.op, node.param, evaluation.values[i], dot[i],
                       evaluation.grads[i], node.is_input)
        rows.append(row)
    return Trace(tuple(rows), labels[seed], result.output_label, tuple(labels[i] for i in inputs))
