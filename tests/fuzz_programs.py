"""The fuzzer's generators and the one check every generated input must pass.

Shared by ``tests/test_fuzz.py`` (a bounded run in CI) and ``scripts/fuzz.py`` (the long run). Programs
come from the grammar (``grammar/gradcalc.lark``) with every op of the op table, so a new row is fuzzed
without touching this file; then mutated character by character, or made of raw bytes. Every input goes
through every view in-process and may only succeed or raise ``GradcalcError``; a program that succeeds
away from kinks must have gradients that agree with central differences, and ``--expand`` must compute
the same value wherever the program itself can be computed.

The language is extended by appending to ``EXPRESSION_FORMS`` (a form builds an expression from its
sub-expressions) and ``STATEMENT_FORMS`` (a form builds a statement from expressions); functions and
loops, when they land, are one more entry each.
"""

from __future__ import annotations

import io
import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy
from rich.console import Console

from gradcalc import ops
from gradcalc.engine import forward, record
from gradcalc.errors import GradcalcError
from gradcalc.files import decode_text
from gradcalc.gradcheck import check_gradients
from gradcalc.ops import Syntax
from gradcalc.program import Result, run_source
from gradcalc.repl.commands import COMMANDS, find, run_line, split
from gradcalc.repl.display import renderable
from gradcalc.repl.session import Session
from gradcalc.repl.settings import Settings
from gradcalc.source import Source
from gradcalc.views.check_view import check_table, render_json_with_check
from gradcalc.views.dot import STYLES, render_dot
from gradcalc.views.explain_view import render_explanation
from gradcalc.views.json_view import render_json
from gradcalc.views.table import result_view
from gradcalc.views.text_graph import render_text

# ---------------------------------------------------------------------------------------------------
# Leaves: names and numbers.

INPUT_NAMES = ("x", "y", "z", "w", "b")
# Names a user might also try: constants, function names, words the REPL uses, names that are no value.
ODD_NAMES = ("pi", "e", "ans", "_t", "Q", "loss", "x1", "inf", "nan", "Infinity", "exp", "sigmoid", "f", "p")
names: SearchStrategy[str] = st.sampled_from(INPUT_NAMES + ODD_NAMES)

EDGE_NUMBERS = (
    "0", "1", "2", "0.5", ".5", "3.", "00012", "1e-5", "1e15", "5e-324", "2.2250738585072014e-308",
    "1e308", "1.7976931348623157e308", "1.8e308", "1e309", "1e400", "2e-400", "9" * 320, "1" + "0" * 400,
)  # fmt: skip


def _spelled(value: float) -> str:
    return repr(value).replace("inf", "1e999")


numbers: SearchStrategy[str] = st.one_of(
    st.sampled_from(EDGE_NUMBERS),
    st.floats(min_value=5e-324, max_value=1.7976931348623157e308).map(_spelled),
    st.floats(min_value=0.0, max_value=10.0).map(lambda v: f"{v:.3f}"),
    st.integers(min_value=0, max_value=10**25).map(str),
)
leaves: SearchStrategy[str] = st.one_of(names, numbers, st.sampled_from(INPUT_NAMES), st.sampled_from(INPUT_NAMES))

# ---------------------------------------------------------------------------------------------------
# Expressions: one form per op of the table, plus the forms of the grammar around them.

ExpressionForm = Callable[[SearchStrategy[str]], SearchStrategy[str]]
LANGUAGE_OPS = tuple(op for op in ops.OPS if op.syntax in (Syntax.INFIX, Syntax.PREFIX, Syntax.CALL))


def _infix(op: ops.Op) -> ExpressionForm:
    return lambda inner: st.builds(lambda s, a, b: f"{a} {s} {b}", st.sampled_from(op.spellings), inner, inner)


def _prefix(op: ops.Op) -> ExpressionForm:
    return lambda inner: st.builds(lambda s, a: f"{s}{a}", st.sampled_from(op.spellings), inner)


def _call(op: ops.Op) -> ExpressionForm:
    return lambda inner: st.lists(inner, min_size=op.arity, max_size=op.arity).map(
        lambda args: f"{op.symbol}({', '.join(args)})"
    )


_FORM_OF_SYNTAX: dict[Syntax, Callable[[ops.Op], ExpressionForm]] = {
    Syntax.INFIX: _infix,
    Syntax.PREFIX: _prefix,
    Syntax.CALL: _call,
}


