"""A table, drawn as a Rich ``Table`` is, that lays itself out for its content and the width it is given.

Rich's own column sizing, once the wrappable columns are used up, shrinks every column evenly, down to
nothing (a header row of ``┳┳``) and through single words (``inp…``), and it wraps ``∂q/∂10 = 0.15``
between ``=`` and its number. This table decides its column widths itself:

- a cell is a sequence of *items* (``∂p/∂x = 1,``), each a sequence of *pieces* (``∂p/``, ``∂x =``,
  ``1,``): a line breaks between items first, inside an item only between its pieces, and inside a
  piece only when even the narrowest layout is wider than the screen;
- every column gets at least its widest piece; spare width goes to keeping the body's items whole
  first, then its cells, then the headers' items and the headers (so headers wrap before rows do),
  each time to the columns that want least first (so that as many as can be are whole);
- labels are shortened (``views.shorten``) only as far as that narrowest layout needs to fit: the
  table is built once per label width tried, widest first.

Given all the width its content wants (a file or a pipe: see ``views.console``) every cell is on one
line and the table is exactly as wide as its content. The title is a line of its own, not padded to
the table's width, so no line ends in blanks.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Literal, NamedTuple

from rich import box
from rich.console import Console, ConsoleOptions, RenderResult
from rich.measure import Measurement
from rich.segment import Segment
from rich.style import Style
from rich.text import Text

from gradcalc.views.cell_width import cell_width
from gradcalc.views.shorten import MAX_LABEL

Piece = tuple[str, str]  # (the glue before it when it follows a piece on the same line, its text)
Item = tuple[Piece, ...]
Cell = tuple[Item, ...]

LABEL_WIDTHS = (MAX_LABEL, 24, 20, 16, 12, 10, 8)  # the label widths tried, widest first
PADDING = 1  # blank columns either side of a cell


def plain(text: str) -> Cell:
    """A cell that never breaks: a name, a number."""
    piece: Piece = ("", text)
    return ((piece,),) if text else ()


def words(text: str) -> Cell:
    """A header such as ``local ∂``: one item, breaking between its words."""
    first, *rest = text.split(" ")
    return ((("", first), *((" ", word) for word in rest)),)


def listing(texts: Sequence[str]) -> Cell:
    """``a, b, c``: one item per text, a line breaking after a comma."""
    last = len(texts) - 1
    return tuple((("", text + ("," if k < last else "")),) for k, text in enumerate(texts))


class Column(NamedTuple):
    header: Cell
    justify: Literal["left", "right"] = "left"
    numbers: bool = False  # a column of numbers is the last to give way on a screen too narrow


class Row(NamedTuple):
    cells: Sequence[Cell]
    style: str = ""  # the whole row's
    cell_styles: Sequence[str] = ()  # each cell's, when some differ


class Layout(NamedTuple):
    """A table's columns and rows at one label width."""

    columns: Sequence[Column]
    rows: Sequence[Row]


class Widths(NamedTuple):
    """Per column: the narrowest width, then the widths that fit more and more on one line."""

    narrowest: list[int]
    stages: tuple[list[int], ...]  # whole: the body's items, its cells, the headers' items, the headers

    @property
    def widest(self) -> list[int]:
        return self.stages[-1]


