"""One number formatter for every view, so the same value always reads the same.

The table, the REPL, ``explain``, the pictures, the check and the training views all call
:func:`format_number`; nothing a user reads formats a float any other way. Its contract (also in the
README, "Usage"):

- It never raises, for any float (or int, or NumPy float) and any precision: a precision below 0 counts
  as 0 and one above 17 as 17 (a double holds no more digits).
- ``precision`` p means **p decimals, or p significant digits if that shows more**: numbers from 1 up get
  p decimals (``3.291667``, ``-12``), smaller ones p significant digits (``0.731059``, ``0.0731059``), so
  a small number keeps the digits asked for whatever its magnitude. Even at p = 0 a number shows one
  significant digit (``0.3``, ``3``). Never more than 17 significant digits.
- A non-zero number never reads as zero: one that rounds below 1e-4 (where fixed-point would need four
  or more leading zeros), or to 1e15 or more, is written in scientific notation with p significant
  digits (at least one): ``6.21e-7``, ``1.234e-5``, ``1.5e15``; the exponent has no ``+`` and no leading
  zeros.
- Negative zero prints ``0``; infinities and NaN print ``inf``, ``-inf`` and ``nan``.
- Trailing zeros are dropped (``2.5``, ``-12``) unless ``fixed`` keeps them to the decimals shown, as
  circuit pictures label wires (``2.00``, ``-0.20``, ``0.050``). Scientific notation shows only the
  digits that matter in either mode (``6.21e-7``), so a table and a picture print the same digits.
- The digits are those of the number as Python prints it (its shortest round-trip form), rounded half
  away from zero: at p = 2, ``0.125`` reads ``0.13`` and ``2.675`` reads ``2.68``, as on paper; at
  p = 17, ``0.1`` reads ``0.1``, not ``0.10000000000000001``. Read back with ``float()``, the text is
  within half a unit of its last digit of the number (and the shortest form's own, tinier, error).

It is a few string operations on ``repr`` (and, from 1 up, ``format``'s own rounding wherever it gives
the same digits, which is everywhere but a tie of the printed digits; below 2.25e12 at 2 decimals, a tie
is told without ``repr``), with no ``decimal`` import (start-up time counts), since a picture of a large
graph formats hundreds of thousands of numbers.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import partial

MAX_PRECISION = 17  # a double's 17 significant digits are all there is to show
MAX_DIGITS = 17
SMALL_EXPONENT = -4  # 0.0001 is still written out; smaller numbers use scientific notation
LARGE_EXPONENT = 15  # and so do numbers from 1e15 up
# Below these (2**51 / 10**(p+1): 2.25e12 at 2 decimals) the doubles are less than half of 10**-(p+1)
# apart: ``format_number`` rounds one from 1 up with ``format`` alone, unless its digits are a tie.
_ROUNDED_BY_FORMAT_BELOW = tuple(2.0**51 / 10 ** (p + 1) for p in range(MAX_PRECISION + 1))


def format_number(value: float, precision: int = 6, *, fixed: bool = False) -> str:
    """``value`` as text: ``precision`` decimals, or that many significant digits if that shows more.

    The contract is the module docstring's: it never raises, never shows a non-zero number as 0, and
    writes tiny and huge numbers in scientific notation (``6.21e-7``).
    """
    number = float(value)
    if precision.__class__ is int and 0 <= precision <= MAX_PRECISION:  # what every view passes
        p = precision
    else:
        p = min(max(int(precision), 0), MAX_PRECISION)
    magnitude = abs(number)
    sign = "-" if number < 0 else ""
    if 1.0 <= magnitude < _ROUNDED_BY_FORMAT_BELOW[p]:  # most numbers a picture shows (NaN fails both tests)
        # Here neighbouring doubles are less than half a unit of the (p+1)-th decimal apart, so the
        # printed (shortest) digits, when they have p + 1 decimals or fewer, are the only decimal of that
        # length near enough to the number, and ``format`` at p + 1 decimals writes them. They are then a
        # tie at p decimals (2.675 at 2) just when that text ends in 5 and reads back as the number; in
        # any other case ``format`` at p decimals is their rounding half away from zero (see below).
        # No ``repr``: a third less time a number.
        finer = f"{magnitude:.{p + 1}f}"
        if finer[-1] != "5" or float(finer) != magnitude:
            rounded = f"{magnitude:.{p}f}"
            if p and not fixed:
                rounded = rounded.rstrip("0").rstrip(".")
            return sign + rounded
    if 1.0 <= magnitude < 1e15:  # from 1 up: p decimals, at most 17 digits in all
        text = repr(magnitude)  # fixed-point below 1e16, with a point
        whole, _, fraction = text.partition(".")
        if fraction == "0":
            fraction = ""
        if len(fraction) <= p:  # 123.25 needs no rounding at 2 decimals or more
            if fixed:
                fraction = fraction.ljust(min(p, MAX_DIGITS - len(whole)), "0")
            return f"{sign}{whole}.{fraction}" if fraction else sign + whole
        if len(fraction) > p + 1 or fraction[-1] != "5":
            # Not a tie of the shortest digits (2.675 at 2 decimals): then rounding them half away
            # from zero and rounding the double itself to nearest (what ``format`` does) agree, as a
            # decimal between the two with p + 1 decimals would be a shorter ``repr``. The carry
            # into 1e15 (999999999999999.96 at 1 decimal) is left to the full rounding below.
            rounded = f"{magnitude:.{p}f}"
            if magnitude < 999_999_999_999_999.0 or len(rounded.partition(".")[0]) <= LARGE_EXPONENT:
                if p and not fixed:
                    rounded = rounded.rstrip("0").rstrip(".")
                return sign + rounded
    elif magnitude != magnitude:
        return "nan"
    elif magnitude == math.inf:
        return "inf" if number > 0 else "-inf"
    elif magnitude == 0.0:  # -0.0 too
        return "0." + "0" * p if fixed and p else "0"
    else:
        text = repr(magnitude)
    digits, point = _shortest(text)
    significant = max(p, 1)
    exponent = point - 1  # of the leading digit
    if exponent >= 0:  # p decimals (at most 17 digits in all), unless that rounds up to 1e15
        decimals = min(p, MAX_DIGITS - 1 - exponent)
        if exponent >= LARGE_EXPONENT:
            return sign + _scientific(digits, point, significant)
    else:  # p significant digits, unless they round below 1e-4; 0.099999996 carries to 0.1
        if digits[:significant] == "9" * significant and digits[significant : significant + 1] >= "5":
            exponent += 1
        if exponent < SMALL_EXPONENT:
            return sign + _scientific(digits, point, significant)
        decimals = max(p, significant - 1 - exponent)
    kept, point_kept = _round(digits, point, point + decimals)
    if point_kept > LARGE_EXPONENT:  # 999999999999999.96 at one decimal
        return sign + _scientific(digits, point, significant)
    if point_kept <= 0:
        whole, fraction = "0", "0" * -point_kept + kept
    else:
        whole, fraction = kept[:point_kept].ljust(point_kept, "0"), kept[point_kept:]
    if fixed:
        fraction = fraction.ljust(decimals, "0")
    return f"{sign}{whole}.{fraction}" if fraction else sign + whole


def fixed_formatter(precision: int) -> Callable[[float], str]:
    """``format_number(value, precision, fixed=True)`` as a function of ``value`` alone, for a view that
    prints thousands of numbers at one precision (a picture's wires): about 0.6 µs a number less.

    Its common case (from 1 up, below ``_ROUNDED_BY_FORMAT_BELOW``, no tie) skips the call's checks and the
    sign's handling (``format`` rounds a negative number as its magnitude), and where the (p+1)-th decimal
    of ``format`` at p + 1 decimals is 0 to 4, that text cut before it is the rounding at p decimals, which
    saves the second ``format``: the number is within half a unit of the (p+1)-th decimal of that text, so
    within 4.5 of them of the cut text, less than the 5 it takes to round to another. Everything else is
    ``format_number``'s.
    """
    p = min(max(int(precision), 0), MAX_PRECISION)
    if p == 0:  # no decimal to cut: ``2.4`` cut is ``2.``
        return partial(format_number, precision=0, fixed=True)
    limit, spec, finer_spec = _ROUNDED_BY_FORMAT_BELOW[p], f".{p}f", f".{p + 1}f"

    def formatted(value: float) -> str:
        if 1.0 <= value < limit or -limit < value <= -1.0:  # NaN fails both
            finer = format(value, finer_spec)
            last = finer[-1]
            if last < "5":
                return finer[:-1]
            if last != "5" or float(finer) != value:  # a 5 that is not the number's last digit: no tie
                return format(value, spec)
        return format_number(value, p, fixed=True)

    return formatted


def _scientific(digits: str, point: int, significant: int) -> str:
    """0.D × 10**P with ``significant`` digits at most, one before the point: ``6.21e-7``, ``1e15``."""
    kept, point_kept = _round(digits, point, significant)
    return f"{kept[0]}{'.' if len(kept) > 1 else ''}{kept[1:]}e{point_kept - 1}"


def _shortest(text: str) -> tuple[str, int]:
    """The digits D and point position P of a positive number's ``repr``: it is 0.D × 10**P.

    ``0.731`` is ("731", 0), ``6.21e-07`` is ("621", -6), ``120.0`` is ("12", 3). D has no leading or
    trailing zeros.
    """
    mantissa, _, exponent = text.partition("e")
    whole, _, fraction = mantissa.partition(".")
    both = whole + fraction
    digits = both.lstrip("0")
    point = len(whole) - (len(both) - len(digits)) + (int(exponent) if exponent else 0)
    return digits.rstrip("0"), point


def _round(digits: str, point: int, keep: int) -> tuple[str, int]:
    """0.D × 10**P rounded, half away from zero, to its first ``keep`` digits; trailing zeros go.

    ``keep`` is 0 only after a carry (0.96 at 0 decimals), when the first digit rounds up to 1.
    """
    if keep >= len(digits):
        return digits, point
    kept = digits[:keep]
    if digits[keep] >= "5":
        carried = str(int(kept or "0") + 1)
        if len(carried) > len(kept):  # 999 -> 1000: one more digit before the point
            point += 1
        kept = carried
    return kept.rstrip("0"), point
