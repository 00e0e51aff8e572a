"""The REPL's fast views show what the full computation shows.

A session keeps its latest result's tape and grows it line by line (``repl.tapes``), so that ``:table``
after 10,000 statements does not find the 15,000 ancestors of its result again. These tests run sessions
both ways after every line: the session's own result, and ``engine.evaluate`` with ``labels.node_labels``
over the same graph, as ``program.view_of`` does without the session. The tapes, the numbers, every label
and the text of ``:table`` must be the same.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rich.console import Console

from gradcalc.engine import Tape, record
from gradcalc.errors import GradcalcError
from gradcalc.graph import Graph
from gradcalc.program import Result, view_of
from gradcalc.repl.commands import run_line
from gradcalc.repl.display import renderable
from gradcalc.repl.outcomes import Evaluated, TableShown
from gradcalc.repl.session import Session
from gradcalc.repl.tapes import LINE_BUDGET, Tapes

SESSIONS = {
    "seed": ["x = 1; y = 3; z = -3", "g = (x + y) * z", "g", "x = 2", "g", ":table"],
    "chain": ["x = 0.5", "h = x * 1.0001", *["h = h * 1.0001" if k % 2 else "h = h + x" for k in range(40)], "h"],
    "generated names": [
        "p = 1; q1 = 2; f = 3; v = 4",
        " + ".join(f"sin(p*{k}*q1)" for k in range(1, 12)) + " + f",
        "ans * v",
        "exp(ans) - p",
    ],
    "unnamed output": ["a = 2; b = 3", "a * b + 1", "ans * 2", "(a - b) * (a + b)"],
    "functions": ["sig(t) = 1/(1+exp(-t))", "w = 0.5; x = 2", "y = sig(w*x) * sig(x)", "sq(u) = u^2", "sq(y) + y"],
    "loops": ["w = 0.5; x = 0.1; h = 0", "for t in 1..4 { h = tanh(w*h + x*t) }", "h", "for c in [1, 2] { h = h*c }"],
    "kinks": ["x = 0; y = 2", "k = abs(x) + relu(x) * y", "k", "x = 1", "k"],
    "grad": ["x = 3", "d = grad(x^3, x)", "d2 = grad(d, x)", "d2 * x"],
    "older nodes": ["x = 1", "a = x * 2", "b = a + 1", "c = b * b", "a", "b + a", "c", "x = 4", "c"],
    "two chains": ["x = 1; y = 2", "a = x * 1.5", "b = y * 1.5", *["a = a * 1.5", "b = b + a"] * 6, "a + b"],
    "new inputs on the way": ["x = 1", "h = x * 2", "y = 5", "h = h + y", "z = 2", "h = h * z", "h + x"],
    "errors": ["x = 1", "h = x + 1", "h = log(x - 5)", "h = h * 3", "y = undefined_name + 1", "h + 2", "x = 6", "h"],
    "constants and pi": ["x = pi/4", "s = sin(x) + cos(x) * 2.5 - 1e-3", "pi = 3", "s * pi", "s"],
    "deleted": ["x = 1; y = 2", "g = x * y", ":del x", "x = 5", "g2 = g + x", "g2"],
    "shared weight": ["w = 0.5; h = 1", "for t in 1..3 { h = h * w + t }", "h", ":table"],
    # Names bound with no node made (an alias, a re-binding, a deletion): the made-up names p, q and the
    # output's f keep clear of every name bound, so ``p = y`` renames the gate shown as p.
    "names bound, no node made": ["x = 1; y = 2", "g = x * y + 1", "g", "p = y", "g", "f = x", "g", ":del p", "g"],
    # ``ans`` names the unnamed result, and deleting it leaves the name on the node: the bindings are as before.
    "ans named, then deleted": ["a = 2; b = 3", "a * b + 1", "ans", ":del ans", ":table"],
    "re-bound to an older node": ["x = 1", "h = x * 2", "k = h", "h = h + 1", "h + k", "h = k", "h + k", "x = 3", "k"],
}


BASICS = ["x = {k}", "y = {k}", "a = x * {k}", "a = a + y", "b = a * a"]  # inputs set, names re-bound


def sessions(templates: list[str]) -> st.SearchStrategy[list[str]]:
    """Lists of up to 14 lines, each one of ``templates`` with ``{k}`` a number from -3 to 3."""
    line = st.sampled_from(templates).flatmap(lambda text: st.integers(-3, 3).map(lambda k: text.format(k=k)))
    return st.lists(line, min_size=1, max_size=14)


def full_view(graph: Graph, output: int, name: str | None = None) -> Result:
    """What ``program.view_of`` gives without the session: ``engine.evaluate`` and ``labels.node_labels``."""
    return view_of(graph, output, name)


def table_text(result: Result) -> str:
    console = Console(file=io.StringIO(), width=100, highlight=False, color_system=None)
    console.print(renderable(TableShown(result), 6))
    console.print(renderable(Evaluated(result), 6))
    return console.file.getvalue()  # type: ignore[attr-defined]


def same_tapes(grown: Tape, recorded: Tape) -> None:
    assert grown.output == recorded.output
    assert grown.order == recorded.order
    assert grown.size == recorded.size
    assert grown.leaves == recorded.leaves
    assert grown.steps == recorded.steps
    assert grown.kinks == recorded.kinks


def assert_same_view(fast: Result, full: Result) -> None:
    ev, want = fast.evaluation, full.evaluation
    assert ev.order == want.order
    assert ev.values == want.values  # exactly: the same passes over the same steps
    assert ev.grads == want.grads
    assert ev.local == want.local
    assert [(w.node, w.message) for w in ev.warnings] == [(w.node, w.message) for w in want.warnings]
    assert fast.labels == full.labels
    assert table_text(fast) == table_text(full)


def full_views(session: Session, lines: list[str]) -> Iterator[tuple[int, Result]]:
    """After each line of ``lines`` run in ``session`` that leaves a last result the full computation can
    evaluate: that result's node and its full view. Lines that fail are passed over, as a user would."""
    for line in lines:
        try:
            run_line(session, line)
        except GradcalcError:
            continue
        if session.last is None:
            continue
        try:
            full = full_view(session.graph, session.last)
        except GradcalcError:
            continue
        yield session.last, full


