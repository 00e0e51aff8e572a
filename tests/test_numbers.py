"""The one number formatter: its contract as properties over every precision and magnitude, and examples."""

from __future__ import annotations

import math
import re
from decimal import ROUND_HALF_UP, Decimal, localcontext

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from gradcalc.numbers import fixed_formatter, format_number

PRECISIONS = range(18)
SHAPE = re.compile(r"-?(0|[1-9][0-9]*)(\.[0-9]+)?(e-?[1-9][0-9]*)?")
READS_AS_ZERO = re.compile(r"-?0(\.0*)?(e.*)?")


def magnitudes() -> st.SearchStrategy[float]:
    """Numbers spread evenly over the exponents 1e-320 .. 1e308, both signs."""

    def build(sign: int, mantissa: float, exponent: int) -> float:
        return sign * float(f"{mantissa!r}e{exponent}")

    return st.builds(
        build,
        st.sampled_from([1, -1]),
        st.floats(1.0, 9.999999999, allow_nan=False),
        st.integers(-320, 307),
    )


NUMBERS = st.one_of(st.floats(), magnitudes(), st.sampled_from([0.0, -0.0, 5e-324, -5e-324, 2.2250738585072014e-308]))


def check_contract(value: float, precision: int) -> None:
    text = format_number(value, precision)
    padded = format_number(value, precision, fixed=True)
    if math.isnan(value):
        assert text == padded == "nan"
        return
    if math.isinf(value):
        assert text == padded == ("inf" if value > 0 else "-inf")
        return
    assert SHAPE.fullmatch(text), text
    assert SHAPE.fullmatch(padded), padded
    if value == 0.0:
        assert text == "0"
        assert padded == ("0." + "0" * precision if precision else "0")
        return
    # a non-zero number never reads as zero, and keeps its sign
    assert not READS_AS_ZERO.fullmatch(text), (value, precision, text)
    assert text.startswith("-") == (value < 0)
    # fixed only pads: the same digits, the same number
    assert float(text) == float(padded)
    if "e" not in padded and "." in padded:
        assert text == padded.rstrip("0").rstrip(".")
    else:
        assert text == padded
    # read back, the text is within half a unit of its last digit (p significant digits at least; and
    # p decimals for a number from 1 up), counted from the shortest form of the number Python prints
    # Exactly: a double's exact value has up to 767 digits, and at the default 28 a case where the text
    # is exactly half a unit from the shortest form (6.982437169517755e307 at 15) rounds the wrong way.
    with localcontext(prec=2_000):
        exact, shortest, shown = Decimal(value), Decimal(repr(value)), Decimal(text)
        significant = max(precision, 1)
        leading = max(exact.adjusted(), shown.adjusted())
        unit = Decimal(10).scaleb(leading - significant)
        if abs(value) >= 1 and "e" not in text and leading + precision <= 16:
            unit = min(unit, Decimal(10).scaleb(-precision - 1))
        assert abs(shown - exact) <= unit / 2 + abs(shortest - exact), (value, precision, text)
    # never more significant digits than a double holds
    digits = text.lstrip("-").split("e")[0].replace(".", "").lstrip("0")
    assert len(digits) <= 17, text


@settings(max_examples=2000, deadline=None)
@given(NUMBERS, st.integers(0, 17))
@example(6.21e-7, 6)
@example(-0.0, 0)
@example(0.96, 0)
@example(9.9999996e-5, 6)
@example(999999999999999.9, 6)
@example(1.7976931348623157e308, 17)
@example(6.982437169517755e307, 15)  # half a unit exactly: see check_contract
def test_the_contract_holds_for_any_float_and_precision(value: float, precision: int):
    check_contract(value, precision)


