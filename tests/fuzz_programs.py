"""The fuzzer's generators and the one check every generated input must pass.

Shared by ``tests/test_fuzz.py`` (a bounded run in CI) and ``scripts/fuzz.py`` (the long run). Programs
come from the grammar (``grammar/gradcalc.lark``) with every op of the op table (read from
``gradcalc.ops``, so a new row is fuzzed without touching this file), user functions (one-line and block
bodies, calls with the right and the wrong arity, redefinition, recursion, built-in names), loops (over
ranges and lists, nested, and past the unroll caps) and ``grad(EXPR, NAME)`` (nested, and of names that
are no input); then mutated character by character, or made of raw bytes. Each program is parsed and
lowered once; every view is derived from that one graph, as it is and with ``--expand`` and
``--collapse``: the table, JSON, every DOT style, the text drawing (lanes, and the circuit on
Graphviz's layout), ``explain`` and ``trace`` in every format, ``--check`` and ``--hessian --check``.
Only ``GradcalcError`` may escape. Where a program evaluates, away from kinks, its gradients must agree
with central differences, its Hessian with differences of the gradient, forward mode with reverse mode,
and ``--expand`` and ``--collapse`` must compute the same value and input gradients (and the expanded
graph the same Hessian).

The language is extended by adding a form to ``GRAMMAR_FORMS`` (an expression built from
sub-expressions) or to the forms of ``statements``.
"""

from __future__ import annotations

import functools
import io
import math
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy
from rich.console import Console

from gradcalc import ops
from gradcalc.engine import backward, forward, record
from gradcalc.errors import GradcalcError
from gradcalc.files import decode_text
from gradcalc.gradcheck import DEFAULT_TOL, check_gradients
from gradcalc.graph import Node
from gradcalc.hessian import check_hessian, hessian
from gradcalc.ops import Syntax
from gradcalc.program import Result, run_source, view_of
from gradcalc.repl.commands import COMMANDS, find, run_line, split
from gradcalc.repl.display import renderable
from gradcalc.repl.session import Session
from gradcalc.repl.settings import Settings
from gradcalc.source import Source
from gradcalc.trace import trace
from gradcalc.views import trace_view
from gradcalc.views.check_view import check_table, render_json_with_check
from gradcalc.views.dot import STYLES, render_dot
from gradcalc.views.explain_view import render_explanation
from gradcalc.views.hessian_view import (
    hessian_check_document,
    hessian_check_table,
    hessian_document,
    hessian_table,
    with_hessian,
)
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
# Functions a program defines (few names, so calls often find their definition), and names a definition
# may try that are taken: built-in functions, their aliases, constants, grad itself.
FUNCTION_NAMES = ("f", "g", "sq")
TAKEN_NAMES = ("sin", "exp", "max", "ln", "pow", "grad", "pi", "e", "for")
PARAMETERS = ("a", "t", "u", "x", "w")  # x and w are inputs too: a parameter hides the input in the body


def _infix(op: ops.Op) -> ExpressionForm:
    """``a + b`` with each of the op's spellings; a spelling that is a word is a call: ``pow(a, b)``."""
    return lambda inner: st.builds(
        lambda s, a, b: f"{s}({a}, {b})" if s.isidentifier() else f"{a} {s} {b}", st.sampled_from(op.spellings),
        inner, inner,
    )  # fmt: skip


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


def _user_call(inner: SearchStrategy[str]) -> SearchStrategy[str]:
    """A call of a function the program may have defined (with its arity or not)."""
    return st.builds(
        lambda f, args: f"{f}({', '.join(args)})", st.sampled_from(FUNCTION_NAMES), st.lists(inner, max_size=3)
    )


# What grad differentiates with respect to: mostly inputs, else names and expressions that are none.
GRAD_TARGETS = (*INPUT_NAMES, *INPUT_NAMES, "pi", "2", "a", "t", "f", "sin", "x + 1", "grad(x, x)")


