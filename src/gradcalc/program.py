"""The whole pipeline in one call: text -> AST -> graph -> forward and backward -> labelled result.

This is what the command line, the REPL and the explanations use; it never prints.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from gradcalc import ast
from gradcalc.collapse import collapse
from gradcalc.engine import Evaluation, Tape, evaluate, run_tape
from gradcalc.errors import EvaluationError, UsageError
from gradcalc.expansion import expand
from gradcalc.graph import Graph
from gradcalc.labels import node_labels
from gradcalc.lowering import Lowered, MissingHint, in_program, lower
from gradcalc.ops import CONST
from gradcalc.parser import gc_paused, parse, parse_for_one_run
from gradcalc.source import Source, Span

_NAME = re.compile(r"[A-Za-z_][A-Za-z_0-9]*\Z")
_VALUE_HINT = "a value may use numbers, pi, e and functions, e.g. x=2 or w=pi/4"


@dataclass(slots=True, eq=False)
class Result:
    """An evaluated program, ready for any view."""

    graph: Graph  # the expanded graph with --expand, else the program's own
    evaluation: Evaluation
    labels: dict[int, str]
    output_name: str | None  # the name the program gave its output, if any
    unused_overrides: list[str]
    expanded: bool = False
    uncollapsed: Result | None = None  # with --collapse, the result before its calls became gates

    @property
    def output_label(self) -> str:
        return self.labels[self.evaluation.output]

    @property
    def inputs(self) -> list[int]:
        return self.evaluation.inputs


def view_of(
    graph: Graph,
    output: int,
    output_name: str | None = None,
    *,
    expanded: bool = False,
    unused_overrides: list[str] | None = None,
    collapsed: bool = False,
    tape: Tape | None = None,
    labels: dict[int, str] | None = None,
) -> Result:
    """Evaluate ``output`` of ``graph`` (expanded into primitive gates if asked) and label its nodes.

    ``collapsed`` shows each call of a user function as one gate (``gradcalc.collapse``). ``tape`` is
    ``output``'s tape if the caller has it already (the REPL keeps one, ``repl.tapes``), which saves
    finding its ancestors again. ``labels`` are its nodes' labels if the caller has them from an earlier
    view of the same nodes and names (the REPL, ``repl.kept_labels``); not with ``expanded``, whose
    graph is made anew.
    """
    evaluation = evaluate(graph, output) if tape is None else run_tape(graph, tape)
    if expanded:
        graph, where = expand(graph, evaluation.order, evaluation.values)
        evaluation = evaluate(graph, where[output])
        labels = None
    if labels is None:
        labels = node_labels(graph, evaluation.order, evaluation.output)
    result = Result(graph, evaluation, labels, output_name, unused_overrides or [], expanded)
    if collapsed:
        result = collapse(result)
    return result


def run_source(
    source: Source,
    overrides: Mapping[str, float] | None = None,
    *,
    expanded: bool = False,
    missing_hint: MissingHint = in_program,
    collapsed: bool = False,
) -> Result:
    """Parse, lower and evaluate a whole program; ``missing_hint`` says how to give a name a value.

    The cyclic collector is paused throughout: the tape, the values and the labels are hundreds of
    thousands of new objects and no cycles, and its scans of them cost a 100,000-node run about a tenth.
    The AST is let go statement by statement as it is lowered: a 100,000-term program's is a hundred MB,
    which the graph and the evaluation then reuse; a line that repeats an earlier one has none
    (``parse_for_one_run``).
    """
    with gc_paused():
        graph, lowered = _lowered(parse_for_one_run(source), overrides, missing_hint, consume=True)
        return _evaluated(graph, lowered, expanded, collapsed)


def run_program(
    program: ast.Program,
    overrides: Mapping[str, float] | None = None,
    *,
    expanded: bool = False,
    missing_hint: MissingHint = in_program,
    collapsed: bool = False,
) -> Result:
    """Lower and evaluate a parsed program: ``run_source`` after parsing, and ``gradcalc.evaluate`` with the
    parse of a program it has seen before (an AST is never changed by lowering, so one serves many runs).
    """
    with gc_paused():
        graph, lowered = _lowered(program, overrides, missing_hint)
        return _evaluated(graph, lowered, expanded, collapsed)


def _lowered(
    program: ast.Program | ast.OneRun,
    overrides: Mapping[str, float] | None,
    missing_hint: MissingHint,
    *,
    consume: bool = False,
) -> tuple[Graph, Lowered]:
    graph = Graph()
    lowered = lower(program, graph, overrides, missing_hint, consume=consume)
    if lowered.output is None:
        if lowered.defined:
            name = lowered.defined[-1]
            raise UsageError(
                f"the program defines {name} but computes nothing",
                hint=f"end it with an expression that calls {name}, such as {name}(2)",
            )
        raise UsageError("the program is empty: write an expression such as (x + y) * z")
    return graph, lowered


def _evaluated(graph: Graph, lowered: Lowered, expanded: bool, collapsed: bool) -> Result:
    assert lowered.output is not None  # _lowered says so
    return view_of(
        graph,
        lowered.output,
        lowered.output_name,
        expanded=expanded,
        unused_overrides=lowered.unused_overrides,
        collapsed=collapsed,
    )


def parse_bindings(items: Iterable[str]) -> dict[str, float]:
    """``NAME=VALUE`` arguments, VALUE a number or a constant expression such as ``pi/4``."""
    bindings: dict[str, float] = {}
    for item in items:
        name, equals, value = item.partition("=")
        name = name.strip()
        if not equals or not _NAME.match(name):
            raise UsageError(f"expected NAME=VALUE, got {item!r}", hint="bind inputs as x=1 y=-3 w=pi/4")
        bindings[name] = constant_value(value.strip(), f"<argument {name}=>")
    return bindings


def constant_value(text: str, where: str = "<value>") -> float:
    """The value of a constant expression (``3``, ``-1e-3``, ``pi/4``, ``sqrt(2)``)."""
    source = Source(text, where)
    if not text:
        raise UsageError("a value is missing", hint="bind inputs as x=1 y=-3 w=pi/4")
    program = parse(source)
    statements = program.statements
    if len(statements) != 1 or isinstance(statements[0], ast.Assign):
        raise UsageError(f"{text!r} is not a single value", Span(source, 0, len(text)))
    graph = Graph()
    try:
        lowered = lower(program, graph, missing_hint=lambda name: _VALUE_HINT)
    except EvaluationError as exc:
        raise UsageError(f"{text!r} is not a value: {exc.message}", exc.span, exc.hint or _VALUE_HINT) from None
    node = graph.nodes[lowered.output]  # type: ignore[index]
    if node.op is not CONST or node.param is None:
        raise UsageError(
            f"{text!r} is not a constant: a value may use numbers, pi, e and functions only", Span(source, 0, len(text))
        )
    return node.param
