"""The REPL at a terminal: prompt_toolkit for the line editor, Rich for what each line shows.

History persists in ``$XDG_DATA_HOME/gradcalc/history`` (``~/.local/share`` by default); Up/Down and
Ctrl-R search it. Tab completes names, functions, constants, commands and file names. The line is
highlighted as it is typed, and a syntax error is marked at its column before the line is accepted.
Enter inside an open parenthesis or block (``f(x) = {``, ``for t in 1..3 {``) gives a ``...``
continuation line instead, until they close: the block then runs, and is kept in history, as one
entry (the prompt's own multi-line buffer; see ``_key_bindings``). Ctrl-C cancels the line or the
unfinished block (or a long computation), Ctrl-D on an empty line or ``:quit`` leaves; no error ends
the session.
"""

from __future__ import annotations

import gc
import os
import sys
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from prompt_toolkit import PromptSession
from prompt_toolkit.auto_suggest import AutoSuggestFromHistory
from prompt_toolkit.completion import CompleteEvent, Completer, Completion, PathCompleter
from prompt_toolkit.document import Document
from prompt_toolkit.enums import DEFAULT_BUFFER
from prompt_toolkit.filters import has_completions, has_focus, is_searching
from prompt_toolkit.formatted_text import ANSI, StyleAndTextTuples
from prompt_toolkit.history import FileHistory, History, InMemoryHistory
from prompt_toolkit.key_binding import KeyBindings, KeyPressEvent
from prompt_toolkit.lexers import Lexer
from prompt_toolkit.styles import Style
from prompt_toolkit.validation import ValidationError, Validator

from gradcalc import __version__
from gradcalc.errors import ExitStatus, GradcalcError, ProgramSyntaxError
from gradcalc.ops import CONSTANTS, FUNCTIONS
from gradcalc.repl import commands
from gradcalc.repl.live import LiveViews
from gradcalc.repl.outcomes import Quit
from gradcalc.repl.settings import Settings
from gradcalc.repl.syntax import WORD_BEFORE_CURSOR, tokens, unfinished
from gradcalc.repl.watch import WatchPanel
from gradcalc.reporting import report_bug
from gradcalc.source import Source

if TYPE_CHECKING:  # imported once the prompt is up (see Starting)
    from rich.console import Console

    from gradcalc.repl.session import Session

PROMPT = ">>> "
WELCOME = "type statements such as x = 1, :help for the commands, Ctrl-D to leave"
STYLE = Style.from_dict(
    {
        "prompt": "bold",
        "command": "bold ansiblue",
        "keyword": "bold",
        "comment": "italic ansibrightblack",
        "number": "ansiyellow",
        "function": "ansigreen",
        "constant": "ansimagenta",
        "name": "ansicyan",
        "unknown": "",
        "operator": "bold",
        "paren": "",
        "other": "bg:ansired",
        "bottom-toolbar": "noreverse",  # the :watch panel: the drawing's own colours, not a reversed bar
    }
)


def history_path() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "gradcalc" / "history"


def _history() -> History:
    path = history_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(exist_ok=True)
    except OSError:  # a read-only home: keep this session's history in memory
        return InMemoryHistory()
    return FileHistory(str(path)) if os.access(path, os.R_OK | os.W_OK) else InMemoryHistory()


class LineLexer(Lexer):
    """Colours each run of a line by its kind (``syntax.tokens``); bound names differ from unknown ones."""

    def __init__(self, names: Callable[[], Iterable[str]]) -> None:
        self.names = names

    def lex_document(self, document: Document) -> Callable[[int], StyleAndTextTuples]:
        names = set(self.names())
        lines = document.lines

        def line(number: int) -> StyleAndTextTuples:
            if number >= len(lines):
                return []
            return [(f"class:{kind}", text) for kind, text in tokens(lines[number], names)]

        return line


