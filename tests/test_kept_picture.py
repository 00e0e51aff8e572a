"""A picture drawn again from its kept text (``views.kept_picture``) is the picture drawn afresh, byte for byte.

The REPL's ``:render`` keeps the last picture's DOT text with holes where its numbers go, and after a line
that only changes numbers writes the new numbers into them. These tests draw the same graph with other
input values both ways, in every style and with other options; change each thing a picture is drawn
for and check it is drawn again; and run the REPL sessions of ``test_repl_tapes`` with ``:render``
after every line.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gradcalc.errors import GradcalcError
from gradcalc.graph import Graph
from gradcalc.program import Result, run_source, view_of
from gradcalc.repl.commands import run_line
from gradcalc.repl.session import Session
from gradcalc.source import Source
from gradcalc.views import dot
from gradcalc.views.draw_options import DrawOptions
from gradcalc.views.kept_picture import KeptPicture
from test_repl_tapes import SESSIONS, full_views

PROGRAMS = {
    "seed": "x = 1; y = 3; z = -3\ng = (x + y) * z",
    "neuron": "w0 = 2; x = -1; w1 = -3; x1 = -2; w2 = -3\nf = 1/(1 + exp(-(w0*x + w1*x1 + w2)))",
    "a value read twice": "x = 2\nq = x * x + x * 3 - sin(x)",
    "a kink": "x = 0; y = 2\nk = relu(x) * y + abs(x - 1) + max(x, 0.5)",
    "a function and a loop": "x = 0.5; w = 2\nsig(t) = 1/(1+exp(-t))\nh = 0\nfor s in 1..3 { h = sig(w*h + x*s) }",
    "a second derivative": "x = 3\nd = grad(grad(x^3 * sin(x), x), x)",
    "one input in every term": "x = 1.5\n" + " + ".join(f"x*{k}.25" for k in range(1, 40)),
}
OPTIONS = [
    DrawOptions(),
    DrawOptions(style="boxes"),
    DrawOptions(rankdir="TB", precision=3, legend=False),
    DrawOptions(palette="classic", precision=0, style="boxes", legend=True),
    DrawOptions(precision=17),
]
# Values a user can give an input, with the ones whose texts are easy to get wrong: zeros of both signs
# (one text), ties at two decimals (2.675 is below the tie as a double), tiny and huge numbers.
VALUES = [0.7, 0.0, -0.0, 2.675, -1.005, 1e-300, 6.02e23, -3.0, 0.7]


def program_result(text: str) -> Result:
    return run_source(Source(text))


def again(result: Result, x: float) -> Result:
    """``result``'s graph evaluated with its input ``x`` set to ``x`` in place, labelled as before: what
    the REPL's session shows after ``x = ...``."""
    graph = result.graph
    graph.set_input("x", x)
    return view_of(graph, result.evaluation.output, result.output_name, labels=result.labels)


def fresh(result: Result, options: DrawOptions) -> str:
    return "".join(dot.dot_pieces(result, options))


def kept_text(kept: KeptPicture, result: Result, options: DrawOptions) -> str:
    pieces = list(kept.dot_pieces(result, options))
    assert all(piece.endswith("\n") for piece in pieces)  # whole lines, as dot_pieces gives them
    return "".join(pieces)


