"""``gradcalc eval PROGRAM``: evaluate, backpropagate, show every node (``show`` is shared with ``run``).

A one-shot ``eval`` imports only what it prints with: the JSON view, or Rich and the table; the
picture options live with ``run`` (``cli.run_cmd``), the checker and the Hessian are imported when asked.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer

from gradcalc.cli import collector
from gradcalc.cli.check_options import Check, CheckTol
from gradcalc.cli.options import Bindings, Collapse, Expand, Json, Precision, Rows
from gradcalc.cli.program_source import Program, evaluate_source, program_source
from gradcalc.defaults import CHECK_TOL
from gradcalc.program import Result
from gradcalc.reporting import report_warnings
from gradcalc.views.warnings import warning_lines

if TYPE_CHECKING:
    from collections.abc import Iterable

    from gradcalc.gradcheck import CheckReport
    from gradcalc.hessian import HessianCheck

Hessian = Annotated[
    bool,
    typer.Option(
        "--hessian",
        help="Also show the matrix of second derivatives of the output with respect to every input "
        "(JSON: \"hessian\"); with --check, checked against finite differences of the gradient.",
    ),
]


def show(
    result: Result,
    *,
    as_json: bool,
    precision: int,
    rows: int,
    check_tol: float | None = None,
    hessian: bool = False,
) -> None:
    """Print a result: the JSON document, or the table and the gradients; with ``check_tol``, the gradient
    check; with ``hessian``, the matrix of second derivatives (checked too with ``check_tol``)."""
    report = None
    if check_tol is not None:
        from gradcalc.gradcheck import check_gradients

        report = check_gradients(result, check_tol)
    matrix, second_check = _second_derivatives(result, check_tol) if hessian else (None, None)
    if as_json:
        sys.stdout.writelines(_json_pieces(result, report, matrix, second_check))
    else:
        from gradcalc.views.console import make_console
        from gradcalc.views.table import result_view

        console = make_console()
        console.print(result_view(result, precision, rows))
        if report is not None:
            from gradcalc.views.check_view import check_table

            console.print(check_table(report, precision))
        if matrix is not None:
            from gradcalc.views.hessian_view import hessian_check_table, hessian_table

            console.print(hessian_table(result.output_label, _input_labels(result), matrix, precision))
            if second_check is not None:
                console.print(hessian_check_table(second_check, precision))
    report_warnings(warning_lines(result))
    collector.keep(result)  # to the process's end: see cli.collector
    if report is not None and not report.ok:
        raise report.error()
    if second_check is not None and not second_check.ok:
        raise second_check.error(result.output_label)


def _json_pieces(
    result: Result, report: CheckReport | None, matrix: list[list[float]] | None, second_check: HessianCheck | None
) -> Iterable[str]:
    """The ``--json`` text; without a check or a Hessian, in pieces written as they are made (a big graph's)."""
    from gradcalc.views.json_view import json_chunks, render_json

    if report is None and matrix is None:
        return json_chunks(result)
    if report is None:
        text = render_json(result)
    else:
        from gradcalc.views.check_view import render_json_with_check

        text = render_json_with_check(result, report)
    if matrix is not None:
        from gradcalc.views.hessian_view import hessian_check_document, hessian_document, with_hessian

        members = {"hessian": hessian_document(_input_labels(result), matrix)}
        if second_check is not None:
            members["hessian_check"] = hessian_check_document(second_check)
        text = with_hessian(text, members)
    return [text]


def _input_labels(result: Result) -> list[str]:
    """The Hessian's rows and columns: the inputs of the program's own graph."""
    base = result.uncollapsed or result
    return [base.labels[i] for i in base.inputs]


def _second_derivatives(result: Result, check_tol: float | None) -> tuple[list[list[float]], HessianCheck | None]:
    """The Hessian and its check, over the program's own gates (a collapsed call has no second partials)."""
    from gradcalc.hessian import check_hessian, hessian

    result = result.uncollapsed or result

    matrix = hessian(result.evaluation)
    checked = None if check_tol is None else check_hessian(result.evaluation, result.labels, check_tol)
    return matrix, checked


def eval_command(
    program: Program,
    bindings: Bindings = None,
    json: Json = False,
    precision: Precision = 6,
    expand: Expand = False,
    collapse: Collapse = False,
    rows: Rows = 200,
    check: Check = False,
    tol: CheckTol = CHECK_TOL,
    hessian: Hessian = False,
) -> None:
    """Evaluate PROGRAM, backpropagate from its last statement, and show every node's value and gradient.

    Example: gradcalc eval "(x+y)*z" x=1 y=3 z=-3
    """
    result = evaluate_source(program_source(program), bindings, expand, collapse)
    show(result, as_json=json, precision=precision, rows=rows, check_tol=tol if check else None, hessian=hessian)