def _grad(inner: SearchStrategy[str]) -> SearchStrategy[str]:
    """``grad(EXPR, NAME)``, nested when EXPR holds one; now and then with the wrong number of arguments."""
    return st.one_of(
        st.builds(lambda e, n: f"grad({e}, {n})", inner, st.sampled_from(GRAD_TARGETS)),
        st.builds(lambda e, n: f"grad(grad({e}, {n}), {n})", inner, st.sampled_from(INPUT_NAMES)),
        st.lists(inner, max_size=3).map(lambda args: f"grad({', '.join(args)})"),
    )


# The grammar's own forms beside the ops': parentheses, calls that go wrong, calls of user functions, grad.
GRAMMAR_FORMS: dict[str, ExpressionForm] = {
    "parentheses": lambda inner: inner.map(lambda a: f"({a})"),
    "wrong call": _wrong_call,
    "user call": _user_call,
    "grad": _grad,
}
EXPRESSION_FORMS: list[ExpressionForm] = [
    *(_FORM_OF_SYNTAX[op.syntax](op) for op in LANGUAGE_OPS),
    *GRAMMAR_FORMS.values(),
]
# A function body or a loop body also reads its parameters and counters.
body_leaves: SearchStrategy[str] = st.one_of(leaves, st.sampled_from(PARAMETERS), st.sampled_from(PARAMETERS))


@functools.cache
def expressions(max_leaves: int = 12, body: bool = False) -> SearchStrategy[str]:
    """Expressions of up to ``max_leaves`` leaves (built once: a strategy is costly to make and check)."""

    def grown(inner: SearchStrategy[str]) -> SearchStrategy[str]:
        return st.one_of([form(inner) for form in EXPRESSION_FORMS])

    return st.recursive(body_leaves if body else leaves, grown, max_leaves=max_leaves)


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
    "user calls": lambda n, a: "f(a) = 2*a - a\n" + "f(" * n + a + ")" * n,  # calls inside calls
    "block": lambda n, a: "f(a) = {" + "a=2*a-a;" * n + " a }\nf(" + a + ")",  # a long body
    "loop": lambda n, a: f"h = {a}; for t in 1..{n} {{ h = h*0.5 + t }}; h",  # n steps
    "loop list": lambda n, a: f"h = {a}; for c in [{', '.join(['2'] * n)}] {{ h = h*0.5 + c }}; h",
}


@st.composite
def op_programs(draw: st.DrawFn) -> str:
    """One op of the table (each as likely as any other) over small expressions: programs that mostly
    evaluate, so every op goes through every view and every check, not only its error messages."""
    op = draw(st.sampled_from(LANGUAGE_OPS))
    return draw(_FORM_OF_SYNTAX[op.syntax](op)(expressions(3)))


@st.composite
def deep_programs(draw: st.DrawFn, max_depth: int = 300) -> str:
    kind = draw(st.sampled_from(sorted(DEEP)))
    return DEEP[kind](draw(st.integers(min_value=1, max_value=max_depth)), draw(leaves))


# Programs that must be refused quickly, as a loop or a call would make more nodes or take more steps than
# the caps allow (lowering.MAX_STEPS, MAX_UNROLLED). Never mutated: a digit less can make one merely slow.
_DOUBLING = "f0(a) = a*1.5\n" + "\n".join(f"f{k}(a) = f{k - 1}(f{k - 1}(a))" for k in range(1, 40))
CAPPED: tuple[str, ...] = (
    "h = 0; for t in 1..1e12 { h = h + t }; h",
    "h = 0; for t in -1e308..1e308 { h = h + t }; h",
    "w = 1; h = 0; for t in 1..300000 { h = tanh(w*h + 1) }; h",
    "h = 1; for i in 1..2000 { for j in 1..2000 { h = h*x + j } }; h",
    "h = 1; for i in 1..200000 { for c in [1, 2, 3] { h = sin(h*x) + c } }; h",
    "g(a) = { for t in 1..1e7 { a = a*t }; a }\ng(x)",
    "for i in 1..3000 { for j in 1..3000 { q = j } }; q",  # no node after the first: the steps are capped
    _DOUBLING + "\nf39(x)",  # 2^40 calls, refused before the first
    _DOUBLING + "\nf39(2)",  # the same of constants, which fold: no node is ever made
)
capped_programs: SearchStrategy[str] = st.sampled_from(CAPPED)

