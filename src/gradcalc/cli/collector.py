"""The garbage collector is paused while the command line starts, and resumed before a command runs.

Starting ``gradcalc eval`` imports Typer and Lark and builds the parser: a few hundred
thousand objects, none of them garbage, that the collector would otherwise walk again and again as
they pile up (a fifth of the start-up of ``gradcalc eval x x=1 --json``, see
``benchmarks/bench_startup.py``). Before the command itself runs, everything made so far is frozen
(moved out of the collector's reach for good: it lives as long as the process) and collection resumes,
so the user's program is collected as always, and its collections no longer walk the start-up's
objects.

Only the console script pauses (``cli.entry``); ``cli.app.main`` called from Python (a test, a
notebook) leaves the collector as it finds it.

The console script also ends the process without freeing what the command made (``keep``, ``finish``),
as mypy does: a 100,000-statement program's graph, values and labels are a million objects, and freeing
them one by one, only for the process to end, costs a tenth of a second or more. For the same reason
what a command makes to keep (``lasting``) is frozen as it is made: the first collection after it would
otherwise walk all of it, for another tenth.
"""

from __future__ import annotations

import gc
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager

_paused = False
_finishing = False  # the console script ends with finish()
_kept: list[object] = []


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


def end_with_finish() -> None:
    """Say that this process is the console script's, which ``finish`` ends."""
    global _finishing
    _finishing = True


def keep(made: object) -> None:
    """Keep what a command made to the end of the console script's process: ``finish`` then lets the
    operating system take it back at once. Called from Python, nothing is kept."""
    if _finishing:
        _kept.append(made)


@contextmanager
def lasting() -> Iterator[None]:
    """Around making a one-shot command's result, which lives until the command ends: in the console
    script, the collector stays off meanwhile, and all of it is then frozen, as start-up's objects are.

    A 100,000-term program's graph, values and labels are a million objects and no cycles; left in the
    collector's youngest generation, they are all walked by its next collection and again by older
    ones, for nothing. Called from Python, nothing changes: the collector is left as it is found.
    """
    if not _finishing or not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        gc.enable()


def finish(code: object) -> None:
    """End the console script's process with ``code`` (``SystemExit``'s), its output flushed, without
    freeing what ``keep`` kept. Where nothing was kept (the REPL, a server), or under a profiler, a
    debugger or coverage, the process ends as usual instead: its threads and tools end as they always did."""
    if not _kept or sys.getprofile() is not None or sys.gettrace() is not None:
        return
    if code is not None and not isinstance(code, int):  # sys.exit("message"): what Python would do
        sys.stderr.write(f"{code}\n")
        code = 1
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except BrokenPipeError:  # the reader went away (gradcalc ... | head): as cli.exits says, nothing to report
        pass
    os._exit(code or 0)
