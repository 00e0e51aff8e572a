"""Outcomes as the user sees them: Rich renderables for results, plain lines for messages.

Both front ends print through ``show``; warnings go to stderr through the one reporter the CLI uses.
"""

from __future__ import annotations

import sys
from functools import cache

from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.segment import Segment
from rich.style import Style
from rich.table import Table
from rich.text import Text

from gradcalc.errors import GradcalcError
from gradcalc.numbers import format_number
from gradcalc.parser import gc_paused
from gradcalc.program import Result
from gradcalc.repl.outcomes import (
    Assigned,
    Drawn,
    Evaluated,
    Explained,
    HelpShown,
    HessianShown,
    InputSet,
    Message,
    Outcome,
    Quit,
    ServeSet,
    TableShown,
    VariablesShown,
    WatchSet,
)
from gradcalc.reporting import report_error, report_warnings
from gradcalc.source import Source, Span
from gradcalc.views.fitted_table import Cell, Column, FittedTable, Layout, Row, plain
from gradcalc.views.shorten import shorten
from gradcalc.views.table import INPUT_STYLE, OUTPUT_STYLE, node_table, short, summary
from gradcalc.views.text_canvas import ANSI, RESET, painted_spans
from gradcalc.views.text_canvas import Span as DrawnSpan
from gradcalc.views.warnings import warning_lines


def renderable(
    outcome: Outcome, precision: int, rows: int = 200, width: int | None = None, *, unicode: bool = True
) -> RenderableType | None:
    """What an outcome looks like; None for an outcome that shows nothing (``:quit``).

    A drawing (``:show``) is made for ``width`` columns, with box-drawing characters when ``unicode``.
    """
    if isinstance(outcome, InputSet):
        return _assignment(outcome.name, outcome.value, precision, INPUT_STYLE)
    if isinstance(outcome, Assigned):
        return _assignment(outcome.name, outcome.value, precision, OUTPUT_STYLE)
    if isinstance(outcome, Evaluated):
        return summary(outcome.result, precision, rows)
    if isinstance(outcome, TableShown):
        return Group(node_table(outcome.result, precision, rows), summary(outcome.result, precision, rows))
    if isinstance(outcome, Explained):  # as the table is: a graph of more than ``rows`` gates is told in part
        from gradcalc.views.explain_view import render_explanation

        return render_explanation(outcome.result, "rich", precision, rows, "--rows 0 tells them all")
    if isinstance(outcome, HessianShown):
        from gradcalc.views.hessian_view import hessian_table

        labels = [outcome.result.labels[i] for i in outcome.result.inputs]
        return hessian_table(outcome.result.output_label, labels, outcome.matrix, precision)
    if isinstance(outcome, Drawn):
        return _drawing(outcome.result, width, unicode, rows)
    if isinstance(outcome, VariablesShown):
        return _variables(outcome, precision)
    if isinstance(outcome, HelpShown):
        return _help(outcome)
    if isinstance(outcome, Message):
        return Text(outcome.text, style="dim")
    assert isinstance(outcome, Quit | WatchSet | ServeSet)  # the front end does these (repl/live.py)
    return None


def show(console: Console, outcome: Outcome, precision: int, rows: int = 200) -> None:
    """Print ``outcome``, the cyclic collector paused: what is built to show it (200 steps of an explanation,
    Rich's segments) is many short-lived objects and no cycles, and the collections they set off walked
    the whole session (``:explain`` after 10,000 re-assignments: 30 ms of its 65 were a full collection)."""
    with gc_paused():
        _show(console, outcome, precision, rows)


def _show(console: Console, outcome: Outcome, precision: int, rows: int) -> None:
    shown = renderable(outcome, precision, rows, console.width, unicode=console.encoding.lower().startswith("utf"))
    if shown is not None:
        console.print(shown)
    if isinstance(outcome, Assigned):  # its value only: warned about the gates it made, if at a kink
        if outcome.kinked:
            report_warnings(warning_lines(outcome.result, since=outcome.first_node))
        return
    result = getattr(outcome, "result", None)
    if result is not None:
        report_warnings(warning_lines(result))


def report_line_error(error: GradcalcError, text: str, first_line: int, source_name: str, *, whole_line: bool) -> None:
    """Report an error of the input ``text`` (lines from ``first_line``), saying which line it came from.

    An error with no place (a command's) points at the whole line when ``whole_line``; an evaluation
    error in a node written on an earlier line (``y = log(x)`` after ``x = -1``) says which line met it.
    """
    last_line = first_line + text.count("\n")
    span = error.span
    if span is None and whole_line:
        error.span = Span(Source(text, source_name, first_line), 0, max(1, len(text.rstrip())))
    elif span is not None and span.source.name == source_name:
        written = span.source.line_col(span.start)[0]
        if not first_line <= written <= last_line:
            sys.stderr.write(f"{source_name}:{first_line}: this line needs a node written on line {written}:\n")
    report_error(error)


