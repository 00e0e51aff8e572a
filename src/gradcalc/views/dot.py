"""The graph as Graphviz DOT text: the circuit style of the classic backprop pictures, or micrograd's boxes.

Circuit style (the default), drawn left to right: every value is a *wire* with its value above the line
and its gradient below (blue and vermillion by default, green and red with the classic palette: see
``views.palette``); inputs enter at the left labelled with their names; every operation is a circle
showing its symbol (``+``, ``*``, ``exp``, ``*-1``); the output leaves at the right, labelled with its
name from the table (``f`` when the program does not name it). Every gate's wire carries the gate's name
from the table too, so the picture can be read beside the table and ``explain``: the user's names as
typed, the made-up ``p, q, r...`` small and grey. A value that feeds several gates (``x*x``, ``a + a``) is
one wire that splits at a dot: each branch is labelled with the gradient that flows back along it (the
consumer's gradient times its local partial) and the wire before the split with their sum, so the
picture shows that gradients add where a value is reused.

What the op table says about an op shows where it matters: the argument roles of gates whose arguments
are not interchangeable (``num``/``den``, ``base``/``exponent``, ``+``/``−``) where the arguments enter,
and the picture symbol of an op whose plain symbol would be ambiguous (``neg``, not subtraction's ``-``).
A gate evaluated at a kink (a ``max`` tie, ``relu`` at 0: the engine's warnings) has a dashed outline,
the word "kink" beside it and the warning as its tooltip. A legend under the picture says which number
is which (on by default in the circuit style).

Boxes style: each value a box with its label, value and gradient, each operation a small circle
between boxes, as micrograd draws them.

A call of a user function and a step of a loop is a labelled cluster (``sig #1``, ``t = 2``; ids
``cluster_{s}``, classes ``scope call`` and ``scope step``) around the gates and wires made in it; the
wires of the inputs and of the output stay outside, where their rank puts them. So are the nodes that
``grad(e, x)`` built, the backward pass made into gates: one cluster per grad call, titled after it
(``∂²(x^3)/∂x² (2nd derivative)``, class ``scope grad order2``), filled with its derivative order's tint
from the palette and bordered with its order's line (``ORDER_LINES``: dashed for the 1st, bold for the
2nd, dotted and bold beyond), so the function's own nodes (unfilled) and each order's read apart in
colour, in greyscale and on a projector; the legend shows a sample of each order drawn.

Node ids are a naming scheme other tools rely on (the live page finds SVG elements by Graphviz's
``<title>``, which is the node id): ``n{k}`` wires (or boxes), ``g{k}`` gates, ``s{k}`` splits,
``b{k}_{j}`` branches, ``o{k}`` the boxes style's operations, ``k`` being the position in the evaluation
order. Every node also carries an ``id`` (the same name) and a ``class`` (``wire input``, ``gate mul``,
``gate max kink``, ``split``...), and every edge a class (``feed``, ``drive``, ``split``), which
Graphviz copies into the SVG for style sheets and scripts.

This module only builds text: it is pure, deterministic (node ids come from the evaluation order,
attributes are written in a fixed order) and escapes every label, so the same result always gives
byte-identical DOT. Running Graphviz is ``views.image``'s job.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING

from gradcalc.errors import UsageError
from gradcalc.numbers import fixed_formatter, format_number
from gradcalc.ops import INPUT, Op
from gradcalc.parser import gc_paused
from gradcalc.program import Result
from gradcalc.scopes import ordinal, result_scopes
from gradcalc.views.draw_options import DrawOptions
from gradcalc.views.palette import DEFAULT_PALETTE, PALETTES, Palette

if TYPE_CHECKING:
    from gradcalc.engine import Evaluation

RANKDIRS = ("LR", "TB")
VALUE_COLOR = PALETTES[DEFAULT_PALETTE].value
GRAD_COLOR = PALETTES[DEFAULT_PALETTE].grad
FONT = "Helvetica"
SMALL = 10  # point size of the made-up names, the word kink and the legend
ROLE_SIZE = 11  # point size of the argument roles written along the edges into a gate
MAX_LABEL = 24  # longer names and constant texts are shortened with an ellipsis
ORDER_SIZE = 12  # point size of a derivative cluster's title: it names what the cluster computes
# The border of the 1st, 2nd, 3rd (and higher) derivative's clusters: told apart without colour.
ORDER_LINES = ("dashed", "bold", "dotted,bold")
_UNSAFE = re.compile('[&<>"\n\r]').search  # what ``escape`` replaces
# Lines are joined into a piece of the text every this many, and the piece handed on (``dot_pieces``): a
# picture written to a file is then never held whole, however big (a 1e6-node chain's text is 686 MB).
_FLUSH_LINES = 4096
# The numbers a picture's fonts keep written (``_Drawing.number_fonts``): a few hundred KB, in the processor's cache.
_NUMBERS_KEPT = 4096


# A hole in a line's text: the line is written once with holes, cut at them, and each copy fills them in.
# A picture drawn with holes (``holed_pieces``) has one where each number goes, and no other: names are
# letters, digits and underscores, and the rest is the drawing's own words, symbols and numbers.
HOLE = "\0"


def _holed(text: str, holes: int) -> list[str]:
    """``text`` cut at its ``holes`` holes: the pieces a copy of it is written between."""
    pieces = text.split(HOLE)
    if len(pieces) != holes + 1:  # pragma: no cover - a line's layout changed and its template did not
        raise AssertionError(f"a line with {holes} holes should be {holes + 1} pieces, not {len(pieces)}")
    return pieces


def kinks_of(result: Result) -> dict[int, str]:
    """The gates evaluated at a point with no derivative, with the engine's words for it: drawn dashed."""
    nodes = result.graph.nodes
    return {w.node: w.message for w in result.evaluation.warnings if nodes[w.node].op.kink is not None}


