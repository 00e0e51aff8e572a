"""What follows the session after every line: the ``:serve`` page and, at a terminal, the ``:watch`` panel.

Both front ends own one ``LiveViews``: ``act`` carries out ``:watch`` and ``:serve`` (outcomes the
commands return as requests, since the views belong to the front end, not to the session), ``after``
updates whatever is on after each line, and ``close`` stops the server when the REPL ends. The server
and the drawing are imported only when first used, so the prompt comes up without them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from gradcalc.errors import GradcalcError, UsageError
from gradcalc.repl.outcomes import Message, Outcome, ServeSet, WatchSet
from gradcalc.repl.watch import WatchPanel

if TYPE_CHECKING:
    from gradcalc.live.server import LiveServer
    from gradcalc.repl.session import Session

# The terminal's room for the panel: (columns, rows).
Room = Callable[[], tuple[int, int]]


class LiveViews:
    def __init__(
        self,
        watch: WatchPanel | None = None,
        room: Room | None = None,
        *,
        color: bool = False,
        charset: str = "unicode",
    ) -> None:
        self.watch = watch  # None: not a terminal, so no panel
        self.room = room
        self.color = color
        self.charset = charset  # "ascii" where the terminal cannot encode box-drawing characters
        self.server: LiveServer | None = None
        self._drawn_for: tuple[int, int] | None = None  # the room the panel's latest drawing was asked for

    def act(self, outcomes: list[Outcome], session: Session) -> list[Outcome]:
        """The line's outcomes, with ``:watch`` and ``:serve`` done and turned into what they say."""
        return [self._act(outcome, session) for outcome in outcomes]

    def _act(self, outcome: Outcome, session: Session) -> Outcome:
        if isinstance(outcome, WatchSet):
            return self._set_watch(outcome.on)
        if isinstance(outcome, ServeSet):
            return self._serve(session, outcome.port) if outcome.on else self._stop_serving()
        return outcome

    def after(self, session: Session) -> None:
        """After each line (it may have changed an input, a setting, the last result): redraw what is on."""
        if self.watch is not None and self.watch.on:
            self._follow(session)
        if self.server is not None:
            self._publish(session)

    def panel_text(self, session: Session) -> str:
        """What the panel shows now; a terminal resized since the last drawing asks for a new one."""
        assert self.watch is not None
        if self.room is not None and self.room() != self._drawn_for:
            self._follow(session)
        return self.watch.text or ("── :watch (drawing…)" if self.charset == "unicode" else "-- :watch (drawing...)")

    def _follow(self, session: Session) -> None:
        assert self.watch is not None and self.room is not None
        self._drawn_for = width, rows = self.room()
        self.watch.follow(session, width, panel_height(rows), color=self.color, charset=self.charset)

    def close(self) -> None:
        """The REPL ends: stop the server and the panel's thread."""
        self._stop_serving()
        if self.watch is not None:
            self.watch.close()

    # -- :watch ---------------------------------------------------------------------------------------

    def _set_watch(self, on: bool) -> Outcome:
        if self.watch is None:
            return Message(":watch needs a terminal (the panel is drawn below the prompt); :show draws here")
        self.watch.on = on
        if on:
            return Message("watch is on: the drawing below the prompt follows the last result (:watch off hides it)")
        return Message("watch is off")

    # -- :serve ---------------------------------------------------------------------------------------

    def _serve(self, session: Session, port: int | None) -> Outcome:
        if self.server is not None and self.server.running:
            return Message(f"the live page is already at {self.server.url} (:serve off stops it)")
        from gradcalc.live.server import LiveServer

        server = LiveServer(port=port)
        url = server.start()  # a port in use, a failed start: a GradcalcError, reported as the line's error
        self.server = server
        self._publish(session)
        hint = [server.ssh_hint] if server.ssh_hint else []  # over ssh: how to forward the port
        return Message("\n".join([f"the live page follows this session at {url}", *hint]))

    def _stop_serving(self) -> Outcome:
        server, self.server = self.server, None
        if server is None or not server.running:
            return Message("the live page is not running")
        server.stop()
        return Message("the live page is stopped")

    def _publish(self, session: Session) -> None:
        assert self.server is not None
        try:
            result = session.drawn_result()
        except UsageError:  # nothing computed yet: an empty page
            result = None
        except GradcalcError as error:  # undefined at the current inputs: the page says why
            self.server.publish_error(error.render())
            return
        self.server.publish(result)


def panel_height(rows: int) -> int:
    """The panel takes at most half the terminal, so the prompt and the lines above stay in sight."""
    return max(2, rows // 2)
