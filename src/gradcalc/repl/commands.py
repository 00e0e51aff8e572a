"""The ``:``-commands: one registry, which ``:help``, completion and the validator all read.

A command is a function ``(session, args) -> outcomes`` registered with ``@command``; its usage and
one-line summary are its ``:help`` line. Errors are raised as ``GradcalcError`` like everything else.
The front ends run every line through ``run_line``: the registry sits above the session, which never
imports it.
"""

from __future__ import annotations

import difflib
import shlex
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from gradcalc.errors import GradcalcError, UsageError
from gradcalc.files import read_text
from gradcalc.repl.outcomes import (
    Drawn,
    Evaluated,
    Explained,
    HelpShown,
    HessianShown,
    Message,
    Outcome,
    Quit,
    ServeSet,
    TableShown,
    WatchSet,
)
from gradcalc.views.formats import suffix_list

if TYPE_CHECKING:  # the session is the model the commands act on; it never imports them
    from gradcalc.repl.session import Session

Handler = Callable[["Session", str], list[Outcome]]

INTRO = (
    "Type statements as in a program: x = 1; y = 3; z = -3, then g = (x + y) * z. "
    "Assigning a new value to an input (x = 2) updates everything built from it; ans is the last result."
)


@dataclass(frozen=True, slots=True)
class Command:
    name: str  # without the colon
    usage: str  # the arguments, as :help shows them
    summary: str
    handler: Handler
    arguments: tuple[str, ...] = ()  # what each argument completes to: "name", "file", or choices "on|off"

    @property
    def signature(self) -> str:
        return f":{self.name} {self.usage}".rstrip()


COMMANDS: dict[str, Command] = {}


def command(name: str, usage: str, summary: str, arguments: tuple[str, ...] = ()) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        COMMANDS[name] = Command(name, usage, summary, handler, arguments)
        return handler

    return register


def find(name: str) -> Command:
    """The command called ``name`` (a unique prefix will do: ``:q``, ``:ta``)."""
    if name in COMMANDS:
        return COMMANDS[name]
    matches = [known for known in COMMANDS if known.startswith(name)] if name else []
    if len(matches) == 1:
        return COMMANDS[matches[0]]
    close = difflib.get_close_matches(name, COMMANDS, n=1)
    hint = f"did you mean :{close[0]}?" if close else ":help lists the commands"
    if len(matches) > 1:
        hint = "it could be " + ", ".join(f":{m}" for m in matches)
    raise UsageError(f"unknown command ':{name}'", hint=hint)


def split(line: str) -> tuple[str, str]:
    """``:table x + y`` -> ("table", "x + y")."""
    head, _, rest = line.strip()[1:].partition(" ")
    return head.strip(), rest.strip()


def run_line(session: Session, text: str, line: int = 1, source_name: str | None = None) -> list[Outcome]:
    """Run one line as the front ends read it: a ``:``-command (or a bare quit, exit, help), else statements."""
    stripped = text.strip()
    if stripped.startswith(":"):
        return run_command(session, stripped)
    if stripped in ("quit", "exit", "help") and stripped not in session.graph.bindings:
        return run_command(session, ":" + stripped.replace("exit", "quit"))
    return session.run(text, line, source_name)


def run_command(session: Session, line: str) -> list[Outcome]:
    name, args = split(line)
    return find(name).handler(session, args)


def _words(args: str, usage: str, least: int, most: int) -> list[str]:
    try:
        words = shlex.split(args)
    except ValueError as exc:
        raise UsageError(f"cannot read the arguments: {exc}") from None
    if not least <= len(words) <= most:
        raise UsageError(f"usage: {usage}")
    return words


# -- the commands, in the order :help lists them ----------------------------------------------------


@command("help", "", "this list")
def _help(session: Session, args: str) -> list[Outcome]:
    return [HelpShown([(c.signature, c.summary) for c in COMMANDS.values()], INTRO)]


@command("vars", "", "the inputs and named nodes, their values and the last result's gradient")
def _vars(session: Session, args: str) -> list[Outcome]:
    return [session.variables()]


@command("funcs", "", "the functions defined so far, as written")
def _funcs(session: Session, args: str) -> list[Outcome]:
    texts = session.function_texts()
    if not texts:
        return [Message("no functions yet: define one as  sig(t) = 1/(1+exp(-t))")]
    return [Message("\n".join(texts))]


@command("table", "[EXPR|NAME]", "every node of the last result (or of EXPR): value, local ∂, gradient", ("name",))
def _table(session: Session, args: str) -> list[Outcome]:
    return [TableShown(session.result_of_text(args))]


@command("grad", "[NAME]", "the gradient of the last result (or NAME) with respect to every input", ("name",))
def _grad(session: Session, args: str) -> list[Outcome]:
    return [Evaluated(session.result_of_text(args))]


@command("explain", "[NAME]", "the forward and backward passes of the last result (or NAME), step by step", ("name",))
def _explain(session: Session, args: str) -> list[Outcome]:
    return [Explained(session.result_of_text(args))]