# ---------------------------------------------------------------------------------------------------
# Statements and programs: assignments, definitions (one line or a block), loops (over a range or a
# list, nested), comments and blank lines.

StatementForm = Callable[[SearchStrategy[str]], SearchStrategy[str]]
SEPARATORS = ("\n", ";", " ; ", "\n\n", ";\n", " # note\n", " \\\n+ 1\n")
BLOCK_SEPARATORS = ("; ", "\n", ";\n  ", " # note\n")
# A definition's parameters: mostly distinct names, else repeated, numbers, expressions or none.
parameters: SearchStrategy[list[str]] = st.one_of(
    *[st.lists(st.sampled_from(PARAMETERS), min_size=1, max_size=3, unique=True)] * 4,
    st.lists(st.sampled_from((*PARAMETERS, "1", "pi", "a + 1", "f(a)")), max_size=3),
)
function_names: SearchStrategy[str] = st.one_of(*[st.sampled_from(FUNCTION_NAMES)] * 4, st.sampled_from(TAKEN_NAMES))
# A range's ends: mostly a few steps, else so many that the loop must be refused, else no constant.
SMALL_BOUNDS = ("0", "1", "2", "3", "4", "-2", "2.5", "pi", "-0", "1e-300")
HUGE_BOUNDS = ("1e7", "2000001", "1e12", "1e308", "1e400", "9" * 30, "-1e7")
ODD_BOUNDS = ("x", "f(1)", "n", "2*2", "sqrt(4)", "grad(x, x)")
bounds: SearchStrategy[str] = st.one_of(
    st.sampled_from(SMALL_BOUNDS), st.sampled_from(SMALL_BOUNDS), st.sampled_from(HUGE_BOUNDS),
    st.sampled_from(ODD_BOUNDS),
)  # fmt: skip
COUNTERS = ("t", "i", "x", "c", "pi", "f")
LIST_ITEMS = ("1", "2", "-1", "0.5", "pi", "1e400", "x", "sqrt(2)", "t", "1e308")


def _block(lines: SearchStrategy[list[str]]) -> SearchStrategy[str]:
    return st.builds(lambda sep, body: "{ " + sep.join(body) + " }", st.sampled_from(BLOCK_SEPARATORS), lines)


def _definition(expr: SearchStrategy[str], block: SearchStrategy[str]) -> SearchStrategy[str]:
    head = st.builds(lambda f, ps: f"{f}({', '.join(ps)})", function_names, parameters)
    # recursion: a function that calls itself, directly or from its block (rarer: it is always refused)
    recursive = st.one_of(
        st.builds(lambda f, e: f"{f}(a) = {f}(a - 1) + {e}", st.sampled_from(FUNCTION_NAMES), expr),
        st.builds(lambda f: f"{f}(a) = {{ b = {f}(a); b }}", st.sampled_from(FUNCTION_NAMES)),
    )
    one_line = st.builds(lambda h, e: f"{h} = {e}", head, expr)
    return st.one_of(one_line, one_line, one_line, st.builds(lambda h, b: f"{h} = {b}", head, block), recursive)


def _loop(block: SearchStrategy[str]) -> SearchStrategy[str]:
    counter = st.sampled_from(COUNTERS)
    items = st.lists(st.one_of(st.sampled_from(LIST_ITEMS), numbers), min_size=1, max_size=4)
    return st.one_of(
        st.builds(lambda v, a, b, body: f"for {v} in {a}..{b} {body}", counter, bounds, bounds, block),
        st.builds(lambda v, xs, body: f"for {v} in [{', '.join(xs)}] {body}", counter, items, block),
    )


