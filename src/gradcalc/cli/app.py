"""The ``gradcalc`` command line: assembles the commands (``cli.exits`` maps every error to its exit status)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Annotated

import typer

from gradcalc import __version__
from gradcalc.cli import eval_cmd, explain_cmd, render_cmd, repl_cmd, serve_cmd, trace_cmd, train_cmd
from gradcalc.cli.argv import protect_leading_minus
from gradcalc.cli.exits import exit_statuses

COMMANDS: dict[str, Callable[..., None]] = {
    "eval": eval_cmd.eval_command,
    "run": eval_cmd.run_command,
    "render": render_cmd.render_command,
    "explain": explain_cmd.explain_command,
    "trace": trace_cmd.trace_command,
    "train": train_cmd.train_command,
    "serve": serve_cmd.serve_command,
    "repl": repl_cmd.repl_command,
}


def build_app(only: str | None = None) -> typer.Typer:
    """The gradcalc app with every command, or with ``only`` the one being run.

    Typer builds the parser of every registered command on each run; a one-shot command that builds
    just its own starts 10 ms sooner, a twentieth of its start-up.
    """
    app = typer.Typer(
        name="gradcalc",
        help="A calculator that shows backpropagation: every node's value and gradient.",
        add_completion=False,
        pretty_exceptions_enable=False,
        rich_markup_mode=None,
        context_settings={"help_option_names": ["-h", "--help"]},
    )
    for name, function in COMMANDS.items():
        if only is None or name == only:
            app.command(name)(function)
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
        repl_cmd.repl_command()


def main(argv: list[str] | None = None) -> None:
    """Run a command; report errors without tracebacks; exit with their status."""
    args = sys.argv[1:] if argv is None else list(argv)
    with exit_statuses():
        command = typer.main.get_command(build_app(args[0] if args and args[0] in COMMANDS else None))
        command.main(args=protect_leading_minus(args, command), prog_name="gradcalc")