def _wrong_call(inner: SearchStrategy[str]) -> SearchStrategy[str]:
    """A call with the wrong number of arguments, or of a function that does not exist (or an alias)."""
    function = st.sampled_from([op.symbol for op in LANGUAGE_OPS if op.syntax is Syntax.CALL] + ["ln", "f", "x"])
    return st.builds(lambda f, args: f"{f}({', '.join(args)})", function, st.lists(inner, max_size=3))


EXPRESSION_FORMS: list[ExpressionForm] = [
    *(_FORM_OF_SYNTAX[op.syntax](op) for op in LANGUAGE_OPS),
    lambda inner: inner.map(lambda a: f"({a})"),
    _wrong_call,
]


def expressions(max_leaves: int = 12) -> SearchStrategy[str]:
    def grown(inner: SearchStrategy[str]) -> SearchStrategy[str]:
        return st.one_of([form(inner) for form in EXPRESSION_FORMS])

    return st.recursive(leaves, grown, max_leaves=max_leaves)


# Deep nesting, written without recursion: a chain of one form repeated n times around a leaf.
DEEP: dict[str, Callable[[int, str], str]] = {
    "parens": lambda n, a: "(" * n + a + ")" * n,
    "calls": lambda n, a: "sigmoid(" * n + a + ")" * n,
    "exponents": lambda n, a: "x*" + "1^(" * n + a + ")" * n,
    "powers": lambda n, a: "^".join([a] * n),
    "signs": lambda n, a: "-" * n + a,
    "sum": lambda n, a: " + ".join([a] * n),
    "products": lambda n, a: "*".join([a] * n),
    "chain": lambda n, a: f"x = {a}" + ";x=2*x-x" * n + ";x",  # re-assignment n times
}


@st.composite
def deep_programs(draw: st.DrawFn, max_depth: int = 300) -> str:
    kind = draw(st.sampled_from(sorted(DEEP)))
    return DEEP[kind](draw(st.integers(min_value=1, max_value=max_depth)), draw(leaves))


# ---------------------------------------------------------------------------------------------------
# Statements and programs.

StatementForm = Callable[[SearchStrategy[str]], SearchStrategy[str]]
STATEMENT_FORMS: list[StatementForm] = [
    lambda expr: expr,  # three times: most statements compute something
    lambda expr: expr,
    lambda expr: expr,
    lambda expr: st.builds(lambda n, a: f"{n} = {a}", names, expr),
    lambda expr: st.builds(lambda n, a: f"{n}={a}  # set {n}", st.sampled_from(INPUT_NAMES), expr),
    lambda expr: st.just("# only a comment"),
    lambda expr: st.just(""),
]
SEPARATORS = ("\n", ";", " ; ", "\n\n", ";\n", " # note\n", " \\\n+ 1\n")


def statements(expr: SearchStrategy[str] | None = None) -> SearchStrategy[str]:
    expr = expressions() if expr is None else expr
    return st.one_of([form(expr) for form in STATEMENT_FORMS])


@st.composite
def programs(draw: st.DrawFn) -> str:
    lines = draw(st.lists(statements(), min_size=1, max_size=6))
    text = lines[0]
    for line in lines[1:]:
        text += draw(st.sampled_from(SEPARATORS)) + line
    return text


# ---------------------------------------------------------------------------------------------------
# Mutations and raw bytes.

ODD_TEXT = (
    "é", "∂", "×", "−", "²", "\x00", "\ud800", "\udc80", "\r\n", "\r", "\t", "\u200b", "\ufeff", "(", ")", ",",
    "=", ":", "#", "\\", ";", "\n", "**", "..", "e", "E+", "_", "$", "🙂",
)  # fmt: skip


@st.composite
def mutated(draw: st.DrawFn, base: SearchStrategy[str] | None = None) -> str:
    """A program with a few characters deleted, inserted, swapped or replaced."""
    text = list(draw(programs() if base is None else base))
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        where = draw(st.integers(min_value=0, max_value=len(text)))
        edit = draw(st.sampled_from(["delete", "insert", "swap", "replace"]))
        odd = draw(st.one_of(st.sampled_from(ODD_TEXT), st.characters()))
        if edit == "insert" or not text:
            text.insert(where, odd)
        elif edit == "delete":
            del text[min(where, len(text) - 1)]
        elif edit == "swap" and len(text) > 1:
            i = min(where, len(text) - 2)
            text[i], text[i + 1] = text[i + 1], text[i]
        else:
            text[min(where, len(text) - 1)] = odd
    return "".join(text)