def order_line(order: int) -> str:
    return ORDER_LINES[min(order, len(ORDER_LINES)) - 1]


def escape(text: str) -> str:
    """``text`` safe inside a Graphviz HTML-like label (and so inside any DOT string)."""
    if _UNSAFE(text) is None:  # most names and numbers: one search instead of six replacements
        return text
    return (
        text.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
        .replace("\n", " ")
        .replace("\r", " ")
    )


def _short(label: str) -> str:
    return label if len(label) <= MAX_LABEL else label[: MAX_LABEL - 1] + "…"


def _html_line(line: str) -> str:
    """A cluster's line style as an HTML-like table's border style: Graphviz tables have no bold."""
    return "dotted" if "dotted" in line else "dashed" if "dashed" in line else "solid"


def _font(text: str, color: str, size: int | None = None) -> str:
    sized = f' point-size="{size}"' if size is not None else ""
    return f'<font color="{color}"{sized}>{escape(text)}</font>'


def render_dot(
    result: Result,
    *,
    style: str = "circuit",
    precision: int = 2,
    rankdir: str = "LR",
    palette: str = DEFAULT_PALETTE,
    legend: bool | None = None,
) -> str:
    """The DOT text of ``result`` in ``style`` (``circuit`` or ``boxes``), numbers with ``precision`` decimals.

    ``palette`` names a row of ``views.palette.PALETTES``. ``legend`` None is the style's own default:
    on for circuits, whose bare numbers need it, off for boxes, which write "data" and "grad".
    """
    options = DrawOptions(style=style, precision=precision, rankdir=rankdir, palette=palette, legend=legend)
    return "".join(dot_pieces(result, options))


def dot_pieces(result: Result, options: DrawOptions) -> Iterator[str]:
    """``render_dot``'s text, drawn as ``options`` say, in pieces of whole lines (each ending with its
    newline), each drawn when the one before has been taken: for a file, written as they come.

    The options are checked at once; the drawing is done as the pieces are taken. A picture written in
    its pieces is never one string, nor held whole: ``gradcalc render -o FILE.dot`` of a 100,000-statement
    chain peaked at 202 MB holding its 100 MB of text, and at 107 MB writing it as drawn. And an ASCII
    piece encodes as a copy, where one string holding the legend's ``∂`` would be encoded character by
    character (a 20,000-wire picture's text took 15 ms to encode that way, its pieces 1 ms).
    """
    builder, palette = _checked(options)
    return _drawn(builder, result, options.precision, options.rankdir, palette, options.legend)


