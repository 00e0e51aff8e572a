"""Backpropagation checked against central finite differences, input by input.

For each input ``x`` the output is evaluated again at ``x + h`` and ``x - h`` (every other input held
fixed) and ``(f(x+h) - f(x-h)) / 2h`` is compared with the gradient backprop found. ``h`` is the cube root
of the machine epsilon, scaled by ``|x|`` (by 1 below ``|x| = 1``, unless that step does not converge):
it balances the formula's O(h^2) truncation error against rounding, so agreeing gradients typically
differ by 1e-10 or less. The error is relative where either
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
CONVERGED = DEFAULT_TOL / 100  # a difference that changes less than this when the step halves has converged


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
            numeric = _central_difference(result, tape, i, x, backprop)
        except GradcalcError as exc:
            checks.append(InputCheck(i, result.labels[i], backprop, None, math.inf, False, exc.message))
            continue
        finally:
            node.param = x
        error = relative_error(backprop, numeric)
        checks.append(InputCheck(i, result.labels[i], backprop, numeric, error, error <= tol))
    return CheckReport(result.output_label, tuple(checks), tol)


def _central_difference(result: Result, tape: Tape, i: int, x: float, backprop: float) -> float:
    """(f(x+h) - f(x-h)) / 2h for input node ``i``, with ``h`` of ``|x|``'s scale where that is the one
    that converges.

    The step is ``STEP * max(1, |x|)``. Below ``|x| = 1`` a step scaled by ``|x|`` is tried too, as the
    function may bend on the scale of ``|x|``: ``1/x`` at ``x = 0.001`` (the wide step's difference is off
    by 4e-5) or ``-x/b`` at ``b = 5e-142``, where ``b ± 6e-6`` straddles the pole at 0 and the difference
    is -3e-271 for a gradient of 40. The differences that keep their value when the step halves, and are
    not within the outputs' rounding over the step, are the evidence; of two such, the one nearer backprop
    is shown (at w = 3e-138 ``log(exp(w))`` is 0 at every w ± h of the narrow step, exp(w) being 1). Where
    neither converges, the one nearer that is shown (where rounding dominates, ``1e6 + x`` at 1e-12, the
    wide one: the narrow step does not change the output at all). A step is only tried where ``x ± h``
    are distinct finite numbers: at a subnormal ``x`` (5e-324) the scaled step underflows to 0 and beside
    the largest float ``x + h`` is infinite, so no difference exists there, and the check says so instead
    of dividing by zero.
    """
    wide = STEP * max(1.0, abs(x))
    steps = [wide]
    if 0.0 < abs(x) < 1.0:  # the narrow step first where the wide one reaches past 0
        steps.insert(0 if wide >= abs(x) else 1, STEP * abs(x))
    failure: GradcalcError | None = None
    converged: list[float] = []
    least: tuple[float, float] | None = None  # (how far from converged, difference)
    for h in steps:
        try:
            difference, rounding = _difference(result, tape, i, x, h)
        except GradcalcError as exc:
            if failure is None or h != wide:  # the narrow step's reason is the one to tell (5e-324)
                failure = exc
            continue
        if len(steps) == 1:  # no other step to prefer
            return difference
        try:
            change = relative_error(difference, _difference(result, tape, i, x, h / 2)[0])
        except GradcalcError:
            change = math.inf
        unsure = max(change, rounding / max(1.0, abs(difference)))
        if unsure <= CONVERGED:
            converged.append(difference)
        if least is None or unsure < least[0]:
            least = (unsure, difference)
    if converged:  # two that converged differ where the program loses digits (log(exp(w)) at w = 3e-138)
        return min(converged, key=lambda difference: relative_error(backprop, difference))
    if least is not None:
        return least[1]
    assert failure is not None  # every step was tried and none gave a difference
    raise failure


def _difference(result: Result, tape: Tape, i: int, x: float, h: float) -> tuple[float, float]:
    """The central difference with step ``h``, and its rounding: the outputs' last digit over the step."""
    graph, output = result.graph, tape.output
    node = graph.nodes[i]
    width = (x + h) - (x - h)  # the step as represented, not as intended
    if not (math.isfinite(x + h) and math.isfinite(x - h)) or not math.isfinite(width) or width == 0.0:
        raise EvaluationError(f"no step h makes x ± h two distinct finite numbers at x = {format_number(x)}")
    node.param = x + h
    plus = forward(graph, tape)[output]
    node.param = x - h
    minus = forward(graph, tape)[output]
    return (plus - minus) / width, sys.float_info.epsilon * max(abs(plus), abs(minus)) / width
