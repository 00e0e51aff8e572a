"""The graph as Graphviz DOT text: the circuit style of the classic backprop pictures, or micrograd's boxes.

Circuit style (the default), drawn left to right: every value is a *wire* with its value in green above
the line and its gradient in red below; inputs enter at the left labelled with their names; every
operation is a circle showing its symbol (``+``, ``*``, ``exp``, ``*-1``); the output leaves at the right.
A value that feeds several gates (``x*x``, ``a + a``) is one wire that splits at a dot: each branch is
labelled with the gradient that flows back along it (the consumer's gradient times its local partial)
and the wire before the split with their sum, so the picture shows that gradients add where a value is
reused.

Boxes style: each value a box with its label, value and gradient, each operation a small circle
between boxes, as micrograd draws them.

This module only builds text: it is pure, deterministic (node ids come from the evaluation order,
attributes are written in a fixed order) and escapes every label, so the same result always gives
byte-identical DOT. Running Graphviz is ``views.image``'s job.
"""

from __future__ import annotations

from collections.abc import Callable

from gradcalc.errors import UsageError
from gradcalc.numbers import format_number
from gradcalc.ops import INPUT
from gradcalc.program import Result

STYLES = ("circuit", "boxes")
RANKDIRS = ("LR", "TB")
VALUE_COLOR = "#1a7f1a"  # green: values, computed forwards
GRAD_COLOR = "#d11f1f"  # red: gradients, computed backwards
NAME_COLOR = "#000000"
WIRE_COLOR = "#333333"
CONST_COLOR = "#555555"  # constants are leaves too, but nobody trains them
FONT = "Helvetica"
MAX_LABEL = 24  # longer names and constant texts are shortened with an ellipsis


def escape(text: str) -> str:
    """``text`` safe inside a Graphviz HTML-like label (and so inside any DOT string)."""
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


def _font(text: str, color: str) -> str:
    return f'<font color="{color}">{escape(text)}</font>'


def render_dot(result: Result, *, style: str = "circuit", precision: int = 2, rankdir: str = "LR") -> str:
    """The DOT text of ``result`` in ``style`` (``circuit`` or ``boxes``), numbers with ``precision`` decimals."""
    if style not in STYLES:
        raise UsageError(f"unknown style {style!r}", hint=f"choose one of: {', '.join(STYLES)}")
    if rankdir not in RANKDIRS:
        raise UsageError(f"unknown rank direction {rankdir!r}", hint=f"choose one of: {', '.join(RANKDIRS)}")
    if precision < 0:
        raise UsageError(f"precision must be 0 or more, not {precision}")

    def number(value: float) -> str:
        return format_number(value, precision, fixed=True)

    builder = _Circuit if style == "circuit" else _Boxes
    return builder(result, number, rankdir).text()


class _Drawing:
    """What both styles share: the result, how numbers read, and the lines written so far."""

    def __init__(self, result: Result, number: Callable[[float], str], rankdir: str) -> None:
        self.result = result
        self.number = number
        self.rankdir = rankdir
        self.lines: list[str] = []
        self.position = {node: k for k, node in enumerate(result.evaluation.order)}  # ids n0, n1, ... in order

    def header(self, kind: str, graph: str, node: str, edge: str) -> None:
        result = self.result
        count = len(result.evaluation.order)
        self.lines += [
            f"// gradcalc {kind}: {count} node{'s' if count != 1 else ''}"
            + (", expanded into primitive gates" if result.expanded else ""),
            "digraph gradcalc {",
            f"  graph [rankdir={self.rankdir}, {graph}];",
            f'  node [fontname="{FONT}", {node}];',
            f'  edge [fontname="{FONT}", {edge}];',
        ]

    def symbol(self, node: int) -> str:
        gate = self.result.graph.nodes[node]
        return gate.op.gate_symbol(gate.param, format_number)

    def text(self) -> str:
        self.draw()
        self.lines.append("}")
        return "\n".join(self.lines) + "\n"

    def draw(self) -> None:
        raise NotImplementedError


