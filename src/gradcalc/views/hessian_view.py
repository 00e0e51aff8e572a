"""The Hessian (``--hessian``, ``:hessian``): a Rich matrix, its JSON member, and its check against
central differences of the gradient."""

from __future__ import annotations

import json
import math
from typing import Any

from rich.console import Group
from rich.table import Table
from rich.text import Text

from gradcalc.hessian import HessianCheck
from gradcalc.numbers import format_number
from gradcalc.views.table import short


def hessian_table(output: str, labels: list[str], matrix: list[list[float]], precision: int = 6) -> Group:
    """Row j, column k: ∂²output/∂x_j∂x_k (the title above the table: a narrow table would wrap it)."""
    table = Table(header_style="bold")
    table.add_column("", style="bold", no_wrap=True)
    for label in labels:
        table.add_column(short(label), justify="right")
    for label, row in zip(labels, matrix):
        table.add_row(short(label), *(format_number(value, precision) for value in row))
    return Group(Text(f"Hessian: ∂²{short(output)}/∂row ∂column"), table)


def _number(value: float) -> float | None:
    return value if math.isfinite(value) else None


def hessian_document(labels: list[str], matrix: list[list[float]]) -> dict[str, dict[str, float | None]]:
    """``{INPUT: {INPUT: float}}``: the JSON member ``"hessian"`` (null where not finite)."""
    return {row_label: {label: _number(v) for label, v in zip(labels, row)} for row_label, row in zip(labels, matrix)}


def hessian_check_document(check: HessianCheck) -> dict[str, Any]:
    """``{"tol", "ok", "finite_difference": {INPUT: {INPUT: float}}}``: the JSON member ``"hessian_check"``."""
    return {
        "tol": check.tol,
        "ok": check.ok,
        "finite_difference": hessian_document(list(check.labels), [list(row) for row in check.numeric]),
    }


def with_hessian(document_text: str, members: dict[str, Any]) -> str:
    """The ``--json`` text (one object ending in ``}\\n``) with ``members`` added at its end."""
    extra = json.dumps(members, allow_nan=False, separators=(", ", ": "))[1:-1]
    return f"{document_text.rstrip()[:-1]}, {extra}}}\n"


def hessian_check_table(check: HessianCheck, precision: int = 6) -> Group:
    verdict = "all agree" if check.ok else "DISAGREE"
    title = f"Hessian check against central differences of the gradient (tol {format_number(check.tol, 17)}): {verdict}"
    table = Table(header_style="bold")
    table.add_column("entry", no_wrap=True)
    table.add_column("exact", justify="right")
    table.add_column("central difference", justify="right")
    table.add_column("", no_wrap=True)
    bad = set(check.disagreements())
    for j, row_label in enumerate(check.labels):
        for k, label in enumerate(check.labels):
            table.add_row(
                f"∂²/∂{short(row_label)}∂{short(label)}",
                format_number(check.exact[j][k], precision),
                format_number(check.numeric[j][k], precision),
                "✗ disagrees" if (j, k) in bad else "ok",
                style="bold red" if (j, k) in bad else "",
            )
    return Group(Text(title), table)
