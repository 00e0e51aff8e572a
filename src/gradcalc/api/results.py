"""``gradcalc.evaluate``: a program's value, gradients and nodes, and every view of them.

``evaluate`` runs the one pipeline the command line runs (``program.run_source``: parse, lower,
forward, backward, labels) and wraps its result; every view a ``Result`` offers is the view module the
command line prints (``to_json`` is ``views.json_view.render_json``, the ``--json`` text byte for byte;
``table`` is ``views.table.result_view``; ``render`` writes through ``views.image`` and the format
registry of ``views.formats``). Views are imported when first called, so evaluating imports no Rich.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gradcalc import ast
from gradcalc.api.guard import api_call
from gradcalc.defaults import CHECK_TOL
from gradcalc.errors import UsageError
from gradcalc.files import read_text
from gradcalc.numbers import format_number
from gradcalc.parser import gc_paused, parse
from gradcalc.program import Result as ProgramResult
from gradcalc.program import parse_bindings, run_program, view_of
from gradcalc.source import Source

if TYPE_CHECKING:
    from gradcalc.api.pictures import Picture
    from gradcalc.gradcheck import CheckReport

InputValue = float | int | str  # a number, or a constant expression as on the command line: "pi/4"

_NAME = re.compile(r"[A-Za-z_][A-Za-z_0-9]*\Z")
PICTURE_PRECISION = 2  # as gradcalc render: wires labelled 2.00, -0.20
TRACE_FORMATS = ("dict", "json", "markdown", "latex", "rich")  # what Result.trace gives
CACHED_PROGRAMS, CACHED_LENGTH = 256, 10_000  # the parses kept: of that many programs up to that many characters


def in_python(name: str) -> str:
    """The hint for a name with no value when the program comes from Python."""
    return f"give it a value: evaluate(..., {name}=1), or write {name} = 1 in the program"


@dataclass(frozen=True, slots=True)
class Node:
    """One node of an evaluated graph, as a row of the ``--json`` document's ``nodes``.

    ``id`` is ``n0``, ``n1``, … by position in topological order (inputs first, output last), and
    ``inputs`` lists the ids of the node's arguments; ``local`` holds the gate's partial derivatives with
    respect to each argument, and ``gradient`` is d(output)/d(node). Numbers are full-precision floats
    (not finite ones stay ``inf``/``nan`` here; the JSON writes them as null). ``order`` is the node's
    derivative order: 0 for the function's own nodes, 1 for the nodes ``grad(e, x)`` built, 2 for those
    of ``grad(grad(e, x), x)`` (the JSON's ``"order"``, which only nodes of a derivative have).
    """

    id: str
    op: str
    symbol: str
    label: str
    inputs: tuple[str, ...]
    value: float
    local: tuple[float, ...]
    gradient: float
    order: int = field(default=0, repr=False)  # not in the repr: a program without grad reads as it always did


class Result:
    """An evaluated program: its value, every input's gradient, every node, and every view of them.

    Made by ``gradcalc.evaluate`` (or a ``Session`` line); in a notebook it shows itself as the circuit
    with every value and gradient (see ``show``).
    """

    def __init__(self, result: ProgramResult, again: Callable[[bool], ProgramResult] | None = None) -> None:
        self._result = result
        self._again = again  # the same program evaluated with --expand on or off, for show(expand=...)

    # -- the numbers ----------------------------------------------------------------------------------

    @property
    def value(self) -> float:
        """The output's value."""
        return self._result.evaluation.value

    @property
    def gradients(self) -> dict[str, float]:
        """Each input's gradient d(output)/d(input), keyed by the input's label, in the table's order."""
        result = self._result
        labels, grads = result.labels, result.evaluation.grads
        return {labels[i]: grads[i] for i in result.evaluation.inputs}

    @cached_property
    def nodes(self) -> tuple[Node, ...]:
        """Every node the output depends on, in topological order: inputs first, output last."""
        result = self._result
        evaluation, labels, graph_nodes = result.evaluation, result.labels, result.graph.nodes
        values, grads, local = evaluation.values, evaluation.grads, evaluation.local
        ids = {node: f"n{position}" for position, node in enumerate(evaluation.order)}
        orders = result.graph.derivative_orders(evaluation.order)
        rows = []
        for i in evaluation.order:
            node = graph_nodes[i]
            rows.append(
                Node(
                    ids[i],
                    node.op.name,
                    node.op.gate_symbol(node.param, format_number),
                    labels[i],
                    tuple(ids[a] for a in node.args),
                    values[i],
                    tuple(local[i]),
                    grads[i],
                    orders.get(i, 0),
                )
            )
        return tuple(rows)

    @api_call
    def hessian(self) -> dict[str, dict[str, float]]:
        """The second derivatives of the output for every pair of inputs, as ``gradcalc eval --hessian``.

        ``{row: {column: ∂²output/∂row∂column}}``, rows and columns the inputs in the table's order: the
        ``--json`` document's ``"hessian"`` (which writes a number that is not finite as null; here it
        stays ``inf`` or ``nan``). It is forward mode over the backward pass, one pass per input
        (``gradcalc.hessian``).

        >>> evaluate("x^2*y + y^3", x=1, y=2).hessian()
        {'x': {'x': 4.0, 'y': 2.0}, 'y': {'x': 2.0, 'y': 12.0}}
        """
        from gradcalc.hessian import hessian

        base = self._result.uncollapsed or self._result  # a collapsed call has no second partials
        labels = [base.labels[i] for i in base.inputs]
        return {row: dict(zip(labels, values)) for row, values in zip(labels, hessian(base.evaluation))}

    @api_call
    def trace(self, wrt: str | None = None, format: str = "dict", precision: int = 6) -> Any:
        """The evaluation trace, as ``gradcalc trace`` prints it: forward mode's tangents beside reverse mode's
        adjoints, one row per node in evaluation order (the inputs v-1, v0, the gates v1, v2, …).

        ``wrt`` is the input whose tangent is seeded with 1 (``--wrt``; default: the first input).
        ``format`` ``dict`` (the default) gives the ``gradcalc trace --json`` document as Python data:
        ``{"wrt", "output": {"label", "value"}, "rows": [{"id", "label", "expression", "inputs", "value",
        "tangent", "adjoint"}, ...], "passes": {"forward", "reverse"}}``; ``json`` that text, byte for byte;
        ``markdown`` or ``latex`` the table as text, ``rich`` as a Rich renderable.

        >>> rows = evaluate("log(x1) + x1*x2 - sin(x2)", x1=2, x2=5).trace()["rows"]
        >>> [(row["id"], round(row["tangent"], 6), round(row["adjoint"], 6)) for row in rows][:2]
        [('v-1', 1.0, 5.5), ('v0', 0.0, 1.716338)]
        """
        from gradcalc.trace import trace
        from gradcalc.views import trace_view

        if format not in TRACE_FORMATS:
            raise UsageError(f"unknown trace format {format!r}", hint=f"choose one of: {', '.join(TRACE_FORMATS)}")
        if wrt is not None and not isinstance(wrt, str):
            raise UsageError(f"wrt is an input's name, such as 'x', not {type(wrt).__name__}")
        table = trace(self._result, wrt)
        if format == "dict":
            return trace_view.document(table)
        if format == "json":
            return trace_view.render_json(table)
        return trace_view.render_trace(table, format, _precision(precision))  # type: ignore[arg-type]

    @property
    def output_label(self) -> str:
        """The output's label as the table shows it: its name, or ``f`` for an unnamed expression."""
        return self._result.output_label

    @property
    def output_name(self) -> str | None:
        """The name the program gave its output (``g = ...``), or None (the ``--json`` ``output.label``)."""
        return self._result.output_name

    @property
    def expanded(self) -> bool:
        """Whether composite functions were rewritten into primitive gates (``expand=True``)."""
        return self._result.expanded

    @property
    def warnings(self) -> tuple[str, ...]:
        """Kinks, infinite gradients and given values the program does not use, as the CLI prints them."""
        from gradcalc.views.warnings import warning_lines

        return tuple(warning_lines(self._result))

    @property
    def program_result(self) -> ProgramResult:
        """The ``gradcalc.program.Result`` underneath: graph, evaluation and labels (internal, may change)."""
        return self._result

    # -- the views --------------------------------------------------------------------------------------

    def to_json(self) -> str:
        """The ``gradcalc eval --json`` document, byte for byte (one line, ending in a newline)."""
        from gradcalc.views.json_view import render_json

        return render_json(self._result)

    def to_dict(self) -> dict[str, Any]:
        """The ``--json`` document as Python data (``json.loads(result.to_json())``)."""
        from gradcalc.views.json_view import document

        return document(self._result)

    def table(self, precision: int = 6, rows: int = 200) -> Any:
        """The table ``gradcalc eval`` prints, then the gradients: a Rich renderable (Rich imported here)."""
        from gradcalc.views.table import result_view

        return result_view(self._result, _precision(precision), rows)

    def dot(
        self,
        *,
        style: str = "circuit",
        precision: int = PICTURE_PRECISION,
        rankdir: str = "LR",
        palette: str = "safe",
        legend: bool | None = None,
    ) -> str:
        """The DOT text of the picture, as ``gradcalc render -o graph.dot`` writes it."""
        from gradcalc.views.dot import render_dot

        return render_dot(
            self._result, style=style, precision=_precision(precision), rankdir=rankdir, palette=palette, legend=legend
        )

    @api_call
    def render(
        self,
        path: str | Path,
        *,
        format: str | None = None,
        style: str = "circuit",
        precision: int = PICTURE_PRECISION,
        rankdir: str = "LR",
        palette: str = "safe",
        legend: bool | None = None,
        ascii: bool = False,
    ) -> Path:
        """Write the picture to ``path`` in any format of ``gradcalc render`` (svg, png, pdf, dot, text, html).

        The format is ``format`` or the one the suffix names; returns the path written.
        """
        from gradcalc.views.image import write_image

        target = Path(path).expanduser()
        write_image(
            self._result,
            target,
            fmt=format,
            style=style,
            precision=_precision(precision),
            rankdir=rankdir,
            palette=palette,
            legend=legend,
            charset="ascii" if ascii else "unicode",
        )
        return target

    def text(self, *, precision: int = PICTURE_PRECISION, ascii: bool = False, width: int | None = None) -> str:
        """The circuit drawn in text, as ``gradcalc render -f text`` prints it (no colours)."""
        from gradcalc.views.text_graph import render_text

        drawing = render_text(
            self._result, precision=_precision(precision), charset="ascii" if ascii else "unicode", width=width
        )
        return drawing.text()

    @api_call
    def explain(self, format: str = "markdown", precision: int = 6) -> Any:
        """The forward and backward passes told step by step, as ``gradcalc explain`` does.

        ``format`` is ``markdown`` or ``latex`` (a string), or ``rich`` (a Rich renderable).
        """
        from gradcalc.views.explain_view import FORMATS, render_explanation

        if format not in FORMATS:
            raise UsageError(f"unknown explanation format {format!r}", hint=f"choose one of: {', '.join(FORMATS)}")
        return render_explanation(self._result, format, _precision(precision))  # type: ignore[arg-type]

    @api_call
    def check(self, tol: float = CHECK_TOL) -> CheckReport:
        """Every input's gradient against a central finite difference, as ``--check`` does.

        The report (a ``gradcalc.gradcheck.CheckReport``): ``ok`` says whether all agree within ``tol``;
        ``checks`` has one entry per input, with its ``label``, ``backprop``, ``numeric`` and ``error``.
        """
        from gradcalc.gradcheck import check_gradients

        if not (isinstance(tol, int | float) and tol >= 0):
            raise UsageError(f"tol must be a number at least 0, not {tol!r}")
        return check_gradients(self._result, float(tol))

    @api_call
    def show(
        self,
        *,
        style: str = "circuit",
        expand: bool | None = None,
        precision: int = PICTURE_PRECISION,
        rankdir: str = "LR",
        palette: str = "safe",
    ) -> Picture:
        """The picture with these options, for a notebook: the circuit (SVG), the step-through page, a summary.

        ``expand`` None keeps this result's own; True or False evaluates the program again that way.
        """
        from gradcalc.api.pictures import Picture
        from gradcalc.views.dot import STYLES
        from gradcalc.views.palette import PALETTES

        if style not in STYLES:
            raise UsageError(f"unknown style {style!r}", hint=f"choose one of: {', '.join(STYLES)}")
        if palette not in PALETTES:
            raise UsageError(f"unknown palette {palette!r}", hint=f"choose one of: {', '.join(PALETTES)}")
        if rankdir not in ("LR", "TB"):
            raise UsageError(f"unknown rankdir {rankdir!r}", hint="choose LR or TB")
        result = self._result
        if expand is not None and bool(expand) != result.expanded:
            result = self._again(bool(expand)) if self._again is not None else _expanded(result, bool(expand))
        return Picture(result, style=style, precision=_precision(precision), rankdir=rankdir, palette=palette)

    # -- display ------------------------------------------------------------------------------------------

    def summary(self, precision: int = 6) -> str:
        """``f = -12`` and each input's gradient ``∂f/∂x = -3``, one a line, as under the table."""
        from gradcalc.views.table import summary

        return summary(self._result, _precision(precision)).plain

    def __str__(self) -> str:
        return self.summary()

    def __repr__(self) -> str:
        label = self.output_label
        grads = ", ".join(f"∂{label}/∂{name}={format_number(g)}" for name, g in self.gradients.items())
        return f"<gradcalc.Result {label}={format_number(self.value)}" + (f" {grads}" if grads else "") + ">"

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        """What a notebook shows: the circuit (SVG), the step-through page (HTML) and the summary (text)."""
        return self.show()._repr_mimebundle_(include, exclude)


def _precision(precision: int) -> int:
    if isinstance(precision, bool) or not isinstance(precision, int) or not 0 <= precision <= 17:
        raise UsageError(f"precision must be a whole number from 0 to 17, not {precision!r}")
    return precision


def _expanded(result: ProgramResult, expanded: bool) -> ProgramResult:
    """An unexpanded result's graph expanded; an expanded one cannot be taken back without its program."""
    if not expanded:
        raise UsageError("this result was evaluated expanded: evaluate the program again with expand=False")
    return view_of(result.graph, result.evaluation.output, result.output_name, expanded=True)


def input_values(inputs: Mapping[str, InputValue] | None, keywords: Mapping[str, InputValue]) -> dict[str, float]:
    """The inputs as floats: numbers as given, text read as ``NAME=VALUE`` is on the command line."""
    values: dict[str, float] = {}
    for mapping in (inputs or {}), keywords:
        if not isinstance(mapping, dict | Mapping):
            raise UsageError(f"inputs must be a mapping of names to values, not {type(mapping).__name__}")
        for name, value in mapping.items():
            if name.__class__ is not str or not _NAME.match(name):
                raise UsageError(
                    f"{name!r} is not a name", hint="a name is letters, digits and _, not starting with a digit"
                )
            kind = value.__class__
            if kind is float or kind is int or (isinstance(value, int | float) and not isinstance(value, bool)):
                number = float(value)
                if not math.isfinite(number):
                    raise UsageError(f"the value of {name} is {value!r}: an input's value must be a finite number")
                values[name] = number
            elif isinstance(value, str):
                values.update(parse_bindings([f"{name}={value}"]))
            else:
                raise UsageError(
                    f"the value of {name} must be a number or a constant expression such as 'pi/4', "
                    f"not {type(value).__name__}"
                )
    return values


ProgramText = str | PathLike[str]  # the program itself, or a program file (a path, not a str, names a file)


def program_source(program: ProgramText) -> Source:
    """The program as text (named ``<program>`` in messages), or read from a program file given as a path."""
    if isinstance(program, PathLike):
        path = Path(program)
        return Source(read_text(path), str(path))
    if not isinstance(program, str):
        raise UsageError(f"the program must be text, such as '(x+y)*z', not {type(program).__name__}")
    return Source(program, "<program>")


def parsed(program: ProgramText) -> ast.Program:
    """The program's AST; short programs' are kept, so evaluating one again (a loop over inputs) skips the parser,
    which takes two thirds of the time of a small program's evaluation."""
    if program.__class__ is str and len(program) <= CACHED_LENGTH:
        return _parsed_short(program)
    with gc_paused():
        return parse(program_source(program))


@lru_cache(maxsize=CACHED_PROGRAMS)
def _parsed_short(program: ProgramText) -> ast.Program:
    return parse(program_source(program))


@api_call
def evaluate(
    program: ProgramText,
    /,
    inputs: Mapping[str, InputValue] | None = None,
    *,
    expand: bool = False,
    **values: InputValue,
) -> Result:
    """Evaluate ``program``, backpropagate from its last statement, and return every value and gradient.

    ``program`` is the program's text, or a path (``pathlib.Path("neuron.gc")``) to a program file.

    Inputs are keyword arguments (``x=1``) or a mapping (``inputs={"lambda": 0.1}``, for names that are
    Python keywords or clash with ``expand``); like ``NAME=VALUE`` on the command line they override the
    program's own constant assignments, and a value may be a number or a constant expression (``"pi/4"``).
    ``expand=True`` rewrites composite functions into primitive gates, as ``--expand`` does.

    >>> evaluate("(x+y)*z", x=1, y=3, z=-3).gradients
    {'x': -3.0, 'y': -3.0, 'z': 4.0}

    Raises ``ProgramSyntaxError``, ``EvaluationError`` or ``UsageError`` (all ``GradcalcError``).
    """
    tree = parsed(program)
    overrides = input_values(inputs, values)

    def again(expanded: bool) -> ProgramResult:
        return run_program(tree, overrides, expanded=expanded, missing_hint=in_python)

    return Result(again(bool(expand)), again)
