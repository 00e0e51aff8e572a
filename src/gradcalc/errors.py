"""Errors a user can cause, as values: a message, where it happened, and the exit status it means."""

from __future__ import annotations

from enum import IntEnum

from gradcalc.source import Span


class ExitStatus(IntEnum):
    """Every exit status gradcalc uses."""

    OK = 0
    ERROR = 1  # the program could not be evaluated, a file could not be written, a check failed
    USAGE = 2  # the command line or the program's syntax is wrong
    INTERRUPTED = 130


class GradcalcError(Exception):
    """An error caused by input, reported without a traceback."""

    status = ExitStatus.ERROR
    kind = "error"

    def __init__(self, message: str, span: Span | None = None, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.span = span
        self.hint = hint

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
