"""``gradcalc`` reading a session from a pipe or a file: the real console script through subprocess."""

from __future__ import annotations

import re
import socket
from pathlib import Path

import pytest

from repl_support import run_gradcalc

SESSION = """\
# the seed example, built line by line
x = 1; y = 3; z = -3
g = (x + y) * z
(x + y) * z
x = 2
g
:grad g
f = sigmoid(w0*x0 +
            w1)
"""


def test_multi_line_session_with_an_in_place_update(tmp_path: Path):
    done = run_gradcalc(stdin=SESSION, home=tmp_path)
    out = done.stdout
    assert out.splitlines()[:12] == [
        "x = 1",
        "y = 3",
        "z = -3",
        "g = -12",
        "f = -12",
        "∂f/∂x = -3",
        "∂f/∂y = -3",
        "∂f/∂z = 4",
        "x = 2",
        "g = -15",
        "∂g/∂x = -3",
        "∂g/∂y = -3",
    ]
    assert "∂g/∂z = 5" in out
    # the statement continued inside parentheses fails as one statement, on the line it starts on
    assert "<stdin>:8:" in done.stderr and "'w0' has no value" in done.stderr
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert ">>>" not in out and "\x1b[" not in out + done.stderr


def test_errors_do_not_stop_the_session_and_name_their_line(tmp_path: Path):
    done = run_gradcalc(stdin="a = 2\nb = a * nope\n(a +\n:tabel\nb = a * 5\nb\n", home=tmp_path)
    assert done.stdout.splitlines() == ["a = 2", "b = 10", "b = 10", "∂b/∂a = 5"]
    errors = done.stderr
    assert "<stdin>:2:9: error: the name 'nope' has no value" in errors
    assert "<stdin>:3:" in errors and "syntax error" in errors
    assert "<stdin>:4:1: usage error: unknown command ':tabel'" in errors
    assert "hint: did you mean :table?" in errors
    assert done.returncode == 2  # the worst failure: a syntax error is a usage error
    assert "Traceback" not in errors


