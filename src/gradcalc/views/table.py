"""The table of a result: one row per node, in topological order, then the gradients.

Renderers return renderables; only the command line and the REPL print them. The table is a
``FittedTable``: laid out for its content, it wraps a cell between its items (``∂p/∂x = 1,`` then
``∂p/∂y = 1``) rather than inside them, and shortens long labels only as far as the width needs.
"""

from __future__ import annotations

from rich.console import Group
from rich.text import Text

from gradcalc.numbers import format_number
from gradcalc.program import Result
from gradcalc.scopes import result_scopes, step_contributions
from gradcalc.views.fitted_table import Cell, Column, FittedTable, Layout, Row, listing, plain, words
from gradcalc.views.shorten import MAX_LABEL, shorten

INPUT_STYLE = "bold cyan"
OUTPUT_STYLE = "bold magenta"


def short(label: str, width: int = MAX_LABEL) -> str:
    """A label as the summary lines and the REPL show it (see ``views.shorten``)."""
    return shorten(label, width)


def node_table(result: Result, precision: int = 6, max_rows: int = 200) -> FittedTable:
    """Every node with its op, inputs, value, local derivatives and gradient.

    Graphs of more than ``max_rows`` nodes show their first and last rows (0 shows all). A program with
    calls or loops gets a column ``in``: the call or step that made the node (``f #1``, ``t = 2 › g #1``).
    """
    evaluation, labels, nodes = result.evaluation, result.labels, result.graph.nodes
    values, grads, local = evaluation.values, evaluation.grads, evaluation.local
    out = evaluation.output

    def num(value: float) -> str:
        return format_number(value, precision)

    order = evaluation.order
    shown: list[int] = order
    note = ""
    if max_rows and len(order) > max_rows:
        half = max_rows // 2
        shown = [*order[:half], -1, *order[-half:]]
        note = f"… {len(order) - 2 * half:,} more nodes (--rows 0 shows all)"
    # What does not depend on how far labels are shortened, worked out once.
    fixed = {
        i: (
            nodes[i].op.gate_symbol(nodes[i].param, num),
            num(values[i]),
            [num(d) for d in local[i]],
            num(grads[i]),
            OUTPUT_STYLE if i == out else INPUT_STYLE if nodes[i].is_input else "",
        )
        for i in shown
        if i >= 0
    }
    scopes = result_scopes(result)
    where = {i: " › ".join(scopes.path(i)) for i in shown if i >= 0} if scopes.names else None
    gap = Row([plain("…"), (), (), (), (), (), *([()] if where is not None else [])], style="dim")

    def build(width: int) -> Layout:
        out_label = shorten(labels[out], width)
        columns = [
            Column(plain("node")),
            Column(plain("op"), numbers=True),  # a gate symbol carries its constant: *-1, ^0.5
            Column(plain("inputs")),
            Column(plain("value"), "right", numbers=True),
            Column(words("local ∂")),
            Column(((("", "grad"),), (("", f"∂{out_label}/"), ("", "∂node"))), "right", numbers=True),
        ]
        if where is not None:
            columns.append(Column(plain("in")))
        rows = []
        for i in shown:
            if i < 0:
                rows.append(gap)
                continue
            symbol, value, slopes, grad, style = fixed[i]
            label = shorten(labels[i], width)
            args = [shorten(labels[a], width) for a in nodes[i].args]
            local_cell = _slopes(label, args, slopes)
            cells = [plain(label), plain(symbol), listing(args), plain(value), local_cell, plain(grad)]
            if where is not None:
                cells.append(plain(where[i]) if where[i] else ())
            rows.append(Row(cells, style))
        return Layout(columns, rows)

    return FittedTable(build, title=_title(result), note=note)


def _slopes(label: str, args: list[str], slopes: list[str]) -> Cell:
    """``∂p/∂x = 1, ∂p/∂y = 1``: one item per argument, breaking after ``/`` and ``=`` if need be."""
    last = len(args) - 1
    return tuple(
        (("", f"∂{label}/"), ("", f"∂{arg} ="), (" ", f"{slope}{',' if k < last else ''}"))
        for k, (arg, slope) in enumerate(zip(args, slopes))
    )


def _title(result: Result) -> str:
    kind = "expanded into primitive gates" if result.expanded else "computational graph"
    n = len(result.evaluation.order)
    return f"{kind}: {n} node{'s' if n != 1 else ''}"


def summary(result: Result, precision: int = 6, max_rows: int = 200) -> Text:
    """``f = -12`` and each input's gradient, ``∂f/∂x = -3``.

    More than ``max_rows`` inputs show their first and last gradients, as the table shows its first and
    last rows (0 shows all): a terminal gains nothing from 200,000 lines, and Rich takes about 0.1 ms to
    lay out each one. The JSON document has every gradient.
    """
    evaluation, labels = result.evaluation, result.labels
    out = short(labels[evaluation.output])
    text = Text()
    text.append(f"{out} = ", style=OUTPUT_STYLE)
    text.append(format_number(evaluation.value, precision), style=OUTPUT_STYLE)
    inputs: list[int] = evaluation.inputs
    left_out = 0
    if max_rows and len(inputs) > max_rows:
        half = max_rows // 2
        left_out = len(inputs) - 2 * half
        inputs = [*inputs[:half], -1, *inputs[-half:]]
    splits = {split.node: split for split in step_contributions(result)}
    for i in inputs:
        text.append("\n")
        if i < 0:
            text.append(f"… {left_out:,} more gradients (--rows 0 shows all)", style="dim")
            continue
        text.append(f"∂{out}/∂{short(labels[i])} = ", style=INPUT_STYLE)
        text.append(format_number(evaluation.grads[i], precision))
        split = splits.get(i)
        if split is not None:  # a weight shared by a loop's steps: what each step adds to its gradient
            text.append(f"\n  = {steps_sum(split.parts, precision)}", style="dim")
    return text


STEPS_SHOWN = 8  # a longer sum shows its first and last few steps


def steps_sum(parts: tuple[tuple[str, float], ...], precision: int = 6) -> str:
    """``0 (t = 1) + 0.0171238 (t = 2) + 0.177196 (t = 3)``: a gradient as the sum of its steps' parts."""
    terms = [f"{format_number(value, precision)} ({step})" for step, value in parts]
    if len(terms) > STEPS_SHOWN:
        half = STEPS_SHOWN // 2
        terms = [*terms[:half], f"… {len(terms) - 2 * half:,} more steps …", *terms[-half:]]
    return " + ".join(terms)


def result_view(result: Result, precision: int = 6, max_rows: int = 200) -> Group:
    return Group(node_table(result, precision, max_rows), summary(result, precision, max_rows))
