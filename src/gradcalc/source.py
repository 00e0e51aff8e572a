"""Program text and places in it, for error messages that point at the failing column."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True, eq=False)
class Source:
    """A program's text and where it came from (a file, the command line, a REPL line)."""

    text: str
    name: str = "<program>"
    first_line: int = 1  # the line number of text's first line, for REPL and piped sessions

    def line_col(self, offset: int) -> tuple[int, int]:
        """1-based line and column of a character offset."""
        start = self.text.rfind("\n", 0, offset) + 1
        return self.text.count("\n", 0, offset) + self.first_line, offset - start + 1

    def line_text(self, offset: int) -> str:
        start = self.text.rfind("\n", 0, offset) + 1
        end = self.text.find("\n", offset)
        return self.text[start : end if end >= 0 else len(self.text)]


class Span:
    """A range of characters ``[start, end)`` in a source.

    A plain slotted class rather than a frozen dataclass: lowering makes one per node, and a frozen
    dataclass's ``__init__`` costs twice as much.
    """

    __slots__ = ("end", "source", "start")

    def __init__(self, source: Source, start: int, end: int) -> None:
        self.source = source
        self.start = start
        self.end = end

    def __repr__(self) -> str:
        return f"Span({self.source.name!r}, {self.start}, {self.end})"

    @property
    def text(self) -> str:
        return self.source.text[self.start : self.end]

    def to(self, other: Span) -> Span:
        """The span from the start of this one to the end of ``other``."""
        return Span(self.source, self.start, other.end)

    def location(self) -> str:
        line, col = self.source.line_col(self.start)
        return f"{self.source.name}:{line}:{col}"

    def excerpt(self, width: int = 100) -> str:
        """The source line with carets under this span::

            2 | f = log(x - 3)
              |     ^^^^^^^^^^

        A line longer than ``width`` is cut to a window around the span, marked with ``…``.
        """
        line_no, col = self.source.line_col(self.start)
        line = self.source.line_text(self.start)
        start = col - 1  # the span's start within the line
        length = max(1, min(self.end - self.start, len(line) - start))
        left = 0
        if len(line) > width:
            left = max(0, min(start - width // 3, len(line) - width))
            right = left + width
            line = ("…" if left else "") + line[left:right] + ("…" if right < len(line) else "")
            start = start - left + (1 if left else 0)
            length = min(length, width - (start - (1 if left else 0)))
        gutter = str(line_no)
        pad = " " * len(gutter)
        lead = "".join(ch if ch == "\t" else " " for ch in line[:start])
        return f"{gutter} | {line}\n{pad} | {lead}{'^' * max(1, length)}"
