"""The ``:watch`` panel: the drawing of the last result, made in a background thread so typing never waits.

The terminal asks for a new drawing after every line (``WatchPanel.follow``) and shows ``text`` below
the prompt. A request starts drawing at once; requests that come while a drawing is being made replace
one another, so only the latest is drawn next: many quick lines never queue up stale pictures, and a
slow drawing (``dot`` laying out a big graph) never holds the prompt. When a drawing is ready,
``on_ready`` (the terminal's thread-safe redraw) puts it on the screen.

The frame is evaluated in the main thread, between lines; the thread only draws it. The values and
labels it draws are the evaluation's own copies, so the next line (which may change an input in
place) cannot change a drawing under way, and is followed by a drawing of its own anyway.

The panel is at most ``max_height`` rows (the terminal gives half its height); a graph that does not fit
shows a one-line summary instead, saying why and what draws it in full. This module imports no
terminal library: the terminal front end wires it to prompt_toolkit.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from gradcalc.errors import GradcalcError

if TYPE_CHECKING:
    from gradcalc.program import Result
    from gradcalc.repl.session import Session

DIM, RESET = "\x1b[2m", "\x1b[0m"


@dataclass(frozen=True, slots=True)
class Frame:
    """What to draw: the result (or why there is none) and the room the panel has."""

    result: Result | None
    problem: str | None  # "nothing to show yet", an evaluation error: shown instead of a drawing
    width: int
    max_height: int  # rows, the title line included
    color: bool
    charset: str = "unicode"


def frame_of(session: Session, width: int, max_height: int, *, color: bool, charset: str = "unicode") -> Frame:
    """The frame for the session's drawn result, evaluated now (in the caller's thread)."""
    try:
        return Frame(session.drawn_result(), None, width, max_height, color, charset)
    except GradcalcError as error:
        problem = error.message + (f" ({error.hint})" if error.hint else "")
        return Frame(None, problem, width, max_height, color, charset)


def panel_text(frame: Frame) -> str:
    """The panel: a title rule, then the drawing, or one line when there is none or it does not fit."""
    from gradcalc.views.text_graph import render_text

    width = max(frame.width, 20)
    line = "─" if frame.charset == "unicode" else "-"
    title = f"{line * 2} :watch " + (f"{frame.result.output_label} " if frame.result is not None else "")
    rule = (title + line * max(0, width - len(title)))[:width]
    if frame.color:
        rule = DIM + rule + RESET
    if frame.result is None:
        return rule + "\n" + _one_line(f"nothing drawn: {frame.problem}", width)
    drawing = render_text(
        frame.result, charset=frame.charset, width=width, max_height=max(1, frame.max_height - 1)
    )
    if drawing.fits:
        return rule + "\n" + drawing.text(color=frame.color)
    why = f" ({drawing.reason}; :show or :render FILE draws it)" if drawing.reason else ""
    return rule + "\n" + _one_line(drawing.summary + why, width)


def _one_line(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 3] + "..."


class WatchPanel:
    """The panel's state: on or off, the latest drawing, and the thread that draws."""

    def __init__(self, on_ready: Callable[[], None], draw: Callable[[Frame], str] = panel_text) -> None:
        self.on = False
        self.on_ready = on_ready
        self._draw = draw
        self._text = ""
        self._frame: Frame | None = None  # the latest frame asked for, not drawn yet
        self._drawn: Frame | None = None  # the frame ``text`` shows
        self._wake = threading.Condition()
        self._thread: threading.Thread | None = None
        self._closed = False
        self._busy = False  # drawing a frame now

    @property
    def text(self) -> str:
        return self._text

    @property
    def drawn(self) -> Frame | None:
        return self._drawn

    def request(self, frame: Frame) -> None:
        """Draw ``frame`` in the background, replacing any request not started yet; never blocks."""
        with self._wake:
            self._frame = frame
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="gradcalc-watch", daemon=True)
                self._thread.start()
            self._wake.notify()

    def follow(self, session: Session, width: int, max_height: int, *, color: bool, charset: str = "unicode") -> None:
        """After a line: draw the session's result again (when the panel is on)."""
        if self.on:
            self.request(frame_of(session, width, max_height, color=color, charset=charset))

    def wait(self, timeout: float) -> bool:
        """Wait until nothing is waiting to be drawn (for tests and benchmarks); whether it got there."""
        with self._wake:
            return self._wake.wait_for(lambda: self._frame is None and not self._busy, timeout)

    def close(self) -> None:
        with self._wake:
            self._closed = True
            self._wake.notify_all()

    def _run(self) -> None:
        while True:
            with self._wake:
                self._wake.wait_for(lambda: self._frame is not None or self._closed)
                if self._closed:
                    return
                frame, self._frame = self._frame, None
                self._busy = True
            assert frame is not None
            try:
                text = self._draw(frame)
            except Exception as exc:  # a bug in a view must not end the session; say it in the panel
                text = _one_line(f":watch cannot draw this graph: {type(exc).__name__}: {exc}", frame.width)
            with self._wake:
                self._text, self._drawn, self._busy = text, frame, False
                self._wake.notify_all()
            self.on_ready()
