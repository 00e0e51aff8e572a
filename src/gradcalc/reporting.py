"""Reporting to stderr: the one place errors and warnings are printed, plain and without tracebacks.

Shared by both front ends (``cli`` and ``repl``), so it belongs to neither: the REPL reports an error
exactly as a one-shot command does without depending on the command line.
"""

from __future__ import annotations

import os
import sys

from gradcalc.errors import GradcalcError


def _color() -> bool:
    return sys.stderr.isatty() and "NO_COLOR" not in os.environ and os.environ.get("TERM") != "dumb"


def report_error(error: GradcalcError) -> None:
    text = error.render()
    if _color():
        head, _, rest = text.partition("\n")
        text = f"\x1b[1;31m{head}\x1b[0m" + (f"\n{rest}" if rest else "")
    sys.stderr.write(text + "\n")


def report_warnings(lines: list[str]) -> None:
    if not lines:
        return
    if _color():
        lines = [f"\x1b[33m{line}\x1b[0m" for line in lines]
    sys.stderr.write("\n".join(lines) + "\n")


def report_bug(exc: BaseException) -> None:
    """An exception that is not a GradcalcError is a bug in gradcalc: say so plainly, without a traceback."""
    sys.stderr.write(
        f"internal error: {type(exc).__name__}: {exc}\n"
        "This is a bug in gradcalc; set GRADCALC_DEBUG=1 to see the traceback.\n"
    )