@functools.cache
def statements(depth: int = 0) -> SearchStrategy[str]:
    """One statement; inside ``depth`` blocks (a body), of the body's names; loops nest two deep."""
    expr = expressions(12 if depth == 0 else 5, body=depth > 0)
    targets = names if depth == 0 else st.one_of(names, st.sampled_from(PARAMETERS))
    forms = [
        expr,  # three times: most statements compute something
        expr,
        expr,
        st.builds(lambda n, a: f"{n} = {a}", targets, expr),
        st.builds(lambda n, a: f"{n} = {a}", targets, expr),
        st.just(""),
    ]
    if depth == 0:  # in a block on one line, a comment would hide the closing brace
        forms.append(st.builds(lambda n, a: f"{n}={a}  # set {n}", st.sampled_from(INPUT_NAMES), expr))
        forms.append(st.just("# only a comment"))
    if depth < 2:  # a loop in a program or a body, a definition in a program
        block = _block(st.lists(statements(depth + 1), min_size=1, max_size=3))
        forms.append(_loop(block))
        forms.append(_definition(expressions(6, body=True), block) if depth == 0 else _loop(block))
    return st.one_of(forms)


@st.composite
def programs(draw: st.DrawFn) -> str:
    lines = draw(st.lists(statements(), min_size=1, max_size=6))
    text = lines[0]
    for line in lines[1:]:
        text += draw(st.sampled_from(SEPARATORS)) + line
    return text


_body_ending_in_a_value = st.builds(lambda lines, value: [*lines, value], st.lists(statements(1), max_size=2),
                                   expressions(6, body=True))  # fmt: skip


@st.composite
def function_programs(draw: st.DrawFn) -> str:
    """Definitions that work (distinct parameters, a body of them), a few statements, then calls of them
    with the right number of arguments: the programs whose calls, inlining and --collapse do something."""
    lines, calls = [], []
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        name = draw(st.sampled_from(FUNCTION_NAMES))
        params = draw(st.lists(st.sampled_from(PARAMETERS), min_size=1, max_size=3, unique=True))
        body = draw(st.one_of(expressions(6, body=True), _block(_body_ending_in_a_value)))
        lines.append(f"{name}({', '.join(params)}) = {body}")
        calls.append((name, len(params)))
    lines += draw(st.lists(statements(), max_size=2))
    called = []
    for name, arity in draw(st.lists(st.sampled_from(calls), min_size=1, max_size=3)):
        args = draw(st.lists(expressions(4), min_size=arity, max_size=arity))
        called.append(f"{name}({', '.join(args)})")
    return draw(st.sampled_from(("\n", "; "))).join([*lines, " + ".join(called)])


LOOP_STEPS = ("h * ({step}) + {counter}", "tanh(h + {step}) * {counter}", "h + {step}", "sin(h * {counter}) + {step}")


@st.composite
def loop_programs(draw: st.DrawFn) -> str:
    """A value carried through a loop of a few steps (over a range or a list), nested now and then."""
    counter = draw(st.sampled_from(("t", "i", "c")))
    step = draw(expressions(5))
    carried = draw(st.sampled_from(LOOP_STEPS)).format(step=step, counter=counter)  # h = ... h ...
    inner = f"h = {carried}"
    if draw(st.booleans()):
        inner = f"for k in 1..{draw(st.integers(1, 3))} {{ h = h*k*0.5 + {counter}; {inner} }}"
    over = draw(
        st.one_of(
            st.builds(lambda a, n: f"{a}..{a + n}", st.integers(-3, 3), st.integers(-1, 6)),
            st.lists(st.sampled_from(("1", "2", "-0.5", "pi", "1e-3")), min_size=1, max_size=4).map(
                lambda items: f"[{', '.join(items)}]"
            ),
        )
    )
    start = draw(st.sampled_from(INPUT_NAMES))
    return f"h = {start}; for {counter} in {over} {{ {inner} }}; h"


# ---------------------------------------------------------------------------------------------------
# Mutations and raw bytes.

ODD_TEXT = (
    "é", "∂", "×", "−", "²", "\x00", "\ud800", "\udc80", "\r\n", "\r", "\t", "\u200b", "\ufeff", "(", ")", ",",
    "=", ":", "#", "\\", ";", "\n", "**", "..", "e", "E+", "_", "$", "🙂",
)  # fmt: skip


