"""The nodes ``grad`` builds, told apart by derivative order in every view: clusters, marks, fields.

``grad(grad(x^3, x), x)`` at x = 2: the 3 of 3x² is a node of the 1st derivative, the 2*x and the
products of the 2nd; x is the function's own. Pictures tint a cluster per grad call, tables and JSON
name its scope, the text drawing marks each name.
"""

from __future__ import annotations

import json
import math
import re
import sys
import xml.etree.ElementTree as ET

import pytest

from conftest import run_gradcalc
from gradcalc.program import run_source
from gradcalc.source import Source
from gradcalc.views.dot import ORDER_LINES, render_dot
from gradcalc.views.json_view import document, render_json
from gradcalc.views.palette import PALETTES
from gradcalc.views.text_graph import render_text
from helpers import run

SECOND = "grad(grad(x^3, x), x)"
FIRST_NAME = "∂(x^3)/∂x (1st derivative)"
SECOND_NAME = "∂²(x^3)/∂x² (2nd derivative)"
SVG = "{http://www.w3.org/2000/svg}"


def json_nodes(*args: str) -> list[dict[str, object]]:
    done = run_gradcalc("eval", *args, "--json")
    assert done.returncode == 0, done.stderr
    nodes: list[dict[str, object]] = json.loads(done.stdout)["nodes"]
    return nodes


def test_json_gives_each_node_of_a_gradient_its_order_and_scope() -> None:
    nodes = json_nodes(SECOND, "x=2")
    assert [(n["label"], n.get("order"), n.get("scope")) for n in nodes] == [
        ("x", None, None),
        ("3", 1, [FIRST_NAME]),
        ("2", 2, [SECOND_NAME]),
        ("p", 2, [SECOND_NAME]),
        ("f", 2, [SECOND_NAME]),
    ]
    assert nodes[-1]["value"] == 12.0


def test_a_program_without_grad_has_no_order_field() -> None:
    assert all("order" not in n and "scope" not in n for n in json_nodes("(x+y)*z", "x=1", "y=3", "z=-3"))


@pytest.mark.parametrize(
    "program",
    [SECOND, "y = x^2; z = grad(y, x)^3 + y; grad(z, x)", "d(t) = t * grad(w*t, w); d(x) + grad(d(x)*w, x)"],
)
def test_the_fast_json_writer_writes_the_order_as_the_document_says(program: str) -> None:
    result = run(program, x=2, w=3)
    assert render_json(result) == json.dumps(document(result), separators=(", ", ": ")) + "\n"


def test_a_gradient_of_a_gradient_is_one_order_higher_even_through_a_name() -> None:
    nodes = json_nodes("y = x^2; z = grad(y, x)^3 + y; grad(z, x)", "x=2")
    orders = {n.get("order") for n in nodes}
    assert orders == {None, 1, 2}
    assert {s for n in nodes for s in n.get("scope", [])} == {"∂y/∂x (1st derivative)", "∂z/∂x (2nd derivative)"}


@pytest.mark.parametrize(
    ("program", "name"),
    [
        ("grad(grad(x*y^2, x), y)", "∂²(x*y^2)/∂y∂x (2nd derivative)"),
        ("f = x^3; grad(grad(grad(f, x), x), x)", "∂³f/∂x³ (3rd derivative)"),
        ("grad(sin(x), x)", "∂sin(x)/∂x (1st derivative)"),
        ("grad(x*x + x*x*x + x*x*x*x, x)", "∂(x*x + x*x*x + x*x*x…)/∂x (1st derivative)"),
    ],
)
def test_a_gradient_is_named_after_its_call(program: str, name: str) -> None:
    nodes = json_nodes(program, "x=2", "y=3")
    assert name in nodes[-1]["scope"]  # type: ignore[operator]


def test_the_table_says_the_scope_of_each_gradient_node() -> None:
    done = run_gradcalc("eval", SECOND, "x=2")
    assert done.returncode == 0, done.stderr
    rows = {line.split("│")[1].strip(): line for line in done.stdout.splitlines() if line.startswith("│")}
    assert FIRST_NAME in rows["3"] and SECOND_NAME in rows["p"]
    assert "derivative" not in rows["x"]
    assert "f = 12" in done.stdout


