"""The REPL's drawings: ``:show``, the ``:watch`` panel's background drawing, ``:serve``'s live page.

Without a terminal; the terminal and the pipe are in test_repl_terminal.py and test_repl_piped.py.
"""

from __future__ import annotations

import io
import sys
import threading
import time
import types
from collections.abc import Iterator
from typing import ClassVar

import pytest

from gradcalc.errors import EvaluationError, GradcalcError, UsageError
from gradcalc.program import Result
from gradcalc.repl.commands import run_line
from gradcalc.repl.live import LiveViews, panel_height
from gradcalc.repl.outcomes import Drawn, Message, ServeSet, WatchSet
from gradcalc.repl.session import Session
from gradcalc.repl.watch import Frame, WatchPanel, frame_of


def seed_session() -> Session:
    session = Session()
    for line in ("x = 1; y = 3; z = -3", "g = (x + y) * z"):
        run_line(session, line)
    return session


# -- :show, :watch, :serve as commands ----------------------------------------------------------------


def test_show_draws_the_last_result_and_an_input_change_redraws_the_same_graph():
    session = seed_session()
    (shown,) = run_line(session, ":show")
    assert isinstance(shown, Drawn) and shown.result.output_label == "g" and shown.result.evaluation.value == -12
    run_line(session, "x = 2")  # the last result is now the input x; the drawing still follows g
    (shown,) = run_line(session, ":show")
    assert isinstance(shown, Drawn) and shown.result.output_label == "g" and shown.result.evaluation.value == -15
    (shown,) = run_line(session, ":show x * z")
    assert isinstance(shown, Drawn) and shown.result.evaluation.value == -6


def test_show_with_nothing_computed_or_an_unknown_name_says_so():
    with pytest.raises(UsageError, match="nothing to show yet"):
        run_line(Session(), ":show")
    session = seed_session()
    with pytest.raises(GradcalcError, match="'nope' has no value"):
        run_line(session, ":show nope")
    (shown,) = run_line(session, ":show g")  # the session went on
    assert isinstance(shown, Drawn)


def test_a_session_of_inputs_only_shows_its_last_input():
    session = Session()
    run_line(session, "a = 4")
    (shown,) = run_line(session, ":show")
    assert isinstance(shown, Drawn) and shown.result.output_label == "a"


def test_watch_and_serve_arguments():
    session = Session()
    assert run_line(session, ":watch on") == [WatchSet(True)]
    assert run_line(session, ":watch off") == [WatchSet(False)]
    assert run_line(session, ":serve") == [ServeSet(True)]
    assert run_line(session, ":serve --port 8765") == [ServeSet(True, 8765)]
    assert run_line(session, ":serve --port=8765") == [ServeSet(True, 8765)]
    assert run_line(session, ":serve -p 8765") == [ServeSet(True, 8765)]
    assert run_line(session, ":serve off") == [ServeSet(False)]
    for bad in (":watch", ":watch maybe", ":serve on", ":serve --port", ":serve --port 0", ":serve -p 70000"):
        with pytest.raises(UsageError):
            run_line(session, bad)


# -- the :watch panel ---------------------------------------------------------------------------------


def frame(value: int) -> Frame:
    return Frame(None, f"frame {value}", 80, 10, False)


def test_the_panel_draws_in_the_background_and_only_the_latest_of_many_quick_requests():
    release = threading.Event()
    drawn: list[str] = []

    def slow_draw(asked: Frame) -> str:
        release.wait(5)
        drawn.append(asked.problem or "")
        return asked.problem or ""

    ready = threading.Event()
    panel = WatchPanel(on_ready=ready.set, draw=slow_draw)
    start = time.perf_counter()
    for value in range(1, 6):  # the first is being drawn (and blocked) while the others come
        panel.request(frame(value))
        time.sleep(0.01)
    assert time.perf_counter() - start < 1  # asking never waits for a drawing
    release.set()
    assert panel.wait(5)
    assert drawn == ["frame 1", "frame 5"]  # 2, 3 and 4 were replaced before they were drawn
    assert panel.text == "frame 5" and ready.is_set()
    panel.close()