class Holed:
    """A picture's text with a hole (``HOLE``) where each number goes: what ``views.kept_picture`` keeps.

    Each piece is cut at its holes. Hole ``j``'s number is ``numbers(evaluation, flows)[holes[j]]``, where
    ``flows`` are the branches' readers and argument slots, in the order they are drawn: a picture of the
    same drawing with other values is the pieces with the numbers of its evaluation written in the holes.
    (A plain class: a dataclass would cost every ``gradcalc render`` a millisecond to import.)
    """

    __slots__ = ("flows", "holes", "pieces")

    def __init__(self, pieces: list[list[str]], holes: list[int], flows: list[tuple[int, int]]) -> None:
        self.pieces, self.holes, self.flows = pieces, holes, flows


def numbers(evaluation: Evaluation, flows: list[tuple[int, int]]) -> list[float]:
    """The numbers a picture can show, as ``Holed.holes`` index them: the values, the gradients, and
    the gradient along each branch of a split (``flows``: its reader and argument slot).
    """
    return [*evaluation.values, *evaluation.grads, *branch_flows(evaluation, flows)]


def branch_flows(evaluation: Evaluation, flows: list[tuple[int, int]]) -> list[float]:
    """The gradient that flows back along each branch: its reader's gradient times the reader's local partial."""
    grads, local = evaluation.grads, evaluation.local
    return [grads[reader] * local[reader][slot] for reader, slot in flows]


def holed_pieces(result: Result, options: DrawOptions) -> Holed | None:
    """``dot_pieces``' text, drawn whole, with a hole in place of every number; None if its text holds a
    ``HOLE`` of its own (which no picture does)."""
    builder, palette = _checked(options)
    holes: list[int] = []
    with gc_paused():
        drawing = builder(result, fixed_formatter(options.precision), options.rankdir, palette, holes)
        pieces = [piece.split(HOLE) for piece in drawing.pieces(_legend(builder, options.legend))]
    if sum(map(len, pieces)) - len(pieces) != len(holes):  # pragma: no cover - a label with a NUL in it
        return None
    return Holed(pieces, holes, drawing.flows)


def _checked(options: DrawOptions) -> tuple[type[_Drawing], Palette]:
    """The style's drawing and the palette ``options`` name, once they are checked."""
    style, precision, rankdir, palette = options.style, options.precision, options.rankdir, options.palette
    if style not in STYLES:
        raise UsageError(f"unknown style {style!r}", hint=f"choose one of: {', '.join(STYLES)}")
    if rankdir not in RANKDIRS:
        raise UsageError(f"unknown rank direction {rankdir!r}", hint=f"choose one of: {', '.join(RANKDIRS)}")
    if palette not in PALETTES:
        raise UsageError(f"unknown palette {palette!r}", hint=f"choose one of: {', '.join(PALETTES)}")
    if precision < 0:
        raise UsageError(f"precision must be 0 or more, not {precision}")

    return STYLES[style], PALETTES[palette]


def _legend(builder: type[_Drawing], legend: bool | None) -> bool:
    return builder.legend_by_default if legend is None else legend


def _drawn(
    builder: type[_Drawing], result: Result, precision: int, rankdir: str, palette: Palette, legend: bool | None
) -> Iterator[str]:
    """``dot_pieces``'s pieces, drawn as they are taken.

    The collector stays paused from the first piece taken to the last, or until the pieces are dropped
    unfinished (a failed write), when closing the generator ends the pause.
    """
    number = fixed_formatter(precision)  # the fonts keep what they wrote (``number_fonts``)
    # A 100,000-node picture makes hundreds of thousands of lists and tuples and no cycle: the collector's
    # walks of them (and of the graph, where it is not frozen) grew the drawing's cost per node 1.5x.
    with gc_paused():
        drawing = builder(result, number, rankdir, palette)
        yield from drawing.pieces(_legend(builder, legend))