def clusters(dot: str) -> dict[str, str]:
    """Each derivative cluster's title -> its attributes."""
    found = re.findall(r"subgraph cluster_\d+ \{ label=<<font [^>]*>([^<]*)</font>>; (.*)$", dot, re.M)
    return {title: rest for title, rest in found if "derivative" in title}


@pytest.mark.parametrize("palette", sorted(PALETTES))
def test_each_order_is_a_cluster_with_its_tint_and_its_line(palette: str) -> None:
    dot = render_dot(run(SECOND, x=2), palette=palette)
    found = clusters(dot)
    assert set(found) == {FIRST_NAME, SECOND_NAME}
    for order, title in ((1, FIRST_NAME), (2, SECOND_NAME)):
        fill, border = PALETTES[palette].order(order)
        attributes = found[title]
        assert f'fillcolor="{fill}"' in attributes and f'color="{border}"' in attributes
        assert f'style="filled,rounded,{ORDER_LINES[order - 1]}"' in attributes
        assert f'class="scope grad order{order}"' in attributes
    assert PALETTES[palette].order(1) != PALETTES[palette].order(2)


def test_the_legend_shows_the_orders_the_picture_has() -> None:
    second = render_dot(run(SECOND, x=2))
    assert "1st derivative: nodes of grad(…)" in second and "2nd derivative: nodes of grad(grad(…))" in second
    first = render_dot(run("grad(x^3, x)", x=2))
    assert "1st derivative: nodes of grad(…)" in first and "2nd derivative" not in first
    assert "derivative" not in render_dot(run("x^3", x=2))


