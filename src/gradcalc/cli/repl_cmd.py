"""``gradcalc repl`` (and ``gradcalc`` with no command): the interactive session."""

from __future__ import annotations

import typer

from gradcalc.cli.options import Expand, Precision, Rows


def repl_command(precision: Precision = 6, expand: Expand = False, rows: Rows = 200) -> None:
    """Build a graph line by line and see every value and gradient as you go.

    Type statements (x = 1; g = (x + y) * z), expressions, or :help for the commands. With standard
    input not a terminal, runs the lines it reads: echo "x = 1; x * x" | gradcalc
    """
    from gradcalc.repl.settings import Settings
    from gradcalc.repl.start import start

    status = start(Settings(precision=precision, expanded=expand, rows=rows))
    if status:
        raise typer.Exit(status)
