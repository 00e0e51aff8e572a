"""Tables as a user reads them: laid out for their content in files and pipes, for the width at a
terminal or in COLUMNS, and readable with long labels. Through the real console script.

The golden files are the output of the commands below, byte for byte, with NO_COLOR=1 and no COLUMNS
(and COLUMNS=80 for ``long_labels_80.txt``). Regenerate them after an intended change with
``GRADCALC_UPDATE_GOLDEN=1 pytest tests/test_tables.py`` and review the diff.
"""

from __future__ import annotations

import json
import os
import re
import shlex
from pathlib import Path

import pexpect
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import gradcalc_command, run_gradcalc
from gradcalc.numbers import format_number
from gradcalc.views.fitted_table import Cell, Column, Layout, Row, measure, wrap
from gradcalc.views.shorten import shorten

GOLDEN = Path(__file__).parent / "golden"
UPDATE = bool(os.environ.get("GRADCALC_UPDATE_GOLDEN"))

# The README's REPL transcript, typed into a pipe instead of a prompt (less its :render), then :vars.
README_SESSION = """\
x = 1; y = 3; z = -3
g = (x + y) * z
(x + y) * z
x = 2
g
sigmoid(ans / 10)
:table
:vars
"""

LONG_LABELS = (
    "hidden_layer_activation_3 = tanh(w*x + b)\n"
    "the_output_of_this_neuron_with_a_long_name = hidden_layer_activation_3 * (pi/4)"
    " + sigmoid(hidden_layer_activation_3)"
)
LONG_BINDINGS = ("w=0.5", "x=1", "b=0.1")
ROW = re.compile(r"^│.*│$")
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def check_golden(name: str, text: str) -> None:
    golden = GOLDEN / name
    if UPDATE:
        golden.write_text(text, encoding="utf-8")
    assert text == golden.read_text(encoding="utf-8")


def widest_line(text: str) -> int:
    return max(len(line) for line in text.splitlines())


def cells(text: str) -> list[list[str]]:
    """The body rows of the (first) table in ``text``, each split into its stripped cells."""
    return [[c.strip() for c in line.strip("│").split("│")] for line in text.splitlines() if ROW.match(line)]


def test_piped_readme_session_matches_golden_file(tmp_path: Path):
    done = run_gradcalc(stdin=README_SESSION, cwd=tmp_path, columns=None)
    assert done.returncode == 0, done.stderr
    assert "│ q    │ /       │ g, 10  │     -1.5 │ ∂q/∂g = 0.1, ∂q/∂10 = 0.15 │      0.149146 │" in done.stdout
    check_golden("repl_transcript.txt", done.stdout)


def test_long_labels_in_a_pipe_match_golden_file():
    done = run_gradcalc("eval", LONG_LABELS, *LONG_BINDINGS, columns=None)
    assert done.returncode == 0, done.stderr
    # every cell on one line: one table line per node, whatever the width that takes
    assert len(cells(done.stdout)) == 10
    assert "∂r/∂hidden_layer_activation_3 = 0.785398, ∂r/∂(pi/4) = 0.53705" in done.stdout
    check_golden("long_labels.txt", done.stdout)


def test_long_labels_at_80_columns_match_golden_file():
    done = run_gradcalc("eval", LONG_LABELS, *LONG_BINDINGS, columns=80)
    assert done.returncode == 0, done.stderr
    check_golden("long_labels_80.txt", done.stdout)


def test_a_file_or_pipe_is_not_wrapped_at_80_columns(tmp_path: Path):
    """``gradcalc run net.gc > out.txt`` used to wrap local ∂ cells over two or three rows."""
    net = tmp_path / "net.gc"
    net.write_text(
        "x0 = 1.5; x1 = -0.5; w00 = 0.3; w01 = -0.2; w10 = 0.8; w11 = 0.1; v0 = 1.2; v1 = -0.7\n"
        "hidden0 = tanh(w00*x0 + w01*x1)\nhidden1 = tanh(w10*x0 + w11*x1)\n"
        "output = sigmoid(v0*hidden0 + v1*hidden1)\n"
    )
    out = tmp_path / "out.txt"
    # typed at an 80-column terminal: standard input and error are the terminal, standard output the file
    command = " ".join(shlex.quote(part) for part in [*gradcalc_command(), "run", str(net)])
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")} | {"NO_COLOR": "1"}
    shell = pexpect.spawn("sh", ["-c", f"{command} > {shlex.quote(str(out))}"], env=env, dimensions=(24, 80))
    shell.expect(pexpect.EOF, timeout=60)
    shell.close()
    assert shell.exitstatus == 0
    text = out.read_text(encoding="utf-8")
    rows = cells(text)
    assert len(rows) == 20  # one line per node: nothing wrapped
    assert ["hidden0", "tanh", "r", "0.50052", "∂hidden0/∂r = 0.74948", "0.29994"] in rows
    assert widest_line(text) > 80


