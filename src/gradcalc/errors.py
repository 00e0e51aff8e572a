"""Errors a user can cause, as values: a message, where it happened, and the exit status it means.

An error in the body of a function you defined, or in a step of a loop, happened somewhere the user
did not type as such: ``log(t)`` failed, but in which call? Lowering gives the nodes of each call and
step a ``ScopedSource`` (the same text, plus the calls and steps it is seen through), so an error made
anywhere, at lowering or at evaluation, knows them: its span becomes the call in the user's own line,
its message names the call (``f #2``) and the step (``t = 3``), and ``render`` also shows the place in
the body, with its own caret.
"""

from __future__ import annotations

from enum import IntEnum
from itertools import pairwise
from typing import NamedTuple

from gradcalc.source import Source, Span


class ExitStatus(IntEnum):
    """Every exit status gradcalc uses."""

    OK = 0
    ERROR = 1  # the program could not be evaluated, a file could not be written, a check failed
    USAGE = 2  # the command line or the program's syntax is wrong
    INTERRUPTED = 130


class Frame(NamedTuple):
    """A call of a user function or a step of a loop, as an error names it.

    ``site`` is the call as written where it was made (None for a step: a step's statements are
    written in the loop itself); ``function`` the function called (None for a step).
    """

    name: str  # "f #2", "t = 3"
    site: Span | None = None
    function: str | None = None

    @property
    def words(self) -> str:
        return f"the step {self.name}" if self.site is None else self.name


class ScopedSource(Source):
    """A source seen from inside a call or a loop step (and whatever ``outer`` is seen from inside).

    One is made per call and per step, so it is a plain slotted class (a frozen dataclass's
    ``__init__`` costs several times more) and its frames are only worked out when an error asks.
    ``site`` is where in ``outer`` the call is written, None for a step.
    """

    __slots__ = ("function", "label", "outer", "site")
    outer: Source  # where the call or the loop is written
    label: str  # "f #2", "t = 3"
    function: str | None  # the function called; None for a step
    site: tuple[int, int] | None

    def __init__(
        self,
        source: Source,
        outer: Source,
        label: str,
        function: str | None = None,
        site: tuple[int, int] | None = None,
    ) -> None:
        setattr_ = object.__setattr__
        setattr_(self, "text", source.text)
        setattr_(self, "name", source.name)
        setattr_(self, "first_line", source.first_line)
        setattr_(self, "outer", outer)
        setattr_(self, "label", label)
        setattr_(self, "function", function)
        setattr_(self, "site", site)

    @property
    def frames(self) -> tuple[Frame, ...]:
        """The calls and steps this source is seen through, the outermost first."""
        chain: list[Frame] = []
        source: Source = self
        while type(source) is ScopedSource:
            site = source.site
            outer = source.outer
            chain.append(Frame(source.label, None if site is None else Span(outer, *site), source.function))
            source = outer
        return tuple(reversed(chain))


class GradcalcError(Exception):
    """An error caused by input, reported without a traceback.

    ``frames`` and ``inner`` are set for an error in a call's body or a loop's step: the calls and
    steps around it (the outermost first) and the failing place itself; ``span`` is then the
    outermost call as the user wrote it (or, in a loop, the failing place, which is in the loop).
    """

    status = ExitStatus.ERROR
    kind = "error"

    def __init__(self, message: str, span: Span | None = None, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.span = span
        self.hint = hint
        self.frames: tuple[Frame, ...] = ()
        self.inner: Span | None = None
        source = span.source if span is not None else None
        if type(source) is ScopedSource:
            self._locate(span, source.frames)  # type: ignore[arg-type]

    def _locate(self, span: Span, frames: tuple[Frame, ...]) -> None:
        """Point at the outermost call in the user's text, and name every call and step around ``span``."""
        self.frames, self.inner = frames, span
        sites = [frame for frame in frames if frame.site is not None]
        where = ", ".join(f"in {frame.words}" for frame in reversed(frames))
        if sites:
            site: Span = sites[0].site  # type: ignore[assignment]
            self.span = site
            where += f": the call {_plain(site)} at {_column(site)}"
        self.message = f"{self.message} ({where})"
        self.args = (self.message,)

    def places(self) -> list[tuple[str, Span]]:
        """After the main excerpt, each place further in: the calls made in a body, then the failing place."""
        if self.inner is None:
            return []
        sites = [frame for frame in self.frames if frame.site is not None]
        if not sites:
            return []
        shown: list[tuple[str, Span]] = []
        for outer, nested in pairwise(sites):
            shown.append((f"in the body of {outer.function} ({outer.name})", nested.site))  # type: ignore[arg-type]
        last = sites[-1]
        shown.append((f"in the body of {last.function} ({last.name})", self.inner))
        return shown

    @property
    def excerpt(self) -> str | None:
        """The source line with carets under the span (as the command line prints it), or None without a span."""
        return self.span.excerpt() if self.span is not None else None

    def render(self) -> str:
        """The message as the user reads it: what, where, the line with carets, and a hint."""
        head = f"{self.kind}: {self.message}"
        parts = [f"{self.span.location()}: {head}" if self.span else head]
        if self.span is not None:
            parts.append(self.span.excerpt())
        for what, span in self.places():
            parts.append(f"{what}, at {span.location()}:")
            parts.append(span.excerpt())
        if self.hint:
            parts.append(f"hint: {self.hint}")
        return "\n".join(parts)


class ProgramSyntaxError(GradcalcError):
    """The program cannot be parsed: its span is where the parser stopped."""

    status = ExitStatus.USAGE
    kind = "syntax error"


class EvaluationError(GradcalcError):
    """A name with no value, a function that does not exist, log(-1), 1/0, overflow, ..."""


class UsageError(GradcalcError):
    """A wrong option, argument or input value, or an empty program."""

    status = ExitStatus.USAGE
    kind = "usage error"


def _plain(span: Span) -> str:
    """A span's text on one line (a call may span lines)."""
    return " ".join(span.text.split())


def _column(span: Span) -> str:
    """Where a span starts, as a user finds it in what they typed: a column, or a line and a column."""
    line, col = span.source.line_col(span.start)
    return f"column {col}" if "\n" not in span.source.text else f"line {line}, column {col}"