class FittedTable:
    """A table whose ``build(label_width)`` gives its layout; a title above it and a note below it.

    A renderable: ``Console.print`` lays it out for the width it has (``__rich_console__``), and
    ``Measurement.get`` reports its narrowest and widest layouts (``__rich_measure__``).
    """

    def __init__(self, build: Callable[[int], Layout], *, title: str = "", note: str = "") -> None:
        self._build = build
        self._layouts: dict[int, tuple[Layout, Widths]] = {}
        self.title = title
        self.note = note

    def layout(self, label_width: int) -> tuple[Layout, Widths]:
        if label_width not in self._layouts:
            layout = self._build(label_width)
            self._layouts[label_width] = (layout, measure(layout))
        return self._layouts[label_width]

    def fit(self, width: int) -> tuple[Layout, list[int]]:
        """The layout with the longest labels whose narrowest form fits ``width``, and its column widths."""
        for label_width in LABEL_WIDTHS:
            layout, widths = self.layout(label_width)
            available = width - overhead(len(layout.columns))
            if sum(widths.narrowest) <= available:
                return layout, allocate(widths, available)
        return layout, squeeze(widths.narrowest, available, [c.numbers for c in layout.columns])

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        layout, narrowest = self.layout(LABEL_WIDTHS[-1])
        widest = self.layout(LABEL_WIDTHS[0])[1]
        extra = overhead(len(layout.columns))
        return Measurement(sum(narrowest.narrowest) + extra, sum(widest.widest) + extra)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        layout, widths = self.fit(options.max_width)
        if self.title:
            yield Text(self.title, style="table.title")
        yield from _lines(layout, widths, console)
        if self.note:
            yield Text(self.note, style="dim")


def overhead(columns: int) -> int:
    """The table's width beyond its cells': the padding either side of each, and the borders."""
    return columns * 2 * PADDING + columns + 1


def measure(layout: Layout) -> Widths:
    """Each column's narrowest width (its widest piece), then the widths that keep whole: the body's
    items, the body's cells, the headers' items, the headers (a header wraps before the rows do)."""
    n = len(layout.columns)
    narrowest = [_widest_piece(c.header) for c in layout.columns]
    items, cells = [0] * n, [0] * n
    for row in layout.rows:
        for k, cell in enumerate(row.cells):
            if len(cell) == 1 and len(cell[0]) == 1:  # a name, a number: one piece, all three widths its own
                width = cell_width(cell[0][0][1])
                if width > narrowest[k]:
                    narrowest[k] = width
                if width > items[k]:
                    items[k] = width
                if width > cells[k]:
                    cells[k] = width
                continue
            narrowest[k] = max(narrowest[k], _widest_piece(cell))
            items[k] = max(items[k], _widest_item(cell))
            cells[k] = max(cells[k], _one_line(cell))
    stages = [[max(w, t) for w, t in zip(narrowest, items)]]
    stages.append([max(w, t) for w, t in zip(stages[-1], cells)])
    stages.append([max(w, _widest_item(c.header)) for w, c in zip(stages[-1], layout.columns)])
    stages.append([max(w, _one_line(c.header)) for w, c in zip(stages[-1], layout.columns)])
    return Widths(narrowest, tuple(stages))


def allocate(widths: Widths, available: int) -> list[int]:
    """The narrowest widths, grown stage by stage while there is room.

    Within a stage, the columns that want least are made whole first, as many as fit: a column grown
    only part of the way would still wrap. What no stage can use goes to the column that wants most.
    """
    chosen = list(widths.narrowest)
    spare = available - sum(chosen)
    for targets in widths.stages:
        wants = [max(0, t - w) for t, w in zip(targets, chosen)]
        for k in sorted(range(len(wants)), key=lambda k: (wants[k], k)):
            if wants[k] <= spare:
                chosen[k] += wants[k]
                spare -= wants[k]
    wants = [t - w for t, w in zip(widths.widest, chosen)]
    if spare > 0 and max(wants) > 0:
        k = max(range(len(wants)), key=lambda k: (wants[k], -k))
        chosen[k] += min(spare, wants[k])
    return chosen


def squeeze(widths: list[int], available: int, numbers: list[bool]) -> list[int]:
    """Widths too wide for ``available``: the widest columns give way first, columns of numbers last;
    the pieces of a column narrower than them fold."""
    chosen = list(widths)
    for spared in (numbers, [False] * len(numbers)):
        while sum(chosen) > available:
            candidates = [k for k, keep in enumerate(spared) if not keep and chosen[k] > 1]
            if not candidates:
                break
            chosen[max(candidates, key=lambda k: (chosen[k], -k))] -= 1
    return chosen


