"""The op table: every operation gradcalc knows, defined once.

Each row gives an op's machine name (used in JSON), its display symbol, how it is spelled in a program,
its arity, its forward rule, its *local* partial derivatives and, for composites, how it expands into
primitive gates. The parser, the lowering, the engine, the tables, the JSON, the pictures and the
explanations all read this table; adding an op is adding a row (and naming it in ``OPS``).

A row reads like a line of PyTorch's ``derivatives.yaml``: the row helpers (``function``, ``infix``,
``gate``, ``leaf``) fill in what follows from how an op is written, and the rule-shape helpers
(``of_output``, ``of_argument``, ``linear``, ``bilinear``, ``partials``) name the shape of its local
partials, as JAX registers its rules with ``defjvp2``, ``deflinear`` and ``defbilinear``::

    EXP = function("exp", math.exp, of_output(lambda out: out), "exp({a})", ...)

Conventions:
- ``forward(*args) -> float``; ops with a constant folded into the gate (``*-1``, ``+1``, ``^2``) take
  that constant first: ``forward(c, x)``. A ValueError means "outside the domain" (``domain`` says
  which), an OverflowError "too large".
- ``local(*args, out) -> tuple`` gives d(out)/d(arg) for each argument; ``out`` is the op's own result,
  so exp, sigmoid and tanh reuse it. The engine multiplies by the upstream gradient.
- ``formulas`` writes the same partials for people, with ``{a}``, ``{b}`` for the arguments, ``{c}``
  for a folded constant and ``{out}`` for the result; one formula per argument, so they give the arity.
- ``array_forward(xp, *args)`` and ``array_local(xp, *args, out)`` are the same rules on whole arrays
  (``xp`` is the array module, NumPy, passed in so this module never imports it); training evaluates a
  graph once per step for every data row this way. An op whose scalar rules are plain arithmetic
  (``a * b``, ``-out / b``) works on arrays as it is and leaves them ``None``; ``Op.array_rules`` picks.
  In a row, ``array=`` is the forward rule on arrays; a rule shape carries its own array version.
- ``spellings`` are how the language writes an op: operator tokens (``^``, ``**``) and function names
  (``pow``), so ``pow(a, b)`` is ``a ^ b``.
- ``aliases`` are the names other tools give an op (``ln`` for log, ``arctan`` for atan). Only error
  hints read them ("did you mean log(x)?"): one spelling per function keeps programs unambiguous.
- At points where the derivative does not exist gradcalc follows PyTorch: relu'(0) = 0, abs'(0) = 0,
  max/min split the gradient evenly on a tie; atan2 and hypot take gradient 0 at (0, 0). ``kink`` says
  when an evaluation landed on such a point.
"""

from __future__ import annotations

import math
import operator
import sys
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from functools import partial
from typing import Any, NamedTuple, Protocol

INF = math.inf
NAN = math.nan


class Syntax(Enum):
    """How an op is written in a program."""

    LEAF = "leaf"  # inputs and constants
    INFIX = "infix"  # a + b
    PREFIX = "prefix"  # -a
    CALL = "call"  # exp(a), max(a, b)
    GATE = "gate"  # made only by --expand or constant folding: *-1, +1, ^2, 1/x


class GateBuilder(Protocol):
    """What an expansion rule may do: read constants and emit gates."""

    def constant(self, node: int) -> float | None:
        """The value of ``node`` if it is a constant, else None."""

    def value(self, node: int) -> float | None:
        """The value ``node`` had when the program was evaluated (None if unknown): a rule may pick the
        form of its circuit that is stable there, as sigmoid and tanh do for the argument's sign."""

    def gate(self, op: Op, *args: int, param: float | None = None) -> int:
        """Add a gate and return its node."""


Expansion = Callable[[GateBuilder, tuple[int, ...]], int]


@dataclass(frozen=True, slots=True, eq=False)
class Op:
    name: str
    symbol: str
    arity: int
    syntax: Syntax
    forward: Callable[..., float]
    local: Callable[..., tuple[float, ...]]
    formulas: tuple[str, ...] = ()
    spellings: tuple[str, ...] = ()
    parametric: bool = False
    domain: str = ""  # what a ValueError from forward means, for error messages
    kink: Callable[..., bool] | None = None
    kink_rule: str = ""
    expand: Expansion | None = None
    description: str = ""
    aliases: tuple[str, ...] = ()  # what other tools call it (ln for log): an error's hint points here
    array_forward: Callable[..., Any] | None = None
    array_local: Callable[..., tuple[Any, ...]] | None = None
    # What each argument is, for ops whose arguments are not interchangeable (a - b, a / b, a ^ b); the
    # pictures write them where the arguments enter the gate. Empty: the order does not matter.
    roles: tuple[str, ...] = ()
    drawn: str = ""  # the gate's symbol in pictures, where the plain symbol would be ambiguous (neg vs -)
    # The second partials d2(out)/d(arg_j)d(arg_k), ``second(*args, out) -> ((d11,), )`` or
    # ``((d11, d12), (d21, d22))``: what forward mode over the backward pass needs for Hessians.
    second: Callable[..., tuple[tuple[float, ...], ...]] | None = None

    def array_rules(self, xp: Any) -> tuple[Callable[..., Any], Callable[..., tuple[Any, ...]]]:
        """The forward and local rules on arrays of module ``xp`` (NumPy), with ``xp`` bound."""
        forward = self.forward if self.array_forward is None else partial(self.array_forward, xp)
        local = self.local if self.array_local is None else partial(self.array_local, xp)
        return forward, local

    def gate_symbol(self, param: float | None, fmt: Callable[[float], str]) -> str:
        """The symbol a gate shows: ``*-1``, ``+1``, ``^2`` for parametric ops, else the plain symbol."""
        if not self.parametric or param is None:
            return self.symbol
        return self.symbol.replace("c", fmt(param))

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return f"<Op {self.name}>"


# ---------------------------------------------------------------------------------------------------
# Rule shapes: what a row's local partials look like, on numbers and on arrays.


class Local(NamedTuple):
    """An op's local partials: ``scalar(*args, out)``, and ``array(xp, *args, out)`` where the scalar
    rule needs more than arithmetic (None: the scalar rule works on arrays as it is); ``second(*args,
    out)`` the partials' own partials (the op's Hessian), for second derivatives."""

    scalar: Callable[..., tuple[float, ...]]
    array: Callable[..., tuple[Any, ...]] | None = None
    second: Callable[..., tuple[tuple[float, ...], ...]] | None = None