def _luminance(colour: str) -> float:
    channels = [int(colour[k : k + 2], 16) / 255 for k in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _contrast(a: str, b: str) -> float:
    light, dark = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


@pytest.mark.parametrize("palette", sorted(PALETTES))
def test_the_tints_keep_the_numbers_readable_and_differ_in_greyscale(palette: str) -> None:
    colours = PALETTES[palette]
    for fill, _ in colours.orders:
        for text in (colours.value, colours.grad, colours.generated, colours.name):
            assert _contrast(fill, text) >= 3.0, (fill, text)
    first, second = (_luminance(colours.order(k)[0]) for k in (1, 2))
    assert first - second >= 0.1  # the 2nd derivative's cluster is visibly darker in a greyscale print
    assert len(set(ORDER_LINES)) == len(ORDER_LINES)  # and its border drawn with another line


def test_expand_keeps_the_order_of_every_gate_a_gradient_node_becomes() -> None:
    plain = json_nodes("grad(sigmoid(x)*x, x)", "x=0.5")
    expanded = json_nodes("grad(sigmoid(x)*x, x)", "x=0.5", "--expand")
    assert len(expanded) > len(plain)
    assert sum(1 for n in expanded if n.get("order") == 1) > sum(1 for n in plain if n.get("order") == 1)
    assert expanded[-1]["order"] == 1 and expanded[-1]["value"] == plain[-1]["value"]
    # the function's own sigmoid(x), reused as the partial of the product, stays order 0
    assert [n["symbol"] for n in expanded if "order" not in n] == ["input", "*-1", "exp", "+1", "1/x"]
    dot = render_dot(run("grad(sigmoid(x)*x, x)", expanded=True, x=0.5))
    assert set(clusters(dot)) == {"∂(sigmoid(x)*x)/∂x (1st derivative)"}


PROGRAMS_WITH_GRAD_INSIDE = [
    "d(t) = t * grad(w*t, w); d(x) + grad(d(x)*w, x)",
    "g(u) = grad(grad(u^3, x), x); g(x) + g(2*x)",
    "y = x; for t in 1..2 { y = y * grad(y^2, x) }",
]


@pytest.mark.parametrize("program", PROGRAMS_WITH_GRAD_INSIDE)
def test_grad_inside_functions_and_loops_draws_with_every_option(program: str) -> None:
    values = set()
    for expanded in (False, True):
        for collapsed in (False, True):
            result = run_source(Source(program), {"x": 2.0, "w": 3.0}, expanded=expanded, collapsed=collapsed)
            values.add(result.evaluation.value)
            assert render_dot(result).endswith("}\n") and render_text(result).rows
            assert json.loads(render_json(result))["nodes"]
    assert len(values) == 1
    done = run_gradcalc("render", program, "x=2", "w=3", "--collapse", "--expand", "-f", "text")
    assert done.returncode == 0, done.stderr


def test_collapse_keeps_the_gradients_outside_the_calls_and_their_order() -> None:
    nodes = json_nodes("d(t) = t * grad(w*t, w); d(x) + grad(d(x)*w, x)", "x=2", "w=3", "--collapse")
    assert [n["op"] for n in nodes if "order" not in n] == ["input", "input", "module", "add"]
    assert {n["order"] for n in nodes if "order" in n} == {1}
    assert nodes[-1]["value"] == 16.0  # d(x) = x^2 = 4, and d/dx (x^2 * w) = 2xw = 12


def test_the_text_drawing_marks_each_node_with_its_order() -> None:
    drawing = render_text(run(SECOND, x=2), layout="circuit").text()
    assert "3①" in drawing and "p②" in drawing and "f②" in drawing and "x①" not in drawing
    assert "① 1st derivative: nodes of grad(…)   ② 2nd derivative: nodes of grad(grad(…))" in drawing
    lanes = render_text(run(SECOND, x=2), layout="lane").text()
    assert re.search(r"p②\s+\*\s+2②, x", lanes) and re.search(r"f②\s+\*\s+3①, p②", lanes)
    assert "② 2nd derivative" in lanes
    ascii_ = render_text(run(SECOND, x=2), layout="lane", charset="ascii").text()
    assert "p[2]" in ascii_ and "[1] 1st derivative: nodes of grad(~)" in ascii_


def test_a_plain_program_draws_no_marks() -> None:
    drawing = render_text(run("(x+y)*z", x=1, y=3, z=-3), layout="lane").text()
    assert "derivative" not in drawing and "①" not in drawing


def test_real_svg_has_the_tinted_clusters(dot: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    done = run_gradcalc("render", SECOND, "x=2", "-o", "second.svg", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    root = ET.parse(tmp_path / "second.svg").getroot()
    fills = {}
    for group in root.iter(f"{SVG}g"):
        if (group.get("class") or "").startswith("cluster scope grad"):
            shape = group.find(f"{SVG}path")
            assert shape is not None
            fills[group.get("class")] = (shape.get("fill"), shape.get("stroke-dasharray"))
    safe = PALETTES["safe"]
    assert fills == {
        "cluster scope grad order1": (safe.order(1)[0], "5,2"),
        "cluster scope grad order2": (safe.order(2)[0], None),
    }
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert FIRST_NAME in texts and SECOND_NAME in texts


def test_grad_of_a_deep_expression_is_ordered_at_the_default_recursion_limit() -> None:
    depth = 10_000
    text = "grad(" + "sin(" * depth + "x" + ")" * depth + ", x)"
    result = run(text, x=0.5)
    assert sys.getrecursionlimit() <= 10_000
    ordered = document(result)["nodes"]
    assert ordered[-1]["order"] == 1 and sum(1 for n in ordered if "order" not in n) > 0


def test_a_failed_repl_line_forgets_its_gradient_and_the_next_orders_are_right() -> None:
    import gradcalc

    s = gradcalc.Session()
    s.run("x = 2; g = grad(x^3, x)")
    with pytest.raises(gradcalc.GradcalcError):
        s.run("h = grad(grad(x^4, x), x) + nowhere")
    line = s.run("grad(g, x)")
    assert line.value == 12.0
    assert [node.order for node in line.result.nodes] == [0, 1, 2, 2, 2]  # type: ignore[union-attr]


def test_many_small_grads_each_walk_only_their_own_nodes(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A grad per loop step differentiates its step's few nodes, not the whole graph grown so far."""
    from gradcalc import gradient_graph

    walked: list[int] = []
    original = gradient_graph._ancestors

    def counting(nodes, output):  # type: ignore[no-untyped-def]
        found = original(nodes, output)
        walked.append(len(found))
        return found

    monkeypatch.setattr(gradient_graph, "_ancestors", counting)
    result = run("s = 0; for t in 1..300 { s = s + grad(sin(w*t), w) }", w=0.5)
    assert len(walked) == 300 and max(walked) <= 5  # w, t, w*t, sin: not the 2,000 nodes before them
    assert result.evaluation.value == pytest.approx(sum(t * math.cos(0.5 * t) for t in range(1, 301)))
