"""Long labels shortened the one way every text view does it: start and end kept, an ellipsis between.

The end of a label is kept because that is where labels differ: ``hidden_layer_1`` and ``hidden_layer_2``,
a re-bound ``c'`` and ``c''``. Shortening keeps the first half and the last half of the width, so two
labels that differ at either end still read differently.
"""

from __future__ import annotations

ELLIPSIS = "…"
MAX_LABEL = 32  # the longest label any table shows, whatever its width


def shorten(label: str, width: int = MAX_LABEL) -> str:
    """``label`` if it has at most ``width`` characters, else its start, ``…`` and its end in ``width``."""
    if len(label) <= width:
        return label
    if width <= 1:
        return ELLIPSIS[:width]
    tail = (width - 1) // 2
    head = width - 1 - tail
    return label[:head] + ELLIPSIS + (label[-tail:] if tail else "")