@st.composite
def mutated(draw: st.DrawFn, base: SearchStrategy[str] | None = None) -> str:
    """A program with a few characters deleted, inserted, swapped or replaced."""
    text = list(draw(st.one_of(programs(), function_programs(), loop_programs()) if base is None else base))
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
# Every input name has a value, so most programs of the grammar evaluate (names with none are ODD_NAMES);
# mostly moderate ones, as a program of many ops nearly always meets one edge value outside a domain.
inputs: SearchStrategy[dict[str, float]] = st.one_of(
    st.fixed_dictionaries({name: st.floats(min_value=-4, max_value=4) for name in INPUT_NAMES}),
    st.fixed_dictionaries({name: st.floats(min_value=-4, max_value=4) for name in INPUT_NAMES}),
    st.fixed_dictionaries({name: input_values for name in INPUT_NAMES}),
)

# Mostly programs of the grammar (most of them work), then mutations, deep nesting and raw bytes.
any_program: SearchStrategy[str] = st.one_of(
    programs(), programs(), op_programs(), function_programs(), loop_programs(), mutated(), deep_programs(),
    raw_programs, capped_programs,
)  # fmt: skip

# ---------------------------------------------------------------------------------------------------
# The check.

SLOW_SECONDS = 1.0  # no program under 10 kB may take longer than this in any view
# Views known to break that bound, and why (view name prefix -> reason); reported on their own by the
# long run rather than failing it. None since the Rich trace caps its rows (trace_view.MAX_ROWS) and the
# Rich explanation prints the lines that fit without Rich's word wrapping (views/explain_lines.py).
KNOWN_SLOW: dict[str, str] = {}
HESSIAN_CHECK_NODES = 3_000  # differences of the gradient cost a backward pass per input and side: cheap below


@dataclass
class Timings:
    """The slowest (seconds, view, program) seen, for the report (one entry per program and view; the views
    of ``KNOWN_SLOW`` in a list of their own), and the ops the evaluated graphs used."""

    keep: int = 10
    slowest: list[tuple[float, str, str]] = field(default_factory=list)
    known_slowest: list[tuple[float, str, str]] = field(default_factory=list)
    programs: int = 0
    succeeded: int = 0
    ops_seen: set[str] = field(default_factory=set)
    spent: dict[str, float] = field(default_factory=dict)  # seconds in each view, over every variant

    def note(self, seconds: float, view: str, text: str) -> None:
        family = view.split(" --")[0]
        self.spent[family] = self.spent.get(family, 0.0) + seconds
        self._keep(seconds, view, text)

    def _keep(self, seconds: float, view: str, text: str) -> None:
        kept = self.known_slowest if view.startswith(tuple(KNOWN_SLOW)) else self.slowest
        if len(kept) >= self.keep and seconds <= kept[-1][0]:
            return
        for k, (earlier, *same) in enumerate(kept):
            if same == [view, text]:  # a program seen again (hypothesis replays some): its slowest time
                if earlier >= seconds:
                    return
                del kept[k]
                break
        kept.append((seconds, view, text))
        kept.sort(key=lambda item: -item[0])
        del kept[self.keep :]

    def merge(self, other: Timings) -> None:
        """Another worker's timings into these (``scripts/fuzz.py --jobs``)."""
        self.programs += other.programs
        self.succeeded += other.succeeded
        self.ops_seen |= other.ops_seen
        for item in other.slowest + other.known_slowest:
            self._keep(*item)
        for view, seconds in other.spent.items():
            self.spent[view] = self.spent.get(view, 0.0) + seconds

    def over(self, bound: float, views: str = "", known: bool = False) -> list[tuple[float, str, str]]:
        """The programs under 10 kB slower than ``bound`` (in the views whose name starts with ``views``),
        but in the views of ``KNOWN_SLOW`` (or only in those, with ``known``)."""
        return [
            (seconds, view, text)
            for seconds, view, text in (self.known_slowest if known else self.slowest)
            if seconds > bound and view.startswith(views) and len(text.encode("utf-8", "replace")) < 10_000
        ]


def _console() -> Console:
    return Console(file=io.StringIO(), width=100, color_system=None, force_terminal=False)


