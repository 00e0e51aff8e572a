"""``gradcalc explain PROGRAM``: the forward and backward passes told step by step."""

from __future__ import annotations

import sys
from enum import StrEnum
from typing import Annotated

import typer

from gradcalc.cli.options import Bindings, Collapse, Expand, Precision
from gradcalc.cli.program_source import Program, evaluate_source, program_source
from gradcalc.defaults import EXPLAIN_STEPS
from gradcalc.reporting import report_warnings
from gradcalc.views.warnings import warning_lines


class ExplainFormat(StrEnum):
    rich = "rich"
    markdown = "markdown"
    latex = "latex"


def explain_command(
    program: Program,
    bindings: Bindings = None,
    fmt: Annotated[
        ExplainFormat,
        typer.Option(
            "--format",
            "-f",
            case_sensitive=False,
            help="rich for the terminal, markdown for notes, latex (partials as fractions) for slides.",
        ),
    ] = ExplainFormat.rich,
    precision: Precision = 6,
    expand: Expand = False,
    max_steps: Annotated[
        int,
        typer.Option(
            "--max-steps",
            min=0,
            help="Tell at most N steps of each pass (and list N inputs); 0 tells them all.",
        ),
    ] = EXPLAIN_STEPS,
    collapse: Collapse = False,
) -> None:
    """Explain PROGRAM: each gate of the forward pass, then the chain rule gate by gate back to the inputs.

    Example: gradcalc explain "(x+y)*z" x=1 y=3 z=-3
    """
    from gradcalc.views.explain_view import render_explanation

    result = evaluate_source(program_source(program), bindings, expand, collapse)
    rendered = render_explanation(result, fmt.value, precision, max_steps)
    if isinstance(rendered, str):
        sys.stdout.write(rendered)
    else:
        from gradcalc.views.console import make_console

        make_console().print(rendered)
    report_warnings(warning_lines(result))
