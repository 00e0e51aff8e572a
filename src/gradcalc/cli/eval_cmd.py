"""``gradcalc eval PROGRAM`` and ``gradcalc run FILE``: evaluate, backpropagate, show every node."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from gradcalc.cli.check_options import DEFAULT_TOL, Check, CheckTol
from gradcalc.cli.options import Bindings, Collapse, Expand, Json, Precision, Rows
from gradcalc.cli.program_source import Program, evaluate_source, program_source, read_file
from gradcalc.cli.render_cmd import (
    DEFAULT_PALETTE,
    IMAGE_PRECISION,
    AsciiOption,
    FormatOption,
    LegendOption,
    Palette,
    PaletteOption,
    RankDir,
    RankDirOption,
    Style,
    StyleOption,
    save_picture,
)
from gradcalc.errors import UsageError
from gradcalc.program import Result
from gradcalc.reporting import report_warnings
from gradcalc.views.formats import suffix_list
from gradcalc.views.warnings import warning_lines


def show(result: Result, *, as_json: bool, precision: int, rows: int, check_tol: float | None = None) -> None:
    """Print a result: the JSON document, or the table and the gradients; with ``check_tol``, the gradient check."""
    report = None
    if check_tol is not None:
        from gradcalc.gradcheck import check_gradients

        report = check_gradients(result, check_tol)
    if as_json:
        from gradcalc.views.json_view import render_json

        if report is None:
            sys.stdout.write(render_json(result))
        else:
            from gradcalc.views.check_view import render_json_with_check

            sys.stdout.write(render_json_with_check(result, report))
    else:
        from gradcalc.views.console import make_console
        from gradcalc.views.table import result_view

        console = make_console()
        console.print(result_view(result, precision, rows))
        if report is not None:
            from gradcalc.views.check_view import check_table

            console.print(check_table(report, precision))
    report_warnings(warning_lines(result))
    if report is not None and not report.ok:
        raise report.error()


def eval_command(
    program: Program,
    bindings: Bindings = None,
    json: Json = False,
    precision: Precision = 6,
    expand: Expand = False,
    collapse: Collapse = False,
    rows: Rows = 200,
    check: Check = False,
    tol: CheckTol = DEFAULT_TOL,
) -> None:
    """Evaluate PROGRAM, backpropagate from its last statement, and show every node's value and gradient.

    Example: gradcalc eval "(x+y)*z" x=1 y=3 z=-3
    """
    result = evaluate_source(program_source(program), bindings, expand, collapse)
    show(result, as_json=json, precision=precision, rows=rows, check_tol=tol if check else None)


def run_command(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(metavar="FILE", help="A program file (see examples/).", show_default=False)],
    bindings: Bindings = None,
    json: Json = False,
    precision: Precision = 6,
    expand: Expand = False,
    collapse: Collapse = False,
    rows: Rows = 200,
    output: Annotated[
        str | None,
        typer.Option(
            "--output",
            "-o",
            metavar="IMAGE",
            help=f"Also draw the graph: {suffix_list()}; '-' prints it instead of the table "
            "(numbers with 2 decimals unless -p is given).",
        ),
    ] = None,
    fmt: FormatOption = None,
    style: StyleOption = Style.circuit,
    rankdir: RankDirOption = RankDir.LR,
    palette: PaletteOption = Palette[DEFAULT_PALETTE],
    legend: LegendOption = None,
    check: Check = False,
    tol: CheckTol = DEFAULT_TOL,
    ascii_only: AsciiOption = False,
) -> None:
    """Run a program FILE; NAME=VALUE overrides its own constant assignments.

    Example: gradcalc run examples/neuron.gc x0=1 -o neuron.svg
    """
    result = evaluate_source(read_file(file), bindings, expand, collapse)
    if output is not None:
        # The picture's numbers read 2.00 unless --precision is given; the table's default is longer.
        source = ctx.get_parameter_source("precision")
        explicit = source is not None and source.name != "DEFAULT"
        shown = precision if explicit else IMAGE_PRECISION
        if output == "-" and (json or check):
            both = "--json" if json else "--check"
            raise UsageError(f"{both} and -o - both write to standard output", hint="write the picture to a file")
        save_picture(
            result,
            output,
            fmt=fmt,
            style=style,
            precision=shown,
            rankdir=rankdir,
            palette=palette.value,
            legend=legend,
            ascii_only=ascii_only,
        )
        if output == "-":  # the drawing is the output
            report_warnings(warning_lines(result))
            return
    show(result, as_json=json, precision=precision, rows=rows, check_tol=tol if check else None)
