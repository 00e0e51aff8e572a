"""One number formatter for every view, so the same value always reads the same."""

from __future__ import annotations

import math


def format_number(value: float, precision: int = 6, *, fixed: bool = False) -> str:
    """``value`` with ``precision`` decimals.

    Trailing zeros go (``-12``, ``0.731059``) unless ``fixed`` keeps them (``2.00``, as circuit
    pictures label wires). Values too large or too small for that many decimals use an exponent.
    Negative zero prints as 0.
    """
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    if value == 0.0:
        value = 0.0
    magnitude = abs(value)
    if magnitude >= 1e15 or (magnitude and magnitude < 10.0**-precision / 2):
        text = f"{value:.{max(precision, 1)}e}" if fixed else f"{value:.{max(precision, 1)}g}"
        mantissa, _, exponent = text.partition("e")
        if not fixed and "." in mantissa:
            mantissa = mantissa.rstrip("0").rstrip(".")
        return f"{mantissa}e{int(exponent)}"
    text = f"{value:.{precision}f}"
    if not fixed and "." in text:
        text = text.rstrip("0").rstrip(".")
    return text