def test_columns_is_honoured_in_a_pipe():
    done = run_gradcalc("eval", "(x+y)*z", "x=1", "y=3", "z=-3", columns=60)
    assert done.returncode == 0, done.stderr
    assert widest_line(done.stdout) <= 60
    rows = cells(done.stdout)
    # the local ∂ cell wraps between its slopes, never inside one
    assert ["p", "+", "x, y", "4", "∂p/∂x = 1,", "-3"] in rows
    assert ["", "", "", "", "∂p/∂y = 1", ""] in rows
    wide = run_gradcalc("eval", "(x+y)*z", "x=1", "y=3", "z=-3", columns=None)
    assert "│ ∂p/∂x = 1, ∂p/∂y = 1  │" in wide.stdout


@pytest.mark.parametrize("width", [80, 100, 120, 160, 200])
def test_long_labels_stay_readable_at_any_width(width):
    done = run_gradcalc("eval", LONG_LABELS, *LONG_BINDINGS, columns=width)
    doc = json.loads(run_gradcalc("eval", LONG_LABELS, *LONG_BINDINGS, "--json").stdout)
    out = done.stdout
    assert widest_line(out) <= width
    header = next(line for line in out.splitlines() if line.startswith("┏"))
    assert "┳┳" not in header and "━┳━" in header
    rows = cells(out)
    ops = [row[1] for row in rows if row[1]]
    assert ops.count("input") == 3 and "const" in ops and "sigmoid" in ops  # never "inp…"
    names = [row[0] for row in rows if row[0]]
    assert len(names) == len(doc["nodes"]) and len(set(names)) == len(names)  # shortened, still distinct
    # every number of the table is whole on its line: values, gradients and local derivatives
    text = " ".join(" ".join(row) for row in rows)
    for node in doc["nodes"]:
        for number in (node["value"], node["grad"]):
            assert re.search(rf"(?<![\d.]){re.escape(format_number(number))}(?![\d])", text), number


def test_long_labels_are_shortened_only_as_far_as_the_width_needs():
    at_80 = cells(run_gradcalc("eval", LONG_LABELS, *LONG_BINDINGS, columns=80).stdout)
    at_200 = cells(run_gradcalc("eval", LONG_LABELS, *LONG_BINDINGS, columns=200).stdout)
    assert "hidden_layer_activation_3" in [row[0] for row in at_200]
    short_names = [row[0] for row in at_80 if "…" in row[0]]
    assert short_names and all(len(name) >= 10 for name in short_names)
    assert any(name.startswith("hidde") and name.endswith("on_3") for name in short_names)


def test_a_terminal_lays_the_table_out_for_its_width(tmp_path: Path):
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES", "NO_COLOR")}
    command = gradcalc_command()
    child = pexpect.spawn(
        command[0],
        [*command[1:], "eval", LONG_LABELS, *LONG_BINDINGS],
        env=env | {"TERM": "xterm", "NO_COLOR": "1"},
        cwd=str(tmp_path),
        encoding="utf-8",
        timeout=30,
        dimensions=(50, 100),
    )
    child.expect(pexpect.EOF)
    child.close()
    text = ANSI.sub("", child.before).replace("\r", "")
    assert widest_line(text) <= 100
    assert widest_line(text) > 90  # the table used the terminal's width, not 80 columns


def test_the_more_nodes_row_does_not_widen_the_node_column():
    program = " + ".join(f"x{i}" for i in range(10))
    done = run_gradcalc("eval", program, *(f"x{i}=1" for i in range(10)), "--rows", "4", columns=None)
    lines = done.stdout.splitlines()
    assert "… 15 more nodes (--rows 0 shows all)" in lines
    assert lines[1].startswith("┏━━━━━━┳")  # as wide as "node"
    assert ["…", "", "", "", "", ""] in cells(done.stdout)


# The two pieces of the layout, on their own.