@pytest.mark.parametrize("precision", PRECISIONS)
def test_the_contract_holds_at_every_power_of_ten(precision: int):
    for exponent in range(-320, 309):
        for mantissa in ("1", "4.9", "6.21", "9.999999999999"):
            value = float(f"{mantissa}e{exponent}")
            if math.isfinite(value) and value:
                check_contract(value, precision)
                check_contract(-value, precision)


def ties(draw: st.DrawFn) -> float:
    """A number whose printed digits end in a 5 just past a precision: 2.675, 1003.5, 12.0625."""
    whole = draw(st.integers(1, 10**14))
    decimals = draw(st.text("0123456789", max_size=12))
    return float(f"{whole}.{decimals}5")


FROM_ONE_UP = st.one_of(
    st.floats(1.0, 1e15, exclude_max=True),
    magnitudes().map(abs).filter(lambda v: 1 <= v < 1e15),
    st.composite(ties)(),
    st.sampled_from([1.0, 2.675, 9.995, 999999999999999.9, 100000000000000.02, 4503599627370495.5 / 8]),
)


@settings(max_examples=3000, deadline=None)
@given(FROM_ONE_UP, st.integers(0, 17), st.booleans(), st.booleans())
@example(999999999999999.6, 0, False, False)  # rounds to 1e15
@example(999999999999999.94, 1, True, True)
def test_from_1_up_the_printed_digits_are_rounded_half_away_from_zero(
    value: float, precision: int, negative: bool, fixed: bool
):
    """Exactly the contract's rounding, with ``decimal`` as the reference: the digits Python prints for
    the number, rounded half away from zero to p decimals (17 digits in all at most)."""
    sign = "-" if negative else ""
    assert format_number(-value if negative else value, precision, fixed=fixed) == sign + rounded_half_away(
        value, precision, fixed
    )


def rounded_half_away(value: float, precision: int, fixed: bool) -> str:
    """The contract's text of ``value`` from 1 up, by ``decimal``: its printed digits rounded half away
    from zero to ``precision`` decimals (17 digits in all at most), the zeros kept only when ``fixed``."""
    shortest = Decimal(repr(value))
    decimals = min(precision, 17 - len(str(int(value))))
    rounded = shortest.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    if rounded >= Decimal("1e15"):  # carried up to 1e15, where scientific notation starts
        return "1e15"
    want = f"{rounded:f}"
    return want.rstrip("0").rstrip(".") if not fixed and "." in want else want


def scientific_ties(draw: st.DrawFn) -> float:
    """A number from 1e15 up whose printed digits end in a 5: 1.25e17, 6.0221405e23."""
    digits = draw(st.text("0123456789", max_size=14))
    return float(f"{draw(st.integers(1, 9))}.{digits}5e{draw(st.integers(15, 307))}")


FROM_1E15_UP = st.one_of(
    st.floats(1e15, allow_infinity=False),
    st.composite(scientific_ties)(),
    st.sampled_from([1e15, 1.5e15, 9.95e20, 9.999999999999999e22, 1.7976931348623157e308]),
)


@settings(max_examples=3000, deadline=None)
@given(FROM_1E15_UP, st.integers(0, 17), st.booleans(), st.booleans())
def test_from_1e15_up_the_printed_digits_are_rounded_half_away_from_zero_in_scientific_notation(
    value: float, precision: int, negative: bool, fixed: bool
):
    """p significant digits (one at least) of the digits Python prints, rounded half away from zero by
    ``decimal``, trailing zeros dropped in either mode; the exponent without ``+`` or leading zeros."""
    rounded = Decimal(repr(value)).normalize()
    significant = max(precision, 1)
    step = Decimal(1).scaleb(rounded.adjusted() - significant + 1)
    kept = rounded.quantize(step, rounding=ROUND_HALF_UP).normalize()  # 9.96e20 at 2 digits: 1.0e21
    mantissa = f"{kept.scaleb(-kept.adjusted()):f}"
    mantissa = mantissa.rstrip("0").rstrip(".") if "." in mantissa else mantissa
    want = f"{'-' if negative else ''}{mantissa}e{kept.adjusted()}"
    assert format_number(-value if negative else value, precision, fixed=fixed) == want


