"""The Rich explanation's lines, laid out without Rich's word wrapping where a line fits the width.

Rich wraps every ``Text`` it prints word by word, measuring each word's cells (slow for text that is not
ASCII, and every explanation has ``∂``): 2,000 steps of a loop took about 2 s, nearly all of it in
wrapping lines that were never too long. A line that fits is printed as it stands (the same segments
Rich's wrapping would give it); only a line wider than the screen is left to Rich to wrap.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, RenderResult
from rich.measure import Measurement
from rich.segment import Segment
from rich.text import Text


def cells(text: str) -> int:
    """``rich.cells.cell_len``, measuring each distinct character once rather than every character: an
    explanation's lines are ASCII but for a few ``∂``, ``≈`` and ``·`` (joiners left to Rich)."""
    if text.isascii():
        return len(text)
    if "\u200d" in text or "\ufe0f" in text:
        return cell_len(text)
    return len(text) + sum((cell_len(c) - 1) * text.count(c) for c in set(text) if not c.isascii())


class FittedLines:
    """Lines of text, one ``Text`` each, printed as Rich prints a ``Group`` of them."""

    def __init__(self, lines: Sequence[Text]) -> None:
        self.lines = lines

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        width = options.max_width
        newline = Segment.line()
        for line in self.lines:
            text = line.plain
            if not line.style and "\n" not in text and cells(text) <= width:
                yield from line.render(console)
                yield newline
            else:
                yield line

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        widths = [cells(line.plain) for line in self.lines] or [0]
        return Measurement(0, min(max(widths), options.max_width))