class LineCompleter(Completer):
    """Commands after ':', file names where a command takes a file, else names, functions, constants."""

    def __init__(self, names: Callable[[], Iterable[str]]) -> None:
        self.names = names
        self.paths = PathCompleter(expanduser=True)

    def get_completions(self, document: Document, complete_event: CompleteEvent) -> Iterable[Completion]:
        before = document.text_before_cursor
        stripped = before.lstrip()
        if stripped.startswith(":"):
            head, space, rest = stripped[1:].partition(" ")
            if not space:
                for name, command in commands.COMMANDS.items():
                    if name.startswith(head):
                        yield Completion(name, -len(head), display=command.signature, display_meta=command.summary)
                return
            yield from self._argument(head, rest, document, complete_event)
            return
        yield from self._words(before)

    def _argument(self, head: str, rest: str, document: Document, event: CompleteEvent) -> Iterable[Completion]:
        try:
            command = commands.find(head)
        except GradcalcError:
            return
        index = len(rest.split()) - (0 if rest.endswith(" ") or not rest else 1)
        kind = command.arguments[index] if index < len(command.arguments) else None
        word = rest.split()[-1] if rest and not rest.endswith(" ") else ""
        if kind == "file":
            yield from self.paths.get_completions(Document(word, len(word)), event)
        elif kind == "name":
            yield from self._words(document.text_before_cursor)
        elif kind is not None:  # choices: "on|off"
            yield from (Completion(choice, -len(word)) for choice in kind.split("|") if choice.startswith(word))

    def _words(self, before: str) -> Iterable[Completion]:
        match = WORD_BEFORE_CURSOR.search(before)
        word = match.group() if match else ""
        if not word:
            return
        for name in self.names():
            if name.startswith(word):
                yield Completion(name, -len(word), display_meta="name")
        for name, op in sorted(FUNCTIONS.items()):
            if name.startswith(word):
                yield Completion(name + "(", -len(word), display=name, display_meta=op.description or "function")
        for name in sorted(CONSTANTS):
            if name.startswith(word):
                yield Completion(name, -len(word), display_meta="constant")


class LineValidator(Validator):
    """Refuses a line with a syntax error, with the cursor on its column; and unknown commands."""

    def validate(self, document: Document) -> None:
        text = document.text
        stripped = text.lstrip()
        if stripped.startswith(":"):
            name, _ = commands.split(stripped)
            try:
                commands.find(name)
            except GradcalcError as error:
                raise ValidationError(len(text) - len(stripped) + 1, _one_line(error)) from None
            return
        from gradcalc.parser import parse  # loaded in the background while the first line was typed

        try:
            parse(Source(text, "<input>"))
        except ProgramSyntaxError as error:
            position = error.span.start if error.span is not None else len(text)
            raise ValidationError(min(position, len(text)), _one_line(error)) from None


def _one_line(error: GradcalcError) -> str:
    return f"{error.kind}: {error.message}" + (f" ({error.hint})" if error.hint else "")


def _key_bindings() -> KeyBindings:
    bindings = KeyBindings()

    @bindings.add("enter", filter=has_focus(DEFAULT_BUFFER) & ~has_completions & ~is_searching)
    def _enter(event: KeyPressEvent) -> None:
        """Enter runs the input, unless a statement goes on (an open bracket or block, a final backslash):
        then it starts a continuation line, and the whole block is run (and kept in history) as one entry."""
        buffer = event.current_buffer
        text = buffer.text
        if buffer.document.is_cursor_at_the_end and not text.lstrip().startswith(":") and unfinished(text):
            buffer.insert_text("\n")
        else:
            buffer.validate_and_handle()

    return bindings


