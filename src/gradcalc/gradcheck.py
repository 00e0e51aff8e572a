"""Backpropagation checked against central finite differences, input by input.

For each input ``x`` the output is evaluated again at ``x + h`` and ``x - h`` (every other input held
fixed) and ``(f(x+h) - f(x-h)) / 2h`` is compared with the gradient backprop found. ``h`` is the cube root
of the machine epsilon, scaled by ``|x|``: it balances the formula's O(h^2) truncation error against
rounding, so agreeing gradients typically differ by 1e-10 or less. The error is relative where either
gradient exceeds 1 in size and absolute below that, so gradients near zero are not judged by noise.
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass

from gradcalc.defaults import CHECK_TOL
from gradcalc.engine import Tape, forward, record
from gradcalc.errors import EvaluationError, GradcalcError
from gradcalc.numbers import format_number
from gradcalc.program import Result

STEP = sys.float_info.epsilon ** (1 / 3)  # ~6.1e-6
DEFAULT_TOL = CHECK_TOL


class GradientCheckError(GradcalcError):
    """Backprop and finite differences disagree: a wrong derivative rule, or a point with no derivative."""

    kind = "gradient check failed"


@dataclass(frozen=True, slots=True)
class InputCheck:
    node: int
    label: str
    backprop: float
    numeric: float | None  # None when the output cannot be evaluated at x ± h
    error: float  # |backprop - numeric| / max(1, |backprop|, |numeric|); inf when numeric is None
    ok: bool
    problem: str | None = None  # why numeric is None


@dataclass(frozen=True, slots=True)
class CheckReport:
    output_label: str
    checks: tuple[InputCheck, ...]
    tol: float

    @property
    def ok(self) -> bool:
        return all(check.ok for check in self.checks)

    def error(self) -> GradientCheckError:
        """The error to raise when a check failed: it names every input that disagreed."""
        failed = [check for check in self.checks if not check.ok]
        details = []
        for check in failed:
            d = f"∂{self.output_label}/∂{check.label}"
            if check.numeric is None:
                details.append(f"{d}: no finite difference ({check.problem})")
            else:
                details.append(
                    f"{d}: backprop {format_number(check.backprop)}, finite difference "
                    f"{format_number(check.numeric)}, error {format_number(check.error, 3)}"
                )
        count = f"{len(failed)} of {len(self.checks)} gradients disagree"
        hint = None
        if any(check.numeric is not None for check in failed):
            hint = "a point where the function has no derivative (relu(0), abs(0), a tie of max) also fails"
        beyond = f"beyond --tol {format_number(self.tol, 17)}"
        return GradientCheckError(f"{count} with central finite differences {beyond}: " + "; ".join(details), hint=hint)


def relative_error(backprop: float, numeric: float) -> float:
    return abs(backprop - numeric) / max(1.0, abs(backprop), abs(numeric))


def check_gradients(result: Result, tol: float = DEFAULT_TOL) -> CheckReport:
    """Compare every input's backprop gradient in ``result`` with a central finite difference."""
    graph, evaluation = result.graph, result.evaluation
    tape = record(graph, evaluation.output)  # once: each finite difference only runs it forward
    checks = []
    for i in evaluation.inputs:
        node = graph.nodes[i]
        x = node.param if node.param is not None else 0.0
        backprop = evaluation.grads[i]
        try:
            numeric = _central_difference(result, tape, i, x)
        except GradcalcError as exc:
            checks.append(InputCheck(i, result.labels[i], backprop, None, math.inf, False, exc.message))
            continue
        finally:
            node.param = x
        error = relative_error(backprop, numeric)
        checks.append(InputCheck(i, result.labels[i], backprop, numeric, error, error <= tol))
    return CheckReport(result.output_label, tuple(checks), tol)


def _central_difference(result: Result, tape: Tape, i: int, x: float) -> float:
    """(f(x+h) - f(x-h)) / 2h for input node ``i``; near a domain edge (log(1e-7)) a step scaled by |x|.

    A step is only tried where ``x ± h`` are distinct finite numbers: at a subnormal ``x`` (5e-324) the
    scaled step underflows to 0 and beside the largest float ``x + h`` is infinite, so no difference
    exists there, and the check says so instead of dividing by zero.
    """
    graph, output = result.graph, tape.output
    node = graph.nodes[i]
    steps = [STEP * max(1.0, abs(x))]
    if 0.0 < abs(x) < 1.0:
        steps.append(STEP * abs(x))
    failure: GradcalcError | None = None
    for h in steps:
        width = (x + h) - (x - h)  # the step as represented, not as intended
        if not (math.isfinite(x + h) and math.isfinite(x - h)) or not math.isfinite(width) or width == 0.0:
            failure = EvaluationError(f"no step h makes x ± h two distinct finite numbers at x = {format_number(x)}")
            continue
        try:
            node.param = x + h
            plus = forward(graph, tape)[output]
            node.param = x - h
            minus = forward(graph, tape)[output]
        except GradcalcError as exc:
            failure = exc
            continue
        return (plus - minus) / width
    assert failure is not None  # every step was tried and none gave a difference
    raise failure
