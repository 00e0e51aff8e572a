"""The REPL when standard input is not a terminal: ``echo "x=1; x*x" | gradcalc``, ``gradcalc < s.gc``.

The same statements and commands as at the prompt, read line by line; no prompt and no colours;
results on stdout, errors on stderr with their line numbers. A line that fails does not stop the
session. The exit status is that of the worst failure (0 when every line worked).

A statement may continue on the next line inside parentheses or a block or after a trailing backslash, as in
program files: the lines of a block (``f(x) = {`` ... ``}``, ``for t in 1..3 {`` ... ``}``) are joined
and run as one entry. A block still open when the input ends (or when a ``:``-command line comes)
is an error with a caret under its opening bracket; the lines after it still run.

Each line's bytes are decoded here, one line at a time: a line that is not text is reported with its
byte offset (and ends a statement it was continuing) and the lines after it still run.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TextIO

from gradcalc.errors import ExitStatus, GradcalcError, ProgramSyntaxError, UsageError
from gradcalc.files import decode_text
from gradcalc.repl.commands import run_line
from gradcalc.repl.live import LiveViews
from gradcalc.repl.outcomes import Quit
from gradcalc.repl.session import Session
from gradcalc.repl.syntax import OPENING, continues, depth_after, unclosed
from gradcalc.reporting import report_bug
from gradcalc.source import Source, Span

SOURCE_NAME = "<stdin>"


@dataclass(frozen=True, slots=True)
class Undecodable:
    """A line of input whose bytes are not text: the error to report, and the line as best shown."""

    error: UsageError
    text: str


def input_lines(stdin: TextIO) -> Iterator[str | Undecodable]:
    """The lines of ``stdin``, each decoded on its own so one bad byte costs only its line."""
    binary = getattr(stdin, "buffer", None)
    if binary is None:  # already text (a test's StringIO)
        yield from stdin
        return
    encoding = stdin.encoding or "utf-8"
    offset = 0
    for raw in binary:
        try:
            yield decode_text(raw, "standard input", encoding, offset)
        except UsageError as error:
            yield Undecodable(error, raw.decode(encoding, "replace").rstrip("\r\n"))
        offset += len(raw)


def chunks(lines: Iterable[str | Undecodable]) -> Iterator[tuple[int, str | Undecodable]]:
    """``(first line number, text)`` for each complete line: open parentheses and ``\\`` continue it."""
    pending: list[str] = []
    first = depth = 0
    for number, line in enumerate(lines, start=1):
        if isinstance(line, Undecodable):  # reported on its own; it ends an unfinished statement
            if pending:
                yield first, "\n".join(pending)
                pending, depth = [], 0
            yield number, line
            continue
        line = line.rstrip("\n")
        if line.lstrip().startswith(":"):  # a command is one line, and ends an unfinished statement
            if pending:
                yield first, "\n".join(pending)
                pending, depth = [], 0
            yield number, line
            continue
        if not pending:
            first = number
        pending.append(line)
        depth = depth_after(line, depth)
        if continues(line, depth):
            continue
        yield first, "\n".join(pending)
        pending, depth = [], 0
    if pending:
        yield first, "\n".join(pending)


def run_piped(session: Session, stdin: TextIO | None = None, stdout: TextIO | None = None) -> int:
    from gradcalc.repl.display import report_line_error, show
    from gradcalc.views.console import make_console

    console = make_console(file=stdout or sys.stdout, plain=True)
    status = ExitStatus.OK
    live = LiveViews()  # :serve works here too (until the input ends); :watch needs a terminal
    try:
        for line_number, text in chunks(input_lines(stdin or sys.stdin)):
            if isinstance(text, Undecodable):
                report_line_error(text.error, text.text, line_number, SOURCE_NAME, whole_line=True)
                status = max(status, text.error.status)
                continue
            try:
                _check_closed(text, line_number)
                for outcome in live.act(run_line(session, text, line_number, SOURCE_NAME), session):
                    if isinstance(outcome, Quit):
                        return status
                    show(console, outcome, session.settings.precision, session.settings.rows)
            except GradcalcError as error:
                report_line_error(error, text, line_number, SOURCE_NAME, whole_line=True)
                status = max(status, error.status)
            except Exception as exc:  # a bug (in a view, say): said, and the session goes on
                if os.environ.get("GRADCALC_DEBUG"):
                    raise
                report_bug(exc)
                status = max(status, ExitStatus.ERROR)
            live.after(session)
    finally:
        live.close()
    return status


def _check_closed(text: str, first_line: int) -> None:
    """Refuse an entry whose bracket or block was never closed, pointing at where it was opened.

    ``chunks`` ends such an entry only at the end of the input or at a ``:``-command line.
    """
    opened = unclosed(text)
    if opened is None:
        return
    bracket = text[opened]
    kind = {"{": "block", "[": "list"}.get(bracket, "bracket")
    span = Span(Source(text, SOURCE_NAME, first_line), opened, opened + 1)
    closing = OPENING[bracket]
    raise ProgramSyntaxError(
        f"this '{bracket}' is never closed",
        span,
        hint=f"end the {kind} with '{closing}': a {kind} may span lines, "
        "but a :command or the end of the input ends it",
    )
