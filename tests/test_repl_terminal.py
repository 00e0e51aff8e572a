"""The REPL at a real pseudo-terminal, driven by pexpect as a user would type."""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pexpect
import pytest

from repl_support import gradcalc_command, isolated_env, run_gradcalc

# prompt_toolkit turns bracketed paste on when a prompt starts and off when the line is accepted (or
# cancelled): the output of a line is exactly what comes between the two.
PROMPT_STARTS = "\x1b[?2004h"
LINE_ACCEPTED = "\x1b[?2004l"
TIMEOUT = 20
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b[=>]")


class Repl:
    """A gradcalc REPL in a pseudo-terminal, with its own HOME (and so its own history)."""

    def __init__(self, home: Path, cwd: Path) -> None:
        command = gradcalc_command()
        env = isolated_env(home, TERM="xterm", PROMPT_TOOLKIT_NO_CPR="1")
        self.child = pexpect.spawn(
            command[0], command[1:], env=env, cwd=str(cwd), encoding="utf-8", timeout=TIMEOUT, dimensions=(50, 160)
        )
        self.prompt()

    def prompt(self) -> str:
        """Wait for the next prompt; what was printed before it, without escape sequences."""
        self.child.expect_exact(PROMPT_STARTS)
        return ANSI.sub("", self.child.before).replace("\r", "")

    def line(self, text: str) -> str:
        """Type a line and Enter; its output."""
        self.child.send(text + "\r")
        self.child.expect_exact(LINE_ACCEPTED)
        return self.prompt()

    def close(self) -> None:
        if self.child.isalive():
            self.child.sendcontrol("c")  # whatever is typed goes; then Ctrl-D on the empty line leaves
            self.child.sendcontrol("d")
            self.child.expect(pexpect.EOF)
        self.child.close()


@pytest.fixture
def repl(tmp_path: Path) -> Iterator[Repl]:
    session = Repl(tmp_path, tmp_path)
    yield session
    session.close()


def test_statements_show_values_and_an_update_in_place(repl: Repl):
    assert "z = -3" in repl.line("x = 1; y = 3; z = -3")
    assert "g = -12" in repl.line("g = (x + y) * z")
    out = repl.line("(x + y) * z")
    assert "f = -12" in out and "∂f/∂x = -3" in out and "∂f/∂z = 4" in out
    assert "x = 2" in repl.line("x = 2")
    out = repl.line("g")
    assert "g = -15" in out and "∂g/∂z = 5" in out


def test_tab_completes_functions_and_names(repl: Repl):
    repl.line("weight = 0.5")
    repl.child.send("sigm\t")  # one function starts so: completed with its parenthesis
    repl.child.send("wei\t")  # one name
    out = repl.line(")")
    assert "f = 0.622459" in out
    assert "∂f/∂weight = 0.235004" in out


def test_tab_completes_commands(repl: Repl):
    repl.line("x = 3")
    repl.child.send(":va\t")
    out = repl.line("")
    assert "name" in out and "input" in out and "3" in out  # the :vars table


def test_history_persists_across_two_sessions(tmp_path: Path):
    first = Repl(tmp_path, tmp_path)
    first.line("x = 42")
    first.close()
    history = tmp_path / "data" / "gradcalc" / "history"
    assert "x = 42" in history.read_text()
    second = Repl(tmp_path, tmp_path)
    try:
        second.child.send("\x1b[A")  # Up: the last line of the previous session
        assert "x = 42" in second.line("")
        second.child.sendcontrol("r")  # Ctrl-R: search the history
        second.child.send("= 4\r")  # Enter ends the search with the line found; Enter again runs it
        assert "x = 42" in second.line("")
    finally:
        second.close()


def test_ctrl_c_cancels_the_line_and_keeps_the_session(repl: Repl):
    repl.line("x = 7")
    repl.child.send("x = 99")
    repl.child.sendcontrol("c")
    repl.child.expect_exact(LINE_ACCEPTED)
    repl.prompt()
    out = repl.line("x * 2")
    assert "f = 14" in out


def test_an_error_does_not_end_the_session(repl: Repl):
    repl.line("x = 2")
    out = repl.line("log(-x)")
    assert "error: log(-2) is undefined" in out
    assert "2 | log(-x)" in out
    out = repl.line("nope + 1")
    assert "the name 'nope' has no value" in out
    assert "Traceback" not in out
    assert "f = 4" in repl.line("x * x")