def _hessian_views(result: Result, console: Console) -> None:
    """``--hessian --check`` as eval shows it: the matrix and its check, as tables and in the JSON."""
    base = result.uncollapsed or result
    labels = [base.labels[i] for i in base.inputs]
    matrix = hessian(base.evaluation)
    checked = check_hessian(base.evaluation, base.labels, DEFAULT_TOL)
    console.print(hessian_table(result.output_label, labels, matrix))
    console.print(hessian_check_table(checked))
    document = {"hessian": hessian_document(labels, matrix), "hessian_check": hessian_check_document(checked)}
    with_hessian(render_json(result), document)
    if not checked.ok:
        checked.error(result.output_label).render()


def _trace_views(result: Result, console: Console | None) -> None:
    """``gradcalc trace`` as JSON, Markdown and LaTeX (or, given a console, the Rich table), seeded at the
    first input and (where the graph is small) at the last."""
    last = [result.labels[i] for i in result.inputs[-1:]] if len(result.evaluation.order) <= 1_000 else []
    for wrt in dict.fromkeys([None, *last]):
        table = trace(result, wrt)
        if console is not None:  # once, at the first input: the Rich table is the costliest format
            console.print(trace_view.render_trace(table, "rich"))
            return
        trace_view.render_json(table)
        for fmt in ("markdown", "latex"):
            trace_view.render_trace(table, fmt)  # type: ignore[arg-type]


def _views(result: Result, variant: str) -> Iterator[tuple[str, Callable[[], object]]]:
    """Every view of a result, by name, as a thunk (each one run and timed by ``exercise``).

    ``variant`` is "" for the program's own graph (which also gets the Hessian and the text circuit,
    Graphviz laying it out), "--expand", "--collapse" or both.
    """
    console = _console()
    yield "table", lambda: console.print(result_view(result))
    yield "json", lambda: render_json(result)
    for style in STYLES:
        yield f"dot {style}", lambda style=style: render_dot(result, style=style)
    yield "text", lambda: render_text(result, layout="lane").text(color=True)
    if not variant:
        yield "text circuit", lambda: render_text(result, width=100).text()
    yield "explain rich", lambda: console.print(render_explanation(result, "rich"))
    for fmt in ("markdown", "latex"):
        yield f"explain {fmt}", lambda fmt=fmt: render_explanation(result, fmt)  # type: ignore[arg-type]

    def check() -> None:
        report = check_gradients(result)
        console.print(check_table(report))
        render_json_with_check(result, report)
        if not report.ok:
            report.error().render()

    yield "check", check
    if "--collapse" not in variant:  # gradcalc trace has no --collapse; --hessian reads the program's gates
        yield "trace", lambda: _trace_views(result, None)
        yield "trace rich", lambda: _trace_views(result, console)
        yield "hessian", lambda: _hessian_views(result, console)


def _variant(result: Result, expanded: bool, collapsed: bool) -> Result:
    """The program's graph as ``--expand`` and ``--collapse`` show it: evaluated again, not lowered again."""
    return view_of(
        result.graph,
        result.evaluation.output,
        result.output_name,
        expanded=expanded,
        unused_overrides=result.unused_overrides,
        collapsed=collapsed,
    )