class ConstantPartials:
    """The scalar rule of partials that are constants (a + b: (1, 1)): called like any other rule, and read
    by the backward pass as ``partials`` without a call, once per gate (with ``swapped_partials``, a chain
    of sums and products at 10,000 terms went from 1.35x the hand-written tape's instructions to 1.20x)."""

    __slots__ = ("partials",)

    def __init__(self, partials: tuple[float, ...]) -> None:
        self.partials = partials

    def __call__(self, *args: float) -> tuple[float, ...]:
        return self.partials


def swapped_partials(a: float, b: float, out: float) -> tuple[float, float]:
    """A product's partials, its two arguments swapped: d(a*b) = (b, a). Where a gate's rule is this very
    function, the backward pass multiplies by the swapped arguments itself, and ``Evaluation.local``
    builds the pair when a view reads it."""
    return b, a


def of_output(
    slope: Callable[[float], float],
    array: Callable[[Any, Any], Any] | None = None,
    *,
    bend: Callable[[float], float],
) -> Local:
    """A unary rule whose slope is a function of the op's own output (PyTorch's ``result``, JAX's
    ``defjvp2``): exp' = out, tanh' = 1 - out^2, sigmoid' = out(1 - out). ``array(xp, out)`` is for a
    slope that needs more than arithmetic. ``bend(out)`` is d(slope)/d(out): the second derivative is
    then bend(out) * slope(out), by the chain rule, so tanh'' comes from tanh' and ``bend = -2 out``."""
    return Local(
        lambda a, out: (slope(out),),
        None if array is None else lambda xp, a, out: (array(xp, out),),
        lambda a, out: ((bend(out) * slope(out),),),
    )


def of_argument(
    slope: Callable[[float], float],
    array: Callable[[Any, Any], Any] | None = None,
    *,
    bend: Callable[[float], float],
) -> Local:
    """A unary rule whose slope is a function of its argument: sin' = cos, log' = 1/a.
    ``array(xp, a)`` is the slope on arrays where ``slope`` calls ``math`` or branches; ``bend(a)`` is
    the slope's own derivative, the op's second derivative: sin'' = -sin."""
    return Local(
        lambda a, out: (slope(a),),
        None if array is None else lambda xp, a, out: (array(xp, a),),
        lambda a, out: ((bend(a),),),
    )


_FLAT1 = ((0.0,),)
_FLAT2 = ((0.0, 0.0), (0.0, 0.0))


def linear(*slopes: float) -> Local:
    """A rule whose partials are constants, one per argument: (a + b)' = (1, 1), (a - b)' = (1, -1).
    Its second partials are all 0."""
    rule = ConstantPartials(tuple(slopes))
    return Local(rule, None, (lambda a, out: _FLAT1) if len(slopes) == 1 else (lambda a, b, out: _FLAT2))


_CROSS = ((0.0, 1.0), (1.0, 0.0))


def bilinear() -> Local:
    """The rule of a product, linear in each argument: d(a*b) = (b, a), and d2(a*b)/da db = 1."""
    return Local(swapped_partials, None, lambda a, b, out: _CROSS)


def partials(
    scalar: Callable[..., tuple[float, ...]],
    array: Callable[..., tuple[Any, ...]] | None = None,
    *,
    second: Callable[..., tuple[tuple[float, ...], ...]],
) -> Local:
    """Any other rule, written out: ``scalar(*args, out)`` and, where it needs more than arithmetic,
    ``array(xp, *args, out)``; ``second(*args, out)`` the matrix of second partials."""
    return Local(scalar, array, second)


def flat(arity: int) -> Callable[..., tuple[tuple[float, ...], ...]]:
    """The second partials of a piecewise-linear op of ``arity`` arguments (max, a folded shift): 0
    everywhere, as PyTorch (the step relu' becomes has derivative 0, at 0 too)."""
    zeros = _FLAT1 if arity == 1 else _FLAT2
    return lambda *_: zeros


# ---------------------------------------------------------------------------------------------------
# Row helpers: what follows from how an op is written (its symbol, arity, syntax) is filled in.


def leaf(name: str, description: str) -> Op:
    """An input or a constant: no rules, the engine reads its value from the graph."""
    return Op(name, name, 0, Syntax.LEAF, _no_forward, _no_local, description=description)


def gate(
    name: str,
    symbol: str,
    forward: Callable[..., float],
    local: Local,
    formula: str,
    *,
    description: str,
    parametric: bool = True,
    domain: str = "",
    array: Callable[..., Any] | None = None,
) -> Op:
    """A one-argument gate that only ``--expand`` and constant folding make: ``*c``, ``+c``, ``1/x``."""
    return Op(
        name,
        symbol,
        1,
        Syntax.GATE,
        forward,
        local.scalar,
        (formula,),
        parametric=parametric,
        domain=domain,
        description=description,
        array_forward=array,
        array_local=local.array,
        second=local.second,
    )


def infix(
    name: str,
    spellings: tuple[str, ...],
    forward: Callable[..., float],
    local: Local,
    *formulas: str,
    description: str,
    expand: Expansion | None = None,
    domain: str = "",
    roles: tuple[str, ...] = (),
    aliases: tuple[str, ...] = (),
    array: Callable[..., Any] | None = None,
    drawn: str = "",
) -> Op:
    """An operator: ``a + b`` with two formulas, prefix ``-a`` with one. Its symbol is its first spelling;
    a spelling that is a name (``pow``) is also a function of the language."""
    syntax = Syntax.INFIX if len(formulas) == 2 else Syntax.PREFIX
    return Op(
        name,
        spellings[0],
        len(formulas),
        syntax,
        forward,
        local.scalar,
        formulas,
        spellings,
        domain=domain,
        expand=expand,
        description=description,
        aliases=aliases,
        array_forward=array,
        array_local=local.array,
        roles=roles,
        drawn=drawn,
        second=local.second,
    )


