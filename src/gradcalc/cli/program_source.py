"""PROGRAM arguments that may be text, a program file, or standard input."""

from __future__ import annotations

from pathlib import Path

from gradcalc.cli.eval_cmd import read_file, read_program
from gradcalc.source import Source

PROGRAM_FILE_SUFFIX = ".gc"


def program_or_file(program: str) -> Source:
    """``'(x+y)*z'`` as typed, ``examples/line.gc`` read from the file, ``-`` from standard input."""
    if program.strip().endswith(PROGRAM_FILE_SUFFIX):
        return read_file(Path(program.strip()))
    return read_program(program)