@pytest.mark.parametrize("precision", range(18))
def test_from_1_up_the_digits_are_rounded_alike_either_side_of_where_format_alone_rounds(precision: int):
    """Below 2**51 / 10**(p+1) the formatter rounds with ``format`` and tells a tie without ``repr``;
    above, with ``repr``: the doubles around that limit, and ties just under it, read as the contract says."""
    limit = 2.0**51 / 10 ** (precision + 1)
    near, below, above = [limit], limit, limit
    for _ in range(200):
        below, above = math.nextafter(below, 0.0), math.nextafter(above, math.inf)
        near += [below, above]
    whole = max(1, int(limit) - 1)
    near += [float(f"{whole - k}.{'3' * precision}5") for k in range(min(whole, 50))]  # ties under it
    checked = [value for value in near if value >= 1.0]
    assert len(checked) > 40 or limit < 1.0
    for value in checked:
        for fixed in (False, True):
            assert format_number(value, precision, fixed=fixed) == rounded_half_away(value, precision, fixed), value


@settings(max_examples=4000, deadline=None)
@given(st.one_of(NUMBERS, FROM_ONE_UP, FROM_ONE_UP.map(lambda v: -v)), st.integers(0, 17))
@example(2.675, 2)  # a tie: up, as on paper
@example(-2.675, 2)
@example(2.6749999999999998, 2)  # cut before its 4
@example(9.9996, 3)  # cut is wrong here: a 6, rounded up to 10.000
def test_the_fixed_formatter_of_a_precision_writes_what_format_number_writes(value: float, precision: int):
    """``fixed_formatter(p)``, the pictures' formatter, is ``format_number(..., p, fixed=True)`` for every
    number: its shortcut (the text at p + 1 decimals cut before a last digit of 0 to 4) included."""
    assert fixed_formatter(precision)(value) == format_number(value, precision, fixed=True)


@pytest.mark.parametrize("precision", range(18))
def test_the_fixed_formatter_writes_what_format_number_writes_either_side_of_its_limit(precision: int):
    limit = 2.0**51 / 10 ** (precision + 1)
    near, below, above = [limit, -limit], limit, limit
    for _ in range(200):
        below, above = math.nextafter(below, 0.0), math.nextafter(above, math.inf)
        near += [below, above, -below, -above]
    whole = max(1, int(limit) - 1)
    near += [  # just under it, a last digit either side of 5 after 3s and 9s (9.9996 carries)
        float(f"{whole - k}.{d * precision}{last}") for k in range(min(whole, 20)) for d in "39" for last in "4567"
    ]
    formatted = fixed_formatter(precision)
    for value in near:
        assert formatted(value) == format_number(value, precision, fixed=True), value


def small_ties(draw: st.DrawFn) -> float:
    """A number below 1 whose printed digits end in a 5: 0.125, 0.00735."""
    zeros = "0" * draw(st.integers(0, 3))
    return float(f"0.{zeros}{draw(st.integers(1, 10**12))}5")


BELOW_ONE = st.one_of(
    st.floats(1e-4, 1.0, exclude_max=True),
    st.composite(small_ties)(),
    st.sampled_from([0.125, 0.0731058578630049, 0.0996, 0.96, 0.099999996, 0.00014999999999999999]),
)