def function(
    name: str,
    forward: Callable[..., float],
    local: Local,
    *formulas: str,
    description: str,
    array: Callable[..., Any] | None = None,
    domain: str = "",
    kink: Callable[..., bool] | None = None,
    kink_rule: str = "",
    expand: Expansion | None = None,
    aliases: tuple[str, ...] = (),
    roles: tuple[str, ...] = (),
) -> Op:
    """A function of the language, ``name(a)`` or ``name(a, b)``: one formula per argument."""
    return Op(
        name,
        name,
        len(formulas),
        Syntax.CALL,
        forward,
        local.scalar,
        formulas,
        domain=domain,
        kink=kink,
        kink_rule=kink_rule,
        expand=expand,
        description=description,
        aliases=aliases,
        array_forward=array,
        array_local=local.array,
        roles=roles,
        second=local.second,
    )


# ---------------------------------------------------------------------------------------------------
# Forward and local rules that need more than a lambda.


def _no_forward(*_: float) -> float:
    raise TypeError("leaf nodes are not computed")


def _no_local(*_: float) -> tuple[float, ...]:
    return ()


def _pow(a: float, b: float) -> float:
    # math.pow, not **: a negative base with a fractional exponent raises instead of going complex,
    # and overflow raises instead of hanging on huge integers.
    return math.pow(a, b)


def _pow_local(a: float, b: float, out: float) -> tuple[float, float]:
    return _pow_base_slope(a, b), _log_slope(a, out)


def _pow_base_slope(a: float, b: float) -> float:
    """d(a^b)/da = b * a^(b-1), infinite where a = 0 and b < 1."""
    if b == 0.0:
        return 0.0
    try:
        return b * math.pow(a, b - 1.0)
    except (ValueError, ZeroDivisionError):
        return NAN if a < 0.0 else math.copysign(INF, b)
    except OverflowError:
        return math.copysign(INF, b)


def _log_slope(a: float, out: float) -> float:
    """d(a^b)/db = a^b * ln(a): 0 at a = 0 (as PyTorch), undefined for a negative base."""
    if a > 0.0:
        return out * math.log(a)
    return 0.0 if a == 0.0 else NAN


def _powc(c: float, a: float) -> float:
    return math.pow(a, c)


def _powc_local(c: float, a: float, out: float) -> tuple[float]:
    return (_pow_base_slope(a, c),)


def _recip(a: float) -> float:
    return 1.0 / a


def _inverse_sqrt(a: float) -> float:
    """1/sqrt(a), infinite at 0: the slope of sqrt, asin, acos and acosh at the edge of their domain."""
    return 1.0 / math.sqrt(a) if a else INF


def _sigmoid(a: float) -> float:
    if a >= 0.0:
        return 1.0 / (1.0 + math.exp(-a))
    z = math.exp(a)  # stable for large negative a: never overflows
    return z / (1.0 + z)


def _softplus(a: float) -> float:
    # log(1 + exp(a)) written so that exp never overflows: softplus(1000) is 1000, softplus(-1000) is 0
    return max(a, 0.0) + math.log1p(math.exp(-abs(a)))


def _silu(a: float) -> float:
    return a * _sigmoid(a)


def _silu_local(a: float, out: float) -> tuple[float]:
    s = _sigmoid(a)
    return (s + out * (1.0 - s),)  # d(a*s)/da = s + a*s*(1 - s), and out = a*s


_LN2, _LN10 = math.log(2.0), math.log(10.0)
_SQRT_HALF = math.sqrt(0.5)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)


def _gelu(a: float) -> float:
    # a * Phi(a), with erfc so that large negative a keeps its digits (1 + erf(a/sqrt(2)) would be 0)
    return 0.5 * a * math.erfc(-a * _SQRT_HALF)


def _gelu_slope(a: float) -> float:
    return 0.5 * math.erfc(-a * _SQRT_HALF) + a * _INV_SQRT_2PI * math.exp(-0.5 * a * a)  # Phi(a) + a*phi(a)


def _relu(a: float) -> float:
    return a if a > 0.0 else 0.0


def _sign(a: float) -> float:
    return 1.0 if a > 0.0 else -1.0 if a < 0.0 else 0.0


def _max_local(a: float, b: float, out: float) -> tuple[float, float]:
    return (1.0, 0.0) if a > b else (0.0, 1.0) if a < b else (0.5, 0.5)


def _min_local(a: float, b: float, out: float) -> tuple[float, float]:
    return (1.0, 0.0) if a < b else (0.0, 1.0) if a > b else (0.5, 0.5)


def _atan2_local(y: float, x: float, out: float) -> tuple[float, float]:
    # x/(x^2 + y^2) and -y/(x^2 + y^2) through hypot, which neither overflows nor underflows first
    r = math.hypot(y, x)
    return (x / r / r, -y / r / r) if r else (0.0, 0.0)


def _hypot_local(a: float, b: float, out: float) -> tuple[float, float]:
    return (a / out, b / out) if out else (0.0, 0.0)


def _at_origin(a: float, b: float) -> bool:
    return a == 0.0 and b == 0.0


# Second partials, for the rules written out with ``partials``.


def _div_second(a: float, b: float, out: float) -> tuple[tuple[float, float], tuple[float, float]]:
    # divided by b twice, not by b*b, which underflows to 0 at b = 5e-324 (the quotient is then infinite)
    cross = -1.0 / b / b
    return (0.0, cross), (cross, 2.0 * out / b / b)


def _pow_second(a: float, b: float, out: float) -> tuple[tuple[float, float], tuple[float, float]]:
    """d2(a^b): b(b-1)a^(b-2), a^(b-1)(1 + b ln a) across, a^b ln(a)^2; at a <= 0 the terms with ln a
    are 0 at a = 0 (as the first partial is) and undefined below."""
    base = 0.0 if b == 0.0 else b * _pow_base_slope(a, b - 1.0)
    if a > 0.0:
        log = math.log(a)
        cross = _pow_base_slope(a, b) / b * (1.0 + b * log) if b else 1.0 / a
        return (base, cross), (cross, out * log * log)
    if a == 0.0:
        return (base, 0.0), (0.0, 0.0)
    return (base, NAN), (NAN, NAN)


def _powc_second(c: float, a: float, out: float) -> tuple[tuple[float]]:
    return ((0.0 if c == 0.0 else c * _pow_base_slope(a, c - 1.0),),)


