"""``gradcalc.Session``: the REPL as an object, line by line, for scripts and notebooks.

It is the REPL itself, not a copy: a line goes through ``repl.commands.run_line`` into a
``repl.session.Session`` (one growing graph, inputs updated in place, ``ans``), exactly as the terminal
and piped front ends send it, and what a line produced is shown by ``repl.display.renderable`` on a
plain console into a string, as ``echo LINE | gradcalc`` prints it. The ``:``-command methods
(``table``, ``explain``, ``save``…) run the ``:``-command line itself, so they cannot drift from the REPL.
"""

from __future__ import annotations

import io
import shlex
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from gradcalc.api.guard import api_call, guarded
from gradcalc.api.results import Result
from gradcalc.errors import UsageError
from gradcalc.program import Result as ProgramResult
from gradcalc.program import view_of
from gradcalc.repl.commands import run_line
from gradcalc.repl.outcomes import Drawn, Outcome, Quit, ServeSet, WatchSet
from gradcalc.repl.session import Session as ReplSession
from gradcalc.repl.settings import Settings

SOURCE_NAME = "<session>"


class Line:
    """What one line produced: ``str(line)`` is what the REPL prints for it (plain text, as when piped).

    ``result`` is the line's last result (an expression, an assignment, ``:table``…) or None, and
    ``value`` its value; ``outcomes`` holds the REPL's outcomes themselves (``gradcalc.repl.outcomes``).
    """

    def __init__(
        self, outcomes: Sequence[Outcome], results: Sequence[Result | None], precision: int, rows: int
    ) -> None:
        self.outcomes = tuple(outcomes)
        self._results = tuple(results)
        self._precision, self._rows = precision, rows
        self._text: str | None = None

    @property
    def result(self) -> Result | None:
        """The last result the line produced, or None (``x = 2``, a message)."""
        return next((result for result in reversed(self._results) if result is not None), None)

    @property
    def value(self) -> float | None:
        """The value of ``result``, or for a line that only set an input, that input's value."""
        if self.result is not None:
            return self.result.value
        last = self.outcomes[-1] if self.outcomes else None
        value = getattr(last, "value", None)
        return value if isinstance(value, float) else None

    @property
    def warnings(self) -> tuple[str, ...]:
        """The warnings the REPL writes to standard error for this line."""
        return tuple(line for result in self._results if result is not None for line in result.warnings)

    def __str__(self) -> str:
        if self._text is None:
            from gradcalc.repl.display import renderable
            from gradcalc.views.console import make_console

            buffer = io.StringIO()
            console = make_console(file=buffer, plain=True)
            for outcome in self.outcomes:
                shown = renderable(outcome, self._precision, self._rows, console.width, unicode=True)
                if shown is not None:
                    console.print(shown)
            self._text = buffer.getvalue()
        return self._text

    def __repr__(self) -> str:
        return f"<gradcalc.Line {str(self).strip()[:60]!r}>"

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        """The REPL's text; for ``:show``, the circuit picture too."""
        text = {"text/plain": str(self)}
        if self.outcomes and isinstance(self.outcomes[-1], Drawn) and self.result is not None:
            bundle = self.result._repr_mimebundle_(include, exclude)
            bundle.update(text if include is None or "text/plain" in include else {})
            return bundle
        return text