class _Drawing:
    """What both styles share: the result, how numbers read, the colours, and the lines written so far."""

    legend_by_default = False

    def __init__(
        self,
        result: Result,
        number: Callable[[float], str],
        rankdir: str,
        palette: Palette,
        holes: list[int] | None = None,
    ) -> None:
        self.result = result
        self.number = number
        self.holes = holes  # a list to note each number's place in (``holed_pieces``), or None to write them
        self.written: dict[str, dict[float, str]] = {}  # by colour: the fonts each has written (``number_fonts``)
        self.flows: list[tuple[int, int]] = []  # the readers and slots of the branches' gradients, as drawn
        self.rankdir = rankdir
        self.colors = palette
        self.lines: list[str] = []  # the lines not yet joined into a piece (``flushed``)
        self.ranked: set[str] = set()  # DOT nodes in a rank=min or rank=max set: a cluster cannot hold them
        self.position = [-1] * len(result.graph.nodes)  # by node id: the ids n0, n1, ... in evaluation order
        for k, node in enumerate(result.evaluation.order):
            self.position[node] = k
        self.kinks = kinks_of(result)  # the gates evaluated at a point with no derivative, and why
        self.scopes = result_scopes(result)  # the calls, steps and derivatives drawn as clusters

    def header(self, kind: str, graph: str, node: str, edge: str) -> None:
        result = self.result
        count = len(result.evaluation.order)
        self.lines += [
            f"// gradcalc {kind}: {count} node{'s' if count != 1 else ''}"
            + (", expanded into primitive gates" if result.expanded else ""),
            "digraph gradcalc {",
            f'  graph [rankdir={self.rankdir}, fontname="{FONT}", {graph}];',
            f'  node [fontname="{FONT}", {node}];',
            f'  edge [fontname="{FONT}", {edge}];',
        ]

    def flushed(self) -> str:
        """The lines so far joined into a piece of the text, and let go: their memory is then used again."""
        self.lines.append("")  # the piece ends with its last line's newline
        piece = "\n".join(self.lines)
        self.lines.clear()
        return piece

    def number_fonts(self, color: str, numbers: Sequence[float], start: int) -> Callable[[int], str]:
        """The ``font`` element in ``color`` of ``numbers[k]``, by ``k``: written once per value, as the
        wires repeat them (the fonts of one colour share what they wrote).

        The values kept are the last few thousand (``_NUMBERS_KEPT``): a repeated value is most often a
        near one (a constant's, a split's branches), and a million-node picture's million values kept
        made every lookup a read of far memory (the drawing 1.3x slower at 1e6 nodes, as fast at 1e4).
        A number needs no escaping: ``format_number`` writes digits, a sign, a point, ``e``, ``inf``, ``nan``.

        Drawn with holes, each is a hole, and ``start + k`` (its place in ``numbers``) is noted in ``holes``.
        """
        opening = f'<font color="{color}">'
        holes = self.holes
        if holes is not None:
            hole = f"{opening}{HOLE}</font>"

            def holed(k: int) -> str:
                holes.append(start + k)
                return hole

            return holed
        written = self.written.setdefault(color, {})
        number = self.number

        def font(k: int) -> str:
            value = numbers[k]
            text = written.get(value)
            if text is None:
                if len(written) >= _NUMBERS_KEPT:
                    written.clear()
                text = written[value] = f"{opening}{number(value)}</font>"
            return text

        return font

    def gate_lines(self, shape: str) -> Callable[[int, str], str]:
        """Each gate's DOT line by its node and DOT id: ``shape``'s attributes, its symbol, id and classes.

        The text around the id is ``gate_line``'s, cut at the id once per op and folded constant (a
        chain's thousands of ``*1.0001`` gates format and escape their symbol once); a gate at a kink has
        attributes of its own, written each time.
        """
        nodes, kinks, gate_line = self.result.graph.nodes, self.kinks, self.gate_line
        written: dict[tuple[Op, float | None], list[str]] = {}

        def line(node: int, gate: str) -> str:
            if node in kinks:
                return gate_line(shape, node, gate)
            key = (nodes[node].op, nodes[node].param)
            around = written.get(key)
            if around is None:
                around = written[key] = _holed(gate_line(shape, node, HOLE), 2)
            return f"{around[0]}{gate}{around[1]}{gate}{around[2]}"

        return line

    def gate_line(self, shape: str, node: int, gate: str) -> str:
        """The DOT line of a gate drawn as ``shape`` with the id ``gate``: its symbol, any kink, its classes."""
        kink = self.kink_attributes(node) if node in self.kinks else ""
        symbol, classes = escape(self.symbol(node)), self.gate_class(node)
        return f'  {gate} [{shape}, label=<{symbol}>{kink}, id="{gate}", class="{classes}"];'

    def symbol(self, node: int) -> str:
        """What a gate shows: the op table's picture symbol, else its symbol with any folded constant."""
        gate = self.result.graph.nodes[node]
        return gate.op.drawn or gate.op.gate_symbol(gate.param, format_number)

    def kink_attributes(self, node: int) -> str:
        """A dashed outline, the word kink beside the gate and the engine's warning as its tooltip."""
        kink = self.colors.kink
        return (
            f', style=dashed, penwidth=2, color="{kink}", xlabel=<{_font("kink", kink, SMALL)}>, '
            f'tooltip="{escape(self.kinks[node])}"'
        )

    def gate_class(self, node: int) -> str:
        op = self.result.graph.nodes[node].op
        return f"gate {op.name} kink" if node in self.kinks else f"gate {op.name}"

    def pieces(self, legend: bool) -> Iterator[str]:
        """The whole picture, ``legend`` under it or not, in pieces of whole lines (see ``flushed``)."""
        yield from self.draw()
        self.clusters()
        if legend:
            self.lines.append(f"  graph [labelloc=b, labeljust=l, label=<{self.legend()}>];")
        self.lines.append("}")
        yield self.flushed()

    def draw(self) -> Iterator[str]:
        """The header and every node's lines, in pieces as the lines reach ``_FLUSH_LINES``."""
        raise NotImplementedError

    def legend(self) -> str:
        raise NotImplementedError

    def dot_ids(self, node: int) -> list[str]:
        """The DOT nodes that draw ``node`` (its gate, its wire or box, its split), for its cluster."""
        raise NotImplementedError

    def clusters(self) -> None:
        """A labelled cluster per call and per step, nested as they are, around their nodes' drawings."""
        scopes = self.scopes
        if not scopes.names:
            return
        members: dict[int, list[str]] = {s: [] for s in scopes.names}
        ranked = self.ranked
        for i in self.result.evaluation.order:
            scope = scopes.of_node.get(i)
            if scope is not None:
                members[scope].extend(node_id for node_id in self.dot_ids(i) if node_id not in ranked)
        children: dict[int, list[int]] = {s: [] for s in scopes.names}
        tops: list[int] = []
        for s in sorted(scopes.names):
            parent = scopes.parents[s]
            (children[parent] if parent >= 0 else tops).append(s)
        colors = self.colors
        stack: list[tuple[int, bool]] = [(s, True) for s in reversed(tops)]
        depth = 1
        while stack:
            s, entering = stack.pop()
            if not entering:
                depth -= 1
                self.lines.append("  " * depth + "}")
                continue
            pad = "  " * depth
            kind, order = self.result.graph.scopes[s].kind, self.result.graph.scopes[s].order
            if kind == "grad":
                fill, border = colors.order(order)
                self.lines.append(
                    f"{pad}subgraph cluster_{s} {{ label=<{_font(scopes.names[s], colors.name, ORDER_SIZE)}>; "
                    f'labeljust=l; style="filled,rounded,{order_line(order)}"; fillcolor="{fill}"; '
                    f'color="{border}"; id="cluster_{s}"; class="scope grad order{order}";'
                )
            else:
                style = "rounded,dashed" if kind == "call" else "rounded,dotted"
                self.lines.append(
                    f"{pad}subgraph cluster_{s} {{ label=<{_font(scopes.names[s], colors.generated, SMALL)}>; "
                    f'labeljust=l; style="{style}"; color="{colors.generated}"; id="cluster_{s}"; class="scope {kind}";'
                )
            if members[s]:
                self.lines.append(f"{pad}  {'; '.join(members[s])};")
            depth += 1
            stack.append((s, False))
            stack.extend((child, True) for child in reversed(children[s]))

    def order_note(self) -> str:
        """The legend's cells for the derivative orders the picture shows: a sample of each cluster."""
        cells = []
        for order in sorted(set(self.scopes.orders.values())):
            fill, border = self.colors.order(order)
            line = order_line(order)
            what = "grad(" * order + "…" + ")" * order
            width = 2 if "bold" in line else 1
            sample = (
                f'<table border="{width}" cellborder="0" cellspacing="0" cellpadding="3" style="{_html_line(line)}" '
                f'color="{border}" bgcolor="{fill}"><tr><td>'
                f"{_font(f'{ordinal(order)} derivative: nodes of {what}', self.colors.name, SMALL)}</td></tr></table>"
            )
            cells.append(f"<td>{sample}</td>")
        return "".join(cells)

    def kink_note(self) -> str:
        """The legend's cell for the dashed gates, when the picture has any."""
        if not self.kinks:
            return ""
        return f"<td>{_font('dashed gate: a kink, where the derivative does not exist', self.colors.kink, SMALL)}</td>"