def test_the_validator_refuses_a_syntax_error_before_the_line_is_accepted(repl: Repl):
    repl.line("x = 1")
    repl.child.send("x + * 2\r")
    repl.child.expect_exact("syntax error: unexpected '*'")
    repl.child.sendcontrol("c")  # the line was not accepted; cancel it
    repl.child.expect_exact(LINE_ACCEPTED)
    repl.prompt()
    assert "f = 2" in repl.line("x + x")


def test_render_writes_a_real_svg(repl: Repl, tmp_path: Path):
    repl.line("x = 1; y = 3; z = -3")
    repl.line("g = (x + y) * z")
    out = repl.line(":render seed.svg")
    assert "wrote seed.svg" in out
    svg = (tmp_path / "seed.svg").read_text()
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg
    assert ">&#45;12.00<" in svg  # the output's value is drawn, with the picture's 2 decimals


def test_save_then_run_gives_the_same_table(repl: Repl, tmp_path: Path):
    repl.line("x = 1; y = 3; z = -3")
    repl.line("g = (x + y) * z")
    repl.line("x = 2")
    repl.line("sigmoid(g / 10) * ans")  # ans: the last result, the input x
    table = repl.line(":table")
    assert "saved" in repl.line(":save session.gc")
    replay = run_gradcalc("run", "session.gc", home=tmp_path, cwd=tmp_path)
    assert replay.returncode == 0, replay.stderr
    shown = [line.rstrip() for line in table.splitlines() if line.strip()]
    assert shown == [line.rstrip() for line in replay.stdout.splitlines() if line.strip()]


def test_ctrl_d_leaves_with_status_zero(repl: Repl):
    repl.child.sendcontrol("d")
    repl.child.expect(pexpect.EOF)
    repl.child.close()
    assert repl.child.exitstatus == 0


def test_an_open_parenthesis_continues_the_statement_on_the_next_line(repl: Repl):
    repl.line("w0 = 2; x0 = -1; w1 = -3; x1 = -2; w2 = -3")
    repl.child.send("f = sigmoid(w0*x0 + w1*x1\r")  # Enter inside the parentheses: a new line, not an error
    out = repl.line("+ w2)")
    assert "f = 0.731059" in out
    repl.child.send("f = (1 +\r")  # an unfinished statement that Ctrl-C drops as a whole
    repl.child.sendcontrol("c")
    repl.child.expect_exact(LINE_ACCEPTED)
    repl.prompt()
    assert "f = 0.731059" in repl.line("f")


def test_the_line_is_highlighted_as_it_is_typed(repl: Repl):
    repl.line("x = 1")
    repl.child.send("sigmoid(x) + 2.5")
    repl.child.expect_exact("\x1b[0;33m2.5")  # numbers yellow
    typed = repl.child.before
    assert "\x1b[0;32msigmoid" in typed  # functions green
    assert "\x1b[0;36mx" in typed  # bound names cyan
    repl.line("")


def test_no_color_turns_highlighting_off(tmp_path: Path):
    command = gradcalc_command()
    child = pexpect.spawn(
        command[0],
        command[1:],
        env=isolated_env(tmp_path, TERM="xterm", PROMPT_TOOLKIT_NO_CPR="1", NO_COLOR="1"),
        encoding="utf-8",
        timeout=TIMEOUT,
    )
    try:
        child.expect_exact(PROMPT_STARTS)
        child.send("x = 1; sigmoid(x) + 2.5\r")
        child.expect_exact(PROMPT_STARTS)  # the next prompt: the line and its output are done
        assert "f = " in child.before
        assert not re.search(r"\x1b\[[0-9;]*3[0-7]m", child.before)  # no foreground colour at all
    finally:
        child.sendcontrol("d")
        child.expect(pexpect.EOF)
        child.close()


# -- drawings: :show, :watch, :serve ------------------------------------------------------------------


def test_show_prints_the_drawing_with_its_values(repl: Repl):
    pytest.importorskip("gradcalc.views.text_graph")
    repl.line("x = 1; y = 3; z = -3")
    repl.line("g = (x + y) * z")
    out = repl.line(":show")
    assert "-12" in out and "4" in out and "-3" in out
    repl.line("x = 2")
    out = repl.line(":show")
    assert "-15" in out and "-12" not in out