def test_a_failing_drawing_is_said_in_the_panel_and_the_next_one_works():
    def draw(asked: Frame) -> str:
        if asked.problem == "frame 1":
            raise ValueError("broken view")
        return "fine"

    panel = WatchPanel(on_ready=lambda: None, draw=draw)
    panel.request(frame(1))
    assert panel.wait(5)
    assert "cannot draw" in panel.text and "broken view" in panel.text
    panel.request(frame(2))
    assert panel.wait(5)
    assert panel.text == "fine"
    panel.close()


def test_the_panel_frame_follows_the_session_and_says_why_nothing_is_drawn():
    empty = frame_of(Session(), 80, 20, color=False)
    assert empty.result is None and empty.problem is not None and "nothing to show yet" in empty.problem
    session = seed_session()
    with pytest.raises(EvaluationError):  # the line says so; u stays, undefined until x changes
        run_line(session, "x = -1; u = log(x)")
    undefined = frame_of(session, 80, 20, color=False)
    assert undefined.result is None and undefined.problem is not None and "log(-1) is undefined" in undefined.problem
    run_line(session, "x = 2")
    assert frame_of(session, 80, 20, color=False).result is not None
    assert panel_height(40) == 20 and panel_height(3) == 2


def test_the_panel_shows_the_drawing_with_the_new_values_after_an_input_changes():
    pytest.importorskip("gradcalc.views.text_graph")
    from gradcalc.repl.watch import panel_text

    session = seed_session()
    before = panel_text(frame_of(session, 100, 20, color=False))
    run_line(session, "x = 2")
    after = panel_text(frame_of(session, 100, 20, color=False))
    assert ":watch g" in before.splitlines()[0]
    assert "-12" in before and "-15" not in before
    assert "-15" in after and "-12" not in after
    assert all(len(line) <= 100 for line in after.splitlines())
    assert len(after.splitlines()) <= 20


def test_a_graph_taller_than_the_panel_shows_one_summary_line():
    pytest.importorskip("gradcalc.views.text_graph")
    from gradcalc.repl.watch import panel_text

    session = Session()
    run_line(session, "x = 1")
    run_line(session, "s = " + " + ".join(f"x * {i}" for i in range(1, 40)))
    text = panel_text(frame_of(session, 80, 8, color=False))
    lines = text.splitlines()
    assert len(lines) == 2 and len(lines[1]) <= 80
    assert "780" in lines[1]  # the summary names the output's value


# -- :serve, with a stand-in for the server -----------------------------------------------------------


class FakeServer:
    """Records what the REPL asks of the server; ``fail`` makes start() fail as a port in use does."""

    instances: ClassVar[list[FakeServer]] = []
    fail: ClassVar[bool] = False
    over_ssh: ClassVar[bool] = False

    def __init__(self, *, port: int | None = None, host: str = "127.0.0.1") -> None:
        self.port, self.url, self.running = port, None, False
        self.ssh_hint: str | None = None
        self.published: list[Result | str | None] = []  # a str: an error shown instead of a picture
        FakeServer.instances.append(self)

    def start(self) -> str:
        if FakeServer.fail:
            raise GradcalcError(f"port {self.port} is in use")
        self.running, self.url = True, f"http://127.0.0.1:{self.port or 40000}/token/"
        self.ssh_hint = "over ssh: forward the port" if FakeServer.over_ssh else None
        return self.url

    def publish(self, result: Result | None, *, precision: int = 2, style: str = "circuit") -> None:
        self.published.append(result)

    def publish_error(self, message: str) -> None:
        self.published.append(message)

    def stop(self) -> None:
        self.running = False


@pytest.fixture
def fake_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[type[FakeServer]]:
    module = types.ModuleType("gradcalc.live.server")
    module.LiveServer = FakeServer  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "gradcalc.live.server", module)
    FakeServer.instances, FakeServer.fail, FakeServer.over_ssh = [], False, False
    yield FakeServer


def run(views: LiveViews, session: Session, line: str) -> list:
    """One line as a front end runs it: the live views are updated after it, even when it fails."""
    try:
        return views.act(run_line(session, line), session)
    finally:
        views.after(session)