class _Circuit(_Drawing):
    """Gates as circles, values as labelled wires, splits where a value is used more than once."""

    legend_by_default = True

    def draw(self) -> Iterator[str]:
        self.header(
            "circuit",
            'nodesep=0.18, ranksep=0.22, ordering=in, splines=spline, bgcolor="white", pad=0.2',
            "fontsize=14, penwidth=1.2",
            f'arrowsize=0.7, penwidth=1.2, color="{self.colors.wire}", '
            f'fontsize={ROLE_SIZE}, fontcolor="{self.colors.role}"',
        )
        result, colors = self.result, self.colors
        evaluation, nodes, labels = result.evaluation, result.graph.nodes, result.labels
        values, grads = evaluation.values, evaluation.grads
        order, position, output = evaluation.order, self.position, evaluation.output
        tail, head = (":w:e", ":w:w") if self.rankdir == "LR" else (":w:s", ":w:n")
        lines, wire, flushed = self.lines, self.wire, self.flushed
        plain_wire, named_wire = self.plain_wires(), self.named_wires()
        gate_line = self.gate_lines("shape=ellipse, width=0.5, height=0.5, margin=0.03")
        generated = f'<font color="{colors.generated}" point-size="{SMALL}">'  # the made-up p, q, r
        typed = f'<font color="{colors.name}">'  # the user's names as typed

        # How many gates read each value. One read more than once is a wire that splits into branches,
        # numbered in the order they are read (by reader, then by argument): each read takes the next.
        readers = [0] * len(nodes)
        for i in order:
            for arg in nodes[i].args:
                readers[arg] += 1
        branches: dict[int, list[tuple[int, int]]] = {i: [] for i in order if readers[i] > 1}
        if branches:
            for i in order:
                for slot, arg in enumerate(nodes[i].args):
                    if arg in branches:
                        branches[arg].append((i, slot))
        taken = dict.fromkeys(branches, 0)
        self.flows = [read for reads in branches.values() for read in reads]  # each branch, as drawn
        value_font = self.number_fonts(colors.value, values, 0)  # numbers' places as ``numbers`` has them
        grad_font = self.number_fonts(colors.grad, grads, len(values))
        flow_font = self.number_fonts(colors.grad, branch_flows(evaluation, self.flows), len(values) + len(grads))
        flow = 0  # the next branch's

        inputs: list[str] = []
        for i in order:
            node, k = nodes[i], position[i]
            name, label = f"n{k}", labels[i]
            if len(label) > MAX_LABEL:
                label = _short(label)
            top, bottom = value_font(i), grad_font(i)
            end, kind = None, "wire"
            if i == output:
                kind = "wire output"
                if node.args:  # the output's name from the table, at the wire's end as in the textbook
                    end = label
                elif result.output_name:  # f = x names the input x's wire f at its end
                    end = label if node.name == result.output_name else _short(result.output_name)
            if not node.args:
                first = _font(label, colors.name if node.op is INPUT else colors.const) if label else None
                if first is not None and end is None:
                    lines.append(named_wire(name, first, top, bottom, f"{kind} {node.op.name}"))
                else:
                    wire(name, top, bottom, f"{kind} {node.op.name}", first, end)
                if node.op is INPUT:
                    inputs.append(name)
            else:
                gate = f"g{k}"
                lines.append(gate_line(i, gate))
                roles = node.op.roles  # empty for ops whose arguments are interchangeable
                for slot, arg in enumerate(node.args):
                    if readers[arg] > 1:
                        feed = f"b{position[arg]}_{taken[arg]}"
                        taken[arg] += 1
                    else:
                        feed = f"n{position[arg]}"
                    role = f", label=<{escape(roles[slot])}>" if roles else ""
                    lines.append(f'  {feed}{tail} -> {gate} [class="feed"{role}];')
                if end is None:
                    top = f"{typed if node.name else generated}{escape(label)} =</font> {top}"
                    lines.append(plain_wire(name, top, bottom, kind))
                else:
                    wire(name, top, bottom, kind, None, end)
                lines.append(f'  {gate} -> {name}{head} [arrowhead=none, class="drive"];')
            if readers[i] > 1:
                split = f"s{k}"
                lines.append(f'  {split} [shape=point, width=0.07, id="{split}", class="split"];')
                lines.append(f'  {name}{tail} -> {split} [arrowhead=none, class="split"];')
                for j in range(readers[i]):
                    branch = f"b{k}_{j}"
                    lines.append(plain_wire(branch, " ", flow_font(flow), "wire branch"))
                    flow += 1
                    lines.append(f'  {split} -> {branch}{head} [arrowhead=none, class="split"];')
                    if len(lines) > _FLUSH_LINES:  # an input read by every term: 333,333 branches at 1e6
                        yield flushed()
            if len(lines) > _FLUSH_LINES:
                yield flushed()
        if inputs:
            lines.append(f"  {{rank=min; {'; '.join(inputs)};}}")
        lines.append(f"  {{rank=max; n{position[output]};}}")
        self.ranked = {*inputs, f"n{position[output]}"}
        self.readers = readers

    def dot_ids(self, node: int) -> list[str]:
        k = self.position[node]
        ids = [f"n{k}"] if self.result.graph.nodes[node].is_leaf else [f"g{k}", f"n{k}"]
        readers = self.readers[node]
        if readers > 1:
            ids += [f"s{k}", *(f"b{k}_{j}" for j in range(readers))]
        return ids

    def wire(
        self, node_id: str, top: str, bottom: str, kind: str, first: str | None = None, end: str | None = None
    ) -> None:
        """A stretch of wire: ``top`` above the line and ``bottom`` below (left and right in TB).

        ``first`` is the input's name at the wire's beginning, ``end`` the output's name at its end;
        a gate's own name is written before its value in ``top``, since a gate feeds the wire's beginning.
        """
        last = _font(end, self.colors.name) if end else None
        self.lines.append(self.wire_line(node_id, top, bottom, kind, first, last))

    def wire_line(
        self, node_id: str, top: str, bottom: str, kind: str, first: str | None = None, last: str | None = None
    ) -> str:
        """The DOT line of a wire (``wire``'s, with ``last`` the output's name as its ``font`` element)."""
        table = self.wire_table(top, bottom, first, last)
        return f'  {node_id} [shape=plaintext, margin=0, label=<{table}>, id="{node_id}", class="{kind}"];'

    def plain_wires(self) -> Callable[[str, str, str, str], str]:
        """``wire_line`` of a wire with no name at either end (most of a picture's): its text written once,
        with holes that each line fills, so a wire costs one string's building and no calls.
        """
        before, above, below, after, classed, end = _holed(self.wire_line(HOLE, HOLE, HOLE, HOLE), 5)

        def line(node_id: str, top: str, bottom: str, kind: str) -> str:
            return f"{before}{node_id}{above}{top}{below}{bottom}{after}{node_id}{classed}{kind}{end}"

        return line

    def named_wires(self) -> Callable[[str, str, str, str, str], str]:
        """``wire_line`` of a wire with a name at its beginning only (an input's, a constant's), as
        ``plain_wires``: ``first`` is the name's ``font`` element."""
        pieces = _holed(self.wire_line(HOLE, HOLE, HOLE, HOLE, HOLE), 6)
        before, named, above, below, after, classed, end = pieces

        def line(node_id: str, first: str, top: str, bottom: str, kind: str) -> str:
            return f"{before}{node_id}{named}{first}{above}{top}{below}{bottom}{after}{node_id}{classed}{kind}{end}"

        return line

    def wire_table(self, top: str, bottom: str, first: str | None = None, last: str | None = None) -> str:
        """The HTML table of a wire: ``top`` above the line, ``bottom`` below, ``first``/``last`` at its ends."""
        wire = self.colors.wire
        if self.rankdir == "LR":
            before = f'<td rowspan="3" align="right">{first}</td>' if first else ""
            after = f'<td rowspan="3" align="left">{last}</td>' if last else ""
            rows = (
                f"<tr>{before}<td>{top}</td>{after}</tr>"
                f'<tr><td port="w" cellpadding="0" height="1" width="44" bgcolor="{wire}"></td></tr>'
                f"<tr><td>{bottom}</td></tr>"
            )
        else:
            before = f'<tr><td colspan="3">{first}</td></tr>' if first else ""
            after = f'<tr><td colspan="3">{last}</td></tr>' if last else ""
            rows = (
                f'{before}<tr><td align="right">{top}</td>'
                f'<td port="w" cellpadding="0" width="1" height="30" bgcolor="{wire}"></td>'
                f'<td align="left">{bottom}</td></tr>{after}'
            )
        return f'<table border="0" cellborder="0" cellspacing="0" cellpadding="2">{rows}</table>'

    def legend(self) -> str:
        """A sample wire saying which number is which, drawn the way the picture's wires are."""
        colors, output = self.colors, _short(self.result.labels[self.result.evaluation.output])
        above, below = ("above", "below") if self.rankdir == "LR" else ("left", "right")
        sample = self.wire_table(
            _font(f"value ({above}): forward pass", colors.value, SMALL),
            _font(f"gradient ∂{output}/∂value ({below}): backward pass", colors.grad, SMALL),
        )
        return (
            '<table border="0" cellborder="0" cellspacing="6" cellpadding="0">'
            f"<tr><td>{sample}</td>{self.order_note()}{self.kink_note()}</tr></table>"
        )


