"""The ``gradcalc`` command line: assembles the commands (``cli.exits`` maps every error to its exit status)."""

from __future__ import annotations

import functools
import importlib
import sys
from collections.abc import Callable
from typing import Annotated

import typer

from gradcalc import __version__
from gradcalc.cli import collector
from gradcalc.cli.argv import protect_leading_minus
from gradcalc.cli.exits import exit_statuses, reader_gone

# Each command, in the order of the help, as the module and function that define it: a one-shot
# command imports only its own module (``eval --json`` does not load the explainer, the trainer's
# settings or the server's page), which is 15-20 ms of its start-up.
COMMANDS: dict[str, tuple[str, str]] = {
    "eval": ("gradcalc.cli.eval_cmd", "eval_command"),
    "run": ("gradcalc.cli.run_cmd", "run_command"),
    "render": ("gradcalc.cli.render_cmd", "render_command"),
    "explain": ("gradcalc.cli.explain_cmd", "explain_command"),
    "trace": ("gradcalc.cli.trace_cmd", "trace_command"),
    "train": ("gradcalc.cli.train_cmd", "train_command"),
    "serve": ("gradcalc.cli.serve_cmd", "serve_command"),
    "repl": ("gradcalc.cli.repl_cmd", "repl_command"),
}


def command_function(name: str) -> Callable[..., None]:
    """The function of the command ``name``, its module imported now; it resumes the garbage collector
    (paused while the command line starts, see ``cli.collector``) before it runs."""
    module, function = COMMANDS[name]
    command: Callable[..., None] = getattr(importlib.import_module(module), function)

    @functools.wraps(command)  # Typer reads the options from the signature and annotations of `command`
    def run(*args: object, **kwargs: object) -> None:
        collector.resume()
        try:
            command(*args, **kwargs)
        except BrokenPipeError:  # here, not in cli.exits: click would catch it first and exit with 1
            reader_gone()

    return run


def build_app(only: str | None = None) -> typer.Typer:
    """The gradcalc app with every command, or with ``only`` the one being run.

    Typer builds the parser of every registered command on each run; a one-shot command that builds
    (and imports) just its own starts 10-30 ms sooner, a tenth of its start-up.
    """
    app = typer.Typer(
        name="gradcalc",
        help="A calculator that shows backpropagation: every node's value and gradient.",
        add_completion=False,
        pretty_exceptions_enable=False,
        rich_markup_mode=None,
        context_settings={"help_option_names": ["-h", "--help"]},
    )
    for name in COMMANDS:
        if only is None or name == only:
            app.command(name)(command_function(name))
    app.callback(invoke_without_command=True)(_main)
    return app


def _print_version(value: bool) -> None:
    if value:
        sys.stdout.write(f"gradcalc {__version__}\n")
        raise typer.Exit()


def _main(
    ctx: typer.Context,
    version: Annotated[
        bool, typer.Option("--version", callback=_print_version, is_eager=True, help="Show the version and exit.")
    ] = False,
) -> None:
    """A calculator that shows backpropagation: every node's value and gradient.

    With no command, gradcalc starts the interactive REPL.
    """
    if ctx.invoked_subcommand is None:
        command_function("repl")()


def main(argv: list[str] | None = None) -> None:
    """Run a command; report errors without tracebacks; exit with their status."""
    args = sys.argv[1:] if argv is None else list(argv)
    with exit_statuses():
        command = typer.main.get_command(build_app(args[0] if args and args[0] in COMMANDS else None))
        command.main(args=protect_leading_minus(args, command), prog_name="gradcalc")