class _Circuit(_Drawing):
    """Gates as circles, values as labelled wires, splits where a value is used more than once."""

    def draw(self) -> None:
        self.header(
            "circuit",
            'nodesep=0.18, ranksep=0.22, ordering=in, splines=spline, bgcolor="white", pad=0.2',
            "fontsize=14, penwidth=1.2",
            'arrowsize=0.7, penwidth=1.2, color="#333333"',
        )
        result = self.result
        evaluation, nodes, labels = result.evaluation, result.graph.nodes, result.labels
        values, grads, local = evaluation.values, evaluation.grads, evaluation.local
        order, position, output = evaluation.order, self.position, evaluation.output
        tail, head = (":w:e", ":w:w") if self.rankdir == "LR" else (":w:s", ":w:n")
        lines = self.lines

        # Who reads each value, and from which stretch of wire: the value's own, or its j-th branch.
        uses: dict[int, list[tuple[int, int]]] = {i: [] for i in order}
        for i in order:
            for slot, arg in enumerate(nodes[i].args):
                uses[arg].append((i, slot))
        feeds: dict[tuple[int, int], str] = {}
        for arg, readers in uses.items():
            k = position[arg]
            for j, use in enumerate(readers):
                feeds[use] = f"b{k}_{j}" if len(readers) > 1 else f"n{k}"

        inputs: list[str] = []
        for i in order:
            node, k = nodes[i], position[i]
            wire, label = f"n{k}", _short(labels[i])
            value, grad = self.number(values[i]), self.number(grads[i])
            end = None
            if i == output and result.output_name:  # f = x names the input x's wire f at its end
                end = label if node.name == result.output_name else _short(result.output_name)
            if node.is_leaf:
                color = NAME_COLOR if node.op is INPUT else CONST_COLOR
                self.wire(wire, value, grad, start=label, start_color=color, end=end)
                if node.op is INPUT:
                    inputs.append(wire)
            else:
                gate = f"g{k}"
                lines.append(
                    f"  {gate} [shape=ellipse, width=0.5, height=0.5, margin=0.03, label=<{escape(self.symbol(i))}>];"
                )
                lines.extend(f"  {feeds[i, slot]}{tail} -> {gate};" for slot in range(len(node.args)))
                named = label if node.name and end is None else None
                self.wire(wire, value, grad, name=named, end=end)
                lines.append(f"  {gate} -> {wire}{head} [arrowhead=none];")
            readers = uses[i]
            if len(readers) > 1:
                split = f"s{k}"
                lines.append(f"  {split} [shape=point, width=0.07];")
                lines.append(f"  {wire}{tail} -> {split} [arrowhead=none];")
                for j, (reader, slot) in enumerate(readers):
                    branch = f"b{k}_{j}"
                    self.wire(branch, None, self.number(grads[reader] * local[reader][slot]))
                    lines.append(f"  {split} -> {branch}{head} [arrowhead=none];")
        if inputs:
            lines.append(f"  {{rank=min; {'; '.join(inputs)};}}")
        lines.append(f"  {{rank=max; n{position[output]};}}")

    def wire(
        self,
        node_id: str,
        value: str | None,
        grad: str,
        *,
        start: str | None = None,
        start_color: str = NAME_COLOR,
        name: str | None = None,
        end: str | None = None,
    ) -> None:
        """A stretch of wire: its value above the line and its gradient below (left and right in TB).

        ``start`` names an input at the wire's beginning, ``end`` the output at its end, ``name`` a named
        value in between (written before its value, since a gate feeds the wire's beginning).
        """
        top = _font(value, VALUE_COLOR) if value is not None else " "
        if name is not None:
            top = f"{_font(name + ' =', NAME_COLOR)} {top}"
        bottom = _font(grad, GRAD_COLOR)
        if self.rankdir == "LR":
            first = f'<td rowspan="3" align="right">{_font(start, start_color)}</td>' if start else ""
            last = f'<td rowspan="3" align="left">{_font(end, NAME_COLOR)}</td>' if end else ""
            rows = (
                f"<tr>{first}<td>{top}</td>{last}</tr>"
                f'<tr><td port="w" cellpadding="0" height="1" width="44" bgcolor="{WIRE_COLOR}"></td></tr>'
                f"<tr><td>{bottom}</td></tr>"
            )
        else:
            first = f'<tr><td colspan="3">{_font(start, start_color)}</td></tr>' if start else ""
            last = f'<tr><td colspan="3">{_font(end, NAME_COLOR)}</td></tr>' if end else ""
            rows = (
                f'{first}<tr><td align="right">{top}</td>'
                f'<td port="w" cellpadding="0" width="1" height="30" bgcolor="{WIRE_COLOR}"></td>'
                f'<td align="left">{bottom}</td></tr>{last}'
            )
        table = f'<table border="0" cellborder="0" cellspacing="0" cellpadding="2">{rows}</table>'
        self.lines.append(f"  {node_id} [shape=plaintext, margin=0, label=<{table}>];")


class _Boxes(_Drawing):
    """micrograd's picture: a box per value (label, value, gradient), a small circle per operation."""

    def draw(self) -> None:
        self.header(
            "boxes",
            'nodesep=0.25, ranksep=0.4, ordering=in, bgcolor="white", pad=0.2',
            "fontsize=12",
            'arrowsize=0.7, color="#333333"',
        )
        result = self.result
        evaluation, nodes, labels = result.evaluation, result.graph.nodes, result.labels
        values, grads, position = evaluation.values, evaluation.grads, self.position
        tail, head = (":e", ":w") if self.rankdir == "LR" else (":s", ":n")
        lines = self.lines
        for i in evaluation.order:
            node, k = nodes[i], position[i]
            cells = (
                f"<td>{escape(_short(labels[i]))}</td>"
                f"<td>data {_font(self.number(values[i]), VALUE_COLOR)}</td>"
                f"<td>grad {_font(self.number(grads[i]), GRAD_COLOR)}</td>"
            )
            table = f'<table border="0" cellborder="1" cellspacing="0" cellpadding="4"><tr>{cells}</tr></table>'
            lines.append(f"  n{k} [shape=plaintext, margin=0, label=<{table}>];")
            if node.args:
                lines.append(
                    f"  o{k} [shape=ellipse, width=0.3, height=0.3, margin=0.02, label=<{escape(self.symbol(i))}>];"
                )
                lines.extend(f"  n{position[arg]}{tail} -> o{k};" for arg in node.args)
                lines.append(f"  o{k} -> n{k}{head};")