def from_bytes(data: bytes) -> str:
    """Raw bytes as a program arrives from the command line (undecodable bytes as lone surrogates)."""
    return data.decode("utf-8", "surrogateescape")


raw_programs: SearchStrategy[str] = st.binary(max_size=200).map(from_bytes)

input_values: SearchStrategy[float] = st.one_of(
    st.floats(min_value=-4, max_value=4),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([0.0, 5e-324, -5e-324, 1e-310, 1e308, -1.7976931348623157e308, 400.0, 709.0, 710.0, -800.0]),
)
# Every input name has a value, so most programs of the grammar evaluate (names with none are ODD_NAMES).
inputs: SearchStrategy[dict[str, float]] = st.fixed_dictionaries({name: input_values for name in INPUT_NAMES})

# Mostly programs of the grammar (most of them work), then mutations, deep nesting and raw bytes.
any_program: SearchStrategy[str] = st.one_of(programs(), programs(), mutated(), deep_programs(), raw_programs)

# ---------------------------------------------------------------------------------------------------
# The check.

SLOW_SECONDS = 1.0  # no program under 10 kB may take longer than this in any view


@dataclass
class Timings:
    """The slowest (seconds, view, program) seen, for the report; kept short."""

    keep: int = 10
    slowest: list[tuple[float, str, str]] = field(default_factory=list)
    programs: int = 0
    succeeded: int = 0

    def note(self, seconds: float, view: str, text: str) -> None:
        self.slowest.append((seconds, view, text))
        self.slowest.sort(key=lambda item: -item[0])
        del self.slowest[self.keep :]

    def over(self, bound: float, views: str = "") -> list[tuple[float, str, str]]:
        """The programs under 10 kB slower than ``bound`` (in the views whose name starts with ``views``)."""
        return [
            (seconds, view, text)
            for seconds, view, text in self.slowest
            if seconds > bound and view.startswith(views) and len(text.encode("utf-8", "replace")) < 10_000
        ]


def _console() -> Console:
    return Console(file=io.StringIO(), width=100, color_system=None, force_terminal=False)


def _views(result: Result) -> Iterator[tuple[str, Callable[[], object]]]:
    """Every view of a result, by name, as a thunk (each one run and timed by ``exercise``)."""
    console = _console()
    yield "table", lambda: console.print(result_view(result))
    yield "json", lambda: render_json(result)
    for style in STYLES:
        yield f"dot {style}", lambda style=style: render_dot(result, style=style)
    yield "text", lambda: render_text(result, layout="lane").text(color=True)
    yield "explain rich", lambda: console.print(render_explanation(result, "rich"))
    for fmt in ("markdown", "latex"):
        yield f"explain {fmt}", lambda fmt=fmt: render_explanation(result, fmt)  # type: ignore[arg-type]

    def check() -> None:
        report = check_gradients(result)
        console.print(check_table(report))
        render_json_with_check(result, report)

    yield "check", check


def exercise(
    text: str, bindings: dict[str, float] | None = None, timings: Timings | None = None, skip: tuple[str, ...] = ()
) -> None:
    """Run ``text`` through every view (but those named in ``skip``), with and without --expand: only
    GradcalcError may escape it."""
    timings = timings if timings is not None else Timings()
    timings.programs += 1
    values: dict[bool, float] = {}
    for expanded in (False, True):
        start = time.perf_counter()
        try:
            result = run_source(Source(text), bindings, expanded=expanded)
        except GradcalcError as error:
            error.render()  # the message itself must be writable
            if expanded and False in values:
                raise AssertionError(f"--expand fails where the program does not: {error.message}") from None
            continue
        finally:
            timings.note(time.perf_counter() - start, "run" + " --expand" * expanded, text)
        values[expanded] = result.evaluation.value
        for view, thunk in _views(result):
            if view.startswith(skip):
                continue
            start = time.perf_counter()
            try:
                thunk()
            except GradcalcError as error:
                error.render()
            timings.note(time.perf_counter() - start, view + " --expand" * expanded, text)
        if not expanded:
            assert_gradients_match_differences(result)
    if len(values) == 2:
        plain, wide = values[False], values[True]
        assert math.isclose(plain, wide, rel_tol=1e-6, abs_tol=1e-9), (text, plain, wide)
        timings.succeeded += 1


