"""A loss curve drawn with block characters, for the terminal and for plain-text notes.

    loss per step (log scale)
        3.29 ┤█▆▄▃▂▂▁▁
             ┤████▇▆▅▄▃▂▂▁▁
    6.57e-25 ┤██████████████▇▆▅▄▃▂▁
              step 1                 372

Losses that fall over several orders of magnitude are drawn on a log scale, so the late steps show.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from gradcalc.numbers import format_number

_BLOCKS = "▁▂▃▄▅▆▇█"
LOG_SCALE_RATIO = 100.0  # draw on a log scale when the largest loss is this many times the smallest


def loss_chart(
    losses: Sequence[float], width: int = 60, height: int = 8, precision: int = 3, title: str = "loss per step"
) -> str:
    """The curve of ``losses`` (one per step): a title, ``height`` lines of at most ``width`` columns, an axis."""
    finite = [v for v in losses if math.isfinite(v)]
    if not finite:
        return "(no loss to draw)"
    columns = min(width, len(finite))
    picks = [finite[round(c * (len(finite) - 1) / max(columns - 1, 1))] for c in range(columns)]
    low, high = min(finite), max(finite)
    log = low > 0.0 and high / low >= LOG_SCALE_RATIO
    ys = [math.log10(v) for v in picks] if log else picks
    bottom, top = (math.log10(low), math.log10(high)) if log else (low, high)
    span = top - bottom
    eighths = [height * 8 if span == 0 else max(1, round((y - bottom) / span * height * 8)) for y in ys]

    top_label, bottom_label = format_number(high, precision), format_number(low, precision)
    pad = max(len(top_label), len(bottom_label))
    lines = [title + (" (log scale)" if log else "")]
    for row in range(height - 1, -1, -1):
        label = top_label if row == height - 1 else bottom_label if row == 0 else ""
        cells = "".join(_cell(level - row * 8) for level in eighths)
        lines.append(f"{label:>{pad}} ┤{cells}".rstrip())
    last = str(len(losses))
    axis = "step 1" if len(losses) == 1 else f"step 1{last:>{max(columns - 6, len(last) + 1)}}"
    lines.append(" " * (pad + 2) + axis)
    return "\n".join(lines)


def _cell(fill: int) -> str:
    if fill <= 0:
        return " "
    return _BLOCKS[min(fill, 8) - 1]
