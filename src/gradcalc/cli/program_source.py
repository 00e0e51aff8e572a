"""Where a command's program comes from: text as typed, a program file, or standard input."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from gradcalc.cli import collector
from gradcalc.files import decode_text, read_text
from gradcalc.lowering import on_command_line
from gradcalc.program import Result, parse_bindings, run_source
from gradcalc.source import Source

PROGRAM_FILE_SUFFIX = ".gc"

Program = Annotated[
    str,
    typer.Argument(
        metavar="PROGRAM",
        help="The program, e.g. '(x+y)*z' or 'w = 2; sigmoid(w*x)'; a .gc file such as examples/neuron.gc; "
        "'-' reads it from standard input.",
        show_default=False,
    ),
]


def read_file(path: Path) -> Source:
    return Source(read_text(path), str(path))


def read_stdin() -> str:
    """Standard input as text: its bytes decoded here, so bytes that are not text are a clear error."""
    binary = getattr(sys.stdin, "buffer", None)
    if binary is None:  # already text (a test's StringIO)
        return sys.stdin.read()
    return decode_text(binary.read(), "standard input", sys.stdin.encoding or "utf-8")


def program_source(program: str) -> Source:
    """``'(x+y)*z'`` as typed, ``examples/line.gc`` read from the file, ``-`` from standard input."""
    if program == "-":
        return Source(read_stdin(), "<stdin>")
    if program.strip().endswith(PROGRAM_FILE_SUFFIX):
        return read_file(Path(program.strip()))
    return Source(program.lstrip(" "), "<program>")  # a leading space protects a leading minus sign


def evaluate_source(source: Source, bindings: list[str] | None, expand: bool, collapse: bool = False) -> Result:
    """Run a command's program with its ``NAME=VALUE`` arguments (expanded into primitive gates if asked,
    each call of a user function one gate with ``collapse``)."""
    overrides = parse_bindings(bindings or [])
    with collector.lasting():  # the result lasts to the process's end: see cli.collector
        return run_source(source, overrides, expanded=expand, missing_hint=on_command_line, collapsed=collapse)