def wrap(cell: Cell, width: int) -> list[str]:
    """The lines of ``cell`` in ``width`` columns: items kept whole where they fit, then pieces."""
    if len(cell) == 1 and len(cell[0]) == 1 and cell_width(cell[0][0][1]) <= width:  # a name, a number that fits
        return [cell[0][0][1]]
    lines: list[str] = []
    line = ""
    for item in cell:
        whole = _item_text(item)
        if line and cell_width(line) + 1 + cell_width(whole) <= width:
            line += " " + whole
            continue
        if line:
            lines.append(line)
        if cell_width(whole) <= width:
            line = whole
            continue
        line = ""
        for glue, text in item:
            if line and cell_width(line) + cell_width(glue) + cell_width(text) <= width:
                line += glue + text
                continue
            if line:
                lines.append(line)
            *full, line = _fold(text, width)
            lines.extend(full)
    if line:
        lines.append(line)
    return lines


def _fold(text: str, width: int) -> list[str]:
    """``text`` cut into lines of ``width`` characters (a piece wider than its column)."""
    step = max(1, width)
    return [text[k : k + step].strip() for k in range(0, len(text), step)] or [""]


def _item_text(item: Item) -> str:
    return "".join(glue + text if k else text for k, (glue, text) in enumerate(item))


def _widest_piece(cell: Cell) -> int:
    return max((cell_width(text) for item in cell for _, text in item), default=0)


def _widest_item(cell: Cell) -> int:
    return max((cell_width(_item_text(item)) for item in cell), default=0)


def _one_line(cell: Cell) -> int:
    return sum(cell_width(_item_text(item)) for item in cell) + max(0, len(cell) - 1)


def _lines(layout: Layout, widths: list[int], console: Console) -> Iterator[Segment]:
    """The table drawn as Rich draws a ``Table`` (heavy head box, one space of padding), line by line.

    Every cell is already wrapped to its width, so there is nothing left to measure: drawing the lines
    directly is linear in the table's size and many times faster than a Rich ``Table``, which measures
    and wraps every cell again.
    """
    frame = box.HEAVY_HEAD
    outer = [w + 2 * PADDING for w in widths]
    right = [column.justify == "right" for column in layout.columns]
    new_line = Segment.line()

    def draw(
        cells: list[list[str]], styles: list[Style], edges: tuple[str, str, str], bottom: bool
    ) -> Iterator[Segment]:
        """The lines of one row of cells: headers sit on the bottom line, body cells start at the top."""
        left, middle, end = edges
        height = max(1, *(len(lines) for lines in cells))
        for n, lines in enumerate(cells):
            blank = [""] * (height - len(lines))
            cells[n] = blank + lines if bottom else lines + blank
        for k in range(height):
            yield Segment(left)
            for j, lines in enumerate(cells):
                gap = " " * max(0, widths[j] - cell_width(lines[k]))
                text = gap + lines[k] if right[j] else lines[k] + gap
                yield Segment(f"{' ' * PADDING}{text}{' ' * PADDING}", styles[j])
                yield Segment(middle if j < len(cells) - 1 else end)
            yield new_line

    yield Segment(frame.get_top(outer))
    yield new_line
    headers = [wrap(column.header, width) for column, width in zip(layout.columns, widths)]
    head_style = console.get_style("table.header")
    yield from draw(headers, [head_style] * len(widths), (frame.head_left, frame.head_vertical, frame.head_right), True)
    yield Segment(frame.get_row(outer, "head", edge=True))
    yield new_line
    body = (frame.mid_left, frame.mid_vertical, frame.mid_right)
    for row in layout.rows:
        row_style = console.get_style(row.style) if row.style else Style()
        cell_styles = row.cell_styles or [""] * len(row.cells)
        styles = [row_style + console.get_style(style) if style else row_style for style in cell_styles]
        yield from draw([wrap(cell, width) for cell, width in zip(row.cells, widths)], styles, body, False)
    yield Segment(frame.get_bottom(outer))
    yield new_line
