"""What training shows: the learned inputs, the final loss, why it stopped, the loss curve; or JSON.

The ``--json`` document (public, documented in the README)::

    {"wrt": [NAME, ...], "initial": {NAME: float}, "learned": {NAME: float},
     "loss": float, "gradient": {NAME: float}, "steps": int, "stopped": "steps" | "loss_change" | "gradient",
     "reason": str, "rows": int, "settings": {"lr", "steps", "tol", "momentum", "sgd", "seed", "newton"},
     "history": [{"step": int, "loss": float, "grad_norm": float,
                  "values": {NAME: float}, "gradient": {NAME: float}}, ...]}

``history`` has ``steps + 1`` entries: ``history[k]`` is step k, the learned values after k updates with
the loss and gradient there; ``history[0]`` is the start and ``history[-1]`` the end (its loss is ``loss``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from rich.console import Group
from rich.table import Table
from rich.text import Text

from gradcalc.numbers import format_number
from gradcalc.training import Trained
from gradcalc.views.loss_curve import loss_chart


def training_view(trained: Trained, precision: int = 6, *, chart_width: int = 60) -> Group:
    def num(value: float) -> str:
        return format_number(value, precision)

    table = Table(title="learned inputs", title_justify="left", header_style="bold")
    table.add_column("input", no_wrap=True, style="bold cyan")
    table.add_column("start", justify="right")
    table.add_column("learned", justify="right")
    table.add_column("∂loss/∂input at the end", justify="right")
    for name, start, value, slope in zip(trained.wrt, trained.initial, trained.values, trained.gradient):
        table.add_row(name, num(start), num(value), num(slope))

    s = trained.settings
    if s.newton:
        over = f"the mean over {trained.rows} rows" if trained.rows > 1 else "at one point"
        method = f"Newton's method, w <- w - H^-1 gradient, {over}"
    elif s.sgd:
        method = f"stochastic, one of {trained.rows} rows per step (shuffled with --seed {s.seed})"
    elif trained.rows > 1:
        method = f"batch, the mean over {trained.rows} rows"
    else:
        method = "gradient descent at one point"
    history = trained.history
    first = float(history.losses[0]) if len(history) else trained.loss
    summary = Text()
    summary.append("final loss ", style="bold")
    summary.append(f"{num(trained.loss)}", style="bold magenta")
    summary.append(f" (from {num(first)} at the start)\n")
    summary.append("steps      ", style="bold")
    summary.append(f"{trained.steps}: {method}" + ("" if s.newton else f", --lr {format_number(s.lr, 17)}"))
    if s.momentum:
        summary.append(f", --momentum {format_number(s.momentum, 17)}")
    summary.append("\nstopped    ", style="bold")
    summary.append(f"{trained.stop.value}")
    if trained.loss > first and not s.newton:
        summary.append(
            "\nthe loss grew: the learning rate is too large for this problem; try a smaller --lr", style="red"
        )

    curve = Text(loss_chart(history.losses.tolist(), width=chart_width, precision=precision))
    return Group(table, summary, Text(""), curve)


def training_document(trained: Trained) -> dict[str, Any]:
    s, h = trained.settings, trained.history
    names = trained.wrt

    def by_name(values: Sequence[float]) -> dict[str, float]:
        return dict(zip(names, values))

    return {
        "wrt": list(names),
        "initial": by_name(trained.initial),
        "learned": by_name(trained.values),
        "loss": trained.loss,
        "gradient": by_name(trained.gradient),
        "steps": trained.steps,
        "stopped": trained.stop.name.lower(),
        "reason": trained.stop.value,
        "rows": trained.rows,
        "settings": {"lr": s.lr, "steps": s.steps, "tol": s.tol, "momentum": s.momentum, "sgd": s.sgd, "seed": s.seed,
                     "newton": s.newton},
        "history": [
            {"step": k, "loss": loss, "grad_norm": norm, "values": by_name(values), "gradient": by_name(gradient)}
            for k, loss, norm, values, gradient in zip(
                range(len(h)), h.losses.tolist(), h.grad_norms.tolist(), h.values.tolist(), h.gradients.tolist()
            )
        ],
    }


def render_training_json(trained: Trained) -> str:
    return json.dumps(training_document(trained), allow_nan=False, separators=(", ", ": ")) + "\n"
