"""The gradient check as a table (terminal) or as the ``check`` member of the ``--json`` document."""

from __future__ import annotations

import json
import math
from typing import Any

from rich.table import Table

from gradcalc.gradcheck import CheckReport
from gradcalc.numbers import format_number
from gradcalc.program import Result
from gradcalc.views.json_view import document


def check_table(report: CheckReport, precision: int = 6) -> Table:
    verdict = "all agree" if report.ok else "DISAGREE"
    table = Table(
        title=f"gradient check (tol {format_number(report.tol, 17)}): {verdict}",
        title_justify="left",
        header_style="bold",
    )
    table.add_column("input", no_wrap=True)
    table.add_column(f"backprop ∂{report.output_label}/∂input", justify="right")
    table.add_column("central difference", justify="right")
    table.add_column("error", justify="right")
    table.add_column("", no_wrap=True)
    for check in report.checks:
        numeric = "—" if check.numeric is None else format_number(check.numeric, precision)
        error = "—" if check.numeric is None else format_number(check.error, 2)
        mark = "ok" if check.ok else ("✗ " + (check.problem or "disagrees"))
        table.add_row(
            check.label,
            format_number(check.backprop, precision),
            numeric,
            error,
            mark,
            style="" if check.ok else "bold red",
        )
    return table


def check_document(report: CheckReport) -> dict[str, Any]:
    def number(value: float | None) -> float | None:
        return value if value is not None and math.isfinite(value) else None

    return {
        "tol": report.tol,
        "ok": report.ok,
        "inputs": {
            check.label: {
                "backprop": number(check.backprop),
                "finite_difference": number(check.numeric),
                "error": number(check.error),
                "ok": check.ok,
            }
            for check in report.checks
        },
    }


def render_json_with_check(result: Result, report: CheckReport) -> str:
    """The ``--json`` document of ``result`` with its gradient check under ``"check"``."""
    doc = document(result)
    doc["check"] = check_document(report)
    return json.dumps(doc, allow_nan=False, separators=(", ", ": ")) + "\n"
