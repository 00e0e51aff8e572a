"""The ``gradcalc`` console script: alone, it opens the REPL without building the command line.

Building the typer app, and the pydantic that typer imports to read options, takes about as long as
importing prompt_toolkit itself; the bare ``gradcalc`` skips both to be ready to type sooner. Every
other command line (``gradcalc repl -p 3`` included) goes to ``cli.app``, with the garbage collector
paused until its command runs (``cli.collector``).
"""

from __future__ import annotations

import sys

from gradcalc.cli import collector


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else list(argv)
    if args:
        collector.pause()  # until the command runs: see cli.collector
        from gradcalc.cli.app import main as run_command_line

        run_command_line(args)
        return
    from gradcalc.cli.exits import exit_statuses

    with exit_statuses():
        from gradcalc.repl.start import start

        status = start()
    sys.exit(status)