def test_shorten_keeps_both_ends_of_a_label():
    assert shorten("hidden_layer_activation_3", 10) == "hidde…on_3"
    assert shorten("hidden_layer_1", 10) != shorten("hidden_layer_2", 10)
    assert shorten("x", 10) == "x"
    assert len(shorten("a" * 100)) == 32


def test_wrap_breaks_between_items_then_pieces():
    slopes = ((("", "∂p/"), ("", "∂x ="), (" ", "1,")), (("", "∂p/"), ("", "∂y ="), (" ", "0.15")))
    assert wrap(slopes, 30) == ["∂p/∂x = 1, ∂p/∂y = 0.15"]
    assert wrap(slopes, 12) == ["∂p/∂x = 1,", "∂p/∂y = 0.15"]
    assert wrap(slopes, 8) == ["∂p/∂x =", "1,", "∂p/∂y =", "0.15"]


def test_more_inputs_than_rows_show_their_first_and_last_gradients():
    """The summary lines stop growing with the inputs, as the table does; --rows 0 lists every gradient."""
    program = " + ".join(f"{i + 1}*x{i}" for i in range(10))
    inputs = [f"x{i}=1" for i in range(10)]
    lines = run_gradcalc("eval", program, *inputs, "--rows", "4", columns=None).stdout.splitlines()
    summary = lines[lines.index("f = 55") :]
    assert summary == ["f = 55", "∂f/∂x0 = 1", "∂f/∂x1 = 2", "… 6 more gradients (--rows 0 shows all)",
                       "∂f/∂x8 = 9", "∂f/∂x9 = 10"]  # fmt: skip
    every = run_gradcalc("eval", program, *inputs, "--rows", "0", columns=None).stdout.splitlines()
    assert every[every.index("f = 55") :] == ["f = 55", *(f"∂f/∂x{i} = {i + 1}" for i in range(10))]


_TEXTS = st.text(alphabet="ab∂ \t", max_size=6)
_ITEMS = st.lists(st.tuples(st.sampled_from(["", " "]), _TEXTS), min_size=1, max_size=3).map(tuple)
_CELLS = st.lists(_ITEMS, max_size=3)


@settings(deadline=None, database=None, derandomize=True, suppress_health_check=list(HealthCheck), max_examples=300)
@given(st.lists(st.lists(_CELLS.map(tuple), min_size=2, max_size=2), max_size=8), st.tuples(_CELLS, _CELLS))
def test_a_columns_widths_are_its_widest_piece_item_and_cell_whatever_the_order_of_its_rows(
    rows: list[list[Cell]], headers: tuple[Cell, Cell]
) -> None:
    """``measure``, one-piece cells (a name, a number) taken a quicker way, against the widths' definition:
    a piece's cells as Rich counts them (a tab has none, ∂ one), an item's pieces with their glue."""
    from rich.cells import cell_len

    def item(pieces: tuple[tuple[str, str], ...]) -> str:
        return "".join(glue + text if k else text for k, (glue, text) in enumerate(pieces))

    def widths(cell: Cell) -> tuple[int, int, int]:
        pieces = max((cell_len(text) for i in cell for _, text in i), default=0)
        items = max((cell_len(item(i)) for i in cell), default=0)
        return pieces, items, sum(cell_len(item(i)) for i in cell) + max(0, len(cell) - 1)

    layout = Layout([Column(header) for header in headers], [Row(cells) for cells in rows])
    got = measure(layout)
    for k, header in enumerate(headers):
        column = [widths(cells[k]) for cells in rows]
        assert got.narrowest[k] == max([widths(header)[0], *(w[0] for w in column)])
        whole_items = max([got.narrowest[k], *(w[1] for w in column)])
        assert got.stages[0][k] == whole_items
        assert got.stages[1][k] == max([whole_items, *(w[2] for w in column)])


@settings(deadline=None, database=None, derandomize=True, suppress_health_check=list(HealthCheck), max_examples=500)
@given(st.text(alphabet="ab1 '\t\n\x1b\x7f∂≈·…漢\u0301\u200b\u200d\ufe0f"))
def test_cell_width_counts_as_rich_counts(text: str) -> None:
    """The tables and the explanation measure what they draw as Rich does: a control character takes no
    cell, a wide character two, a joined sequence what Rich says."""
    from rich.cells import cell_len

    from gradcalc.views.cell_width import cell_width

    assert cell_width(text) == cell_len(text)
