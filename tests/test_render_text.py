"""The graph drawn in text: golden drawings, every number on them, widths, colours, fallbacks, size.

Regenerate the golden drawings after an intended change with
``GRADCALC_UPDATE_GOLDEN=1 pytest tests/test_render_text.py`` and review the diff (``git diff
tests/golden/text``). The circuit drawings depend on Graphviz's layout: they were made with the
Graphviz of Debian 12 (2.42/2.43); another version may place the blocks differently.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from gradcalc.numbers import format_number
from gradcalc.program import Result, run_source
from gradcalc.source import Source
from gradcalc.views.formats import FORMATS
from gradcalc.views.text_graph import CIRCUIT_MAX_NODES, render_text
from gradcalc.views.text_lanes import MAX_LANES

GOLDEN = Path(__file__).parent / "golden" / "text"
UPDATE = bool(os.environ.get("GRADCALC_UPDATE_GOLDEN"))
EXAMPLES = Path(__file__).parent.parent / "examples"

NEURON_INPUTS = {"w0": 2, "x0": -1, "w1": -3, "x1": -2, "w2": -3}
CASES = {
    "seed": ((EXAMPLES / "seed_add_mul.gc").read_text(), {}, False),
    "neuron": ((EXAMPLES / "neuron.gc").read_text(), {}, False),
    "neuron_expanded": ((EXAMPLES / "neuron.gc").read_text(), {}, True),
    "reuse": ("y = x*x + a + a", {"x": 3, "a": 1}, False),
}
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def run(name: str) -> Result:
    text, inputs, expanded = CASES[name]
    return run_source(Source(text), {k: float(v) for k, v in inputs.items()}, expanded=expanded)


def gradcalc(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    beside = Path(sys.executable).with_name("gradcalc")
    command = [str(beside)] if beside.exists() else [sys.executable, "-m", "gradcalc"]
    environment = {k: v for k, v in os.environ.items() if k != "COLUMNS"} | {"NO_COLOR": "1"} | (env or {})
    done = subprocess.run(
        [*command, *args], capture_output=True, text=True, env=environment, cwd=cwd, timeout=120, check=False
    )
    assert "Traceback" not in done.stderr, done.stderr
    return done



def check_golden(name: str, text: str) -> None:
    golden = GOLDEN / name
    if UPDATE:
        golden.parent.mkdir(exist_ok=True)
        golden.write_text(text, encoding="utf-8")
    assert text == golden.read_text(encoding="utf-8")


# --- golden drawings -------------------------------------------------------------------------------


@pytest.mark.parametrize("charset", ["unicode", "ascii"])
@pytest.mark.parametrize("name", sorted(CASES))
def test_circuit_matches_golden_file(dot, name, charset):
    drawing = render_text(run(name), charset=charset)
    assert drawing.layout == "circuit" and drawing.reason is None
    check_golden(f"{name}.{'txt' if charset == 'unicode' else 'ascii.txt'}", drawing.text())


@pytest.mark.parametrize("charset", ["unicode", "ascii"])
@pytest.mark.parametrize("name", sorted(CASES))
def test_lane_view_matches_golden_file(name, charset):
    drawing = render_text(run(name), charset=charset, layout="lane")
    assert drawing.layout == "lane"
    check_golden(f"{name}.lanes.{'txt' if charset == 'unicode' else 'ascii.txt'}", drawing.text())


def test_ascii_drawings_are_plain_ascii(dot):
    for name in CASES:
        for layout in ("circuit", "lane"):
            render_text(run(name), charset="ascii", layout=layout).text().encode("ascii")


# --- what is on the drawing ------------------------------------------------------------------------


def marked_numbers(text: str, mark: str) -> list[str]:
    return sorted(re.findall(rf"{mark} +(-?[0-9.]+)", text))


@pytest.mark.parametrize("layout", ["circuit", "lane"])
@pytest.mark.parametrize("name", sorted(CASES))
def test_every_value_and_gradient_is_on_the_drawing(dot, name, layout):
    result = run(name)
    ev = result.evaluation
    text = render_text(result, layout=layout).text()
    assert marked_numbers(text, "▲") == sorted(f"{ev.values[i]:.2f}" for i in ev.order)
    assert marked_numbers(text, "▼") == sorted(f"{ev.grads[i]:.2f}" for i in ev.order)
    for i in ev.order:  # every node's name is written beside its value
        assert re.search(rf"(^|\s){re.escape(result.labels[i])} +(\S+ +)*▲ +{ev.values[i]:.2f}", text, re.M)


def test_expanded_neuron_shows_the_textbook_gates_and_numbers(dot):
    text = render_text(run("neuron_expanded")).text()
    for symbol in ("*", "+", "*-1", "exp", "+1", "1/x"):
        assert f"┤ {symbol} ├" in text or f"│ {symbol} ├" in text
    assert "f ▲ 0.73" in text and "x0 ▲ -1.00" in text and "▼  0.39" in text


def test_precision_sets_the_decimals():
    text = render_text(run("seed"), precision=4, layout="lane").text()
    assert "▲ -12.0000" in text and "▼  -3.0000" in text


def test_a_value_used_twice_is_one_wire_that_splits(dot):
    rows = render_text(run("reuse")).text().splitlines()
    x_wire = next(k for k, row in enumerate(rows) if row.startswith("x ▲")) + 1
    wire = rows[x_wire]
    assert wire.startswith("─")
    assert wire.lstrip("─")[0] == "┤"  # x's wire ends in a junction: two branches, both into x*x


def test_lines_never_exceed_the_width_given(dot):
    for name in CASES:
        for width in (20, 40, 60, 80, 100, 120):
            drawing = render_text(run(name), width=width)
            lines = drawing.text().splitlines()
            assert max(len(line) for line in lines) <= width, (name, width)
            assert drawing.width <= width and len(drawing.summary) <= width


def test_a_circuit_too_wide_becomes_the_lane_view_and_says_why(dot):
    drawing = render_text(run("neuron_expanded"), width=80)
    assert drawing.layout == "lane" and drawing.fits
    assert re.fullmatch(r"the circuit needs \d+ columns, more than the 80 available", drawing.reason or "")
    narrow = render_text(run("neuron_expanded"), width=30)
    assert not narrow.fits and narrow.summary.startswith("f = 0.73 · 13 nodes")


def test_too_tall_for_max_height_does_not_fit():
    drawing = render_text(run("neuron_expanded"), max_height=5, layout="lane")
    assert not drawing.fits and drawing.summary.startswith("f = 0.73 · 13 nodes · ∂f/∂w0 = -0.20")


def test_past_the_node_limit_the_lane_view_is_drawn():
    n = CIRCUIT_MAX_NODES  # x0 + x1 + ... has 2n - 1 nodes
    result = run_source(Source(" + ".join(f"x{i}" for i in range(n))), {f"x{i}": 1.0 for i in range(n)})
    drawing = render_text(result)
    assert drawing.layout == "lane" and f"{2 * n - 1:,} nodes" in (drawing.reason or "")


# --- colour ----------------------------------------------------------------------------------------


def test_colour_only_when_asked_values_green_gradients_red():
    drawing = render_text(run("seed"), layout="lane")
    assert not ANSI.search(drawing.text())
    coloured = drawing.text(color=True)
    assert "\x1b[32m▲ -12.00\x1b[0m" in coloured and "\x1b[31m▼     1.00\x1b[0m" in coloured
    assert ANSI.sub("", coloured) == drawing.text()


def test_no_color_output_of_the_command_has_no_escape_codes(dot):
    pexpect = pytest.importorskip("pexpect")
    beside = Path(sys.executable).with_name("gradcalc")
    args = ["render", str(EXAMPLES / "neuron.gc"), "--expand", "-f", "text"]
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "COLUMNS")} | {"TERM": "xterm"}
    coloured = pexpect.run(str(beside), args=args, env=env, dimensions=(60, 200), encoding="utf-8", timeout=60)
    assert "\x1b[32m" in coloured and "\x1b[31m" in coloured  # a terminal gets colour ...
    plain = pexpect.run(str(beside), args=args, env=env | {"NO_COLOR": "1"}, dimensions=(60, 200), encoding="utf-8")
    assert "\x1b[" not in plain and "▲ 0.73" in plain  # ... unless NO_COLOR is set


def test_a_terminal_in_the_c_locale_gets_ascii(dot):
    pexpect = pytest.importorskip("pexpect")
    beside = Path(sys.executable).with_name("gradcalc")
    args = ["render", str(EXAMPLES / "seed_add_mul.gc"), "-f", "text"]
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "PYTHONIOENCODING")}
    env |= {"TERM": "xterm", "NO_COLOR": "1", "LANG": "C", "LC_ALL": "C"}
    shown = pexpect.run(str(beside), args=args, env=env, dimensions=(60, 200), encoding="utf-8", timeout=60)
    assert shown.replace("\r\n", "\n") == (GOLDEN / "seed.ascii.txt").read_text()
    utf8 = pexpect.run(str(beside), args=args, env=env | {"LANG": "C.UTF-8", "LC_ALL": "C.UTF-8"}, encoding="utf-8")
    assert "╭───╮" in utf8


# --- the command line ------------------------------------------------------------------------------


def test_render_f_text_prints_the_drawing(dot):
    done = gradcalc("render", str(EXAMPLES / "seed_add_mul.gc"), "-f", "text")
    assert done.returncode == 0 and done.stderr == ""
    assert done.stdout == (GOLDEN / "seed.txt").read_text()
    same = gradcalc("render", str(EXAMPLES / "seed_add_mul.gc"), "-f", "text", "-o", "-")
    assert same.stdout == done.stdout
    ascii_done = gradcalc("render", str(EXAMPLES / "seed_add_mul.gc"), "-f", "text", "--ascii")
    assert ascii_done.stdout == (GOLDEN / "seed.ascii.txt").read_text()


def test_render_writes_a_text_file_and_run_prints_the_drawing_instead_of_the_table(dot, tmp_path):
    done = gradcalc("render", str(EXAMPLES / "neuron.gc"), "--expand", "-o", "neuron.txt", cwd=tmp_path)
    assert done.returncode == 0 and "wrote neuron.txt" in done.stderr
    assert (tmp_path / "neuron.txt").read_text() == (GOLDEN / "neuron_expanded.txt").read_text()
    done = gradcalc("run", str(EXAMPLES / "neuron.gc"), "-o", "-", "-f", "text", "-p", "3")
    assert done.returncode == 0 and "f ▲ 0.731" in done.stdout and "┏" not in done.stdout


def test_an_encoding_without_box_drawing_gets_ascii(dot):
    done = gradcalc("render", str(EXAMPLES / "seed_add_mul.gc"), "-f", "text", env={"PYTHONIOENCODING": "ascii"})
    assert done.returncode == 0, done.stderr
    assert done.stdout == (GOLDEN / "seed.ascii.txt").read_text()


def test_a_narrow_terminal_gets_the_lane_view_never_wrapped_lines(dot):
    done = gradcalc("render", str(EXAMPLES / "neuron.gc"), "--expand", "-f", "text", env={"COLUMNS": "80"})
    assert done.returncode == 0
    assert "lane view" in done.stderr and "more than the 80 available" in done.stderr
    assert max(len(line) for line in done.stdout.splitlines()) <= 80
    assert "  1/x " in done.stdout and "▼ ∂f/∂node" in done.stdout
    done = gradcalc("render", str(EXAMPLES / "neuron.gc"), "--expand", "-f", "text", env={"COLUMNS": "30"})
    assert max(len(line) for line in done.stdout.splitlines()) <= 30
    assert "lines are cut at 30 columns" in done.stderr


def test_without_dot_the_lane_view_and_an_install_hint(tmp_path):
    empty = tmp_path / "bin"
    empty.mkdir()
    done = gradcalc("render", str(EXAMPLES / "seed_add_mul.gc"), "-f", "text", env={"PATH": str(empty)})
    assert done.returncode == 0
    assert done.stdout == (GOLDEN / "seed.lanes.txt").read_text()
    assert "Graphviz's dot is not installed" in done.stderr and "apt-get install graphviz" in done.stderr


def test_render_without_output_or_text_format_is_a_usage_error():
    done = gradcalc("render", "x*x", "x=3")
    assert done.returncode == 2 and "-o FILE" in done.stderr and "-f text" in done.stderr
    done = gradcalc("render", "x*x", "x=3", "-f", "png")
    assert done.returncode == 2 and "-o FILE" in done.stderr


def test_picture_only_options_are_refused_for_the_text_drawing():
    done = gradcalc("render", "x*x", "x=3", "-f", "text", "--style", "boxes")
    assert done.returncode == 2 and "always a circuit" in done.stderr and done.stdout == ""


def test_help_texts_name_every_registered_format():
    render_help = gradcalc("render", "--help", env={"COLUMNS": "200"}).stdout
    run_help = gradcalc("run", "--help", env={"COLUMNS": "200"}).stdout
    from gradcalc.repl.commands import COMMANDS

    for entry in FORMATS.values():
        assert entry.name in render_help and entry.suffixes[0] in render_help
        assert entry.suffixes[0] in run_help
        assert entry.suffixes[0] in COMMANDS["render"].summary


# --- size ------------------------------------------------------------------------------------------


def wide_sum(n: int) -> Result:
    """w0*x0 + w1*x1 + ...: 4n - 1 nodes, every input computed first, so thousands of values are live."""
    text = " + ".join(f"w{i}*x{i}" for i in range(n))
    return run_source(Source(text), {f"w{i}": float(i % 7) for i in range(n)} | {f"x{i}": 2.0 for i in range(n)})


def check_lane_view(result: Result) -> float:
    before = sys.getrecursionlimit()
    sys.setrecursionlimit(1000)
    try:
        start = time.perf_counter()
        drawing = render_text(result, width=100)
        text = drawing.text()
        took = time.perf_counter() - start
    finally:
        sys.setrecursionlimit(before)
    lines = text.splitlines()
    assert drawing.layout == "lane" and len(lines) == len(result.evaluation.order) + 1
    assert max(len(line) for line in lines) <= 100
    gutter = lines[1].index("w0") - 2
    assert gutter <= 2 * MAX_LANES + 1  # the gutter stays bounded however many values are live
    value = result.evaluation.value
    assert re.search(rf"^●─╯ +f +\+ .*▲ +{value:.2f}  ▼ +1\.00$", lines[-1]), lines[-1]
    return took


def test_lane_view_of_10000_nodes():
    check_lane_view(wide_sum(2_500))


def test_a_lane_view_past_max_rows_draws_its_first_and_last_rows_and_carries_the_lanes_across():
    result = wide_sum(500)  # 1,999 nodes: the 1,000 inputs, then the products and the sums
    full = render_text(result, layout="lane").rows
    drawing = render_text(result, layout="lane", max_rows=40)
    rows = drawing.rows
    assert len(rows) == 1 + 20 + 1 + 20 and drawing.fits
    gap = rows[21]
    assert gap.endswith("… 1,959 more nodes (--rows 0 shows all)")
    assert gap.split("…")[0].rstrip() == " ".join(["│"] * MAX_LANES)  # the first inputs hold every lane across
    # the rows drawn are those of the whole drawing, words and numbers alike (the columns may be narrower)
    assert [row.split() for row in rows[1:21]] == [row.split() for row in full[1:21]]
    assert [row.split() for row in rows[-20:]] == [row.split() for row in full[-20:]]
    assert render_text(result, layout="lane", max_rows=0).rows == full
    assert render_text(result, layout="lane", max_rows=len(result.evaluation.order)).rows == full


@pytest.mark.slow
def test_lane_view_of_100000_nodes_at_the_default_recursion_limit():
    result = wide_sum(25_000)
    assert len(result.evaluation.order) == 99_999
    took = check_lane_view(result)
    assert took < 30


@pytest.mark.parametrize("program", ["x*x", "-x^2 + x/4", "tanh(a*b) / (a - 2)", "max(x, y) * relu(x - 2)"])
def test_every_gate_is_a_whole_box_with_its_symbol(dot, program):
    result = run_source(Source(program), {"x": 3.0, "y": 1.0, "a": 0.5, "b": -1.5})
    text = render_text(result, layout="circuit").text()
    nodes = result.graph.nodes
    symbols = [nodes[i].op.gate_symbol(nodes[i].param, format_number) for i in result.evaluation.order if nodes[i].args]
    for symbol in set(symbols):
        line = "─" * (len(symbol) + 2)
        assert text.count(f"╭{line}╮") >= symbols.count(symbol)
        assert text.count(f"╰{line}╯") >= symbols.count(symbol)
        assert text.count(f" {symbol} ├") == symbols.count(symbol)


def test_a_redraw_after_an_input_changes_reuses_the_layout(dot, monkeypatch):
    from gradcalc.program import view_of
    from gradcalc.views import text_layout

    result = run("neuron_expanded")
    first = render_text(result, layout="circuit").text()
    calls = []
    real_run = text_layout.subprocess.run
    monkeypatch.setattr(text_layout.subprocess, "run", lambda *a, **k: calls.append(a) or real_run(*a, **k))
    result.graph.set_input("x0", 1.0)
    again = render_text(view_of(result.graph, result.evaluation.output), layout="circuit").text()
    assert calls == []  # the graph's shape is the same: no second run of dot
    assert again != first and re.search(r"x0 ▲ +1\.00", again) and re.search(r"f ▲ +0\.99", again)