def test_serve_publishes_after_every_line_and_stops_when_the_repl_ends(fake_server: type[FakeServer]):
    session, views = seed_session(), LiveViews()
    (said,) = run(views, session, ":serve --port 8765")
    assert isinstance(said, Message) and "http://127.0.0.1:8765/token/" in said.text
    (server,) = fake_server.instances
    assert server.port == 8765 and server.running
    run(views, session, "x = 2")
    values = [result.evaluation.value for result in server.published if isinstance(result, Result)]
    assert values[0] == -12 and values[-1] == -15  # the page follows g, the drawn result
    with pytest.raises(GradcalcError):
        run(views, session, "u = log(-x)")
    assert "log(-2) is undefined" in server.published[-1]  # the page says why there is no picture
    (said,) = run(views, session, ":serve")
    assert isinstance(said, Message) and "already" in said.text and len(fake_server.instances) == 1
    views.close()
    assert not server.running


def test_serve_off_stops_and_a_failed_start_is_an_error_the_session_survives(fake_server: type[FakeServer]):
    session, views = seed_session(), LiveViews()
    run(views, session, ":serve")
    (said,) = run(views, session, ":serve off")
    assert isinstance(said, Message) and said.text == "the live page is stopped"
    assert not fake_server.instances[0].running
    (said,) = run(views, session, ":serve off")
    assert isinstance(said, Message) and said.text == "the live page is not running"
    fake_server.fail = True
    with pytest.raises(GradcalcError, match="in use"):
        run(views, session, ":serve --port 8765")
    assert views.server is None
    (said,) = run(views, session, "g")  # the session goes on
    assert said.result.evaluation.value == -12


def test_serve_prints_the_servers_ssh_hint_and_an_empty_session_publishes_nothing(fake_server: type[FakeServer]):
    fake_server.over_ssh = True
    views = LiveViews()
    (said,) = run(views, Session(), ":serve")
    assert said.text.splitlines()[1] == "over ssh: forward the port"
    assert fake_server.instances[0].published == [None, None]  # on start, and after the line
    views.close()


def test_watch_without_a_terminal_says_it_needs_one():
    (said,) = run(LiveViews(), seed_session(), ":watch on")
    assert isinstance(said, Message) and ":watch needs a terminal" in said.text


def test_a_bug_in_a_view_is_reported_and_the_session_keeps_its_names(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    from gradcalc.repl import display
    from gradcalc.repl.piped import run_piped

    def broken(*args: object) -> None:
        raise RuntimeError("the drawing broke")

    monkeypatch.setattr(display, "_drawing", broken)
    out = io.StringIO()
    status = run_piped(Session(), io.StringIO("x = 3\n:show\nx * x\n"), out)
    assert out.getvalue().splitlines() == ["x = 3", "f = 9", "∂f/∂x = 6"]
    assert "internal error: RuntimeError: the drawing broke" in capsys.readouterr().err
    assert status == 1


@pytest.mark.parametrize(
    "program, options",
    [
        ("(x+y)*z", {"charset": "unicode"}),  # the circuit
        ("y = x*x + a + a", {"charset": "ascii"}),
        ("h = x\n" + "h = tanh(h) * 1.5 + x\n" * 300, {"charset": "unicode", "width": 100, "max_rows": 40}),
        ("w = 2; b = -3; sigmoid(w*x + b) * a", {"charset": "unicode", "width": 30}),  # rows cut at the width
    ],
)
def test_a_drawing_shown_in_the_repl_is_styled_as_its_ansi_colours_read(program, options):
    from rich.console import Console
    from rich.text import Text

    from gradcalc.program import run_source
    from gradcalc.repl.display import Painted
    from gradcalc.source import Source
    from gradcalc.views.text_graph import render_text

    result = run_source(Source(program), {"x": 0.5, "y": 3.0, "z": -3.0, "a": 1.0})
    drawing = render_text(result, **options)
    painted = Text.from_ansi(drawing.text(color=True), no_wrap=True, overflow="crop")  # what it was drawn as
    shown = []
    for text in (painted, Painted(drawing.rows, drawing.spans)):
        console = Console(file=io.StringIO(), width=120, force_terminal=True, color_system="truecolor")
        console.print(text)
        shown.append(console.file.getvalue())
    assert "\x1b[32m" in shown[0] and shown[1] == shown[0]
