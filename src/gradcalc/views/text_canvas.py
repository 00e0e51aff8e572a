"""A character grid for drawings in the terminal: text cells, line cells and colour spans.

Lines are not drawn as characters but as a bitmask per cell (which of its four sides a line leaves
by: north, east, south, west); the character is chosen at the end from the mask, so wherever lines
meet the cell gets the right junction (``├ ┬ ┼ ╭``) whatever order they were drawn in. Each line
belongs to a *net* (the wire of one value and its branches): a cell reached by two different nets
is a crossing, not a junction, and shows the vertical line unbroken (``─│─``), so a junction glyph
always means "these wires are one value".
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

N, E, S, W = 1, 2, 4, 8

# The glyph of each mask, rounded corners for turns.
UNICODE_LINES = {
    0: " ",
    N: "│",
    S: "│",
    N | S: "│",
    E: "─",
    W: "─",
    E | W: "─",
    E | S: "╭",
    S | W: "╮",
    N | E: "╰",
    N | W: "╯",
    N | E | S: "├",
    N | S | W: "┤",
    E | S | W: "┬",
    N | E | W: "┴",
    N | E | S | W: "┼",
}
# ASCII: corners and most junctions are "+"; a wire entering or leaving a side (├ ┤) is "|", so a gate
# reads "--| + |--" rather than "--+ + +--".
ASCII_LINES = {
    mask: "|" if glyph in "│├┤" else "-" if glyph == "─" else " " if glyph == " " else "+"
    for mask, glyph in UNICODE_LINES.items()
}
CROSSING = -1  # the net of a cell two nets pass through (nets are numbered from 0, boxes from -2 down)


@dataclass(frozen=True, slots=True)
class Charset:
    """Every character a drawing uses, so ``--ascii`` changes them all in one place."""

    lines: dict[int, str]
    value_mark: str
    grad_mark: str
    ellipsis: str
    gate: str  # a gate's dot in the lane view
    leaf: str  # an input's or a constant's dot in the lane view
    dot: str  # a separator in one-line summaries
    partial: str  # the ∂ of the gradient heading
    orders: tuple[str, ...] = ()  # the marks of the 1st, 2nd... derivative's nodes; "[k]" past them

    def order_mark(self, order: int) -> str:
        """What follows the name of a node of the ``order``-th derivative: ``①``, ``②``; ``[2]`` in ASCII."""
        return self.orders[order - 1] if order <= len(self.orders) else f"[{order}]"


UNICODE = Charset(UNICODE_LINES, "▲", "▼", "…", "●", "○", "·", "∂", tuple("①②③④⑤⑥⑦⑧⑨"))
ASCII = Charset(ASCII_LINES, "^", "v", "~", "*", "o", "|", "d")
CHARSETS = {"unicode": UNICODE, "ascii": ASCII}

# Styles of spans; the colours match the pictures (values green, gradients red).
ANSI = {
    "value": "\x1b[32m",
    "grad": "\x1b[31m",
    "name": "\x1b[1m",
    "const": "\x1b[2m",
    "note": "\x1b[2m",
}
RESET = "\x1b[0m"

Span = tuple[int, int, str]  # first column, end column, style


class Canvas:
    """A grid that grows as things are drawn on it; ``lines()`` gives its rows."""

    def __init__(self, charset: Charset) -> None:
        self.charset = charset
        self.text: dict[tuple[int, int], str] = {}
        self.mask: dict[tuple[int, int], int] = {}
        self.net: dict[tuple[int, int], int] = {}
        self.spans: dict[int, list[Span]] = {}
        self.width = 0
        self.height = 0

    def _grow(self, x: int, y: int) -> None:
        self.width = max(self.width, x + 1)
        self.height = max(self.height, y + 1)

    def write(self, x: int, y: int, text: str, style: str | None = None) -> None:
        for k, char in enumerate(text):
            self.text[x + k, y] = char
        if text:
            self._grow(x + len(text) - 1, y)
            if style:
                self.spans.setdefault(y, []).append((x, x + len(text), style))

    def link(self, x: int, y: int, bits: int, net: int) -> None:
        """Let net ``net`` leave cell (x, y) by the sides in ``bits``."""
        cell = (x, y)
        owner = self.net.get(cell)
        if owner is None or owner == net:
            self.net[cell] = net
            self.mask[cell] = self.mask.get(cell, 0) | bits
        else:
            self.net[cell] = CROSSING
            self.mask[cell] = self.mask.get(cell, 0) | bits
        self._grow(x, y)

    def hline(self, x0: int, x1: int, y: int, net: int) -> None:
        """A horizontal line from column x0 to x1 (inclusive), open at both ends."""
        lo, hi = min(x0, x1), max(x0, x1)
        for x in range(lo, hi + 1):
            self.link(x, y, (W if x > lo else 0) | (E if x < hi else 0), net)

    def vline(self, x: int, y0: int, y1: int, net: int) -> None:
        lo, hi = min(y0, y1), max(y0, y1)
        for y in range(lo, hi + 1):
            self.link(x, y, (N if y > lo else 0) | (S if y < hi else 0), net)

    def box(self, x: int, y: int, width: int, height: int, net: int) -> None:
        """A rounded rectangle whose corners are (x, y) and (x + width - 1, y + height - 1)."""
        right, bottom = x + width - 1, y + height - 1
        self.hline(x, right, y, net)
        self.hline(x, right, bottom, net)
        self.vline(x, y, bottom, net)
        self.vline(right, y, bottom, net)

    def lines(self) -> tuple[list[str], list[list[Span]]]:
        """The rows as strings (trailing blanks removed) and each row's colour spans."""
        glyphs = self.charset.lines
        grid = [[" "] * self.width for _ in range(self.height)]
        for (x, y), bits in self.mask.items():
            if self.net[x, y] == CROSSING:
                bits = N | S if bits & (N | S) else E | W
            grid[y][x] = glyphs[bits]
        for (x, y), char in self.text.items():
            grid[y][x] = char
        rows = ["".join(row).rstrip() for row in grid]
        return rows, [sorted(self.spans.get(y, [])) for y in range(self.height)]


def painted_spans(row: str, row_spans: list[Span]) -> Iterator[Span]:
    """The spans of ``row`` as they are coloured: cut at its end, and one that starts inside the one before
    it (or past the row) left out."""
    at = 0
    for start, end, style in row_spans:
        if start < at or start >= len(row):
            continue
        at = min(end, len(row))
        yield start, at, style


def paint(rows: list[str], spans: list[list[Span]]) -> list[str]:
    """The rows with ANSI colour codes around their spans."""
    painted = []
    for row, row_spans in zip(rows, spans, strict=True):
        if not row_spans:
            painted.append(row)
            continue
        pieces, at = [], 0
        for start, end, style in painted_spans(row, row_spans):
            pieces += [row[at:start], ANSI[style], row[start:end], RESET]
            at = end
        pieces.append(row[at:])
        painted.append("".join(pieces))
    return painted
