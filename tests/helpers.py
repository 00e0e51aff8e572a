"""Small helpers for tests that call the core directly."""

from __future__ import annotations

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