def _silu_second(a: float, out: float) -> tuple[tuple[float]]:
    s = _sigmoid(a)
    return ((s * (1.0 - s) * (2.0 + a * (1.0 - 2.0 * s)),),)  # d(s + a s (1 - s))/da


def _atan2_second(y: float, x: float, out: float) -> tuple[tuple[float, float], tuple[float, float]]:
    r = math.hypot(y, x)
    if not r:
        return _FLAT2
    # in terms of y/r and x/r, divided by r twice: r^4 underflows to 0 at r = 1e-81
    sin, cos = y / r, x / r
    cross = (sin * sin - cos * cos) / r / r
    return (-2.0 * cos * sin / r / r, cross), (cross, 2.0 * cos * sin / r / r)


def _hypot_second(a: float, b: float, out: float) -> tuple[tuple[float, float], tuple[float, float]]:
    if not out:
        return _FLAT2
    # in terms of a/h and b/h, divided by h once: h^3 underflows to 0 at h = 1e-108
    sa, sb = a / out, b / out
    cross = -sa * sb / out
    return (sb * sb / out, cross), (cross, sa * sa / out)


def _inverse_sqrt_cubed(a: float) -> float:
    """(1/sqrt(a))^3: the bend of asin, acos, asinh, acosh; infinite at 0."""
    return _inverse_sqrt(a) ** 3


def _gelu_bend(a: float) -> float:
    return _INV_SQRT_2PI * math.exp(-0.5 * a * a) * (2.0 - a * a)  # d(Phi + a phi)/da = phi (2 - a^2)


def _sigmoid_slope(a: float) -> float:
    s = _sigmoid(a)
    return s * (1.0 - s)


# The same rules on arrays, for the ops whose scalar rules call math or branch on a value.


def _pow_array_local(xp: Any, a: Any, b: Any, out: Any) -> tuple[Any, Any]:
    return xp.where(b == 0.0, 0.0, b * a ** (b - 1.0)), _log_slope_array(xp, a, out)


def _log_slope_array(xp: Any, a: Any, out: Any) -> Any:
    positive = a > 0.0
    return xp.where(positive, out * xp.log(xp.where(positive, a, 1.0)), xp.where(a == 0.0, 0.0, NAN))


def _powc_array_local(xp: Any, c: float, a: Any, out: Any) -> tuple[Any]:
    # one pass over the array for the common square; ``**`` has fast paths for 2, 0.5 and -1
    if c == 2.0:
        return (2.0 * a,)
    return (0.0 * a if c == 0.0 else c * a ** (c - 1.0),)


def _sigmoid_array(xp: Any, a: Any) -> Any:
    z = xp.exp(-xp.abs(a))  # as _sigmoid: exp of a non-positive number never overflows
    return xp.where(a >= 0.0, 1.0 / (1.0 + z), z / (1.0 + z))


def _softplus_array(xp: Any, a: Any) -> Any:
    return xp.maximum(a, 0.0) + xp.log1p(xp.exp(-xp.abs(a)))


def _silu_array(xp: Any, a: Any) -> Any:
    return a * _sigmoid_array(xp, a)


def _silu_array_local(xp: Any, a: Any, out: Any) -> tuple[Any]:
    s = _sigmoid_array(xp, a)
    return (s + out * (1.0 - s),)


def _erf_array(xp: Any, a: Any) -> Any:
    return xp.vectorize(math.erf, otypes=[float])(a)  # NumPy has no erf: math's, element by element


def _erfc_array(xp: Any, a: Any) -> Any:
    return xp.vectorize(math.erfc, otypes=[float])(a)


def _gelu_array(xp: Any, a: Any) -> Any:
    return 0.5 * a * _erfc_array(xp, -a * _SQRT_HALF)


def _gelu_array_slope(xp: Any, a: Any) -> Any:
    return 0.5 * _erfc_array(xp, -a * _SQRT_HALF) + a * _INV_SQRT_2PI * xp.exp(-0.5 * a * a)


def _max_array_local(xp: Any, a: Any, b: Any, out: Any) -> tuple[Any, Any]:
    first = xp.where(a > b, 1.0, xp.where(a < b, 0.0, 0.5))
    return first, 1.0 - first


def _min_array_local(xp: Any, a: Any, b: Any, out: Any) -> tuple[Any, Any]:
    first = xp.where(a < b, 1.0, xp.where(a > b, 0.0, 0.5))
    return first, 1.0 - first


def _atan2_array_local(xp: Any, y: Any, x: Any, out: Any) -> tuple[Any, Any]:
    r = xp.hypot(y, x)
    zero = r == 0.0
    r = xp.where(zero, 1.0, r)
    return xp.where(zero, 0.0, x / r / r), xp.where(zero, 0.0, -y / r / r)


def _hypot_array_local(xp: Any, a: Any, b: Any, out: Any) -> tuple[Any, Any]:
    zero = out == 0.0
    safe = xp.where(zero, 1.0, out)
    return xp.where(zero, 0.0, a / safe), xp.where(zero, 0.0, b / safe)


# ---------------------------------------------------------------------------------------------------
# Leaves, and the gates with a constant folded in: made by --expand and by a constant exponent (x^2).

# fmt: off
INPUT = leaf("input", "a value you set; its gradient is what backprop is for")
CONST = leaf("const", "a number in the program")

SCALE = gate("scale", "*c", operator.mul, partials(lambda c, a, out: (c,), second=flat(1)),
             "{c}", description="multiply by a constant")
SHIFT = gate("shift", "+c", operator.add, partials(lambda c, a, out: (1.0,), second=flat(1)),
             "1", description="add a constant")
POWC = gate("powc", "^c", _powc, partials(_powc_local, _powc_array_local, second=_powc_second), "{c}*{a}^({c}-1)",
            description="raise to a constant power", array=lambda xp, c, a: a**c,
            domain="a negative base needs an integer exponent, and 0 has no negative powers")
RECIP = gate("recip", "1/x", _recip, of_output(lambda out: -out * out, bend=lambda out: -2.0 * out),
             "-1/{a}^2", parametric=False,
             description="reciprocal", domain="division by zero")
# fmt: on


# ---------------------------------------------------------------------------------------------------
# Expansion rules: composites written as primitive gates, constants folded into the gate.


