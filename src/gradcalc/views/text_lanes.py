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

from gradcalc.graph import Node
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
    across the ``hidden`` rows from place ``gap`` on, which get no gutter of their own.

    A value takes a lane when it is computed and frees it at its last reader, found once for every value
    (``last``), so a hidden row (nearly every row of a long session) only moves values in and out of lanes.
    """
    evaluation, nodes = result.evaluation, result.graph.nodes
    order = evaluation.order
    glyph = charset.lines
    last = [-1] * len(nodes)  # each value's last reader, as its place in order (-1: never read)
    for k, i in enumerate(order):
        for a in nodes[i].args:
            last[a] = k
    owner: list[int | None] = [None] * lanes  # the value each lane carries
    lane_of: dict[int, int] = {}
    gutters = []
    live = ""
    hidden_rows = range(gap, gap + hidden) if gap is not None else range(0)
    for k, i in enumerate(order):
        if k not in hidden_rows:
            gutters.append(_row(k, nodes[i], last, owner, lane_of, glyph, charset))
        elif k == gap:
            live = _live(owner, glyph[N | S])
        _advance(k, i, nodes[i].args, last, owner, lane_of)
    return gutters, live


def _live(owner: list[int | None], vertical: str) -> str:
    """The gutter with only the lanes alive drawn."""
    return " ".join(" " if value is None else vertical for value in owner).rstrip()


def _row(
    k: int, node: Node, last: list[int], owner: list[int | None], lane_of: dict[int, int],
    glyph: dict[int, str], charset: Charset,
) -> str:  # fmt: skip
    """The gutter of the row at place ``k``: its inputs' lanes joined to its dot."""
    vertical, horizontal = glyph[N | S], glyph[E | W]
    lanes = len(owner)
    cells = [" "] * (2 * lanes + 1)
    for c, value in enumerate(owner):
        if value is not None:
            cells[2 * c] = vertical
    held = [(lane_of[a], a) for a in dict.fromkeys(node.args) if a in lane_of]  # x * x holds one lane
    ending = [c for c, a in held if last[a] == k]
    mine = min(ending) if ending else owner.index(None) if None in owner else None
    at = 2 * mine if mine is not None else 2 * lanes
    if held:
        lo = min(at, *(2 * c for c, _ in held))
        hi = max(at, *(2 * c for c, _ in held))
        for x in range(lo, hi + 1):
            cells[x] = vertical if cells[x] != " " else horizontal
        for c, a in held:
            x = 2 * c
            cells[x] = glyph[N | (E if x < at else W) | (S if last[a] > k else 0)]
    cells[at] = charset.leaf if node.is_leaf else charset.gate
    return "".join(cells).rstrip()


def _advance(k: int, i: int, args: tuple[int, ...], last: list[int], owner: list[int | None],
             lane_of: dict[int, int]) -> None:  # fmt: skip
    """After the row at place ``k`` (value ``i``, reading ``args``): the lanes of the values read for the
    last time are freed, and ``i``, if read later, takes the first of them (the lane its dot is drawn in),
    or else the first free lane, if there is one."""
    first_freed = -1
    for a in args:  # x * x: the second a finds its lane freed already
        if last[a] == k:
            lane = lane_of.pop(a, -1)
            if lane >= 0:
                owner[lane] = None
                first_freed = lane if first_freed < 0 or lane < first_freed else first_freed
    if last[i] > k:
        taken = first_freed if first_freed >= 0 else owner.index(None) if None in owner else -1
        if taken >= 0:
            owner[taken] = i
            lane_of[i] = taken
