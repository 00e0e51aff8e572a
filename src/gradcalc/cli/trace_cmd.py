"""``gradcalc trace PROGRAM``: the evaluation trace, forward mode's tangents beside reverse mode's adjoints."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from gradcalc.cli.explain_cmd import ExplainFormat
from gradcalc.cli.options import Bindings, Expand, Json, Precision, Rows
from gradcalc.cli.program_source import Program, evaluate_source, program_source
from gradcalc.reporting import report_warnings
from gradcalc.views.warnings import warning_lines


def trace_command(
    program: Program,
    bindings: Bindings = None,
    wrt: Annotated[
        str | None,
        typer.Option("--wrt", metavar="NAME", help="The input whose tangent is seeded with 1 (default: the first)."),
    ] = None,
    json: Json = False,
    fmt: Annotated[
        ExplainFormat,
        typer.Option("--format", "-f", case_sensitive=False, help="rich for the terminal, markdown for notes, "
                     "latex for slides."),
    ] = ExplainFormat.rich,
    precision: Precision = 6,
    expand: Expand = False,
    rows: Rows = 200,
) -> None:
    """Trace PROGRAM: each node's value, its tangent (forward mode) and its adjoint (reverse mode).

    Example: gradcalc trace "log(x1) + x1*x2 - sin(x2)" x1=2 x2=5
    """
    from gradcalc.trace import trace
    from gradcalc.views import trace_view

    result = evaluate_source(program_source(program), bindings, expand)
    table = trace(result, wrt)
    if json:
        sys.stdout.write(trace_view.render_json(table))
    else:
        rendered = trace_view.render_trace(table, fmt.value, precision, max_rows=rows)
        if isinstance(rendered, str):
            sys.stdout.write(rendered)
        else:
            from gradcalc.views.console import make_console

            make_console().print(rendered)
    report_warnings(warning_lines(result))
