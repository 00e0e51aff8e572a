"""The Rich explanation's lines, written as segments without Rich's word wrapping where a line fits the width.

Rich wraps every ``Text`` it prints word by word, measuring each word's cells (slow for text that is not
ASCII, and every explanation has ``∂``): 2,000 steps of a loop took about 2 s, nearly all of it in
wrapping lines that were never too long. A line that fits is written as the segments Rich would give it,
one per styled piece, and no ``Text`` is made for it (building and rendering a ``Text`` per line was a
third of ``:explain`` after 10,000 re-assignments); only a line wider than the screen is left to Rich to
wrap.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console, ConsoleOptions, RenderResult
from rich.measure import Measurement
from rich.segment import Segment
from rich.style import Style
from rich.text import Text

from gradcalc.views.cell_width import cell_width

StyledLine = Sequence[tuple[str, str]]  # a line's pieces: (text, Rich style, "" for none)


class FittedLines:
    """Lines of styled pieces, printed as Rich prints a ``Group`` of ``Text`` lines made of them."""

    def __init__(self, lines: Sequence[StyledLine]) -> None:
        self.lines = lines
        self._plain = ["".join(text for text, _ in line) for line in lines]

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        width = options.max_width
        newline = Segment.line()
        styles: dict[str, Style | None] = {"": None}
        for line, plain in zip(self.lines, self._plain):
            if "\n" in plain or cell_width(plain) > width:
                yield _text(line)
                continue
            for text, name in line:
                style = styles.get(name)
                if style is None and name:
                    style = styles[name] = console.get_style(name)
                yield Segment(text, style)
            yield newline

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        widths = [cell_width(plain) for plain in self._plain] or [0]
        return Measurement(0, min(max(widths), options.max_width))


def _text(line: StyledLine) -> Text:
    """A line as one ``Text``, for Rich to wrap: a line of one styled piece is that ``Text``'s own style."""
    if len(line) == 1:
        return Text(line[0][0], style=line[0][1])
    text = Text()
    for piece, style in line:
        text.append(piece, style=style)
    return text