def test_errors_in_show_watch_and_serve_never_end_the_session(repl: Repl):
    assert "nothing to show yet" in repl.line(":show")
    repl.line("x = 2")
    assert "the name 'nope' has no value" in repl.line(":show nope")
    assert "usage: :watch on|off" in repl.line(":watch maybe")
    assert "the port must be a number from 1 to 65535" in repl.line(":serve --port 0")
    assert "usage: :serve" in repl.line(":serve now")
    out = repl.line("x * 2")
    assert "f = 4" in out and "Traceback" not in out


def test_serve_on_a_port_in_use_says_so_and_the_session_goes_on(repl: Repl):
    pytest.importorskip("gradcalc.live.server")
    repl.line("x = 3")
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        out = repl.line(f":serve --port {port}")
    assert str(port) in out and "Traceback" not in out and "internal error" not in out
    assert "f = 9" in repl.line("x * x")


def test_serve_prints_its_url_and_leaving_the_repl_stops_it(repl: Repl):
    pytest.importorskip("gradcalc.live.server")
    repl.line("x = 3; g = x * x")
    out = repl.line(":serve")
    match = re.search(r"(http://127\.0\.0\.1:(\d+)/\S*)", out)
    assert match, out
    port = int(match.group(2))
    with socket.create_connection(("127.0.0.1", port), timeout=5):
        pass  # it listens
    repl.child.sendcontrol("d")
    repl.child.expect(pexpect.EOF)
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=5).close()