def exercise(
    text: str, bindings: dict[str, float] | None = None, timings: Timings | None = None, skip: tuple[str, ...] = ()
) -> None:
    """Run ``text`` through every view (but those named in ``skip``), as it is and with --expand and
    --collapse (each a view of the one lowered graph): only GradcalcError may escape it.

    Where the program evaluates, its variants must evaluate too, to the same value and gradients; its
    gradients must agree with central differences, its Hessian with differences of the gradient, and
    forward mode (the trace's tangent) with reverse mode, wherever those comparisons mean something.
    """
    timings = timings if timings is not None else Timings()
    timings.programs += 1
    start = time.perf_counter()
    try:
        result = run_source(Source(text), bindings)
    except GradcalcError as error:
        error.render()  # the message itself must be writable
        return
    finally:
        timings.note(time.perf_counter() - start, "run", text)
    has_calls = any(scope.kind == "call" for scope in result.graph.scopes)
    variants = [("", False, False), ("--expand", True, False)]
    if has_calls:  # without a call, --collapse changes nothing
        variants += [("--collapse", False, True), ("--expand --collapse", True, True)]
    for variant, expanded, collapsed in variants:
        start = time.perf_counter()
        try:
            shown = _variant(result, expanded, collapsed) if variant else result
        except GradcalcError as error:
            raise AssertionError(f"{variant} fails where the program does not: {error.message}") from None
        finally:
            if variant:
                timings.note(time.perf_counter() - start, "run " + variant, text)
        timings.ops_seen.update(shown.graph.nodes[i].op.name for i in shown.evaluation.order)
        for view, thunk in _views(shown, variant):
            if view.startswith(skip):
                continue
            start = time.perf_counter()
            try:
                thunk()
            except GradcalcError as error:
                error.render()
            timings.note(time.perf_counter() - start, f"{view} {variant}".rstrip(), text)
        if variant:
            assert_same_derivatives(result, shown, variant)
    assert_gradients_match_differences(result)
    if len(result.evaluation.order) <= HESSIAN_CHECK_NODES:
        assert_hessian_matches_differences(result)
    assert_forward_mode_matches_reverse(result)
    timings.succeeded += 1


def _moderate(result: Result) -> bool:
    """No warning (kink, infinite gradient) and no huge value: where comparisons of numbers mean something."""
    evaluation = result.evaluation
    return not evaluation.warnings and all(abs(evaluation.values[i]) <= 1e6 for i in evaluation.order)


def _close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-9) or not (math.isfinite(a) and math.isfinite(b))


def assert_same_derivatives(result: Result, shown: Result, variant: str) -> None:
    """``--expand`` and ``--collapse`` draw the same function: the same value, the same input gradients,
    and (expanded) the same Hessian."""
    plain, other = result.evaluation, shown.evaluation
    assert math.isclose(plain.value, other.value, rel_tol=1e-6, abs_tol=1e-9), (variant, plain.value, other.value)
    if not (_moderate(result) and _moderate(shown)):
        return
    base = shown.uncollapsed or shown
    mine = {result.labels[i]: plain.grads[i] for i in result.inputs}
    theirs = {base.labels[i]: base.evaluation.grads[i] for i in base.inputs}
    assert mine.keys() == theirs.keys(), (variant, mine, theirs)
    for label, grad in mine.items():
        assert _close(grad, theirs[label]), (variant, label, grad, theirs[label])
    if variant == "--expand" and len(plain.order) <= HESSIAN_CHECK_NODES:
        for row, other_row in zip(hessian(plain), hessian(other), strict=True):
            for a, b in zip(row, other_row, strict=True):
                assert math.isclose(a, b, rel_tol=1e-5, abs_tol=1e-7) or not math.isfinite(a * b), (variant, a, b)


def _steps(x: float) -> list[float]:
    """The steps of the differences at x: 1e-6 of max(1, |x|), and below |x| = 1 also 1e-6 of |x|, first
    where the wide step reaches past 0 (at b = 5e-142, b ± 1e-6 straddles the pole of -x/b: a difference
    of -1e-269 against a gradient of 40, flat enough over the step to pass as converged)."""
    wide = 1e-6 * max(1.0, abs(x))
    if not 0.0 < abs(x) < 1.0:
        return [wide]
    narrow = 1e-6 * abs(x)
    return [narrow, wide] if wide >= abs(x) else [wide, narrow]


def _points(x: float, h: float) -> tuple[float, float, float, float, float]:
    """x + h, x, x - h, and x ± h/2 (a difference that changes when the step halves has not converged:
    the function bends on the scale of the step, as atan2(x, 1e-5) does)."""
    return x + h, x, x - h, x + h / 2, x - h / 2


