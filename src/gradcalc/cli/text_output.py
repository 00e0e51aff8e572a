"""``-f text``: the text drawing printed on standard output (or written to a file), fitted to the terminal.

What the terminal can show decides how it is drawn:

- colour only when standard output is a terminal and ``NO_COLOR`` is unset (and ``TERM`` is not dumb);
- plain ASCII when asked (``--ascii``), when standard output's encoding cannot encode box-drawing
  characters (``PYTHONIOENCODING=ascii``), or when it is a terminal in the C locale (``LANG=C``: Python
  then writes UTF-8 anyway, but such a terminal is not set up to show it);
- the width of the terminal (``COLUMNS`` when set): a circuit wider than that becomes the lane view,
  and a lane view still too wide has its lines cut with a note, so a terminal never wraps a drawing;
- when the lane view is drawn instead of the circuit, stderr says why (with how to install Graphviz
  when ``dot`` is missing).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TextIO

from gradcalc.program import Result

BOX_DRAWING_SAMPLE = "╭─┬┼┤╯│▲▼…∂·●○"
GRAPHVIZ_HINT = (
    "install Graphviz for the circuit drawing: sudo apt-get install graphviz (Debian, Ubuntu), "
    "brew install graphviz (macOS), winget install graphviz (Windows), or see https://graphviz.org/download/"
)


def can_encode_box_drawing(stream: TextIO) -> bool:
    encoding = getattr(stream, "encoding", None) or "ascii"
    try:
        BOX_DRAWING_SAMPLE.encode(encoding)
    except (UnicodeEncodeError, LookupError):
        return False
    return True


def c_locale_terminal(stream: TextIO) -> bool:
    """A terminal whose locale is plain C or POSIX (the first of LC_ALL, LC_CTYPE, LANG that is set)."""
    if not stream.isatty() or os.environ.get("PYTHONIOENCODING"):
        return False
    for variable in ("LC_ALL", "LC_CTYPE", "LANG"):
        value = os.environ.get(variable)
        if value:
            return value in ("C", "POSIX")
    return False


def wants_color(stream: TextIO) -> bool:
    return stream.isatty() and "NO_COLOR" not in os.environ and os.environ.get("TERM") != "dumb"


def terminal_width(stream: TextIO) -> int | None:
    """The columns to fit: ``COLUMNS`` when set, else the terminal's width; None when not a terminal."""
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    if stream.isatty():
        try:
            return os.get_terminal_size(stream.fileno()).columns
        except (OSError, ValueError):
            return None
    return None


def show_text_drawing(result: Result, output: str, *, precision: int, ascii_only: bool) -> None:
    """Print the drawing (``output`` is ``-``) or write it to the file ``output``; notes go to stderr."""
    from gradcalc.views.text_graph import render_text
    from gradcalc.views.text_layout import DOT_MISSING

    to_stdout = output == "-"
    stream = sys.stdout
    plain = ascii_only or (to_stdout and (not can_encode_box_drawing(stream) or c_locale_terminal(stream)))
    width = terminal_width(stream) if to_stdout else None
    drawing = render_text(result, precision=precision, charset="ascii" if plain else "unicode", width=width)
    if drawing.reason:
        sys.stderr.write(f"note: lane view: {drawing.reason}\n")
        if drawing.reason == DOT_MISSING:
            sys.stderr.write(f"hint: {GRAPHVIZ_HINT}\n")
    if not drawing.fits and width is not None:
        sys.stderr.write(f"note: lines are cut at {width} columns; a file keeps them whole: -o graph.txt\n")
    if to_stdout:
        stream.write(drawing.text(color=wants_color(stream)))
        return
    from gradcalc.views.image import write_text

    write_text(Path(output), drawing.text())
    sys.stderr.write(f"wrote {output}\n")
