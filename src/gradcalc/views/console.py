"""The Rich consoles gradcalc prints through, and the one policy for how wide their output is laid out.

- ``COLUMNS`` set in the environment: that width, always (as Rich does, and as users expect of it);
- else the stream is a terminal: the terminal's width, asked again at each print (Rich's default);
- else (a file, a pipe): ``CONTENT_WIDTH``, so that each output is laid out for its content rather
  than for 80 columns: tables are as wide as their cells on one line, explanations are never wrapped.
  Nothing gradcalc prints stretches to the console's width (tables are not ``expand``-ed, texts are
  not justified), so this width is a ceiling, never a size.

Rich alone would use 80 columns for a pipe, or the width of whichever of stdin, stdout and stderr is a
terminal, so ``gradcalc run net.gc > out.txt`` at a terminal was laid out for the terminal.

This module is shared by the command line and the REPL; it prints nothing itself.
"""

from __future__ import annotations

import os
import sys
from typing import TextIO

from rich.console import Console

CONTENT_WIDTH = 10_000  # "as wide as the content": far beyond any table row or line gradcalc makes


def layout_width(stream: TextIO, environ: dict[str, str] | None = None) -> int | None:
    """The width to lay output for ``stream`` out in; None to let Rich ask the terminal (or COLUMNS)."""
    columns = (os.environ if environ is None else environ).get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    return None if _is_terminal(stream) else CONTENT_WIDTH


def make_console(*, stderr: bool = False, file: TextIO | None = None, plain: bool = False) -> Console:
    """A console for standard output (or ``stderr``, or ``file``) laid out by ``layout_width``.

    ``plain`` turns colours and styles off whatever the stream is (the REPL reading a pipe). A console
    given a ``file`` writes to it even inside Jupyter, where Rich would otherwise display its output
    in the notebook instead (``gradcalc.Session`` renders lines into a string this way).
    """
    stream = file or (sys.stderr if stderr else sys.stdout)
    return Console(
        file=file,
        stderr=stderr,
        width=layout_width(stream),
        highlight=False,
        no_color=True if plain else None,
        force_terminal=False if plain else None,
        force_jupyter=False if file is not None else None,
    )


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # a closed or unusual stream: not a terminal
        return False
