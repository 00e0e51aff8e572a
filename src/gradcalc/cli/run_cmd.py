"""``gradcalc run FILE``: evaluate a program file like ``eval``, and with ``-o`` also draw its graph."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from gradcalc.cli.check_options import Check, CheckTol
from gradcalc.cli.eval_cmd import show
from gradcalc.cli.options import Bindings, Collapse, Expand, Json, Precision, Rows
from gradcalc.cli.program_source import evaluate_source, read_file
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
from gradcalc.defaults import CHECK_TOL
from gradcalc.errors import UsageError
from gradcalc.reporting import report_warnings
from gradcalc.views.formats import suffix_list
from gradcalc.views.warnings import warning_lines


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
    tol: CheckTol = CHECK_TOL,
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
