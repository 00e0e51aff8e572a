"""The ``gradcalc`` console script: alone, it opens the REPL without building the command line.

Importing typer and building the app costs tens of milliseconds before the prompt could show; the bare
``gradcalc`` skips both to be ready to type sooner. Every other command line (``gradcalc repl -p 3``
included) goes to ``cli.app``, with the garbage collector paused until its command runs
(``cli.collector``).
"""

from __future__ import annotations

import sys

from gradcalc.cli import collector


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else list(argv)
    if args:
        collector.pause()  # until the command runs: see cli.collector
        console_script = argv is None  # not a call from Python
        if console_script:
            collector.end_with_finish()
        from gradcalc.cli.app import main as run_command_line

        try:
            run_command_line(args)
        except SystemExit as done:
            if console_script:
                collector.finish(done.code)
            raise
        return
    from gradcalc.cli.exits import exit_statuses

    with exit_statuses():
        from gradcalc.repl.start import start

        status = start()
    sys.exit(status)
