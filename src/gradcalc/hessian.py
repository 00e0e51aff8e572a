"""Second derivatives: forward mode over the backward pass (a Hessian-vector product per input).

The backward pass adds ``grad[i] * slope_k`` into argument ``k`` of each gate. Differentiating that loop
in the direction of one input ``x_j`` (forward mode: every value carries its tangent) gives

    d(grad[a_k])/dx_j += d(grad[i])/dx_j * slope_k + grad[i] * sum_m second[k][m] * tangent[a_m]

where ``second`` is the op table's matrix of second partials of the gate. Run once per input, the
tangents of the input gradients are one row of the Hessian each: k inputs cost k forward-and-backward
passes of the same length as the first. Kinks follow PyTorch: relu'' = abs'' = max'' = 0 everywhere.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from gradcalc.engine import Evaluation, Tape, backward, forward, record
from gradcalc.errors import GradcalcError
from gradcalc.forward_mode import tangents
from gradcalc.gradcheck import STEP, relative_error
from gradcalc.graph import Graph, Node
from gradcalc.numbers import format_number


def _second(node: Node) -> Callable[..., tuple[tuple[float, ...], ...]]:
    rule = node.op.second
    if rule is None:  # pragma: no cover - every differentiable op has one (tests loop over the table)
        raise TypeError(f"{node.op.name} has no second partials")
    return partial(rule, node.param) if node.op.parametric else rule


def _mul(a: float, b: float) -> float:
    """a * b, 0 where either is 0: a direction that does not reach a node leaves it alone (0 * inf = 0)."""
    return a * b if a and b else 0.0


def hessian_row(evaluation: Evaluation, seed: int) -> list[float]:
    """d(grad[node])/d(seed) for every node: the row of the Hessian for input ``seed`` at the inputs."""
    nodes, values, grads, local = evaluation.graph.nodes, evaluation.values, evaluation.grads, evaluation.local
    dot = tangents(evaluation, seed)
    grad_dot = [0.0] * len(values)
    for i in reversed(evaluation.order):
        node = nodes[i]
        args = node.args
        if not args:
            continue
        upstream, upstream_dot, slopes = grads[i], grad_dot[i], local[i]
        if not upstream and not upstream_dot:
            continue
        if len(args) == 2:  # nearly every gate: spelled out, as the engine's loops are
            a, b = args
            (aa, ab), (ba, bb) = _second(node)(values[a], values[b], values[i])
            dot_a, dot_b = dot[a], dot[b]
            grad_dot[a] += _mul(upstream_dot, slopes[0]) + _mul(upstream, _mul(aa, dot_a) + _mul(ab, dot_b))
            grad_dot[b] += _mul(upstream_dot, slopes[1]) + _mul(upstream, _mul(ba, dot_a) + _mul(bb, dot_b))
            continue
        bends = _second(node)(*(values[a] for a in args), values[i])
        for k, a in enumerate(args):
            bent = sum(_mul(bends[k][m], dot[b]) for m, b in enumerate(args))
            grad_dot[a] += _mul(upstream_dot, slopes[k]) + _mul(upstream, bent)
    return grad_dot


def hessian(evaluation: Evaluation) -> list[list[float]]:
    """The matrix d2(output)/d(x_j)d(x_k) over the evaluation's inputs (in ``evaluation.inputs`` order)."""
    inputs = evaluation.inputs
    rows = []
    for j in inputs:
        row = hessian_row(evaluation, j)
        rows.append([row[k] for k in inputs])
    return rows


class HessianCheckError(GradcalcError):
    """The Hessian and finite differences of the gradient disagree."""

    kind = "hessian check failed"


@dataclass(frozen=True, slots=True)
class HessianCheck:
    """The Hessian's entries next to central differences of the gradient, row by row."""

    labels: tuple[str, ...]
    exact: tuple[tuple[float, ...], ...]
    numeric: tuple[tuple[float, ...], ...]
    tol: float

    def disagreements(self) -> list[tuple[int, int]]:
        return [
            (j, k)
            for j, row in enumerate(self.exact)
            for k, value in enumerate(row)
            if not relative_error(value, self.numeric[j][k]) <= self.tol
        ]

    @property
    def ok(self) -> bool:
        return not self.disagreements()

    def error(self, output: str) -> HessianCheckError:
        details = [
            f"∂²{output}/∂{self.labels[j]}∂{self.labels[k]}: exact {format_number(self.exact[j][k])}, "
            f"finite difference {format_number(self.numeric[j][k])}"
            for j, k in self.disagreements()
        ]
        return HessianCheckError(
            f"{len(details)} of {len(self.labels) ** 2} second derivatives disagree with central differences "
            f"of the gradient beyond --tol {format_number(self.tol, 17)}: " + "; ".join(details),
            hint="a point where the function has no second derivative (relu(0), abs(0)) also fails",
        )


def check_hessian(evaluation: Evaluation, labels: dict[int, str], tol: float) -> HessianCheck:
    """Each Hessian row against (grad(x_j + h) - grad(x_j - h)) / 2h, every other input held fixed."""
    graph = evaluation.graph
    tape = record(graph, evaluation.output)
    inputs = evaluation.inputs
    numeric = []
    for j in inputs:
        node = graph.nodes[j]
        x = float(node.param)  # type: ignore[arg-type]  # an input has its value
        h = STEP * max(1.0, abs(x))
        width = (x + h) - (x - h)  # the step as represented: beside the largest float, x + h is infinite
        if not (math.isfinite(x + h) and math.isfinite(x - h)) or width == 0.0:
            numeric.append(tuple(math.nan for _ in inputs))  # no difference exists here: it disagrees
            continue
        try:
            plus = _gradients(graph, tape, node, x + h)
            minus = _gradients(graph, tape, node, x - h)
        except GradcalcError:
            plus = minus = [math.nan] * len(evaluation.values)
        finally:
            node.param = x
        numeric.append(tuple((plus[k] - minus[k]) / width for k in inputs))
    exact = tuple(tuple(row) for row in hessian(evaluation))
    return HessianCheck(tuple(labels[i] for i in inputs), exact, tuple(numeric), tol)


def _gradients(graph: Graph, tape: Tape, node: Node, x: float) -> list[float]:
    node.param = x
    return backward(tape, forward(graph, tape))[0]