def test_a_clean_session_exits_zero_and_quit_stops_reading(tmp_path: Path):
    done = run_gradcalc(stdin="x = 3\nx * x\n:quit\nthis is never read (\n", home=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "x = 3\nf = 9\n∂f/∂x = 6\n"
    assert done.stderr == ""


def test_repl_command_reads_a_file_from_standard_input(tmp_path: Path):
    script = tmp_path / "session.gc"
    script.write_text("w = pi/4\nsin(w)^2 + cos(w)^2\n")
    with script.open() as stdin:
        done = run_gradcalc("repl", "-p", "3", stdin=stdin.read(), home=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["w = 0.785", "f = 1", "∂f/∂w = 0"]


def test_table_and_vars_in_a_pipe(tmp_path: Path):
    done = run_gradcalc(stdin="x = 1; y = 3; z = -3\nq = x + y\nq * z\n:table\n:vars\n", home=tmp_path)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "computational graph: 5 nodes" in out
    assert "│ q    │ +     │ x, y   │     4 │ ∂q/∂x = 1, ∂q/∂y = 1  │            -3 │" in out
    assert "∂f/∂name" in out


def test_save_in_a_pipe_then_run_gives_the_same_table(tmp_path: Path):
    saved = tmp_path / "saved.gc"
    session = f"x = 1; y = 3; z = -3\ng = (x + y) * z\nx = 2\nans * g\n:table\n:save {saved}\n"
    done = run_gradcalc(stdin=session, home=tmp_path)
    assert done.returncode == 0, done.stderr
    table = done.stdout[done.stdout.index("computational graph") : done.stdout.index("saved ")]
    replay = run_gradcalc("run", str(saved), home=tmp_path)
    assert replay.returncode == 0, replay.stderr
    assert replay.stdout == table
    assert "x = 2\n" in saved.read_text()


def test_no_color_and_a_pipe_give_plain_text(tmp_path: Path):
    done = run_gradcalc(stdin="x = 1\n:nope\n", home=tmp_path, NO_COLOR="1")
    assert "\x1b[" not in done.stdout + done.stderr


def test_explain_tells_the_chain_rule_of_the_last_result(tmp_path: Path):
    done = run_gradcalc(stdin="x = 1; y = 3; z = -3\ng = (x + y) * z\n:explain\n", home=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "g = p * z = 4 * -3 = -12" in done.stdout
    assert "∂g/∂x = ∂g/∂p * ∂p/∂x = -3 * 1 = -3" in done.stdout


def test_explain_of_a_graph_bigger_than_rows_tells_the_first_steps_of_each_pass(tmp_path: Path):
    """As :table shows a big graph's first and last rows, :explain tells at most --rows steps of each pass
    and says how to have them all told in the REPL."""
    lines = ["x = 0.5", "h = x * 2"] + ["h = h + x"] * 9 + [":explain"]
    done = run_gradcalc("repl", "--rows", "4", stdin="\n".join(lines) + "\n", home=tmp_path, NO_COLOR="1")
    assert done.returncode == 0, done.stderr
    forward, backward = done.stdout.split("Backward pass")
    steps = [line.split(" = ")[0].strip() for line in forward.splitlines() if line.startswith("  h")]
    assert steps == ["h", "h'", "h''", "h" + "'" * 3]
    assert "  … 6 more steps of the forward pass left out (--rows 0 tells them all)" in forward
    assert "  … 6 more steps of the backward pass left out (--rows 0 tells them all)" in backward
    assert "∂h'9/∂x = 11" in backward.split("Gradients")[1]

    everything = run_gradcalc("repl", "--rows", "0", stdin="\n".join(lines) + "\n", home=tmp_path, NO_COLOR="1")
    assert "left out" not in everything.stdout
    assert "h'9 = h'8 + x" in everything.stdout


def test_an_error_in_a_node_from_an_earlier_line_names_both_lines(tmp_path: Path):
    done = run_gradcalc(stdin="x = -1\ny = log(x)\nx = -2\ny\nx = 3\ny\n", home=tmp_path)
    assert done.stdout.splitlines() == ["x = -1", "x = -2", "x = 3", "y = 1.098612", "∂y/∂x = 0.333333"]
    assert "<stdin>:4: this line needs a node written on line 2:\n<stdin>:2:5: error: log(-2) is undefined" in (
        done.stderr
    )
    assert done.returncode == 1


# -- drawings: :show, :watch, :serve ------------------------------------------------------------------


def test_show_draws_the_graph_in_a_pipe_plain_with_the_current_values(tmp_path: Path):
    pytest.importorskip("gradcalc.views.text_graph")
    session = "x = 1; y = 3; z = -3\ng = (x + y) * z\n:show\nx = 2\n:show\n:show nope\ng\n"
    done = run_gradcalc(stdin=session, home=tmp_path)
    out = done.stdout
    first, second = out[out.index("g = -12") : out.index("x = 2")], out[out.index("x = 2") :]
    assert "-12" in first and "4" in first and "-15" not in first  # g, and ∂g/∂z at x = 1
    assert "-15" in second and "5" in second and "-12" not in second
    assert "\x1b[" not in out
    assert "error: the name 'nope' has no value" in done.stderr
    assert out.rstrip().endswith("∂g/∂z = 5")  # the session went on after the error


def test_show_of_a_long_session_draws_the_first_and_last_rows_as_the_table_does(tmp_path: Path):
    pytest.importorskip("gradcalc.views.text_graph")
    lines = ["x = 0.5", "h = x * 2"] + ["h = h + x" if i % 2 else "h = h * 1.0001" for i in range(3_000)]
    done = run_gradcalc("repl", "--rows", "20", stdin="\n".join([*lines, ":show"]) + "\n", home=tmp_path)
    assert done.returncode == 0, done.stderr
    out = done.stdout.splitlines()
    drawing = out[out.index(next(line for line in out if line.lstrip().startswith("node"))) :]
    assert len(drawing) == 1 + 10 + 1 + 10 + 1  # heading, first rows, the gap, last rows, a blank line
    assert drawing[1].split() == ["○", "x", "input", "▲", "0.50", "▼", "1620.58"]
    assert drawing[11] == "│ │ │  … 4,483 more nodes (--rows 0 shows all)"  # 4,503 nodes: x, 2, h, then 4,500
    assert drawing[-2].split() == ["●─╯", "h'3000", "+", "h'2999,", "x", "▲", "810.29", "▼", "1.00"]


def test_watch_in_a_pipe_says_it_needs_a_terminal_and_the_session_goes_on(tmp_path: Path):
    done = run_gradcalc(stdin="x = 3\n:watch on\nx * x\n", home=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[1].startswith(":watch needs a terminal")
    assert done.stdout.splitlines()[2:] == ["f = 9", "∂f/∂x = 6"]


def test_serve_in_a_pipe_prints_a_loopback_url_and_stops(tmp_path: Path):
    pytest.importorskip("gradcalc.live.server")
    done = run_gradcalc(stdin="x = 3\ng = x * x\n:serve\n:serve off\n:serve off\ng\n", home=tmp_path)
    assert done.returncode == 0, done.stderr
    assert re.search(r"the live page follows this session at http://127\.0\.0\.1:\d+/\S+", done.stdout)
    assert "the live page is stopped\nthe live page is not running\ng = 9\n" in done.stdout


def test_serve_on_a_port_in_use_is_a_clear_error_and_the_session_goes_on(tmp_path: Path):
    pytest.importorskip("gradcalc.live.server")
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = run_gradcalc(stdin=f"x = 3\n:serve --port {port}\nx * x\n", home=tmp_path)
    assert "<stdin>:2:" in done.stderr and str(port) in done.stderr
    assert "Traceback" not in done.stderr and "internal error" not in done.stderr
    assert done.stdout.splitlines() == ["x = 3", "f = 9", "∂f/∂x = 6"]
    assert done.returncode != 0


def test_values_follow_an_input_changed_in_place_and_an_assignment_warns_about_its_own_kink(tmp_path: Path):
    """Assignments show values the session keeps between lines: an input changed in place must renew
    every value built after it; a gate at a kink is warned about on the line that made it, once."""
    session = "x = 1\ny = x * 2\nx = 3\nz = y + 1\nx = -1\nl = log(x)\nx = 0\na = abs(x)\nb = a + 1\nb\n"
    done = run_gradcalc(stdin=session, home=tmp_path)
    assert done.stdout.splitlines()[:6] == ["x = 1", "y = 2", "x = 3", "z = 7", "x = -1", "x = 0"]
    assert done.stdout.splitlines()[6:] == ["a = 0", "b = 1", "b = 1", "∂b/∂x = 0"]
    assert "log(-1) is undefined" in done.stderr
    kink = "warning: a = abs(x): abs is at a point with no derivative"
    assert done.stderr.count(kink) == 2, done.stderr  # the line that made it, and the gradient of b


BLOCKS = """\
f(x) = {  # a block body, typed over several lines
  a = 2*x  # } in a comment closes nothing
  a + 1
}
y = f(3) + f(
  1)
h = 0; w = 0.5
for t in 1..3 {
  h = tanh(w*h + 1)
}
"""


def test_a_block_typed_over_several_lines_runs_as_one_entry(tmp_path: Path):
    done = run_gradcalc(stdin=BLOCKS + ":grad h\n", home=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "defined f(x)",
        "y = 10",
        "h = 0",
        "w = 0.5",
        "h = 0.893811",
        "h''' = 0.893811",
        "∂h'''/∂h = 0.00236069",
        "∂h'''/∂w = 0.19432",
        "  = 0 (t = 1) + 0.0171238 (t = 2) + 0.177196 (t = 3)",
    ]
    assert done.stderr == ""


def test_a_block_left_open_at_the_end_of_the_input_is_an_error_at_its_brace(tmp_path: Path):
    done = run_gradcalc(stdin="x = 2\nfor t in 1..3 {\n  x = x * t\n", home=tmp_path)
    assert done.stdout.splitlines() == ["x = 2"]
    assert done.stderr.splitlines() == [
        "<stdin>:2:15: syntax error: this '{' is never closed",
        "2 | for t in 1..3 {",
        "  |               ^",
        "hint: end the block with '}': a block may span lines, but a :command or the end of the input ends it",
    ]
    assert done.returncode == 2


LIST_OVER_LINES = """\
h = 1
for c in [2,  # a comment's ] closes nothing
  3,
  4] {
  h = h * c
}
s = 0; for v in [
  1, 2
] { s = s + v }
"""


def test_a_loops_list_typed_over_several_lines_runs_as_one_entry_and_replays(tmp_path: Path):
    done = run_gradcalc(stdin=LIST_OVER_LINES + ":save list.gc\n", home=tmp_path, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[:4] == ["h = 1", "h = 24", "s = 0", "s = 3"]
    assert done.stderr == ""
    replay = run_gradcalc("run", "list.gc", home=tmp_path, cwd=tmp_path)
    assert replay.returncode == 0, replay.stderr
    assert replay.stdout.splitlines()[-2:] == ["s'' = 3", "∂s''/∂s = 1"]
    # The loop alone through gradcalc run: the parser joins the lines inside [ ] as inside ( ).
    program = tmp_path / "program.gc"
    program.write_text(LIST_OVER_LINES.split("s = 0;")[0] + "h\n")
    ran = run_gradcalc("run", str(program), home=tmp_path)
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.splitlines()[-2:] == ["h''' = 24", "∂h'''/∂h = 24"]


def test_a_list_left_open_at_the_end_of_the_input_is_an_error_at_its_bracket(tmp_path: Path):
    done = run_gradcalc(stdin="x = 2\nfor c in [1,\n  2 { x = x * c }\n", home=tmp_path)
    assert done.stdout.splitlines() == ["x = 2"]
    assert done.stderr.splitlines() == [
        "<stdin>:2:10: syntax error: this '[' is never closed",
        "2 | for c in [1,",
        "  |          ^",
        "hint: end the list with ']': a list may span lines, but a :command or the end of the input ends it",
    ]
    assert done.returncode == 2


def test_a_command_line_ends_an_open_block_and_the_session_goes_on(tmp_path: Path):
    done = run_gradcalc(stdin="g(x) = {\n  x + 1\n:vars\ng(1) = 3\nz = 4\n", home=tmp_path)
    assert "<stdin>:1:8: syntax error: this '{' is never closed" in done.stderr
    assert done.stdout.splitlines()[-1] == "z = 4"
    assert "Traceback" not in done.stderr


def test_save_writes_a_multi_line_block_that_run_replays(tmp_path: Path):
    done = run_gradcalc(stdin=BLOCKS + ":save blocks.gc\n:table\n", home=tmp_path, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    saved = (tmp_path / "blocks.gc").read_text()
    assert "f(x) = {  # a block body, typed over several lines\n  a = 2*x" in saved
    replay = run_gradcalc("run", "blocks.gc", home=tmp_path, cwd=tmp_path)
    assert replay.returncode == 0, replay.stderr
    table = done.stdout[done.stdout.index("computational graph") :]
    assert table == replay.stdout
    piped_again = run_gradcalc(stdin=saved, home=tmp_path, cwd=tmp_path)
    assert piped_again.returncode == 0 and "h = 0.893811" in piped_again.stdout