class Screen:
    """gradcalc in a tmux pane: what the terminal shows, as the user sees it (the :watch panel is redrawn
    in place, so the bytes sent to the terminal do not say what is on the screen; tmux's copy does)."""

    def __init__(self, tmp_path: Path) -> None:
        self.tmux = ["tmux", "-S", str(tmp_path / "tmux.socket")]
        env = isolated_env(tmp_path)  # tmux answers the cursor position requests the bottom panel needs
        names = ("HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "PATH")
        command = ["env", "-u", "NO_COLOR", *(f"{name}={env[name]}" for name in names), *gradcalc_command()]
        subprocess.run([*self.tmux, "new-session", "-d", "-x", "120", "-y", "40", *command], check=True, cwd=tmp_path)
        self.wait_for(lambda screen: ">>>" in screen)

    def screen(self) -> str:
        return subprocess.run([*self.tmux, "capture-pane", "-p"], capture_output=True, text=True, check=True).stdout

    def type(self, line: str) -> None:
        subprocess.run([*self.tmux, "send-keys", "-l", line], check=True)
        subprocess.run([*self.tmux, "send-keys", "Enter"], check=True)

    def wait_for(self, seen: Callable[[str], bool]) -> str:
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            screen = self.screen()
            if seen(screen):
                return screen
            time.sleep(0.05)
        raise AssertionError(f"not on the screen in {TIMEOUT} s:\n{self.screen()}")

    def close(self) -> None:
        subprocess.run([*self.tmux, "kill-server"], capture_output=True)


@pytest.fixture
def screen(tmp_path: Path) -> Iterator[Screen]:
    if shutil.which("tmux") is None:
        pytest.skip("tmux is not installed")
    shown = Screen(tmp_path)
    yield shown
    shown.close()


def panel(screen: str) -> str:
    """The :watch panel: from its title rule to the bottom of the screen."""
    return screen[screen.index("── :watch") :] if "── :watch" in screen else ""


def test_watch_redraws_the_panel_in_place_when_an_input_changes(screen: Screen):
    pytest.importorskip("gradcalc.views.text_graph")
    screen.type("x = 1; y = 3; z = -3")
    screen.type("g = (x + y) * z")
    screen.type(":watch on")
    shown = screen.wait_for(lambda s: "-12" in panel(s))
    assert "watch is on" in shown
    screen.type("x = 2")
    shown = screen.wait_for(lambda s: "-15" in panel(s))
    assert "-12" not in panel(shown)
    assert len(panel(shown).splitlines()) <= 20  # at most half the terminal's 40 rows
    screen.type(":watch off")
    screen.wait_for(lambda s: "watch is off" in s and not panel(s))


def test_watch_shows_a_one_line_summary_for_a_graph_too_big_for_the_panel(screen: Screen):
    pytest.importorskip("gradcalc.views.text_graph")
    screen.type("x = 1")
    screen.type(":watch on")
    screen.type("s = " + " + ".join(f"x * {i}" for i in range(1, 60)))
    shown = screen.wait_for(lambda s: "1770" in panel(s))
    assert len(panel(shown).strip().splitlines()) == 2  # the title and the summary
    screen.type("s * 2")  # typing goes on
    screen.wait_for(lambda s: "f = 3540" in s)


def test_show_is_in_colour_unless_no_color(tmp_path: Path):
    pytest.importorskip("gradcalc.views.text_graph")
    foreground = re.compile(r"\x1b\[[0-9;]*3[0-7]m")
    for no_color, coloured in (({}, True), ({"NO_COLOR": "1"}, False)):
        command = gradcalc_command()
        env = isolated_env(tmp_path, TERM="xterm", PROMPT_TOOLKIT_NO_CPR="1", **no_color)
        child = pexpect.spawn(command[0], command[1:], env=env, encoding="utf-8", timeout=TIMEOUT)
        try:
            child.expect_exact(PROMPT_STARTS)
            child.send("x = 1; y = 3; z = -3; g = (x + y) * z\r")
            child.expect_exact(PROMPT_STARTS)
            child.send(":show\r")
            child.expect_exact(LINE_ACCEPTED)
            child.expect_exact(PROMPT_STARTS)
            assert "-12" in ANSI.sub("", child.before)
            assert bool(foreground.search(child.before)) is coloured
        finally:
            child.sendcontrol("d")
            child.expect(pexpect.EOF)
            child.close()


def test_tab_completes_the_arguments_of_watch_and_serve(repl: Repl):
    repl.line("x = 1; g = x * 2")
    repl.child.send(":watch of\t")  # ":watch of" alone is a usage error
    assert "watch is off" in repl.line("")
    repl.child.send(":serve of\t")
    assert "the live page is not running" in repl.line("")


def test_a_block_typed_over_several_lines_runs_as_one_entry_kept_whole_in_history(repl: Repl, tmp_path: Path):
    repl.child.send("f(x) = {  # a body over several lines\r")  # Enter in an open block: a continuation line
    repl.child.expect_exact("...")
    repl.child.send("a = 2*x  # } in a comment closes nothing\r")
    repl.child.expect_exact("...")
    repl.child.send("a + 1\r")
    out = repl.line("}")
    assert "defined f(x)" in out and "error" not in out
    assert "y = 7" in repl.line("y = f(3)")
    repl.child.send("h = 0; w = 0.5; for t in 1..3 {\r")
    out = repl.line("h = tanh(w*h + 1) }")
    assert "h = 0.893811" in out
    # Up: the loop (its two lines, the cursor on the last), Up: its first line, Up: y = f(3), Up: the
    # function's block, its four lines as one entry
    repl.child.send("\x1b[A\x1b[A\x1b[A\x1b[A")
    out = repl.line("")  # Enter at its end runs it all again
    assert "defined f(x)" in out and "error" not in out
    history = (tmp_path / "data" / "gradcalc" / "history").read_text()
    assert "+f(x) = {  # a body over several lines\n+a = 2*x" in history
    assert "saved" in repl.line(":save blocks.gc")
    replay = run_gradcalc("run", "blocks.gc", home=tmp_path, cwd=tmp_path)
    assert replay.returncode == 0, replay.stderr
    assert "h''' = 0.893811" in replay.stdout and "∂h'''/∂w = 0.19432" in replay.stdout


def test_a_loops_list_left_open_asks_for_another_line(repl: Repl):
    repl.line("h = 1")
    repl.child.send("for c in [2,\r")  # Enter in an open [ list: a continuation line, as in ( or {
    repl.child.expect_exact("...")
    repl.child.send("3,  # ] in a comment closes nothing\r")
    repl.child.expect_exact("...")
    out = repl.line("4] { h = h * c }")
    assert "h = 24" in out and "error" not in out


def test_ctrl_c_at_a_continuation_line_drops_the_whole_block(repl: Repl):
    repl.line("x = 5")
    repl.child.send("for t in 1..3 {\r")
    repl.child.expect_exact("...")
    repl.child.send("x = x * 100\r")
    repl.child.expect_exact("...")
    repl.child.sendcontrol("c")
    repl.child.expect_exact(LINE_ACCEPTED)
    repl.prompt()
    assert "f = 6" in repl.line("x + 1")  # nothing of the block ran
