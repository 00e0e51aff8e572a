"""Small helpers for tests that call the core directly."""

from __future__ import annotations

from gradcalc.ops import Op
from gradcalc.program import Result, run_source
from gradcalc.source import Source


def run(text: str, expanded: bool = False, **inputs: float) -> Result:
    return run_source(Source(text), {k: float(v) for k, v in inputs.items()}, expanded=expanded)


def by_label(result: Result) -> dict[str, tuple[float, float]]:
    """label -> (value, gradient) for every node of the result."""
    ev = result.evaluation
    return {result.labels[i]: (ev.values[i], ev.grads[i]) for i in ev.order}


def gradients(result: Result) -> dict[str, float]:
    ev = result.evaluation
    return {result.labels[i]: ev.grads[i] for i in ev.inputs}


# Candidate arguments, tried in order: the first inside an op's domain is where a test meets its row.
CANDIDATES = [(0.7, 1.3), (1.3, 0.7), (2.5, 1.5), (-0.4, 0.6)]


def point_in_domain(op: Op, param: float = 2.0) -> tuple[float, ...]:
    """Arguments inside ``op``'s domain (acosh needs at least 1, asin at most 1), one per argument."""
    for pair in CANDIDATES:
        args = pair[: op.arity]
        try:
            op.forward(*((param,) if op.parametric else ()), *args)
        except (ArithmeticError, ValueError):
            continue
        return args
    raise AssertionError(f"no candidate point is in the domain of {op.name}")