def _expand_add(b: GateBuilder, args: tuple[int, ...]) -> int:
    x, y = args
    cx, cy = b.constant(x), b.constant(y)
    if cx is not None:
        return b.gate(SHIFT, y, param=cx)
    if cy is not None:
        return b.gate(SHIFT, x, param=cy)
    return b.gate(ADD, x, y)


def _expand_sub(b: GateBuilder, args: tuple[int, ...]) -> int:
    x, y = args
    cx, cy = b.constant(x), b.constant(y)
    if cy is not None:
        return b.gate(SHIFT, x, param=-cy)
    negated = b.gate(SCALE, y, param=-1.0)
    if cx is not None:
        return b.gate(SHIFT, negated, param=cx)
    return b.gate(ADD, x, negated)


def _expand_mul(b: GateBuilder, args: tuple[int, ...]) -> int:
    x, y = args
    cx, cy = b.constant(x), b.constant(y)
    if cx is not None:
        return b.gate(SCALE, y, param=cx)
    if cy is not None:
        return b.gate(SCALE, x, param=cy)
    return b.gate(MUL, x, y)


def _expand_div(b: GateBuilder, args: tuple[int, ...]) -> int:
    x, y = args
    cx, cy = b.constant(x), b.constant(y)
    if _reciprocal_overflows(b.value(y)):  # y = 1e-310: 1/y is past the largest float, x/y need not be
        return b.gate(DIV, x, y)
    if cy:  # a nonzero constant divisor is a scale; zero keeps its division so the error names it
        return b.gate(SCALE, x, param=1.0 / cy)
    inverse = b.gate(RECIP, y)
    if cx == 1.0:
        return inverse
    if cx is not None:
        return b.gate(SCALE, inverse, param=cx)
    return b.gate(MUL, x, inverse)


def _reciprocal_overflows(value: float | None) -> bool:
    return value is not None and value != 0.0 and math.isinf(1.0 / value)


def _expand_neg(b: GateBuilder, args: tuple[int, ...]) -> int:
    return b.gate(SCALE, args[0], param=-1.0)


def _expand_sigmoid(b: GateBuilder, args: tuple[int, ...]) -> int:
    # sigmoid(t) = 1 / (1 + exp(-t)): the textbook circuit *-1 -> exp -> +1 -> 1/x, for t >= 0.
    # For t < 0 that exp(-t) overflows (t = -800), so there the circuit is exp(t) / (1 + exp(t)):
    # exp -> +1 -> 1/x, times exp(t) again. Either way exp only sees a non-positive number.
    (t,) = args
    if (b.value(t) or 0.0) >= 0.0:
        return b.gate(RECIP, b.gate(SHIFT, b.gate(EXP, b.gate(SCALE, t, param=-1.0)), param=1.0))
    z = b.gate(EXP, t)
    return b.gate(MUL, z, b.gate(RECIP, b.gate(SHIFT, z, param=1.0)))


def _expand_tanh(b: GateBuilder, args: tuple[int, ...]) -> int:
    # tanh(t) = 1 - 2 / (exp(2t) + 1): *2 -> exp -> +1 -> 1/x -> *-2 -> +1, for t <= 0; for t > 0 that
    # exp(2t) overflows (t = 400), so there the circuit is the mirror 2 / (1 + exp(-2t)) - 1:
    # *-2 -> exp -> +1 -> 1/x -> *2 -> +-1. Either way exp only sees a non-positive number.
    # Where 2t itself is past the largest float (|t| > 9e307), exp(-2|t|) is drawn as exp(-|t|)^2.
    (t,) = args
    if _cancels(b.value(t)):
        return b.gate(TANH, t)
    value = b.value(t) or 0.0
    sign = 1.0 if value > 0.0 else -1.0
    if math.isinf(2.0 * value):
        grown = b.gate(POWC, b.gate(EXP, b.gate(SCALE, t, param=-sign)), param=2.0)
    else:
        grown = b.gate(EXP, b.gate(SCALE, t, param=-2.0 * sign))
    inverse = b.gate(RECIP, b.gate(SHIFT, grown, param=1.0))
    return b.gate(SHIFT, b.gate(SCALE, inverse, param=2.0 * sign), param=-sign)


# Where a circuit adds 1 to a number far smaller than 1, or subtracts 1 from a number next to 1, the
# rounding of that sum is all that is left of the op's value: exp(1e-17) - 1 is 0, not expm1(1e-17) =
# 1e-17, and so are the circuits of sinh, tanh and log1p there (and of softplus and gelu where exp(t) and
# 1 + erf(t/sqrt(2)) are that small). The circuit's relative error is about 2.2e-16 over that small
# number; below _CANCELS_BELOW (11 of a double's 16 digits kept) the expanded graph keeps the op as one
# gate, whose own function is exact there, as it keeps a division whose reciprocal would overflow.
_CANCELS_BELOW = 1e-5


def _cancels(small: float | None) -> bool:
    """Whether a circuit that adds 1 to ``small`` (a value of the evaluated program) cancels its digits
    (not at 0, where exp(0) - 1 and the rest are exact: tanh(0) is still drawn as its circuit)."""
    return small is not None and 0.0 < abs(small) < _CANCELS_BELOW


# Past t = 709.78, exp(t) is past the largest float while exp(t)/2 (sinh, cosh) is not: there each half
# is drawn as exp(t + log(1/2)), +-0.693 -> exp, so the expanded gates compute wherever the row does.
_EXP_LIMIT = math.log(sys.float_info.max)
_LOG_HALF = math.log(0.5)


def _half_exps(b: GateBuilder, t: int) -> tuple[int, int]:
    """exp(t) and exp(-t), each halved by the caller's *0.5, or, where exp(|t|) overflows, each already halved."""
    up, down = t, b.gate(SCALE, t, param=-1.0)
    if abs(b.value(t) or 0.0) > _EXP_LIMIT:
        return b.gate(EXP, b.gate(SHIFT, up, param=_LOG_HALF)), b.gate(EXP, b.gate(SHIFT, down, param=_LOG_HALF))
    return b.gate(EXP, up), b.gate(EXP, down)


def _expand_sinh(b: GateBuilder, args: tuple[int, ...]) -> int:
    # sinh(t) = (exp(t) - exp(-t)) / 2: exp and *-1 -> exp, joined by + after *-1, then *0.5
    t = args[0]
    if _cancels(b.value(t)):
        return b.gate(SINH, t)
    up, down = _half_exps(b, t)
    joined = b.gate(ADD, up, b.gate(SCALE, down, param=-1.0))
    return joined if abs(b.value(t) or 0.0) > _EXP_LIMIT else b.gate(SCALE, joined, param=0.5)