def check_session(lines: list[str]) -> Session:
    session = Session()
    for last, full in full_views(session, lines):
        same_tapes(session.tapes.tape(session.graph, last), record(session.graph, last))
        assert_same_view(session.result_of(last), full)
    return session


@pytest.mark.parametrize("name", SESSIONS)
def test_the_sessions_fast_views_equal_the_full_computation(name: str):
    check_session(SESSIONS[name])


def test_a_table_of_a_name_or_an_expression_equals_the_full_computation():
    session = check_session(SESSIONS["older nodes"])
    for text in ("a", "b * c + x", "c"):
        shown = session.result_of_text(text)
        assert_same_view(shown, full_view(shown.graph, shown.evaluation.output))
    # A scratch expression leaves the base as it was: the session's next lines (whose nodes take the
    # scratch nodes' ids) still grow it right.
    for line in ("c = c * x + 1", "c = c - b * 2"):
        run_line(session, line)
        assert session.last is not None
        assert session.tapes._output == session.last  # grown by the line, not left to be recorded
        same_tapes(session.tapes.tape(session.graph, session.last), record(session.graph, session.last))


def test_vars_shows_the_gradient_of_the_full_computation():
    session = check_session(SESSIONS["chain"])
    shown = session.variables()
    full = full_view(session.graph, session.last)
    assert shown.output_label == full.output_label
    grads = {v.name: v.grad for v in shown.variables}
    assert grads["x"] == full.evaluation.grads[session.graph.bindings["x"]]


def test_labels_read_later_are_the_labels_of_when_the_result_was_made():
    # ``ans`` names an unnamed result's node when a later line uses it; a drawing of the earlier
    # result still being made (the :watch panel's thread) must keep reading f, not ans.
    session = Session()
    run_line(session, "a = 2; b = 3")
    (outcome,) = run_line(session, "a * b + 1")
    assert isinstance(outcome, Evaluated)
    earlier = outcome.result
    run_line(session, "ans * 2")
    out = earlier.evaluation.output
    assert session.graph.nodes[out].name == "ans"
    assert earlier.labels[out] == "f"
    assert full_view(session.graph, out).labels[out] == "ans"  # labelled now, it is ans


def test_a_node_not_shown_has_no_label():
    session = check_session(SESSIONS["older nodes"])
    result = session.result_of_text("a")
    not_shown = session.graph.bindings["c"]
    with pytest.raises(KeyError):
        result.labels[not_shown]
    assert not_shown not in result.labels


def test_generated_labels_skip_every_taken_name_without_making_the_ones_before():
    names = ["p", "q", "s", "p1", "t1", "v1", "p3", "r10", "q2", "p0", "u01", "pp"]
    program = "; ".join(f"{n} = 1" for n in names) + "\n" + " + ".join(f"sin({n})" for n in names * 4)
    session = Session()
    run_line(session, program.splitlines()[0])
    run_line(session, program.splitlines()[1])
    assert session.last is not None
    assert_same_view(session.result_of(session.last), full_view(session.graph, session.last))


def test_a_line_walks_at_most_its_budget_to_grow_the_base():
    graph = Graph()
    tapes = Tapes()
    x = graph.set_input("x", 1.0)
    from gradcalc.ops import OPS

    add = next(op for op in OPS if op.name == "add")
    node = x
    for _ in range(LINE_BUDGET + 10):  # one statement making more nodes than a line may walk
        node = graph.add(add, (node, x))
    tapes.follow(graph, node)
    assert tapes._output is None  # not grown: the view records the tape when asked
    same_tapes(tapes.tape(graph, node), record(graph, node))
    top = graph.add(add, (node, x))
    tapes.follow(graph, top)
    assert tapes._output == top
    same_tapes(tapes.tape(graph, top), record(graph, top))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    sessions(
        [
            *BASICS,
            "b = b - x",
            "a",
            "b + a",
            "exp(a / 10) + {k}",
            "c = abs(b - {k})",
            "ans * 2",
            "f = a",
            "p = b",
            "x = y",
            "a = p",
            "q(u) = u * x + {k}",
            "a = q(a)",
            "for t in 1..2 {{ a = a * t }}",
            ":del a",
        ]
    )
)
def test_random_sessions_show_what_the_full_computation_shows(lines: list[str]):
    check_session(lines)