def assert_gradients_match_differences(result: Result) -> None:
    """Backprop against central differences, where differences mean something: moderate values, no kink.

    As in tests/test_gradient_properties.py, a point where the one-sided slopes disagree is within a
    step of a kink (or of a pole), so says nothing either way.
    """
    graph, evaluation = result.graph, result.evaluation
    if evaluation.warnings or any(abs(evaluation.values[i]) > 1e6 for i in evaluation.order):
        return
    tape = record(graph, evaluation.output)
    for i in evaluation.inputs:
        node = graph.nodes[i]
        x = node.param if node.param is not None else 0.0
        grad = evaluation.grads[i]
        if not math.isfinite(grad) or abs(grad) > 1e6 or abs(x) > 1e3:
            continue
        h = 1e-6 * max(1.0, abs(x))
        try:
            slopes = []
            for point in (x + h, x, x - h):
                node.param = point
                slopes.append(forward(graph, tape)[evaluation.output])
        except GradcalcError:
            continue
        finally:
            node.param = x
        up, here, down = slopes
        central, ahead, behind = (up - down) / (2 * h), (up - here) / h, (here - down) / h
        if not math.isclose(ahead, behind, rel_tol=1e-3, abs_tol=1e-4):
            continue
        assert math.isclose(grad, central, rel_tol=1e-4, abs_tol=1e-5), (result.labels[i], grad, central)


def exercise_bytes(data: bytes) -> None:
    """Raw bytes as a file or standard input: decoded (or a UsageError) and then run as a program."""
    try:
        text = decode_text(data, "standard input")
    except GradcalcError:
        text = from_bytes(data)
    exercise(text)


# ---------------------------------------------------------------------------------------------------
# REPL sessions.

# Commands that would leave the process (quit), wait (watch, serve) or touch files are left out.
SESSION_COMMANDS = tuple(sorted(set(COMMANDS) - {"quit", "watch", "serve", "render", "save", "load"}))
COMMAND_ARGUMENTS = ("", "x", "on", "off", "0", "17", "18", "-1", "abc", "x + 1", "y z", "ans", "f", "1e400")


@st.composite
def command_lines(draw: st.DrawFn) -> str:
    name = draw(st.one_of(st.sampled_from(SESSION_COMMANDS), st.text(max_size=6)))
    return f":{name} {draw(st.one_of(st.sampled_from(COMMAND_ARGUMENTS), expressions(4)))}".rstrip()


def harmless(line: str) -> str:
    """``line``, unless one of its lines would run a left-out command (``:sa f`` saves): then ``:vars``."""
    for part in line.replace("\r", "\n").split("\n"):
        stripped = part.strip()
        if stripped in ("quit", "exit"):
            return ":vars"
        if stripped.startswith(":"):
            try:
                name = find(split(stripped)[0]).name
            except GradcalcError:
                continue
            if name not in SESSION_COMMANDS:
                return ":vars"
    return line


session_lines: SearchStrategy[str] = st.one_of(
    statements(expressions(6)), command_lines(), mutated(statements(expressions(4))), raw_programs
).map(harmless)
sessions: SearchStrategy[list[str]] = st.lists(session_lines, min_size=1, max_size=12)
PROBE = "1 + 1"


def exercise_session(lines: list[str], timings: Timings | None = None) -> None:
    """Run the lines in one session, each shown; errors are the user's; the probe line is still answered."""
    timings = timings if timings is not None else Timings()
    session = Session(Settings(), source_name="<stdin>")
    console = _console()
    for number, line in enumerate(lines, start=1):
        start = time.perf_counter()
        try:
            _show_line(session, console, line, number)
        except GradcalcError as error:
            error.render()
        finally:
            timings.note(time.perf_counter() - start, "repl line", line)
    answered = [getattr(outcome, "result", None) for outcome in _show_line(session, console, PROBE, len(lines) + 1)]
    assert any(result is not None and result.evaluation.value == 2.0 for result in answered), lines


def _show_line(session: Session, console: Console, line: str, number: int) -> list[object]:
    outcomes = run_line(session, line, number, "<stdin>")
    for outcome in outcomes:
        shown = renderable(outcome, session.settings.precision, session.settings.rows, 100)
        if shown is not None:
            console.print(shown)
    return list(outcomes)