def _expand_cosh(b: GateBuilder, args: tuple[int, ...]) -> int:
    # cosh(t) = (exp(t) + exp(-t)) / 2
    t = args[0]
    joined = b.gate(ADD, *_half_exps(b, t))
    return joined if abs(b.value(t) or 0.0) > _EXP_LIMIT else b.gate(SCALE, joined, param=0.5)


def _log_base(base: float) -> Expansion:
    """log_base(t) = log(t) / log(base): log -> *(1/log(base))."""

    def expand(b: GateBuilder, args: tuple[int, ...]) -> int:
        return b.gate(SCALE, b.gate(LOG, args[0]), param=1.0 / math.log(base))

    return expand


def _expand_log1p(b: GateBuilder, args: tuple[int, ...]) -> int:
    if _cancels(b.value(args[0])):
        return b.gate(LOG1P, args[0])
    return b.gate(LOG, b.gate(SHIFT, args[0], param=1.0))  # log(1 + t): +1 -> log


def _expand_expm1(b: GateBuilder, args: tuple[int, ...]) -> int:
    if _cancels(b.value(args[0])):
        return b.gate(EXPM1, args[0])
    return b.gate(SHIFT, b.gate(EXP, args[0]), param=-1.0)  # exp(t) - 1: exp -> +-1


def _expand_softplus(b: GateBuilder, args: tuple[int, ...]) -> int:
    # softplus(t) = log(1 + exp(t)): exp -> +1 -> log; past t = 709.78 that exp(t) overflows, so there
    # the circuit is t + log(1 + exp(-t)): *-1 -> exp -> +1 -> log, plus t.
    (t,) = args
    value = b.value(t)
    if value is not None and value < 0.0 and _cancels(math.exp(value)):
        return b.gate(SOFTPLUS, t)
    if (value or 0.0) <= _EXP_LIMIT:
        return b.gate(LOG, b.gate(SHIFT, b.gate(EXP, t), param=1.0))
    return b.gate(ADD, t, b.gate(LOG, b.gate(SHIFT, b.gate(EXP, b.gate(SCALE, t, param=-1.0)), param=1.0)))


def _expand_silu(b: GateBuilder, args: tuple[int, ...]) -> int:
    return b.gate(MUL, args[0], _expand_sigmoid(b, args))  # silu(t) = t * sigmoid(t)


def _expand_gelu(b: GateBuilder, args: tuple[int, ...]) -> int:
    # gelu(t) = t * (1 + erf(t / sqrt(2))) / 2: *0.707 -> erf -> +1 -> *0.5, times t
    value = b.value(args[0])
    if value is not None and value < 0.0 and _cancels(math.erfc(-value * _SQRT_HALF)):
        return b.gate(GELU, args[0])
    cdf = b.gate(SCALE, b.gate(SHIFT, b.gate(ERF, b.gate(SCALE, args[0], param=_SQRT_HALF)), param=1.0), param=0.5)
    return b.gate(MUL, args[0], cdf)


def _expand_hypot(b: GateBuilder, args: tuple[int, ...]) -> int:
    # hypot(a, b) = sqrt(a^2 + b^2): ^2 and ^2 -> + -> sqrt, a constant's square folded into a +c
    x, y = args
    cx, cy = b.constant(x), b.constant(y)
    if any(math.isinf(value * value) for value in (b.value(x) or 0.0, b.value(y) or 0.0)):
        return b.gate(HYPOT, x, y)  # a square past the largest float (1e308^2): hypot keeps its own gate
    if cx is not None:
        total = b.gate(SHIFT, b.gate(POWC, y, param=2.0), param=cx * cx)
    elif cy is not None:
        total = b.gate(SHIFT, b.gate(POWC, x, param=2.0), param=cy * cy)
    else:
        total = b.gate(ADD, b.gate(POWC, x, param=2.0), b.gate(POWC, y, param=2.0))
    return b.gate(SQRT, total)


# ---------------------------------------------------------------------------------------------------
# Operators and functions of the language: one row each, laid out by hand as a table is
# (name, spelling, forward, local partials, formulas, then what the row needs of the rest).

# fmt: off
ADD = infix("add", ("+",), operator.add, linear(1.0, 1.0), "1", "1", description="sum", expand=_expand_add)
SUB = infix("sub", ("-",), operator.sub, linear(1.0, -1.0), "1", "-1", description="difference",
            expand=_expand_sub, roles=("+", "−"))
MUL = infix("mul", ("*",), operator.mul, bilinear(), "{b}", "{a}", description="product", expand=_expand_mul)
DIV = infix("div", ("/",), operator.truediv, partials(lambda a, b, out: (1.0 / b, -out / b), second=_div_second),
            "1/{b}", "-{a}/{b}^2",
            description="quotient", domain="division by zero", expand=_expand_div, roles=("num", "den"))
POW = infix("pow", ("^", "**", "pow"), _pow, partials(_pow_local, _pow_array_local, second=_pow_second),
            "{b}*{a}^({b}-1)",
            "{a}^{b}*log({a})", description="power", roles=("base", "exponent"), aliases=("power",),
            domain="a negative base needs an integer exponent, and 0 has no negative powers",
            array=lambda xp, a, b: a**b)
NEG = infix("neg", ("-",), operator.neg, linear(-1.0), "-1", description="negation", expand=_expand_neg, drawn="neg")

EXP = function("exp", math.exp, of_output(lambda out: out, bend=lambda out: 1.0),
               "exp({a})", description="e to the power x",
               array=lambda xp, a: xp.exp(a))
EXPM1 = function("expm1", math.expm1, of_argument(math.exp, lambda xp, a: xp.exp(a), bend=math.exp), "exp({a})",
                 description="exp(x) - 1, exact for small x", expand=_expand_expm1,
                 array=lambda xp, a: xp.expm1(a))
LOG = function("log", math.log, of_argument(lambda a: 1.0 / a, bend=lambda a: -1.0 / a / a),
               "1/{a}", description="natural logarithm",
               domain="log needs a positive argument", aliases=("ln",), array=lambda xp, a: xp.log(a))