class _Boxes(_Drawing):
    """micrograd's picture: a box per value (label, value, gradient), a small circle per operation."""

    def draw(self) -> Iterator[str]:
        self.header(
            "boxes",
            'nodesep=0.25, ranksep=0.4, ordering=in, bgcolor="white", pad=0.2',
            "fontsize=12",
            f'arrowsize=0.7, color="{self.colors.wire}", fontsize={ROLE_SIZE}, fontcolor="{self.colors.role}"',
        )
        result, colors = self.result, self.colors
        evaluation, nodes, labels = result.evaluation, result.graph.nodes, result.labels
        values, grads, position = evaluation.values, evaluation.grads, self.position
        tail, head = (":e", ":w") if self.rankdir == "LR" else (":s", ":n")
        lines, gate_line = self.lines, self.gate_lines("shape=ellipse, width=0.3, height=0.3, margin=0.02")
        value_font = self.number_fonts(colors.value, values, 0)  # numbers' places as ``numbers`` has them
        grad_font = self.number_fonts(colors.grad, grads, len(values))
        for i in evaluation.order:
            node, k = nodes[i], position[i]
            named = node.name is not None or node.op is INPUT or i == evaluation.output  # the table's f, as the circuit
            label_color = colors.name if named else colors.generated
            cells = (
                f"<td>{_font(_short(labels[i]), label_color)}</td>"
                f"<td>data {value_font(i)}</td>"
                f"<td>grad {grad_font(i)}</td>"
            )
            table = f'<table border="0" cellborder="1" cellspacing="0" cellpadding="4"><tr>{cells}</tr></table>'
            kind = "value output" if i == evaluation.output else "value"
            lines.append(
                f'  n{k} [shape=plaintext, margin=0, label=<{table}>, id="n{k}", class="{kind} {node.op.name}"];'
            )
            if node.args:
                lines.append(gate_line(i, f"o{k}"))
                roles = node.op.roles
                for slot, arg in enumerate(node.args):
                    role = f", label=<{escape(roles[slot])}>" if roles else ""
                    lines.append(f'  n{position[arg]}{tail} -> o{k} [class="feed"{role}];')
                lines.append(f'  o{k} -> n{k}{head} [class="drive"];')
            if len(lines) > _FLUSH_LINES:
                yield self.flushed()

    def dot_ids(self, node: int) -> list[str]:
        k = self.position[node]
        return [f"o{k}", f"n{k}"] if self.result.graph.nodes[node].args else [f"n{k}"]

    def legend(self) -> str:
        colors, output = self.colors, _short(self.result.labels[self.result.evaluation.output])
        key = (
            f"<td>{_font('data: the value (forward pass)', colors.value, SMALL)}</td>"
            f"<td>{_font(f'grad: ∂{output}/∂value (backward pass)', colors.grad, SMALL)}</td>"
        )
        return (
            '<table border="0" cellborder="0" cellspacing="6" cellpadding="0">'
            f"<tr>{key}{self.order_note()}{self.kink_note()}"
            "</tr></table>"
        )


STYLES: dict[str, type[_Drawing]] = {"circuit": _Circuit, "boxes": _Boxes}