def _drawing(result: Result, width: int | None, unicode: bool, rows: int) -> RenderableType:
    """The text drawing with its colours (Rich drops them for NO_COLOR and pipes); a summary if too big.

    A graph of more than ``rows`` nodes draws its first and last rows, as the table shows them.
    """
    from gradcalc.views.text_graph import render_text

    drawing = render_text(result, charset="unicode" if unicode else "ascii", width=width, max_rows=rows)
    if not drawing.fits:
        why = f" ({drawing.reason})" if drawing.reason else ""
        return Text(f"{drawing.summary}\ntoo big to draw here{why}: :render FILE draws it as a picture", style="dim")
    return Painted(drawing.rows, drawing.spans)


@cache
def _style(kind: str) -> Style:
    """The Rich style of a drawing's spans of ``kind``: what Rich reads in the ANSI code ``paint`` writes."""
    return Text.from_ansi(f"{ANSI[kind]}x{RESET}").spans[0].style  # type: ignore[return-value]


class Painted:
    """A drawing's rows as Rich segments, its spans styled as ``text_canvas.paint`` colours them.

    The same output as ``Text.from_ansi`` of the painted rows (never wrapped), without writing the ANSI
    codes and reading them back, and without Rich's splitting a text into lines to wrap, justify and
    crop each: the rows are drawn for the width already (``render_text``'s ``width``).
    """

    __slots__ = ("rows", "spans")

    def __init__(self, rows: list[str], spans: list[list[DrawnSpan]]) -> None:
        self.rows, self.spans = rows, spans

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        newline = Segment.line()
        for row, row_spans in zip(self.rows, self.spans, strict=True):
            at = 0  # where the row's text not yet yielded starts
            for start, end, kind in painted_spans(row, row_spans):
                if end > start:  # an empty span's codes colour nothing
                    if start > at:
                        yield Segment(row[at:start])
                    yield Segment(row[start:end], _style(kind))
                    at = end
            if at < len(row):
                yield Segment(row[at:])
            yield newline
        yield newline  # a blank line after the drawing, as the text it was read from ends


def _assignment(name: str, value: float, precision: int, style: str) -> Text:
    text = Text()
    text.append(f"{name} = ", style=style)
    text.append(format_number(value, precision), style=style)
    return text


def _variables(shown: VariablesShown, precision: int) -> RenderableType:
    if not shown.variables:
        return Text("no names yet: assign one, as in x = 1", style="dim")
    variables, out_label = shown.variables, shown.output_label
    primed = any(var.label != var.name for var in variables)  # c' bound to c: say which node
    values = [format_number(var.value, precision) if var.value is not None else "undefined" for var in variables]
    grads = [format_number(var.grad, precision) if var.grad is not None else "—" for var in variables]

    def build(width: int) -> Layout:
        columns = [Column(plain("name")), *([Column(plain("node"))] if primed else []), Column(plain("op"))]
        columns.append(Column(plain("value"), "right", numbers=True))
        if out_label is not None:
            header: Cell = ((("", f"∂{shorten(out_label, width)}/"), ("", "∂name")),)
            columns.append(Column(header, "right", numbers=True))
        rows = []
        for var, value, grad in zip(variables, values, grads):
            cells = [plain(shorten(var.name, width)), *([plain(shorten(var.label, width))] if primed else [])]
            cells += [plain(var.op), plain(value)]
            styles = ["", *([""] if primed else []), "", "red" if var.value is None else ""]
            if out_label is not None:
                cells.append(plain(grad))
                styles.append("dim" if var.grad is None else "")
            rows.append(Row(cells, INPUT_STYLE if var.op == "input" else "", styles))
        return Layout(columns, rows)

    notes = [f"{var.name}: {var.error}" for var in variables if var.error]
    if out_label is not None and any(var.grad is None and var.value is not None for var in variables):
        notes.append(f"—: {short(out_label)}, the last result, does not depend on it")
    return FittedTable(build, note="\n".join(notes))


def _help(shown: HelpShown) -> RenderableType:
    table = Table(show_header=False, box=None, padding=(0, 2, 0, 0))
    table.add_column(style="bold", no_wrap=True)
    table.add_column()
    for usage, text in shown.commands:
        table.add_row(usage, text)
    keys = (
        "Tab completes names, functions, constants and commands; Up/Down and Ctrl-R search the history; "
        "Ctrl-C cancels a line, Ctrl-D leaves."
    )
    return Group(Text(shown.intro), Text(""), table, Text(""), Text(keys, style="dim"))
