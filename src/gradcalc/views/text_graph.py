"""The graph drawn in the terminal: the circuit as text, or the lane view when a circuit will not do.

Circuit: inputs at the left, the output at the right, each gate a box with its symbol (``+``, ``*``,
``exp``, ``*-1``, ``1/x``, from the op table), each value's wire leaving its gate (or entering at the
left for an input) with the value's name and its value above the wire (``▲``, green) and its gradient
below (``▼``, red). The marks say which number is which without colour (``NO_COLOR``, colour-blind
readers, a printout). A node that ``grad`` made carries its derivative order after its name (``q②``,
``q[2]`` in ASCII; the same in the lane view), and a legend line says what each mark means. A binary
gate takes its first operand on the upper port and its second on the lower one, so ``a - b`` and
``a / b`` read unambiguously. A value read by several gates is one wire
that splits (``├``). Placement comes from Graphviz (``views.text_layout``), lines from a per-cell
bitmask (``views.text_canvas``).

Lane view (``views.text_lanes``): one node per row with a git-log-style gutter. It is drawn where
``dot`` is missing, where the circuit is wider than the width given, or past ``CIRCUIT_MAX_NODES``.

Pure: nothing is printed; ``dot -Tplain`` runs as a subprocess for the circuit's layout only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from gradcalc.errors import UsageError
from gradcalc.numbers import fixed_formatter, format_number
from gradcalc.ops import CONST
from gradcalc.program import Result
from gradcalc.views.text_canvas import CHARSETS, Canvas, Charset, E, Span, W, paint
from gradcalc.views.text_lanes import MAX_NAME, marked_names, order_legend, render_lanes, short
from gradcalc.views.text_layout import Block, LayoutUnavailable, place

LAYOUTS = ("auto", "circuit", "lane")
# Measured (benchmarks/bench_text_graph.py and by eye, docs in the README): up to about 30 nodes the
# circuit reads well in 100-160 columns; past 40 its wires crowd and it is wider than any screen.
CIRCUIT_MAX_NODES = 40
SUMMARY_WIDTH = 200  # a summary with no width given stops after this many characters
Number = Callable[[float], str]


@dataclass(slots=True)
class TextDrawing:
    """A drawing as rows of text, what it shows, and whether it fits the room it was given."""

    layout: str  # "circuit" or "lane": what was drawn
    width: int
    height: int
    fits: bool  # False when even the lane view exceeds the width or max_height (then show ``summary``)
    summary: str  # one line: "f = -12 · 5 nodes · ∂f/∂x = -3, ..."
    reason: str | None  # why the lane view was drawn instead of the circuit, if it was
    rows: list[str] = field(default_factory=list, repr=False)
    spans: list[list[Span]] = field(default_factory=list, repr=False)

    def text(self, color: bool = False) -> str:
        """The drawing, one line per row; with ``color``, values green and gradients red (ANSI codes)."""
        rows = paint(self.rows, self.spans) if color else self.rows
        return "\n".join(rows) + "\n"


def render_text(
    result: Result,
    *,
    precision: int = 2,
    charset: str = "unicode",
    width: int | None = None,
    max_height: int | None = None,
    layout: str = "auto",
    max_rows: int = 0,
) -> TextDrawing:
    """Draw ``result`` as text: the circuit when it can and fits, else the lane view (see the module doc).

    A lane view of more than ``max_rows`` nodes draws its first and last rows (0 draws all).
    """
    if layout not in LAYOUTS:
        raise UsageError(f"unknown text layout {layout!r}", hint=f"choose one of: {', '.join(LAYOUTS)}")
    if charset not in CHARSETS:
        raise UsageError(f"unknown character set {charset!r}", hint=f"choose one of: {', '.join(CHARSETS)}")
    if precision < 0:
        raise UsageError(f"precision must be 0 or more, not {precision}")
    chars = CHARSETS[charset]

    number = fixed_formatter(precision)
    summary = _summary(result, number, chars, width)
    size = len(result.evaluation.order)
    reason: str | None = None
    if layout != "lane":
        if layout == "auto" and size > CIRCUIT_MAX_NODES:
            reason = f"{size:,} nodes are too many for a readable circuit (it stops at {CIRCUIT_MAX_NODES})"
        else:
            try:
                rows, spans = _circuit(result, number, chars)
            except LayoutUnavailable as exc:
                reason = str(exc)
            else:
                wide = max(len(row) for row in rows)
                too_wide = width is not None and wide > width
                too_tall = max_height is not None and len(rows) > max_height
                if layout == "circuit" or not (too_wide or too_tall):
                    if too_wide:
                        rows = [_cut(row, width or 0, chars) for row in rows]
                    fits = not (too_wide or too_tall)
                    return TextDrawing("circuit", min(wide, width or wide), len(rows), fits, summary, None, rows, spans)
                reason = (
                    f"the circuit needs {wide} columns, more than the {width} available"
                    if too_wide
                    else f"the circuit needs {len(rows)} rows, more than the {max_height} available"
                )
    lanes = render_lanes(result, number, chars, width, max_rows)
    height = len(lanes.rows)
    fits = not lanes.truncated and (max_height is None or height <= max_height)
    wide = max(len(row) for row in lanes.rows)
    return TextDrawing("lane", wide, height, fits, summary, reason, lanes.rows, lanes.spans)


def _cut(row: str, width: int, chars: Charset) -> str:
    return row if len(row) <= width else row[: max(width - 1, 0)] + chars.ellipsis


def _summary(result: Result, number: Number, chars: Charset, width: int | None) -> str:
    """``f = -12 · 5 nodes · ∂f/∂x = -3, ...``; only as many gradients as can be read are formatted."""
    evaluation, labels = result.evaluation, result.labels
    out = labels[evaluation.output]
    size = len(evaluation.order)
    text = f"{out} = {number(evaluation.values[evaluation.output])} {chars.dot} {size:,} node{'s' if size != 1 else ''}"
    room = width if width is not None else SUMMARY_WIDTH
    grads: list[str] = []
    length = len(text)
    for i in evaluation.inputs:
        if length > room:
            break
        grads.append(f"{chars.partial}{out}/{chars.partial}{labels[i]} = {number(evaluation.grads[i])}")
        length += len(grads[-1]) + 2
    if grads:
        text += f" {chars.dot} " + ", ".join(grads)
    return _cut(text, room, chars)


def _ranks(result: Result) -> dict[int, int]:
    """Inputs in the first column, each gate one column right of its latest input, constants just
    left of their first reader (so ``x * 2`` draws the 2 beside its gate, not at the far left)."""
    nodes, order = result.graph.nodes, result.evaluation.order
    rank: dict[int, int] = {}
    readers: dict[int, list[int]] = {}
    for i in order:
        node = nodes[i]
        if node.is_leaf:
            rank[i] = 0
            continue
        rank[i] = 1 + max((rank[a] for a in node.args if nodes[a].op is not CONST), default=0)
        for a in node.args:
            readers.setdefault(a, []).append(i)
    for i in order:
        if nodes[i].op is CONST and i in readers:
            rank[i] = max(0, min(rank[r] for r in readers[i]) - 1)
    return rank


def _circuit(result: Result, number: Number, chars: Charset) -> tuple[list[str], list[list[Span]]]:
    evaluation, nodes = result.evaluation, result.graph.nodes
    order, values, grads = evaluation.order, evaluation.values, evaluation.grads
    ranks = _ranks(result)
    vm, gm = chars.value_mark, chars.grad_mark
    blocks: list[Block] = []
    index: dict[int, int] = {}
    drawn: list[tuple[int, str, str, str, str]] = []  # node, name, symbol, value, gradient
    names = marked_names(result, MAX_NAME, chars)
    for i in order:
        node = nodes[i]
        name = names[i]
        value, grad = number(values[i]), number(grads[i])
        digits = max(len(value), len(grad))
        label = len(name) + 3 + digits  # "name ▲ value"
        if node.is_leaf:
            symbol = ""
            block = Block(label, 3, ranks[i], (), 1)
        else:
            # name and value above the gate, its gradient below: the columns stay narrow
            symbol = node.op.gate_symbol(node.param, format_number)
            arity = len(node.args)
            box = len(symbol) + 4
            ports = tuple(2 + 2 * k for k in range(arity))
            block = Block(max(box, label), max(3, 2 * arity + 1) + 2, ranks[i], ports, 1 + arity)
        if i == evaluation.output:
            block.width += 3  # the output's wire leaves at the right
        index[i] = len(blocks)
        blocks.append(block)
        drawn.append((i, name, symbol, value.rjust(digits), grad.rjust(digits)))
    edges = [(index[a], index[i], slot) for i in order for slot, a in enumerate(nodes[i].args)]
    canvas = Canvas(chars)
    place(blocks, edges, canvas)
    for i, name, symbol, value, grad in drawn:
        block = blocks[index[i]]
        x, y, out = block.x, block.y, block.y + block.out_row
        net = index[i]
        style = "const" if nodes[i].op is CONST else "name"
        if symbol:
            box = len(symbol) + 4
            canvas.box(x, y + 1, box, block.height - 2, -2 - net)
            for row in block.in_rows:
                canvas.link(x, y + row, W, -2 - net)
            canvas.link(x + box - 1, out, E, -2 - net)
            canvas.write(x + 2, out, symbol)
            if block.width > box:
                canvas.hline(x + box, x + block.width - 1, out, net)
                canvas.link(x + box, out, W, net)
            top, bottom = y, y + block.height - 1
        else:
            canvas.hline(x, x + block.width - 1, out, net)
            top, bottom = out - 1, out + 1
        if not symbol or block.width > box:
            canvas.link(x + block.width - 1, out, E, net)
        canvas.write(x, top, name, style)
        canvas.write(x + len(name) + 1, top, f"{vm} {value}", "value")
        canvas.write(x + len(name) + 1, bottom, f"{gm} {grad}", "grad")
    rows, spans = canvas.lines()
    output = short(result.output_label, MAX_NAME, chars)
    legend = f"{vm} value (forward pass)   {gm} gradient {chars.partial}{output}/{chars.partial}node (backward pass)"
    rows += ["", legend]
    spans += [[], [(0, 1, "value"), (len(f"{vm} value (forward pass)   "), len(legend), "grad")]]
    orders = order_legend(result, chars)
    if orders:
        rows.append(orders)
        spans.append([])
    return rows, spans