def _converged(up: float, here: float, down: float, half_up: float, half_down: float, h: float) -> float | None:
    """The central difference, where it means something: the one-sided ones agree (no kink within a step),
    halving the step keeps it, and the outputs' rounding over the step is well below the tolerance."""
    central, ahead, behind = (up - down) / (2 * h), (up - here) / h, (here - down) / h
    if 4 * sys.float_info.epsilon * max(abs(up), abs(down)) / h > 1e-6 * max(1.0, abs(central)):
        return None  # 1 + x at x = 1e-12 with a step of 1e-18: up, here and down are the same number
    if not math.isclose(ahead, behind, rel_tol=1e-3, abs_tol=1e-4):
        return None
    if not math.isclose(central, (half_up - half_down) / h, rel_tol=1e-5, abs_tol=1e-6):
        return None
    return central


def _differences(node: Node, x: float, outputs: Callable[[], list[float]]) -> list[list[float]]:
    """Central differences of each of ``outputs()`` in the input ``node`` at x, one for each step of
    ``_steps`` at which it converges (none where none does, or the output fails nearby). Two steps can
    both converge and differ where the program loses digits: log(exp(w)) at w = 3e-138 is 0 at every
    w ± h of the narrow step (exp(w) is 1); a gradient must agree with one of them."""
    found: list[list[float]] = []
    for h in _steps(x):
        if x + h / 2 == x:  # 1e-6 of a subnormal x is 0, or too small to move it
            continue
        try:
            seen = []
            for point in _points(x, h):
                node.param = point
                seen.append(outputs())
        except GradcalcError:
            continue
        finally:
            node.param = x
        found = found or [[] for _ in seen[0]]
        for k, candidates in enumerate(found):
            central = _converged(*(values[k] for values in seen), h)
            if central is not None:
                candidates.append(central)
    return found


def assert_gradients_match_differences(result: Result) -> None:
    """Backprop against central differences, where differences mean something: moderate values, no kink.

    As in tests/test_gradient_properties.py, a point where the one-sided slopes disagree is within a
    step of a kink (or of a pole), so says nothing either way.
    """
    graph, evaluation = result.graph, result.evaluation
    if not _moderate(result):
        return
    tape = record(graph, evaluation.output)
    for i in evaluation.inputs:
        node = graph.nodes[i]
        x = node.param if node.param is not None else 0.0
        grad = evaluation.grads[i]
        if not math.isfinite(grad) or abs(grad) > 1e6 or abs(x) > 1e3:
            continue
        (centrals,) = _differences(node, x, lambda: [forward(graph, tape)[evaluation.output]]) or [[]]
        if centrals:
            assert any(math.isclose(grad, c, rel_tol=1e-4, abs_tol=1e-5) for c in centrals), (
                result.labels[i], grad, *centrals,
            )  # fmt: skip


def assert_hessian_matches_differences(result: Result) -> None:
    """Each Hessian row against central differences of the gradient, where the one-sided ones agree."""
    graph, evaluation = result.graph, result.evaluation
    if not _moderate(result):
        return
    matrix = hessian(evaluation)
    tape = record(graph, evaluation.output)
    inputs = evaluation.inputs
    for row, i in zip(matrix, inputs, strict=True):
        node = graph.nodes[i]
        x = node.param if node.param is not None else 0.0
        if abs(x) > 1e3 or not all(math.isfinite(v) and abs(v) <= 1e6 for v in row):
            continue

        def gradient() -> list[float]:
            grads = backward(tape, forward(graph, tape))[0]
            return [grads[k] for k in inputs]

        grads = _differences(node, x, gradient)
        for exact, k, centrals in zip(row, inputs, grads, strict=False):
            if centrals:
                assert any(math.isclose(exact, c, rel_tol=1e-3, abs_tol=1e-4) for c in centrals), (
                    f"d2/d{result.labels[i]}d{result.labels[k]}", exact, *centrals,
                )  # fmt: skip


def assert_forward_mode_matches_reverse(result: Result) -> None:
    """The trace's output tangent (forward mode, one input seeded) is that input's adjoint (reverse mode)."""
    if not result.inputs or not _moderate(result):
        return
    for i in result.inputs[:1] + result.inputs[-1:]:
        table = trace(result, result.labels[i])
        tangent, adjoint = table.rows[-1].tangent, result.evaluation.grads[i]
        assert _close(tangent, adjoint), (result.labels[i], tangent, adjoint)


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
    statements(), statements(), command_lines(), mutated(statements()), raw_programs
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