class Drawings:
    """How many times the kept picture drew a text with holes: once per picture, not per set of numbers."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.count = 0
        holed = dot.holed_pieces

        def counted(result: Result, options: DrawOptions) -> dot.Holed | None:
            self.count += 1
            return holed(result, options)

        monkeypatch.setattr(dot, "holed_pieces", counted)


@pytest.mark.parametrize("options", OPTIONS, ids=lambda o: f"{o.style}-{o.rankdir}-{o.precision}-{o.palette}")
@pytest.mark.parametrize("name", PROGRAMS)
def test_a_picture_with_other_numbers_written_in_is_the_picture_drawn_afresh(
    name: str, options: DrawOptions, monkeypatch: pytest.MonkeyPatch
):
    drawings = Drawings(monkeypatch)
    kept = KeptPicture()
    result = program_result(PROGRAMS[name])
    kinks = set()
    for x in VALUES:
        result = again(result, x)
        kinks.add(tuple(dot.kinks_of(result)))
        assert kept_text(kept, result, options) == fresh(result, options)
    assert kept_text(kept, result, options) == fresh(result, options)  # the same numbers again
    # Drawn once, and again only when the gates at a kink change (relu at 0, max at a tie).
    assert drawings.count <= len(kinks) + 1 and (drawings.count == 1 or name == "a kink")


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(allow_nan=False, allow_infinity=False, width=64), min_size=1, max_size=6))
def test_any_numbers_written_in_are_the_numbers_drawn_afresh(values: list[float]):
    kept, options = KeptPicture(), DrawOptions(precision=3)
    result = program_result("x = 1; y = 0.5\nq = x * x * y + exp(-x * x) - max(x, y)")
    for x in values:
        try:
            result = again(result, x)
        except GradcalcError:  # an overflow: the passes fail before any picture
            continue
        assert kept_text(kept, result, options) == fresh(result, options)


def test_anything_but_the_numbers_changed_draws_the_picture_again(monkeypatch: pytest.MonkeyPatch):
    drawings = Drawings(monkeypatch)
    kept = KeptPicture()
    result = program_result("x = 1; y = 3\ng = relu(x - 1) * y + x")
    output = result.evaluation.output
    changed: list[tuple[str, Result, DrawOptions]] = [
        ("as first drawn", result, DrawOptions()),
        ("other options", result, DrawOptions(precision=4)),
        ("another style", result, DrawOptions(style="boxes")),
        ("the output named", view_of(result.graph, output, "g2", labels=result.labels), DrawOptions()),
        ("expanded", view_of(result.graph, output, expanded=True), DrawOptions()),
        ("a kink gone", again(result, 3.0), DrawOptions()),
    ]
    for count, (why, shown, options) in enumerate(changed, 1):
        assert kept_text(kept, shown, options) == fresh(shown, options), why
        assert drawings.count == count, why
    graph: Graph = result.graph
    graph.set_input("z", 5.0)  # a node more: the labels (and the order) may not be the same
    grown = view_of(graph, output)
    assert kept_text(kept, grown, DrawOptions()) == fresh(grown, DrawOptions())
    assert drawings.count == len(changed) + 1


def test_a_picture_bigger_than_the_kept_ones_is_drawn_and_not_kept(monkeypatch: pytest.MonkeyPatch):
    drawings = Drawings(monkeypatch)
    monkeypatch.setattr("gradcalc.views.kept_picture.MOST_NODES", 10)
    kept, options = KeptPicture(), DrawOptions()
    result = program_result("x = 2\nh = x\n" + "h = h * 1.5 + x\n" * 5)
    assert kept_text(kept, result, options) == fresh(result, options)
    assert drawings.count == 0


def rendered(session: Session, path: Path) -> str:
    run_line(session, f":render {path}")
    return path.read_text()


@pytest.mark.parametrize("name", SESSIONS)
def test_every_render_after_every_line_of_a_session_is_the_picture_drawn_afresh(name: str, tmp_path: Path):
    session, path = Session(), tmp_path / "picture.dot"
    for _, full in full_views(session, SESSIONS[name]):  # the last result: what :render draws
        assert rendered(session, path) == fresh(full, DrawOptions())


def test_render_after_a_line_that_sets_an_input_writes_only_the_numbers_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    drawings = Drawings(monkeypatch)
    session, path = Session(), tmp_path / "chain.dot"
    for line in ("x = 0.5", "h = x * 1.0001", *["h = h * 1.0001" if k % 2 else "h = h + x" for k in range(300)]):
        run_line(session, line)
    first = rendered(session, path)
    for k in range(3):
        run_line(session, f"x = {0.7 + k}; h = h")  # h is the last result again, as the benchmark has it
        assert rendered(session, path) == fresh(session.last_result(), DrawOptions()) != first
    assert drawings.count == 1
    run_line(session, "h = h + 1")  # a node more: drawn again
    assert rendered(session, path) == fresh(session.last_result(), DrawOptions())
    assert drawings.count == 2
    run_line(session, ":reset")
    run_line(session, "x = 1; y = 2; g = x * y")
    assert rendered(session, path) == fresh(session.last_result(), DrawOptions())
    assert drawings.count == 3
