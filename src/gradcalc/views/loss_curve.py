"""A loss curve drawn with block characters, for the terminal and for plain-text notes.

    loss per step (log scale)
        3.29 ┤█▆▄▃▂▂▁▁
             ┤████▇▆▅▄▃▂▂▁▁
    6.57e-25 ┤██████████████▇▆▅▄▃▂▁
              step 0                 371

``losses[k]`` is the loss after k steps (``losses[0]`` the start), so the axis runs from step 0 to the
number of steps the summary reports. A curve that a linear scale would flatten onto its bottom row is
drawn on a log scale (see :func:`log_scale`), so the late steps show; the title says so.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from gradcalc.numbers import format_number

_BLOCKS = "▁▂▃▄▅▆▇█"
CROWDED_SHARE = 0.5  # a log scale once more than this share of the losses sits in the lowest eighth
LOWEST = 1 / 8  # the bottom row of the 8-row terminal chart, the bottom eighth of a plot


def log_scale(losses: Sequence[float]) -> bool:
    """Whether to draw ``losses`` on a log scale: all positive, and crowded at the bottom on a linear one.

    Training losses fall fast and then creep: drawn linearly, everything after the first steps sits on
    the bottom row (a line fit falling from 3.3 to 1e-24; logistic regression settling at 0.11). A log
    scale spreads that tail. A loss that falls evenly, or one that reaches 0, stays linear.
    """
    finite = [v for v in losses if math.isfinite(v)]
    if len(finite) < 2 or min(finite) <= 0.0:
        return False
    low, high = min(finite), max(finite)
    if high == low:
        return False
    crowded = sum(1 for v in finite if (v - low) / (high - low) < LOWEST)
    return crowded > CROWDED_SHARE * len(finite)


def loss_chart(
    losses: Sequence[float], width: int = 60, height: int = 8, precision: int = 3, title: str = "loss per step"
) -> str:
    """The curve of ``losses`` (steps 0, 1, …): a title, ``height`` lines of at most ``width`` columns, an axis."""
    finite = [v for v in losses if math.isfinite(v)]
    if not finite:
        return "(no loss to draw)"
    columns = min(width, len(finite))
    picks = [finite[round(c * (len(finite) - 1) / max(columns - 1, 1))] for c in range(columns)]
    low, high = min(finite), max(finite)
    log = log_scale(finite)
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
    last = str(len(losses) - 1)
    axis = "step 0" if len(losses) == 1 else f"step 0{last:>{max(columns - 6, len(last) + 1)}}"
    lines.append(" " * (pad + 2) + axis)
    return "\n".join(lines)


def _cell(fill: int) -> str:
    if fill <= 0:
        return " "
    return _BLOCKS[min(fill, 8) - 1]