class Session:
    """A REPL session: one graph that grows line by line; ``run`` takes what you would type at the prompt.

    >>> s = Session()
    >>> print(s.run("x = 1; y = 3; z = -3; g = (x + y) * z"), end="")
    x = 1
    y = 3
    z = -3
    g = -12
    >>> s.run("x = 2").value, s.run("g").value
    (2.0, -15.0)
    """

    def __init__(self, *, precision: int = 6, expand: bool = False, rows: int = 200) -> None:
        for option, value, most in (("precision", precision, 17), ("rows", rows, None)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 0 or (most and value > most):
                bound = f"from 0 to {most}" if most else "at least 0"
                raise UsageError(f"{option} must be a whole number {bound}, not {value!r}")
        self._session = ReplSession(Settings(precision=precision, expanded=bool(expand), rows=rows), SOURCE_NAME)
        self._lines = 0

    @api_call
    def run(self, text: str) -> Line:
        """Run one line (statements, or a ``:``-command) as the REPL does; raises ``GradcalcError`` on error.

        A line that fails leaves the session as it was, as at the prompt.
        """
        if not isinstance(text, str):
            raise UsageError(f"a line is text, such as 'x = 1', not {type(text).__name__}")
        first = self._lines + 1
        self._lines += text.count("\n") + 1
        session = self._session
        outcomes = [o for o in run_line(session, text, first, SOURCE_NAME) if not isinstance(o, Quit)]
        for outcome in outcomes:
            if isinstance(outcome, WatchSet | ServeSet):
                raise UsageError(
                    f"{text.strip().split()[0]} needs the REPL's terminal or its live page",
                    hint="in Python, display the session or a result: a notebook draws the circuit",
                )
        results = [self._wrap(getattr(outcome, "result", None)) for outcome in outcomes]
        return Line(outcomes, results, session.settings.precision, session.settings.rows)

    def _wrap(self, result: ProgramResult | None) -> Result | None:
        if result is None:
            return None
        if result.expanded:  # a new graph of primitive gates: show(expand=True) only, as it is
            return Result(result)
        graph, node, name = result.graph, result.evaluation.output, result.output_name

        def again(expanded: bool) -> ProgramResult:
            return view_of(graph, node, name, expanded=expanded)

        return Result(result, again)

    def _command(self, name: str, *args: str) -> Line:
        words = " ".join(shlex.quote(arg) if arg and name in _FILE_COMMANDS else arg for arg in args if arg)
        return self.run(f":{name} {words}".rstrip())

    # -- the :-commands ---------------------------------------------------------------------------------

    def table(self, expr: str = "") -> Line:
        """``:table [EXPR]``: every node of the last result (or of ``expr``): value, local ∂, gradient."""
        return self._command("table", expr)

    def grad(self, expr: str = "") -> Line:
        """``:grad [NAME]``: the gradient of the last result (or of ``expr``) with respect to every input."""
        return self._command("grad", expr)

    def explain(self, expr: str = "") -> Line:
        """``:explain [NAME]``: both passes of the last result (or of ``expr``), step by step."""
        return self._command("explain", expr)

    def hessian(self, expr: str = "") -> Line:
        """``:hessian [NAME]``: the second derivatives of the last result (or of ``expr``) for every pair of
        inputs, as a table; ``line.result.hessian()`` gives them as data."""
        return self._command("hessian", expr)

    def show(self, expr: str = "") -> Line:
        """``:show [NAME]``: the graph drawn in text; in a notebook, the circuit picture too."""
        return self._command("show", expr)

    def vars(self) -> Line:
        """``:vars``: every name, its value, and the last result's gradient with respect to it."""
        return self._command("vars")

    def render(self, path: str | Path, expr: str = "") -> Line:
        """``:render FILE [NAME]``: draw the last result (or ``expr``) into a file, its suffix the format."""
        return self._command("render", str(path), expr)

    def save(self, path: str | Path) -> Line:
        """``:save FILE``: write the session as a program that ``gradcalc run`` replays."""
        return self._command("save", str(path))

    def load(self, path: str | Path) -> Line:
        """``:load FILE``: run a program file in this session."""
        return self._command("load", str(path))

    def delete(self, *names: str) -> Line:
        """``:del NAME...``: forget names (nodes built from them keep their values)."""
        return self._command("del", *names)

    def reset(self) -> Line:
        """``:reset``: start again with an empty graph (settings stay)."""
        return self._command("reset")

    def help(self) -> Line:
        """``:help``: the commands."""
        return self._command("help")

    @property
    def precision(self) -> int:
        """Decimals shown (``:precision N``), 0 to 17."""
        return self._session.settings.precision

    @precision.setter
    def precision(self, value: int) -> None:
        if isinstance(value, bool) or not isinstance(value, int):
            raise UsageError(f"precision must be a whole number from 0 to 17, not {value!r}")
        self._command("precision", str(value))

    @property
    def expand(self) -> bool:
        """Whether composite functions are shown as primitive gates (``:expand on|off``)."""
        return self._session.settings.expanded

    @expand.setter
    def expand(self, value: bool) -> None:
        self._command("expand", "on" if value else "off")

    # -- what the session holds -----------------------------------------------------------------------

    @property
    def names(self) -> list[str]:
        """The names bound now (and ``ans`` once something is computed)."""
        return self._session.names()

    @property
    def last(self) -> Result | None:
        """The last result (what ``ans`` means), or None before anything is computed."""
        if self._session.last is None:
            return None
        with guarded():
            return self._wrap(self._session.last_result())

    def program(self) -> str:
        """The session as a program (what ``:save`` writes)."""
        return self._session.program_text()

    def __repr__(self) -> str:
        return f"<gradcalc.Session names={self.names}>"

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        """The circuit of the last result drawn (as ``:show``), and the ``:vars`` table as text."""
        text = {"text/plain": str(self.vars())}
        session = self._session
        if session.drawn is None and session.last is None:
            return text
        try:
            result = self._wrap(session.drawn_result())
        except Exception:  # an undefined value at the current inputs: the names still show
            return text
        assert result is not None
        bundle = result._repr_mimebundle_(include, exclude)
        if include is None or "text/plain" in include:
            bundle.update(text)
        return bundle


_FILE_COMMANDS = ("render", "save", "load")