@settings(max_examples=3000, deadline=None)
@given(BELOW_ONE, st.integers(0, 17), st.booleans(), st.booleans())
def test_below_1_the_printed_digits_are_rounded_half_away_from_zero_to_p_significant_digits(
    value: float, precision: int, negative: bool, fixed: bool
):
    """As above, from 1e-4 to 1: p significant digits of the printed number (one at least), and where
    rounding them carries into a new leading digit (0.0996 at 2 digits), p digits of that: 0.10."""
    fraction = repr(value).partition(".")[2]
    zeros = len(fraction) - len(fraction.lstrip("0"))
    significant = max(precision, 1)
    shortest = Decimal(repr(value))
    rounded = shortest.quantize(Decimal(1).scaleb(-max(precision, significant + zeros)), rounding=ROUND_HALF_UP)
    if rounded.adjusted() > -zeros - 1:  # carried
        decimals = max(precision, significant + zeros - 1)
        rounded = shortest.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    want = f"{rounded:f}"
    if not fixed and "." in want:
        want = want.rstrip("0").rstrip(".")
    sign = "-" if negative else ""
    assert format_number(-value if negative else value, precision, fixed=fixed) == sign + want


@given(NUMBERS, st.integers(-1000, 1000))
def test_precisions_outside_0_to_17_are_clamped(value: float, precision: int):
    nearest = min(max(precision, 0), 17)
    assert format_number(value, precision) == format_number(value, nearest)
    assert format_number(value, precision, fixed=True) == format_number(value, nearest, fixed=True)


@pytest.mark.parametrize(
    ("value", "precision", "text"),
    [
        # small gradients keep their digits (issue 8, item 2)
        (6.21e-7, 6, "6.21e-7"),
        (1.234e-5, 6, "1.234e-5"),
        (4.9e-7, 6, "4.9e-7"),
        (-0.00006, 6, "-6e-5"),
        (0.0001, 6, "0.0001"),
        (0.000123456789, 6, "0.000123457"),
        (0.0731058578630049, 6, "0.0731059"),
        # numbers from 1 up get the decimals asked for
        (0.731058578630049, 6, "0.731059"),
        (3.2916666666666665, 6, "3.291667"),
        (-12.0, 6, "-12"),
        (12345.678, 2, "12345.68"),
        # low precisions that used to crash (issue 8, item 1)
        (0.0024726231566347743, 2, "0.0025"),
        (0.3, 0, "0.3"),
        (1 / 3, 0, "0.3"),
        (0.96, 0, "1"),
        (2.5, 0, "3"),
        (1e15, 16, "1e15"),
        (123456789012345.67, 6, "123456789012345.67"),
        # rounding is half away from zero on the digits Python prints, as on paper
        (0.125, 2, "0.13"),
        (2.675, 2, "2.68"),
        (-2.675, 2, "-2.68"),
        (9.9999996e-5, 6, "0.0001"),
        (0.1, 17, "0.1"),
        (1 / 3, 17, "0.3333333333333333"),
        # the ends of the range
        (5e-324, 6, "5e-324"),
        (1e-320, 3, "1e-320"),
        (1e308, 6, "1e308"),
        (-1.7976931348623157e308, 17, "-1.7976931348623157e308"),
        (-1.7976931348623157e308, 2, "-1.8e308"),
        (-0.0, 6, "0"),
        (float("inf"), 3, "inf"),
        (float("-inf"), 3, "-inf"),
        (float("nan"), 3, "nan"),
    ],
)
def test_examples(value: float, precision: int, text: str):
    assert format_number(value, precision) == text


@pytest.mark.parametrize(
    ("value", "precision", "text"),
    [
        (2.0, 2, "2.00"),
        (-0.19661193324148185, 2, "-0.20"),
        (0.05, 2, "0.050"),
        (-0.0, 2, "0.00"),
        (0.0, 0, "0"),
        (6.21e-7, 6, "6.21e-7"),
        (3.0, 0, "3"),
        (0.99999, 2, "1.00"),
    ],
)
def test_fixed_keeps_the_trailing_zeros_of_fixed_point_only(value: float, precision: int, text: str):
    assert format_number(value, precision, fixed=True) == text


def test_ints_and_numpy_floats_format_like_floats():
    np = pytest.importorskip("numpy")
    assert format_number(3) == "3"
    assert format_number(np.float64(6.21e-7)) == "6.21e-7"