class Starting:
    """The session and the console, made in a background thread once the prompt is on the screen.

    Importing the pipeline (Lark and its parse tables), Rich and the table view takes about as long
    again as prompt_toolkit itself: done while the first line is typed, the prompt comes up sooner and
    that line's Enter seldom waits.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.session: Session | None = None
        self.console: Console | None = None
        self._thread: threading.Thread | None = None

    def begin(self, *_: object) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._make, name="gradcalc-start", daemon=True)
            self._thread.start()

    def wait(self) -> tuple[Session, Console]:
        self.begin()
        assert self._thread is not None
        self._thread.join()
        if self.session is None or self.console is None:  # it failed in the thread: again here, to say why
            self._make()
        assert self.session is not None and self.console is not None
        return self.session, self.console

    def names(self) -> Iterable[str]:
        return self.session.names() if self.session is not None else ()

    def _make(self) -> None:
        from gradcalc.parser import parse
        from gradcalc.repl import display  # noqa: F401  (Rich's tables, for the first line's output)
        from gradcalc.repl.session import Session
        from gradcalc.views.console import make_console

        parse(Source("", "<start>"))  # reads the cached parse tables
        self.console = make_console()
        self.session = Session(self.settings)
        # The modules and the session's start live as long as the process: frozen, a long session's full
        # collections walk what it made, not the 36,000 objects of its imports (7 ms a collection).
        gc.freeze()


def run_terminal(settings: Settings) -> int:
    starting = Starting(settings)
    prompt: PromptSession[str] = PromptSession(
        multiline=True,  # Enter runs a finished statement (see _key_bindings); Esc Enter runs any
        key_bindings=_key_bindings(),
        prompt_continuation=lambda width, line, wrap: "." * (width - 1) + " ",
        history=_history(),
        lexer=LineLexer(starting.names),
        completer=LineCompleter(starting.names),
        validator=LineValidator(),
        validate_while_typing=False,
        auto_suggest=AutoSuggestFromHistory(),
        style=STYLE,
        complete_while_typing=False,
    )
    sys.stdout.write(f"gradcalc {__version__}: {WELCOME}\n")
    sys.stdout.flush()
    prompt.app.after_render += starting.begin
    live = _live_views(prompt)
    try:
        return _loop(prompt, starting, live)
    finally:
        live.close()  # leaving the REPL stops the live page


def _live_views(prompt: PromptSession[str]) -> LiveViews:
    """The :watch panel (redrawn from its thread through prompt_toolkit's thread-safe invalidate) and :serve."""

    def room() -> tuple[int, int]:
        size = prompt.app.output.get_size()
        return size.columns, size.rows

    color = "NO_COLOR" not in os.environ and os.environ.get("TERM") != "dumb"
    charset = "unicode" if (sys.stdout.encoding or "").lower().startswith("utf") else "ascii"
    return LiveViews(WatchPanel(on_ready=prompt.app.invalidate), room, color=color, charset=charset)


def _loop(prompt: PromptSession[str], starting: Starting, live: LiveViews) -> int:
    count = 0
    watch = live.watch
    assert watch is not None

    def panel() -> ANSI:
        return ANSI(live.panel_text(starting.wait()[0]))

    while True:
        try:
            prompt.bottom_toolbar = panel if watch.on else None  # prompt() keeps the old one when given None
            text = prompt.prompt([("class:prompt", PROMPT)])
        except KeyboardInterrupt:  # Ctrl-C: drop the line, keep the session
            continue
        except EOFError:  # Ctrl-D
            return ExitStatus.OK
        if not text.strip():
            continue
        session, console = starting.wait()
        from gradcalc.repl.display import report_line_error, show  # imported by now, in the background

        first_line = count + 1
        count += 1 + text.count("\n")  # a multi-line input numbers its lines, as a file would
        try:
            for outcome in live.act(commands.run_line(session, text, first_line), session):
                if isinstance(outcome, Quit):
                    return ExitStatus.OK
                show(console, outcome, session.settings.precision, session.settings.rows)
        except GradcalcError as error:
            report_line_error(error, text, first_line, session.source_name, whole_line=False)
        except KeyboardInterrupt:
            sys.stderr.write("interrupted\n")
        except Exception as exc:  # a bug (in a view, say): said, and the session and its names go on
            if os.environ.get("GRADCALC_DEBUG"):
                raise
            report_bug(exc)
        live.after(session)