@command("hessian", "[NAME]", "the second derivatives of the last result (or NAME) for every pair of inputs", ("name",))
def _hessian(session: Session, args: str) -> list[Outcome]:
    from gradcalc.hessian import hessian

    result = session.result_of_text(args)
    return [HessianShown(result, hessian(result.evaluation))]


@command("show", "[NAME]", "draw the graph of the last result (or NAME) here, as text", ("name",))
def _show(session: Session, args: str) -> list[Outcome]:
    return [Drawn(session.result_of_text(args) if args.strip() else session.drawn_result())]


@command("watch", "on|off", "a live drawing of the last result below the prompt, redrawn after every line", ("on|off",))
def _watch(session: Session, args: str) -> list[Outcome]:
    if args not in ("on", "off"):
        raise UsageError("usage: :watch on|off")
    return [WatchSet(args == "on")]


@command("serve", "[--port N] | off", "a live page in the browser that follows the last result", ("off|--port",))
def _serve(session: Session, args: str) -> list[Outcome]:
    usage = ":serve [--port N]  or  :serve off"
    words = _words(args, usage, 0, 2)
    if words == ["off"]:
        return [ServeSet(on=False)]
    if not words:
        return [ServeSet(on=True)]
    if words[0].startswith("--port="):
        words = ["--port", words[0].removeprefix("--port="), *words[1:]]
    if len(words) != 2 or words[0] not in ("--port", "-p"):
        raise UsageError(f"usage: {usage}")
    if not words[1].isdigit() or not 1 <= int(words[1]) <= 65535:
        raise UsageError(f"the port must be a number from 1 to 65535, not '{words[1]}'")
    return [ServeSet(on=True, port=int(words[1]))]


@command("render", "FILE [NAME]", f"draw the graph into a file: {suffix_list()}", ("file", "name"))
def _render(session: Session, args: str) -> list[Outcome]:
    words = _words(args, ":render FILE [NAME]", 1, 2)
    try:
        from gradcalc.views.image import image_format, write_image
    except ImportError:  # pragma: no cover - a checkout without the render view
        raise GradcalcError("this gradcalc cannot draw pictures: the render view is missing") from None
    path = Path(words[0]).expanduser()
    try:
        image_format(path)
    except UsageError as error:  # the command line's hint names --format, which :render does not have
        raise UsageError(error.message, hint=f"name the file {suffix_list()}") from None
    result = session.result_of_text(words[1] if len(words) > 1 else "")
    # The picture's own precision (2 decimals), as gradcalc render draws it; the last one kept to redraw.
    write_image(result, path, kept=session.picture)
    return [Message(f"wrote {path}")]


@command("expand", "on|off", "show composite functions as primitive gates (sigmoid -> *-1, exp, +1, 1/x)", ("on|off",))
def _expand(session: Session, args: str) -> list[Outcome]:
    if args not in ("on", "off", ""):
        raise UsageError("usage: :expand on|off")
    if args:
        session.settings.expanded = args == "on"
    return [Message(f"expand is {'on' if session.settings.expanded else 'off'}")]


@command("collapse", "on|off", "show each call of a function you defined as one gate with its own local ∂", ("on|off",))
def _collapse(session: Session, args: str) -> list[Outcome]:
    if args not in ("on", "off", ""):
        raise UsageError("usage: :collapse on|off")
    if args:
        session.settings.collapsed = args == "on"
    return [Message(f"collapse is {'on' if session.settings.collapsed else 'off'}")]


@command("precision", "N", "decimals shown (0 to 17)")
def _precision(session: Session, args: str) -> list[Outcome]:
    if args:
        if not args.isdigit() or not 0 <= int(args) <= 17:
            raise UsageError("usage: :precision N, with N from 0 to 17")
        session.settings.precision = int(args)
    return [Message(f"precision is {session.settings.precision}")]


@command("del", "NAME", "forget a name (nodes built from it keep their values)", ("name",))
def _del(session: Session, args: str) -> list[Outcome]:
    names = _words(args, ":del NAME [NAME...]", 1, 1_000)
    for name in names:
        session.delete(name)
    return [Message("deleted " + ", ".join(names))]


@command("reset", "", "start again with an empty graph (settings stay)")
def _reset(session: Session, args: str) -> list[Outcome]:
    session.reset()
    return [Message("the session is empty")]


@command("save", "FILE", "write the session as a program that gradcalc run replays", ("file",))
def _save(session: Session, args: str) -> list[Outcome]:
    (where,) = _words(args, ":save FILE", 1, 1)
    path = Path(where).expanduser()
    text, count = session.saved_program()
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise GradcalcError(f"cannot write {path}: {exc.strerror or exc}") from None
    return [Message(f"saved {count} statement{'s' if count != 1 else ''} to {path}")]


@command("load", "FILE", "run a program file in this session", ("file",))
def _load(session: Session, args: str) -> list[Outcome]:
    (where,) = _words(args, ":load FILE", 1, 1)
    path = Path(where).expanduser()
    return session.load(read_text(path), str(path))


@command("quit", "", "leave (Ctrl-D too)")
def _quit(session: Session, args: str) -> list[Outcome]:
    return [Quit()]
