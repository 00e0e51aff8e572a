"""What a drawing can be asked for, in any format: one record that every format reads what it needs from.

``views.formats`` gives it to each format's producer; ``views.dot`` reads the picture's options from it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class DrawOptions:
    """What a drawing can be asked for; each format reads the options that make sense for it."""

    style: str = "circuit"  # circuit or boxes (pictures)
    precision: int = 2
    rankdir: str = "LR"  # pictures
    palette: str = "safe"  # pictures: a row of views.palette.PALETTES
    legend: bool | None = None  # pictures: None is the style's default
    charset: str = "unicode"  # text: unicode or ascii
    width: int | None = None  # text: the columns available (None: no limit)