def test_each_line_of_a_chain_grows_the_base_so_no_view_records_afresh():
    session = Session()
    for line in SESSIONS["chain"]:
        run_line(session, line)
        if session.graph.nodes[session.last or 0].op.name != "input":
            assert session.tapes._output == session.last


# -- results shown again: a view of an unchanged result reuses it -------------------------------------


def shown_results(session: Session, names: list[str]) -> list[tuple[Result, int, str | None]]:
    """What ``:table``, ``:grad``, ``:explain`` and ``:table NAME`` show now, with the node and name each is of."""
    shown = []
    for line in (":table", ":grad", ":explain", *(f":table {name}" for name in names)):
        (outcome,) = run_line(session, line)
        name = line.split()[1] if " " in line else None
        node = session.last if name is None else session.graph.bindings[name]
        assert node is not None
        shown.append((outcome.result, node, name))  # type: ignore[attr-defined]
    return shown


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    sessions(
        [
            *BASICS,
            "a",
            "b + a",
            "sq(u) = u * u + {k}",
            "b = sq(a)",
            "sq(b) * x",
            "ans * 2",
            "for t in 1..2 {{ a = a * t }}",
            "tanh(a) + relu(b - {k})",
            "undefined_name + a",
            ":del y",
            ":expand on",
            ":expand off",
            ":collapse on",
            ":collapse off",
        ]
    )
)
def test_every_view_after_every_line_shows_the_full_computation_with_the_settings_of_now(lines: list[str]):
    session = Session()
    for line in lines:
        with contextlib.suppress(GradcalcError):
            run_line(session, line)
        if session.last is None:
            continue
        names = [name for name in ("a", "b", "x") if name in session.graph.bindings]
        try:
            shown = shown_results(session, names)
        except GradcalcError:
            continue
        expanded, collapsed = session.settings.expanded, session.settings.collapsed
        for result, node, name in shown:
            full = view_of(session.graph, node, name, expanded=expanded, collapsed=collapsed)
            assert_same_view(result, full)
            assert result.output_name == name
        (shown_vars,) = run_line(session, ":vars")  # of the program's own graph, whatever the settings
        plain = view_of(session.graph, session.last)
        assert shown_vars.output_label == plain.output_label  # type: ignore[attr-defined]
        for variable in shown_vars.variables:  # type: ignore[attr-defined]
            node = session.graph.bindings[variable.name]
            assert variable.grad == (plain.evaluation.grads[node] if node in plain.labels else None)


def test_views_of_an_unchanged_result_share_its_passes_and_a_change_makes_them_again():
    session = Session()
    run_lines = ["x = 1; y = 3; z = -3", "g = (x + y) * z"]
    for line in run_lines:
        run_line(session, line)
    (table,) = run_line(session, ":table")
    (grad,) = run_line(session, ":grad")
    (typed,) = run_line(session, "g")  # an expression adds no binding: what was shown stands
    assert grad.result is table.result and typed.result is table.result  # type: ignore[attr-defined]
    (named,) = run_line(session, ":table g")
    assert named.result.output_name == "g" and run_line(session, ":table g")[0].result is named.result  # type: ignore[attr-defined]

    run_line(session, "x = 2")  # in place: the same node, new numbers
    (after,) = run_line(session, ":grad g")
    assert after.result is not named.result  # type: ignore[attr-defined]
    assert after.result.labels is named.result.labels  # the same names: labelled once  # type: ignore[attr-defined]
    assert after.result.evaluation.value == -15  # type: ignore[attr-defined]
    assert gradients_of(after.result) == {"x": -3.0, "y": -3.0, "z": 5.0}  # type: ignore[attr-defined]

    run_line(session, ":expand on")
    (expanded,) = run_line(session, ":table")
    assert expanded.result.expanded and not after.result.expanded  # type: ignore[attr-defined]


def test_ans_typed_after_a_view_shows_the_result_by_its_new_name():
    session = Session()
    for line in ("a = 2; b = 3", "a * b + 1", ":table"):
        run_line(session, line)
    (shown,) = run_line(session, "ans")  # names the unnamed result ans, and adds no node
    assert shown.result.labels[session.last] == "ans"  # type: ignore[attr-defined]


def gradients_of(result: Result) -> dict[str, float]:
    ev = result.evaluation
    return {result.labels[i]: ev.grads[i] for i in ev.inputs}