LOG2 = function("log2", math.log2, of_argument(lambda a: 1.0 / (a * _LN2), bend=lambda a: -1.0 / a / a / _LN2),
                "1/({a}*log(2))",
                description="logarithm to base 2", domain="log2 needs a positive argument",
                expand=_log_base(2.0), array=lambda xp, a: xp.log2(a))
LOG10 = function("log10", math.log10, of_argument(lambda a: 1.0 / (a * _LN10), bend=lambda a: -1.0 / a / a / _LN10),
                 "1/({a}*log(10))",
                 description="logarithm to base 10", domain="log10 needs a positive argument",
                 expand=_log_base(10.0), array=lambda xp, a: xp.log10(a))
LOG1P = function("log1p", math.log1p,
                 of_argument(lambda a: 1.0 / (1.0 + a), bend=lambda a: -1.0 / ((1.0 + a) * (1.0 + a))), "1/(1+{a})",
                 description="log(1 + x), exact for small x", domain="log1p needs an argument greater than -1",
                 expand=_expand_log1p, array=lambda xp, a: xp.log1p(a))
SQRT = function("sqrt", math.sqrt, of_output(lambda out: 0.5 / out if out else INF, lambda xp, out: 0.5 / out,
                                         bend=lambda out: -0.5 / (out * out) if out else -INF),
                "1/(2*sqrt({a}))", description="square root", domain="sqrt needs a non-negative argument",
                array=lambda xp, a: xp.sqrt(a))
SIN = function("sin", math.sin, of_argument(math.cos, lambda xp, a: xp.cos(a), bend=lambda a: -math.sin(a)), "cos({a})",
               description="sine (radians)", array=lambda xp, a: xp.sin(a))
COS = function("cos", math.cos, of_argument(lambda a: -math.sin(a), lambda xp, a: -xp.sin(a),
                                           bend=lambda a: -math.cos(a)), "-sin({a})",
               description="cosine (radians)", array=lambda xp, a: xp.cos(a))
TAN = function("tan", math.tan, of_output(lambda out: 1.0 + out * out, bend=lambda out: 2.0 * out), "1+tan({a})^2",
               description="tangent (radians)", array=lambda xp, a: xp.tan(a))
ASIN = function("asin", math.asin,
                of_argument(lambda a: _inverse_sqrt(1.0 - a * a), lambda xp, a: 1.0 / xp.sqrt(1.0 - a * a),
                            bend=lambda a: a * _inverse_sqrt_cubed(1.0 - a * a)),
                "1/sqrt(1-{a}^2)", description="inverse sine (radians)", aliases=("arcsin",),
                domain="asin needs an argument between -1 and 1", array=lambda xp, a: xp.arcsin(a))
ACOS = function("acos", math.acos,
                of_argument(lambda a: -_inverse_sqrt(1.0 - a * a), lambda xp, a: -1.0 / xp.sqrt(1.0 - a * a),
                            bend=lambda a: -a * _inverse_sqrt_cubed(1.0 - a * a)),
                "-1/sqrt(1-{a}^2)", description="inverse cosine (radians)", aliases=("arccos",),
                domain="acos needs an argument between -1 and 1", array=lambda xp, a: xp.arccos(a))
ATAN = function("atan", math.atan, of_argument(lambda a: 1.0 / (1.0 + a * a),
                                              bend=lambda a: -2.0 * a / ((1.0 + a * a) * (1.0 + a * a))), "1/(1+{a}^2)",
                description="inverse tangent (radians)", aliases=("arctan",), array=lambda xp, a: xp.arctan(a))
SINH = function("sinh", math.sinh, of_argument(math.cosh, lambda xp, a: xp.cosh(a), bend=math.sinh), "cosh({a})",
                description="hyperbolic sine", expand=_expand_sinh, array=lambda xp, a: xp.sinh(a))
COSH = function("cosh", math.cosh, of_argument(math.sinh, lambda xp, a: xp.sinh(a), bend=math.cosh), "sinh({a})",
                description="hyperbolic cosine", expand=_expand_cosh, array=lambda xp, a: xp.cosh(a))
TANH = function("tanh", math.tanh, of_output(lambda out: 1.0 - out * out, bend=lambda out: -2.0 * out), "1-tanh({a})^2",
                description="hyperbolic tangent", expand=_expand_tanh, array=lambda xp, a: xp.tanh(a))
ASINH = function("asinh", math.asinh,
                 of_argument(lambda a: 1.0 / math.hypot(a, 1.0), lambda xp, a: 1.0 / xp.hypot(a, 1.0),
                             bend=lambda a: -a / math.hypot(a, 1.0) ** 3),
                 "1/sqrt({a}^2+1)", description="inverse hyperbolic sine", aliases=("arcsinh",),
                 array=lambda xp, a: xp.arcsinh(a))
ACOSH = function("acosh", math.acosh, of_argument(lambda a: _inverse_sqrt((a - 1.0) * (a + 1.0)),
                                                  lambda xp, a: 1.0 / xp.sqrt((a - 1.0) * (a + 1.0)),
                                                  bend=lambda a: -a * _inverse_sqrt_cubed((a - 1.0) * (a + 1.0))),
                 "1/sqrt({a}^2-1)", description="inverse hyperbolic cosine", aliases=("arccosh",),
                 domain="acosh needs an argument of at least 1", array=lambda xp, a: xp.arccosh(a))
ATANH = function("atanh", math.atanh, of_argument(lambda a: 1.0 / (1.0 - a * a),
                                                bend=lambda a: 2.0 * a / ((1.0 - a * a) * (1.0 - a * a))),
                                                "1/(1-{a}^2)",
                 description="inverse hyperbolic tangent", aliases=("arctanh",),
                 domain="atanh needs an argument between -1 and 1, both excluded", array=lambda xp, a: xp.arctanh(a))
ERF = function("erf", math.erf, of_argument(lambda a: _TWO_OVER_SQRT_PI * math.exp(-a * a),
                                            lambda xp, a: _TWO_OVER_SQRT_PI * xp.exp(-a * a),
                                            bend=lambda a: -2.0 * a * _TWO_OVER_SQRT_PI * math.exp(-a * a)),
               "2/sqrt(pi)*exp(-{a}^2)", description="the error function", array=_erf_array)
