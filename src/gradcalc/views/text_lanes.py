"""The lane view: one node per row, a git-log-style gutter for the wires, aligned columns of numbers.

It is the text drawing that reads at any size: where Graphviz is missing, where the circuit is wider
than the terminal, or where a graph has too many nodes for a circuit. Rows follow the evaluation
order (inputs first, the output last), the same order as ``gradcalc eval``'s table. Each live value
(computed, still to be read by a later row) keeps a lane in the gutter; a row joins the lanes of its
inputs to its own dot (``├`` where the input is read again later, ``╯`` where this was its last use),
and a value's lane is freed after its last reader, so the next value can reuse it.

The gutter is capped at ``MAX_LANES`` lanes (fewer when the width asks): a value computed while every
lane is taken gets no lane (its dot sits in the overflow column at the gutter's right), and the
``inputs`` column, which always names every input, is where its readers find it. So the view is
linear in the number of nodes and its width is bounded, however many values are live at once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from gradcalc.numbers import format_number
from gradcalc.ops import CONST
from gradcalc.program import Result
from gradcalc.scopes import ordinal, result_scopes
from gradcalc.views.text_canvas import Charset, E, N, S, Span, W

MAX_LANES = 12
MAX_NAME = 12  # longer labels are shortened with an ellipsis


@dataclass(slots=True)
class Lanes:
    rows: list[str]
    spans: list[list[Span]]
    truncated: bool


def short(label: str, limit: int, charset: Charset) -> str:
    return label if len(label) <= limit else label[: limit - 1] + charset.ellipsis


def marked_names(result: Result, limit: int, charset: Charset, shown: list[int] | None = None) -> dict[int, str]:
    """Each shown node's label (of ``shown``, or of every node), shortened, and marked with its derivative
    order if ``grad`` made it: ``q②``."""
    order = result.evaluation.order if shown is None else shown
    names = {i: short(result.labels[i], limit, charset) for i in order}
    for i, k in result_scopes(result).orders.items():
        if i in names:
            names[i] += charset.order_mark(k)
    return names


def order_legend(result: Result, charset: Charset) -> str:
    """``① 1st derivative: nodes of grad(…)   ② 2nd ...``, for the orders shown; "" when there are none."""
    present = sorted(set(result_scopes(result).orders.values()))
    return "   ".join(
        f"{charset.order_mark(k)} {ordinal(k)} derivative: nodes of {'grad(' * k}{charset.ellipsis}{')' * k}"
        for k in present
    )


def render_lanes(
    result: Result, number: Callable[[float], str], charset: Charset, width: int | None, max_rows: int = 0
) -> Lanes:
    """The lane view of ``result``; with ``width``, the gutter narrows to fit and longer rows are cut.

    A graph of more than ``max_rows`` nodes shows its first and last rows (0 shows all), as the table
    does, with a row between them that says how many are not drawn and carries the lanes across them.
    """
    evaluation, nodes = result.evaluation, result.graph.nodes
    values, grads = evaluation.values, evaluation.grads
    order = evaluation.order
    gap = None  # the place in order of the first row not drawn
    if max_rows and len(order) > max_rows:
        gap = max_rows // 2
        order = [*order[:gap], *order[-gap:]]
    # The rows drawn name their inputs, which may be rows not drawn.
    named = order if gap is None else [*order, *(a for i in order for a in nodes[i].args)]
    names = marked_names(result, MAX_NAME, charset, named)

    def symbol(i: int) -> str:
        node = nodes[i]
        if node.is_leaf:
            return "input" if node.is_input else "const"
        return node.op.gate_symbol(node.param, format_number)  # *-1, +1: as the circuit and the table write them

    ops = [symbol(i) for i in order]
    inputs = [", ".join(names[a] for a in nodes[i].args) for i in order]
    shown_values = [number(values[i]) for i in order]
    shown_grads = [number(grads[i]) for i in order]
    output = short(result.output_label, MAX_NAME, charset)
    heading_grad = f"{charset.partial}{output}/{charset.partial}node"
    name_w = max(4, *(len(names[i]) for i in order))
    op_w = max(2, *(len(o) for o in ops))
    in_w = max(6, *(len(t) for t in inputs))
    value_w = max(len("value"), *(len(v) for v in shown_values))
    grad_w = max(len(heading_grad), *(len(g) for g in shown_grads))
    # gutter | name | op | inputs | mark value | mark gradient, two spaces apart
    rest = 2 + name_w + 2 + op_w + 2 + in_w + 2 + 2 + value_w + 2 + 2 + grad_w
    lanes = MAX_LANES if width is None else max(1, min(MAX_LANES, (width - rest - 1) // 2))
    hidden = len(evaluation.order) - len(order)
    gutters, live = _gutter(result, lanes, charset, gap, hidden)
    gutter_w = max(len(g) for g in gutters)

    name_at = gutter_w + 2
    op_at = name_at + name_w + 2
    in_at = op_at + op_w + 2
    value_at = in_at + in_w + 2
    grad_at = value_at + 2 + value_w + 2
    vm, gm = charset.value_mark, charset.grad_mark
    header = (
        f"{'':<{gutter_w}}  {'node':<{name_w}}  {'op':<{op_w}}  {'inputs':<{in_w}}  "
        f"{vm} {'value':>{value_w}}  {gm} {heading_grad}"
    )
    rows = [header.rstrip()]
    spans: list[list[Span]] = [[(value_at, grad_at - 2, "value"), (grad_at, len(header), "grad")]]
    numbers = [(value_at, value_at + 2 + value_w, "value"), (grad_at, grad_at + 2 + grad_w, "grad")]
    shared: dict[tuple[str, int], list[Span]] = {}  # rows with the same spans share one list
    line = (
        f"{{:<{gutter_w}}}  {{:<{name_w}}}  {{:<{op_w}}}  {{:<{in_w}}}  {vm} {{:>{value_w}}}  {gm} {{:>{grad_w}}}"
    ).format
    for k, i in enumerate(order):
        if k == gap:
            rows.append(f"{live:<{gutter_w}}  {charset.ellipsis} {hidden:,} more nodes (--rows 0 shows all)")
            spans.append([])
        name = names[i]
        rows.append(line(gutters[k], name, ops[k], inputs[k], shown_values[k], shown_grads[k]))
        key = ("const" if nodes[i].op is CONST else "name", len(name))
        row_spans = shared.get(key)
        if row_spans is None:
            row_spans = shared[key] = [(name_at, name_at + key[1], key[0]), *numbers]
        spans.append(row_spans)
    legend = order_legend(result, charset)
    if legend:
        rows += ["", legend]
        spans += [[], []]
    truncated = False
    if width is not None and any(len(row) > width for row in rows):
        truncated = True
        rows = [row if len(row) <= width else row[: width - 1] + charset.ellipsis for row in rows]
    return Lanes(rows, spans, truncated)


def _gutter(
    result: Result, lanes: int, charset: Charset, gap: int | None = None, hidden: int = 0
) -> tuple[list[str], str]:
    """The gutter of every row, lane c at column 2c, the overflow column at 2 * lanes; and the lanes alive
    across the ``hidden`` rows from place ``gap`` on, which get no gutter of their own."""
    evaluation, nodes = result.evaluation, result.graph.nodes
    order = evaluation.order
    live = ""
    skipped = range(gap, gap + hidden) if gap is not None else range(0)
    glyph = charset.lines
    uses = dict.fromkeys(order, 0)
    for i in order:
        for a in nodes[i].args:
            uses[a] += 1
    owner: list[int | None] = [None] * lanes
    lane_of: dict[int, int] = {}
    gutters = []
    vertical, horizontal = glyph[N | S], glyph[E | W]
    base = [" "] * (2 * lanes + 1)  # the gutter with only the live lanes drawn, kept up to date
    for k, i in enumerate(order):
        node = nodes[i]
        args = node.args
        for a in args:
            uses[a] -= 1
        if k in skipped:  # a row not drawn (most rows of a long session): only its lanes change
            if k == skipped.start:
                live = "".join(base).rstrip()
        else:  # a row drawn: its inputs' lanes joined to its dot
            held = [(lane_of[a], a) for a in dict.fromkeys(args) if a in lane_of]  # x * x holds one lane
            ending = [c for c, a in held if uses[a] == 0]
            mine = min(ending) if ending else owner.index(None) if None in owner else None
            at = 2 * mine if mine is not None else 2 * lanes
            cells = base.copy()
            if held:
                lo = min(at, *(2 * c for c, _ in held))
                hi = max(at, *(2 * c for c, _ in held))
                for x in range(lo, hi + 1):
                    cells[x] = vertical if cells[x] != " " else horizontal
                for c, a in held:
                    x = 2 * c
                    cells[x] = glyph[N | (E if x < at else W) | (S if uses[a] else 0)]
            cells[at] = charset.leaf if node.is_leaf else charset.gate
            gutters.append("".join(cells).rstrip())
        # The lanes of the values read for the last time are freed; this value, read later, takes the
        # first of them (the lane its dot is drawn in), or else the first free lane, if there is one.
        first_freed: int | None = None
        for a in args:  # x * x: the second a finds its lane freed by the first
            lane = lane_of.get(a)
            if lane is not None and uses[a] == 0:
                owner[lane] = None
                base[2 * lane] = " "
                del lane_of[a]
                first_freed = lane if first_freed is None else min(first_freed, lane)
        if uses[i] > 0:
            taken = first_freed if first_freed is not None else owner.index(None) if None in owner else None
            if taken is not None:
                owner[taken] = i
                lane_of[i] = taken
                base[2 * taken] = vertical
    return gutters, live
