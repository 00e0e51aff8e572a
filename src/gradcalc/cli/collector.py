"""The garbage collector is paused while the command line starts, and resumed before a command runs.

Starting ``gradcalc eval`` imports Typer, pydantic and Lark and builds the parser: a few hundred
thousand objects, none of them garbage, that the collector would otherwise walk again and again as
they pile up (a fifth of the start-up of ``gradcalc eval x x=1 --json``, see
``benchmarks/bench_startup.py``). Before the command itself runs, everything made so far is frozen
(moved out of the collector's reach for good: it lives as long as the process) and collection resumes,
so the user's program is collected as always, and its collections no longer walk the start-up's
objects.

Only the console script pauses (``cli.entry``); ``cli.app.main`` called from Python (a test, a
notebook) leaves the collector as it finds it.
"""

from __future__ import annotations

import gc

_paused = False


def pause() -> None:
    """Stop collecting until ``resume`` (nothing happens if the collector is already off)."""
    global _paused
    if gc.isenabled():
        gc.disable()
        _paused = True


def resume() -> None:
    """Freeze what start-up made and collect again, if ``pause`` stopped the collector."""
    global _paused
    if _paused:
        _paused = False
        gc.freeze()
        gc.enable()
