"""The op table: every operation gradcalc knows, defined once.

Each row gives an op's machine name (used in JSON), its display symbol, how it is spelled in a program,
its arity, its forward rule, its *local* partial derivatives and, for composites, how it expands into
primitive gates. The parser, the lowering, the engine, the tables, the JSON, the pictures and the
explanations all read this table; adding an op is adding a row.

Conventions:
- ``forward(*args) -> float``; ops with a constant folded into the gate (``*-1``, ``+1``, ``^2``) take
  that constant first: ``forward(c, x)``.
- ``local(*args, out) -> tuple`` gives d(out)/d(arg) for each argument; ``out`` is the op's own result,
  so exp, sigmoid and tanh reuse it. The engine multiplies by the upstream gradient.
- ``formulas`` writes the same partials for people, with ``{a}``, ``{b}`` for the arguments, ``{c}``
  for a folded constant and ``{out}`` for the result.
- ``array_forward(xp, *args)`` and ``array_local(xp, *args, out)`` are the same rules on whole arrays
  (``xp`` is the array module, NumPy, passed in so this module never imports it); training evaluates a
  graph once per step for every data row this way. An op whose scalar rules are plain arithmetic
  (``a * b``, ``-out / b``) works on arrays as it is and leaves them ``None``; ``Op.array_rules`` picks.
- ``aliases`` are the names other tools give an op (``ln`` for log, ``pow`` for ^). Only error hints read
  them ("did you mean log(x)?"): one spelling per op keeps every program unambiguous.
- At points where the derivative does not exist gradcalc follows PyTorch: relu'(0) = 0, abs'(0) = 0,
  max/min split the gradient evenly on a tie. ``kink`` says when an evaluation landed on such a point.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from functools import partial
from typing import Any, Protocol

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


def _sqrt_local(a: float, out: float) -> tuple[float]:
    return (0.5 / out if out else INF,)


def _sigmoid(a: float) -> float:
    if a >= 0.0:
        return 1.0 / (1.0 + math.exp(-a))
    z = math.exp(a)  # stable for large negative a: never overflows
    return z / (1.0 + z)


def _relu(a: float) -> float:
    return a if a > 0.0 else 0.0


def _sign(a: float) -> float:
    return 1.0 if a > 0.0 else -1.0 if a < 0.0 else 0.0


def _max_local(a: float, b: float, out: float) -> tuple[float, float]:
    return (1.0, 0.0) if a > b else (0.0, 1.0) if a < b else (0.5, 0.5)


def _min_local(a: float, b: float, out: float) -> tuple[float, float]:
    return (1.0, 0.0) if a < b else (0.0, 1.0) if a > b else (0.5, 0.5)


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


def _max_array_local(xp: Any, a: Any, b: Any, out: Any) -> tuple[Any, Any]:
    first = xp.where(a > b, 1.0, xp.where(a < b, 0.0, 0.5))
    return first, 1.0 - first


def _min_array_local(xp: Any, a: Any, b: Any, out: Any) -> tuple[Any, Any]:
    first = xp.where(a < b, 1.0, xp.where(a > b, 0.0, 0.5))
    return first, 1.0 - first


# ---------------------------------------------------------------------------------------------------
# Leaves.

INPUT = Op(
    "input",
    "input",
    0,
    Syntax.LEAF,
    _no_forward,
    _no_local,
    description="a value you set; its gradient is what backprop is for",
)
CONST = Op("const", "const", 0, Syntax.LEAF, _no_forward, _no_local, description="a number in the program")

# Gates with a constant folded in: made by --expand and by a constant exponent (x^2).
SCALE = Op(
    "scale",
    "*c",
    1,
    Syntax.GATE,
    operator.mul,
    lambda c, a, out: (c,),
    ("{c}",),
    parametric=True,
    description="multiply by a constant",
)
SHIFT = Op(
    "shift",
    "+c",
    1,
    Syntax.GATE,
    operator.add,
    lambda c, a, out: (1.0,),
    ("1",),
    parametric=True,
    description="add a constant",
)
POWC = Op(
    "powc",
    "^c",
    1,
    Syntax.GATE,
    _powc,
    _powc_local,
    ("{c}*{a}^({c}-1)",),
    parametric=True,
    domain="a negative base needs an integer exponent, and 0 has no negative powers",
    description="raise to a constant power",
    array_forward=lambda xp, c, a: a**c,
    array_local=_powc_array_local,
)
RECIP = Op(
    "recip",
    "1/x",
    1,
    Syntax.GATE,
    _recip,
    lambda a, out: (-out * out,),
    ("-1/{a}^2",),
    domain="division by zero",
    description="reciprocal",
)


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
    value = b.value(t) or 0.0
    sign = 1.0 if value > 0.0 else -1.0
    if math.isinf(2.0 * value):
        grown = b.gate(POWC, b.gate(EXP, b.gate(SCALE, t, param=-sign)), param=2.0)
    else:
        grown = b.gate(EXP, b.gate(SCALE, t, param=-2.0 * sign))
    inverse = b.gate(RECIP, b.gate(SHIFT, grown, param=1.0))
    return b.gate(SHIFT, b.gate(SCALE, inverse, param=2.0 * sign), param=-sign)


# ---------------------------------------------------------------------------------------------------
# Operators and functions of the language.

ADD = Op(
    "add",
    "+",
    2,
    Syntax.INFIX,
    operator.add,
    lambda a, b, out: (1.0, 1.0),
    ("1", "1"),
    spellings=("+",),
    expand=_expand_add,
    description="sum",
)
SUB = Op(
    "sub",
    "-",
    2,
    Syntax.INFIX,
    operator.sub,
    lambda a, b, out: (1.0, -1.0),
    ("1", "-1"),
    spellings=("-",),
    expand=_expand_sub,
    description="difference",
    roles=("+", "−"),
)
MUL = Op(
    "mul",
    "*",
    2,
    Syntax.INFIX,
    operator.mul,
    lambda a, b, out: (b, a),
    ("{b}", "{a}"),
    spellings=("*",),
    expand=_expand_mul,
    description="product",
)
DIV = Op(
    "div",
    "/",
    2,
    Syntax.INFIX,
    operator.truediv,
    lambda a, b, out: (1.0 / b, -out / b),
    ("1/{b}", "-{a}/{b}^2"),
    spellings=("/",),
    domain="division by zero",
    expand=_expand_div,
    description="quotient",
    roles=("num", "den"),
)
POW = Op(
    "pow",
    "^",
    2,
    Syntax.INFIX,
    _pow,
    _pow_local,
    ("{b}*{a}^({b}-1)", "{a}^{b}*log({a})"),
    spellings=("^", "**"),
    aliases=("pow",),
    domain="a negative base needs an integer exponent, and 0 has no negative powers",
    description="power",
    roles=("base", "exponent"),
    array_forward=lambda xp, a, b: a**b,
    array_local=_pow_array_local,
)
NEG = Op(
    "neg",
    "-",
    1,
    Syntax.PREFIX,
    operator.neg,
    lambda a, out: (-1.0,),
    ("-1",),
    spellings=("-",),
    expand=_expand_neg,
    description="negation",
    drawn="neg",
)

EXP = Op(
    "exp",
    "exp",
    1,
    Syntax.CALL,
    math.exp,
    lambda a, out: (out,),
    ("exp({a})",),
    description="e to the power x",
    array_forward=lambda xp, a: xp.exp(a),
)
LOG = Op(
    "log",
    "log",
    1,
    Syntax.CALL,
    math.log,
    lambda a, out: (1.0 / a,),
    ("1/{a}",),
    domain="log needs a positive argument",
    description="natural logarithm",
    aliases=("ln",),
    array_forward=lambda xp, a: xp.log(a),
)
SQRT = Op(
    "sqrt",
    "sqrt",
    1,
    Syntax.CALL,
    math.sqrt,
    _sqrt_local,
    ("1/(2*sqrt({a}))",),
    domain="sqrt needs a non-negative argument",
    description="square root",
    array_forward=lambda xp, a: xp.sqrt(a),
    array_local=lambda xp, a, out: (0.5 / out,),
)
SIN = Op(
    "sin",
    "sin",
    1,
    Syntax.CALL,
    math.sin,
    lambda a, out: (math.cos(a),),
    ("cos({a})",),
    description="sine (radians)",
    array_forward=lambda xp, a: xp.sin(a),
    array_local=lambda xp, a, out: (xp.cos(a),),
)
COS = Op(
    "cos",
    "cos",
    1,
    Syntax.CALL,
    math.cos,
    lambda a, out: (-math.sin(a),),
    ("-sin({a})",),
    description="cosine (radians)",
    array_forward=lambda xp, a: xp.cos(a),
    array_local=lambda xp, a, out: (-xp.sin(a),),
)
TAN = Op(
    "tan",
    "tan",
    1,
    Syntax.CALL,
    math.tan,
    lambda a, out: (1.0 + out * out,),
    ("1+tan({a})^2",),
    description="tangent (radians)",
    array_forward=lambda xp, a: xp.tan(a),
)
TANH = Op(
    "tanh",
    "tanh",
    1,
    Syntax.CALL,
    math.tanh,
    lambda a, out: (1.0 - out * out,),
    ("1-tanh({a})^2",),
    expand=_expand_tanh,
    description="hyperbolic tangent",
    array_forward=lambda xp, a: xp.tanh(a),
)
SIGMOID = Op(
    "sigmoid",
    "sigmoid",
    1,
    Syntax.CALL,
    _sigmoid,
    lambda a, out: (out * (1.0 - out),),
    ("sigmoid({a})*(1-sigmoid({a}))",),
    expand=_expand_sigmoid,
    description="1/(1+exp(-x))",
    aliases=("logistic", "expit"),
    array_forward=_sigmoid_array,
)
RELU = Op(
    "relu",
    "relu",
    1,
    Syntax.CALL,
    _relu,
    lambda a, out: (1.0 if a > 0.0 else 0.0,),
    ("1 if {a} > 0 else 0",),
    kink=lambda a: a == 0.0,
    kink_rule="relu'(0) is taken as 0",
    description="max(x, 0)",
    array_forward=lambda xp, a: xp.where(a > 0.0, a, 0.0),
    array_local=lambda xp, a, out: (xp.where(a > 0.0, 1.0, 0.0),),
)
ABS = Op(
    "abs",
    "abs",
    1,
    Syntax.CALL,
    abs,
    lambda a, out: (_sign(a),),
    ("sign({a})",),
    kink=lambda a: a == 0.0,
    kink_rule="abs'(0) is taken as 0",
    description="absolute value",
    aliases=("fabs",),
    array_forward=lambda xp, a: xp.abs(a),
    array_local=lambda xp, a, out: (xp.sign(a),),
)
MAX = Op(
    "max",
    "max",
    2,
    Syntax.CALL,
    max,
    _max_local,
    ("1 if {a} > {b}, 1/2 if {a} = {b}, else 0", "1 if {b} > {a}, 1/2 if {a} = {b}, else 0"),
    kink=lambda a, b: a == b,
    kink_rule="a tie splits the gradient evenly",
    description="larger of two",
    aliases=("maximum", "fmax"),
    array_forward=lambda xp, a, b: xp.maximum(a, b),
    array_local=_max_array_local,
)
MIN = Op(
    "min",
    "min",
    2,
    Syntax.CALL,
    min,
    _min_local,
    ("1 if {a} < {b}, 1/2 if {a} = {b}, else 0", "1 if {b} < {a}, 1/2 if {a} = {b}, else 0"),
    kink=lambda a, b: a == b,
    kink_rule="a tie splits the gradient evenly",
    description="smaller of two",
    aliases=("minimum", "fmin"),
    array_forward=lambda xp, a, b: xp.minimum(a, b),
    array_local=_min_array_local,
)

OPS: tuple[Op, ...] = (
    INPUT, CONST,
    ADD, SUB, MUL, DIV, POW, NEG,
    EXP, LOG, SQRT, SIN, COS, TAN, TANH, SIGMOID, RELU, ABS, MAX, MIN,
    SCALE, SHIFT, POWC, RECIP,
)  # fmt: skip

BY_NAME: dict[str, Op] = {op.name: op for op in OPS}
INFIX: dict[str, Op] = {s: op for op in OPS if op.syntax is Syntax.INFIX for s in op.spellings}
PREFIX: dict[str, Op] = {s: op for op in OPS if op.syntax is Syntax.PREFIX for s in op.spellings}
FUNCTIONS: dict[str, Op] = {op.symbol: op for op in OPS if op.syntax is Syntax.CALL}
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