SIGMOID = function("sigmoid", _sigmoid, of_output(lambda out: out * (1.0 - out), bend=lambda out: 1.0 - 2.0 * out),
                   "sigmoid({a})*(1-sigmoid({a}))",
                   description="1/(1+exp(-x))", expand=_expand_sigmoid, aliases=("logistic", "expit"),
                   array=_sigmoid_array)
SOFTPLUS = function("softplus", _softplus, of_argument(_sigmoid, _sigmoid_array, bend=_sigmoid_slope), "sigmoid({a})",
                    description="log(1+exp(x)), a smooth relu", expand=_expand_softplus, array=_softplus_array)
SILU = function("silu", _silu, partials(_silu_local, _silu_array_local, second=_silu_second),
                "sigmoid({a})*(1+{a}*(1-sigmoid({a})))",
                description="x*sigmoid(x)", expand=_expand_silu, aliases=("swish",), array=_silu_array)
GELU = function("gelu", _gelu, of_argument(_gelu_slope, _gelu_array_slope, bend=_gelu_bend),
                "(1+erf({a}/sqrt(2)))/2+{a}*exp(-{a}^2/2)/sqrt(2*pi)",
                description="x*P(X <= x), X standard normal (the erf form)", expand=_expand_gelu, array=_gelu_array)
RELU = function("relu", _relu, of_argument(lambda a: 1.0 if a > 0.0 else 0.0,
                                           lambda xp, a: xp.where(a > 0.0, 1.0, 0.0), bend=lambda a: 0.0),
                "1 if {a} > 0 else 0", description="max(x, 0)",
                kink=lambda a: a == 0.0, kink_rule="relu'(0) is taken as 0",
                array=lambda xp, a: xp.where(a > 0.0, a, 0.0))
ABS = function("abs", abs, of_argument(_sign, lambda xp, a: xp.sign(a), bend=lambda a: 0.0),
               "sign({a})", description="absolute value",
               kink=lambda a: a == 0.0, kink_rule="abs'(0) is taken as 0", aliases=("fabs",),
               array=lambda xp, a: xp.abs(a))
MAX = function("max", max, partials(_max_local, _max_array_local, second=flat(2)),
               "1 if {a} > {b}, 1/2 if {a} = {b}, else 0", "1 if {b} > {a}, 1/2 if {a} = {b}, else 0",
               description="larger of two", kink=lambda a, b: a == b, kink_rule="a tie splits the gradient evenly",
               aliases=("maximum", "fmax"), array=lambda xp, a, b: xp.maximum(a, b))
MIN = function("min", min, partials(_min_local, _min_array_local, second=flat(2)),
               "1 if {a} < {b}, 1/2 if {a} = {b}, else 0", "1 if {b} < {a}, 1/2 if {a} = {b}, else 0",
               description="smaller of two", kink=lambda a, b: a == b, kink_rule="a tie splits the gradient evenly",
               aliases=("minimum", "fmin"), array=lambda xp, a, b: xp.minimum(a, b))
ATAN2 = function("atan2", math.atan2, partials(_atan2_local, _atan2_array_local, second=_atan2_second),
                 "{b}/({a}^2+{b}^2)", "-{a}/({a}^2+{b}^2)", description="the angle of the point (x, y), in (-pi, pi]",
                 kink=_at_origin, kink_rule="atan2(0, 0) is 0, and its gradient is taken as 0",
                 roles=("y", "x"), aliases=("arctan2",), array=lambda xp, y, x: xp.arctan2(y, x))
HYPOT = function("hypot", math.hypot, partials(_hypot_local, _hypot_array_local, second=_hypot_second),
                 "{a}/hypot({a}, {b})", "{b}/hypot({a}, {b})", description="sqrt(a^2 + b^2), without overflow",
                 kink=_at_origin, kink_rule="hypot'(0, 0) is taken as 0, as abs'(0)", expand=_expand_hypot,
                 array=lambda xp, a, b: xp.hypot(a, b))
# fmt: on

OPS: tuple[Op, ...] = (
    INPUT, CONST,
    ADD, SUB, MUL, DIV, POW, NEG,
    EXP, EXPM1, LOG, LOG2, LOG10, LOG1P, SQRT,
    SIN, COS, TAN, ASIN, ACOS, ATAN, SINH, COSH, TANH, ASINH, ACOSH, ATANH,
    ERF, SIGMOID, SOFTPLUS, SILU, GELU, RELU, ABS, MAX, MIN, ATAN2, HYPOT,
    SCALE, SHIFT, POWC, RECIP,
)  # fmt: skip

BY_NAME: dict[str, Op] = {op.name: op for op in OPS}
_OPERATORS = [(s, op) for op in OPS if op.syntax in (Syntax.INFIX, Syntax.PREFIX) for s in op.spellings]
INFIX: dict[str, Op] = {s: op for s, op in _OPERATORS if op.syntax is Syntax.INFIX and not s.isidentifier()}
PREFIX: dict[str, Op] = {s: op for s, op in _OPERATORS if op.syntax is Syntax.PREFIX}
# Every name that is called as name(...): the functions, and an operator's name spellings (pow(a, b) is a ^ b).
FUNCTIONS: dict[str, Op] = {op.symbol: op for op in OPS if op.syntax is Syntax.CALL} | {
    s: op for s, op in _OPERATORS if s.isidentifier()
}
CONSTANTS: dict[str, float] = {"pi": math.pi, "e": math.e}
ALIASES: dict[str, Op] = {alias: op for op in OPS for alias in op.aliases}
# Names people try as constants that are no value a node can take (every value is a finite number):
# what to write instead. Looked up in lower case, so Inf and NaN are caught too.
NOT_VALUES: dict[str, str] = {
    "inf": "infinity is not a value a node can take: every value is a finite number; "
    "for a very large one write 1e308 (the largest is about 1.8e308)",
    "infinity": "infinity is not a value a node can take: every value is a finite number; "
    "for a very large one write 1e308 (the largest is about 1.8e308)",
    "nan": "nan is not a value a node can take: every value is a finite number",
}
# The ops a comparison's hint offers: they choose between values, and have gradients.
CHOOSERS: tuple[Op, ...] = (MAX, MIN, RELU)
DIFFERENTIABLE: tuple[Op, ...] = tuple(op for op in OPS if op.syntax is not Syntax.LEAF)
