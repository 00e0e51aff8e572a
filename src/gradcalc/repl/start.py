"""Start a session at a terminal, or read standard input when either end is not a terminal."""

from __future__ import annotations

import gc
import sys

from gradcalc.repl.settings import Settings


def start(settings: Settings | None = None) -> int:
    """Run the REPL until the user leaves; the exit status."""
    if sys.stdin.isatty() and sys.stdout.isatty():
        from gradcalc.repl.terminal import run_terminal

        return run_terminal(settings or Settings())  # it makes the session once the prompt is up
    from gradcalc.repl.piped import run_piped
    from gradcalc.repl.session import Session

    session = Session(settings or Settings(), source_name="<stdin>")
    gc.freeze()  # what lives as long as the process, out of the collector's walks: see terminal.Starting
    return run_piped(session)
