"""An explanation as a reader sees it: Rich text for a terminal, Markdown for notes, LaTeX for slides.

``render_explanation(result, fmt)`` is the one entry point (the CLI's ``explain`` and the REPL's
``:explain`` call it). The words are the same in every format; LaTeX writes each partial derivative as a
fraction, ``\\frac{\\partial g}{\\partial p}``.

The rounding policy, the same in every format: every number is printed by ``format_number`` at the
chosen precision, and each result is the engine's own value rounded, never a value recomputed from
rounded numbers. An equation ends in ``=`` when redoing its arithmetic on the numbers as printed
(the factors of a product, the terms of a sum, the arguments of a gate or of a local partial's
formula) and rounding gives the printed result; where it does not, it ends in ``≈`` (``\\approx``):
``∂f/∂q * ∂q/∂w1 = 0.2 * -2 ≈ -0.39``, because 0.2 is 0.196612 rounded.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Literal, NamedTuple, get_args

from gradcalc.engine import op_call_text
from gradcalc.explain import (
    MAX_STEPS,
    PATH_CAP,
    ROUTES_WRITTEN,
    BackwardStep,
    ChainProduct,
    Consumer,
    Explanation,
    ForwardStep,
    Gate,
    LocalPartial,
    PathSum,
    explain,
)
from gradcalc.numbers import format_number
from gradcalc.ops import FUNCTIONS, Syntax
from gradcalc.program import Result

if TYPE_CHECKING:
    from rich.console import RenderableType

Format = Literal["rich", "markdown", "latex"]
FORMATS: tuple[str, ...] = get_args(Format)
_ROUTES_SHOWN = ROUTES_WRITTEN  # a node with more consumers gets path counts, not each path written out
SEE_ALL = "explain --max-steps 0 tells them all"  # what a left-out note says, unless its caller knows better


def render_explanation(
    result: Result, fmt: Format = "rich", precision: int = 6, max_steps: int = MAX_STEPS, see_all: str = SEE_ALL
) -> RenderableType | str:
    """The explanation of ``result``: a Rich renderable for ``"rich"``, a string for Markdown and LaTeX.

    At most ``max_steps`` steps of each pass are told (0: all), and the text says how many were left out
    and, in ``see_all``, how to have them all told.
    """
    explanation = explain(result, max_steps)
    if fmt == "latex":
        return render_latex(explanation, precision, see_all)
    sections = list(_sections(explanation, _Notation(precision), see_all))
    if fmt == "markdown":
        return _markdown(sections)
    return _rich(sections)


# ---------------------------------------------------------------------------------------------------
# The arithmetic as printed: which equations hold on the printed numbers (=) and which only nearly (≈).


class _Printed:
    """Numbers as ``format_number`` prints them, and whether arithmetic redone on them gives a result."""

    def __init__(self, precision: int) -> None:
        self.precision = precision
        self._printed: dict[float, str] = {}  # each value is printed several times (value, upstream, factor)

    def num(self, value: float) -> str:
        text = self._printed.get(value) if value else None  # 0.0 and -0.0 are one key: not cached
        if text is None:
            text = self._printed[value] = format_number(value, self.precision)
        return text

    def shown(self, value: float) -> float:
        """The number a reader takes ``value`` to be: its printed form read back."""
        try:
            return float(self.num(value))
        except ValueError:
            return math.nan

    def holds(self, value: float, redo: Callable[[], float]) -> bool:
        """Does ``redo`` (arithmetic on printed numbers) print as ``value`` does?"""
        try:
            again = redo()
        except (ArithmeticError, ValueError):
            return False
        return self.num(again) == self.num(value)

    def arguments(self, gate: Gate) -> list[tuple[str, float]]:
        """Each argument of ``gate`` as the numeric step prints it, with the value a reader takes it for.

        A constant written as a number keeps its exact text (``1.234e-5``, not ``0.000012``); any other
        argument, and a constant written as an expression (``2*pi``), is its value printed.
        """
        said = []
        for label, value, constant in zip(gate.args, gate.values, gate.constant):
            if constant and _is_number(label):
                said.append((label, value))
            else:
                said.append((self.num(value), self.shown(value)))
        return said

    def forward_holds(self, step: ForwardStep) -> bool:
        gate = step.gate
        return self.holds(step.value, lambda: gate.forward(*(value for _, value in self.arguments(gate))))

    def partial_holds(self, gate: Gate, partial: LocalPartial) -> bool:
        # A formula names its arguments; a reader substitutes their printed values, and a constant's
        # exact source text.
        args = [value if constant else self.shown(value) for value, constant in zip(gate.values, gate.constant)]

        def redo() -> float:
            slopes = gate.local(*args, gate.forward(*args))
            return math.fsum(slopes[k] for k in partial.slots)

        return self.holds(partial.value, redo)

    def product_holds(self, product: ChainProduct) -> bool:
        return self.holds(product.product, lambda: self.shown(product.upstream) * self.shown(product.local))

    def sum_holds(self, total: PathSum) -> bool:
        """The sum of its terms as printed; a term a long sum leaves out (``_sum_terms``) is taken as it is:
        an input used 5,000 times is not printed 5,000 times to check its line."""
        products = [c.product for c in total.consumers]
        if len(products) > _TERMS_SHOWN:
            first, last = map(self.shown, products[:2]), map(self.shown, products[-2:])
            return self.holds(total.total, lambda: math.fsum([*first, *products[2:-2], *last]))
        return self.holds(total.total, lambda: math.fsum(map(self.shown, products)))


# ---------------------------------------------------------------------------------------------------
# Counting words, shared by every format.


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _times(n: int) -> str:
    return {1: "once", 2: "twice"}.get(n, f"{n} times")


def _count(n: int, noun: str) -> str:
    if n >= PATH_CAP:
        return f"more than {PATH_CAP:,} {noun}s"
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _slots(partial: LocalPartial) -> str:
    return _and([str(k + 1) for k in partial.slots])


# ---------------------------------------------------------------------------------------------------
# The words, shared by the terminal and Markdown: sections of lines, each an equation or a remark.


class Piece(NamedTuple):
    text: str
    math: bool = True  # an equation (code in Markdown) rather than words


Line = tuple[Piece, ...]


def _say(*parts: str) -> Line:
    """A line alternating math and words: ``_say("p = x + y", ", so ", "∂p/∂x = 1")``."""
    return tuple(Piece(part, math=k % 2 == 0) for k, part in enumerate(parts) if part)


class Section(NamedTuple):
    title: str
    lines: list[Line]


class _Notation(_Printed):
    """How numbers, partials and gates are written in plain text: ``∂g/∂p``, ``4 * -3``."""

    def d(self, top: str, bottom: str) -> str:
        return f"∂{top}/∂{bottom}"

    def times(self, *factors: str) -> str:
        return " * ".join(factors)

    def gate(self, gate: Gate, args: tuple[str, ...]) -> str:
        return op_call_text(gate.op, list(args), gate.param)

    @staticmethod
    def eq(holds: bool) -> str:
        return " = " if holds else " ≈ "


def left_out_note(count: int, what: str, see_all: str) -> str:
    """``… 98,000 more steps of the backward pass left out (explain --max-steps 0 tells them all)``."""
    return f"… {count:,} more {what} left out ({see_all})"


def _sections(e: Explanation, n: _Notation, see_all: str) -> Iterator[Section]:
    out = e.output_label
    forward: list[Line] = []
    if e.leaves:
        inputs = ", ".join(f"{leaf.label} = {n.num(leaf.value)}" for leaf in e.leaves)
        forward.append(_say("", "The inputs: ", inputs))
        if e.inputs_left_out:
            forward.append(_say("", left_out_note(e.inputs_left_out, "inputs", see_all)))
    for computed in e.forward:
        values = _bracket_negatives(computed.gate, tuple(text for text, _ in n.arguments(computed.gate)))
        symbolic, numeric = n.gate(computed.gate, computed.gate.args), n.gate(computed.gate, values)
        result = n.eq(n.forward_holds(computed)) + n.num(computed.value)
        forward.append(_say(f"{computed.label} = {symbolic} = {numeric}{result}"))
    if e.forward_left_out:
        forward.append(_say("", left_out_note(e.forward_left_out, "steps of the forward pass", see_all)))
    if not e.leaves:
        value = n.num(e.value)
        said = value if out == value else f"{out} = {value}"
        yield Section(
            "Nothing to differentiate",
            [_say("", "The output depends on no input: it is the constant ", said, ".")],
        )
        return
    if not e.forward:
        forward.append(_say("", "There are no gates: the output is ", f"{out} = {n.num(e.value)}", " itself."))
    yield Section(f"Forward pass, from the inputs to {out}", forward)

    backward = [_say("", "Start at the output: ", f"{n.d(out, out)} = 1")]
    for step in e.backward:
        backward.extend(_backward_lines(e, step, n))
    if e.backward_left_out:
        backward.append(_say("", left_out_note(e.backward_left_out, "steps of the backward pass", see_all)))
    for total in e.input_sums:
        backward.append(_sum_line(out, total, n))
    yield Section(f"Backward pass, from {out} back to the inputs", backward)

    if e.gradients:
        lines = [_say(", ".join(f"{n.d(out, leaf.label)} = {n.num(leaf.value)}" for leaf in e.gradients))]
        if e.inputs_left_out:
            lines.append(_say("", left_out_note(e.inputs_left_out, "gradients", see_all)))
        labels = {leaf.node: leaf.label for leaf in e.gradients}
        for split in e.steps:  # backprop through time: what each step of the loop adds
            if split.node not in labels:  # an input --max-steps left out of the list
                continue
            parts = split.parts
            shown = parts if len(parts) <= _TERMS_SHOWN else (*parts[:2], ("…", math.nan), *parts[-2:])
            terms = _sum_terms([value for _, value in parts], n.num)
            names = ", ".join(step for step, _ in shown)
            lines.append(
                _say(f"{n.d(out, labels[split.node])} = {terms}", f": what flows back to {labels[split.node]} through "
                     f"each step of the loop ({names})")
            )  # fmt: skip
        if e.constants:
            lines.append(_say("", _constants_remark(e.constants, str)))
        yield Section("Gradients", lines)


_TERMS_SHOWN = 6  # a longer sum (over a loop's steps, or an input's uses) shows its first and last two terms


def _sum_terms(products: list[float], term: Callable[[float], str], gap: str = "…") -> str:
    """``t1 + t2 + … + t9 + t10``: a sum's terms, only its first and last two past ``_TERMS_SHOWN``."""
    if len(products) > _TERMS_SHOWN:
        return " + ".join([*map(term, products[:2]), gap, *map(term, products[-2:])])
    return " + ".join(map(term, products))


def _constants_remark(constants: tuple[str, ...], name: Callable[[str], str]) -> str:
    """``10 and 2*pi are constants: they have no gradient, and nothing is learned for them.``"""
    if len(constants) == 1:
        return f"{name(constants[0])} is a constant: it has no gradient."
    if len(constants) > _ROUTES_SHOWN:
        return f"The {len(constants)} constants have no gradient."
    return f"{_and([name(c) for c in constants])} are constants: they have no gradient."


def _bracket_negatives(gate: Gate, values: tuple[str, ...]) -> tuple[str, ...]:
    """``-(-2)`` rather than ``--2``, ``(-2)^2`` rather than ``-2^2``; ``4 * -3`` reads well as it is."""
    if gate.op.syntax is Syntax.PREFIX:
        return tuple(f"({v})" if v.startswith("-") else v for v in values)
    if "^" in gate.op.symbol and values[0].startswith("-"):
        return (f"({values[0]})", *values[1:])
    return values


def _partial_text(gate: Gate, partial: LocalPartial, n: _Printed, eq: Callable[[bool], str]) -> str:
    """``x + x = 2*x = 6``: the terms (one per argument the node is), their combination, the value."""
    value = n.num(partial.value)
    steps = [" + ".join(_term(t) for t in partial.terms)] if len(partial.terms) > 1 else [_grouped(partial.terms[0])]
    if partial.combined:
        steps.append(partial.combined)
    if steps == [value]:
        return value
    return " = ".join(steps) + eq(n.partial_holds(gate, partial)) + value


def _term(formula: str) -> str:
    """A term of a sum: bracketed when it has words or a sign of its own (``1/x + (-x/x^2)``)."""
    return f"({formula})" if " " in formula or formula.startswith("-") else formula


def _backward_lines(e: Explanation, step: BackwardStep, n: _Notation) -> Iterator[Line]:
    out, label = e.output_label, step.label
    if step.paths is not None:
        yield _sum_line(out, step.paths, n)
    if not step.partials:
        return
    written = n.gate(step.gate, step.gate.args)

    def local(arg_label: str, several: bool) -> str:
        # At the output, ∂f/∂p is p's whole gradient; a local partial that is only part of it is
        # written with the gate itself on top, ∂(q + p)/∂p, so no symbol means two things.
        return n.d(f"({written})" if step.node == e.output and several else label, arg_label)

    parts = [f"{label} = {written}"]
    for k, partial in enumerate(step.partials, start=1):
        parts.append(", so " if k == 1 else " and ")
        symbol = local(partial.arg_label, partial.one_of_several)
        parts.append(f"{symbol} = {_partial_text(step.gate, partial, n, n.eq)}")
        if len(partial.slots) > 1:
            parts += [f" ({partial.arg_label} is arguments {_slots(partial)} of {label}: a term for each)", ""]
    yield _say(*parts)
    if step.kink_rule:
        yield _say("", f"{label} sits where {step.gate.op.symbol} has no derivative: {step.kink_rule}")
    for product in step.products:
        if step.node == e.output and not product.one_of_several:
            continue  # at the output, the local partials are already the gradients
        yield _product_line(out, product, local(product.arg_label, product.one_of_several), n)


def _grouped(formula: str) -> str:
    """A formula with words in it reads as one thing when bracketed: ``(1 if p > 0 else 0) = 0``."""
    return f"({formula})" if " " in formula else formula


def _product_line(out: str, p: ChainProduct, local: str, n: _Notation) -> Line:
    chain = n.times(n.d(out, p.gate_label), local)
    numbers = n.times(n.num(p.upstream), n.num(p.local)) + n.eq(n.product_holds(p)) + n.num(p.product)
    if p.one_of_several:
        return _say("", f"back through {p.gate_label}: ", f"{chain} = {numbers}")
    return _say(f"{n.d(out, p.arg_label)} = {chain} = {numbers}")


def _routes(
    label: str, consumers: tuple[Consumer, ...], path: Callable[[tuple[str, ...]], str], name: Callable[[str], str]
) -> str:
    """``x→p→f twice, x→q→f``: each path written out where it is the only one through its consumer."""
    said = []
    for c in consumers:
        if c.route is None:
            said.append(f"{_count(c.paths, 'path')} through {name(c.label)}")
        else:
            said.append(path((label, *c.route)) + ("" if c.uses == 1 else f" {_times(c.uses)}"))
    return ", ".join(said)


def _uses(total: PathSum, name: Callable[[str], str]) -> str:
    """``used 3 times, twice by p and once by q``."""
    if len(total.consumers) > _ROUTES_SHOWN:
        return f"used {_times(total.uses)} by {len(total.consumers)} gates"
    return f"used {_times(total.uses)}, " + _and([f"{_times(c.uses)} by {name(c.label)}" for c in total.consumers])


def _sum_line(out: str, total: PathSum, n: _Notation) -> Line:
    terms = _sum_terms([product for _, product in total.terms], n.num)
    paths = _count(total.paths, "path")
    if len(total.consumers) <= _ROUTES_SHOWN:
        paths += f" ({_routes(total.label, total.consumers, '→'.join, str)})"
    through = _and([c.label for c in total.consumers]) if len(total.consumers) <= _ROUTES_SHOWN else "each"
    return _say(
        "",
        f"{total.label} is {_uses(total, str)}, and reaches {out} along {paths}; "
        f"its gradient is the sum of what flows back through {through}: ",
        f"{n.d(out, total.label)} = {terms}{n.eq(n.sum_holds(total))}{n.num(total.total)}",
    )


def _markdown(sections: list[Section]) -> str:
    parts = []
    for section in sections:
        parts.append(f"### {section.title}\n")
        parts.extend("- " + "".join(f"`{p.text}`" if p.math else p.text for p in line) for line in section.lines)
        parts.append("")
    return "\n".join(parts)


def _rich(sections: list[Section]) -> RenderableType:
    from gradcalc.views.explain_lines import FittedLines, StyledLine

    items: list[StyledLine] = []
    for k, section in enumerate(sections):
        if k:
            items.append(())
        items.append(((section.title, "bold underline"),))
        items.extend(
            (("  ", ""), *((piece.text, "" if piece.math else "italic dim") for piece in line))
            for line in section.lines
        )
    return FittedLines(items)


# ---------------------------------------------------------------------------------------------------
# LaTeX: the same steps, with partials as fractions, in align* environments ready for a slide.


def render_latex(e: Explanation, precision: int = 6, see_all: str = SEE_ALL) -> str:
    printed = _Printed(precision)
    num = _latex_number(precision)
    out = _latex_label(e.output_label)

    def eq(holds: bool) -> str:
        return " = " if holds else r" \approx "

    def d(top: str, bottom: str, written: str | None = None) -> str:
        top = _latex_label(top) if written is None else rf"\left({written}\right)"
        return rf"\frac{{\partial {top}}}{{\partial {_latex_label(bottom)}}}"

    def gate(g: Gate, args: tuple[str, ...]) -> str:
        # Placeholders stand in for the arguments, so labels and numbers (already LaTeX) pass untouched.
        text = latex_math(op_call_text(g.op, list(_PLACEHOLDERS[: len(args)]), g.param))
        for placeholder, arg in zip(_PLACEHOLDERS, args):
            text = text.replace(placeholder, arg)
        return text

    forward = []
    if e.leaves:
        first, *rest = (f"{_latex_label(leaf.label)} = {num(leaf.value)}" for leaf in e.leaves)
        forward.append(r", \quad ".join([first.replace(" = ", " &= ", 1), *rest]))
    for computed in e.forward:
        labels = tuple(_latex_label(a) for a in computed.gate.args)
        values = tuple(
            _latex_number_text(t) if computed.gate.op.syntax is Syntax.CALL else _latex_operand(_latex_number_text(t))
            for t, _ in printed.arguments(computed.gate)
        )
        symbolic, numeric = gate(computed.gate, labels), gate(computed.gate, values)
        result = eq(printed.forward_holds(computed)) + num(computed.value)
        forward.append(f"{_latex_label(computed.label)} &= {symbolic} = {numeric}{result}")
    if e.forward_left_out:
        forward.append(rf"&\text{{{left_out_note(e.forward_left_out, 'steps of the forward pass', see_all)}}}")
    if not e.forward:
        forward.append(f"{out} &= {num(e.value)}" if out != num(e.value) else f"&{out}")
    if not e.leaves:  # a constant: nothing to differentiate
        return r"\paragraph{No inputs.}" + "\n" + _align(forward) + "\n"

    backward = [f"{d(e.output_label, e.output_label)} &= 1"]

    def sum_row(total: PathSum) -> str:
        terms = _sum_terms([p for _, p in total.terms], lambda p: _latex_operand(num(p)), r"\ldots")
        uses = _uses(total, lambda label: f"${_latex_label(label)}$")
        paths = _count(total.paths, "path")
        if len(total.consumers) <= _ROUTES_SHOWN:
            routes = _routes(
                total.label,
                total.consumers,
                lambda route: "$" + r" \to ".join(map(_latex_label, route)) + "$",
                lambda label: f"${_latex_label(label)}$",
            )
            paths += f" ({routes})"
        note = rf"\text{{{uses}; {paths}}}"
        return f"{d(e.output_label, total.label)} &= {terms}{eq(printed.sum_holds(total))}{num(total.total)} && {note}"

    for step in e.backward:
        labels = tuple(_latex_label(a) for a in step.gate.args)
        written = gate(step.gate, labels)
        if step.paths is not None:
            backward.append(sum_row(step.paths))

        def local(arg_label: str, several: bool, step: BackwardStep = step, written: str = written) -> str:
            return d(step.label, arg_label, written if step.node == e.output and several else None)

        for partial in step.partials:
            formula = _latex_partial(step.gate, partial, printed, num, eq)
            which = ""
            if len(partial.slots) > 1:
                arg = _latex_label(partial.arg_label)
                which = rf"\text{{, ${arg}$ is arguments {_slots(partial)}: a term for each}}"
            backward.append(
                f"{local(partial.arg_label, partial.one_of_several)} &= {formula}"
                + rf" && \text{{as }} {_latex_label(step.label)} = {written}{which}"
            )
        for p in step.products:
            if step.node == e.output and not p.one_of_several:
                continue
            chain = f"{d(e.output_label, p.gate_label)} \\cdot {local(p.arg_label, p.one_of_several)}"
            numbers = (
                f"{_latex_operand(num(p.upstream))} \\cdot {_latex_operand(num(p.local))}"
                f"{eq(printed.product_holds(p))}{num(p.product)}"
            )
            if p.one_of_several:
                path = rf"\text{{back through }} {_latex_label(p.gate_label)}"
                backward.append(f"{chain} &= {numbers} && {path}")
            else:
                backward.append(f"{d(e.output_label, p.arg_label)} &= {chain} = {numbers}")
    if e.backward_left_out:
        backward.append(rf"&\text{{{left_out_note(e.backward_left_out, 'steps of the backward pass', see_all)}}}")
    backward.extend(sum_row(total) for total in e.input_sums)

    lines = [
        r"\paragraph{Forward pass.}",
        _align(forward),
        r"\paragraph{Backward pass.}",
        _align(backward),
    ]
    if e.gradients:
        lines += [
            r"\paragraph{Gradients.}",
            _align([f"{d(e.output_label, leaf.label)} &= {num(leaf.value)}" for leaf in e.gradients]),
        ]
        if e.inputs_left_out:
            lines.append(left_out_note(e.inputs_left_out, "gradients and inputs", see_all).replace("…", r"\ldots"))
        if e.constants:
            lines.append(_constants_remark(e.constants, lambda label: f"${_latex_label(label)}$"))
    return "\n".join(lines) + "\n"


def _latex_partial(
    gate: Gate, partial: LocalPartial, printed: _Printed, num: Callable[[float], str], eq: Callable[[bool], str]
) -> str:
    value = num(partial.value)
    if len(partial.terms) > 1:
        steps = [" + ".join(latex_math(_term(t)) for t in partial.terms)]
    else:
        steps = [latex_math(_grouped(partial.terms[0]))]
    if partial.combined:
        steps.append(latex_math(partial.combined))
    if steps == [value]:
        return value
    return " = ".join(steps) + eq(printed.partial_holds(gate, partial)) + value


def _align(rows: list[str]) -> str:
    return "\\begin{align*}\n  " + " \\\\\n  ".join(rows) + "\n\\end{align*}"


def _latex_number(precision: int) -> Callable[[float], str]:
    def num(value: float) -> str:
        return _latex_number_text(format_number(value, precision))

    return num


def _latex_number_text(text: str) -> str:
    """A number as gradcalc prints it (``6.21e-7``, ``inf``) in LaTeX: ``6.21 \times 10^{-7}``."""
    mantissa, e, exponent = text.partition("e")
    if e and exponent.lstrip("+-").isdigit():
        return rf"{mantissa} \times 10^{{{int(exponent)}}}"
    return {"inf": r"\infty", "-inf": r"-\infty", "nan": r"\mathrm{NaN}"}.get(text, text)


def _latex_operand(number: str) -> str:
    """A negative number inside a product or sum gets parentheses: ``4 \\cdot (-3)``."""
    return f"({number})" if number.startswith("-") else number


_PLACEHOLDERS = ("\u2460", "\u2461", "\u2462")  # ①②③: one character each, never in a label
# LaTeX's own names for functions (a side table keyed by the op's symbol); any other is \operatorname.
_LATEX_NAMES = {
    **{name: f"\\{name}" for name in ("exp", "log", "sin", "cos", "tan", "sinh", "cosh", "tanh", "max", "min")},
    **{name: f"\\arc{name[1:]}" for name in ("asin", "acos", "atan")},
    "log2": r"\log_2", "log10": r"\log_{10}", "sigmoid": r"\sigma",
}  # fmt: skip
_NUMBER = re.compile(r"\d+\.?\d*(?:e[+-]?\d+)?")
_TOKEN = re.compile(r"\s*(\d+\.?\d*(?:e[+-]?\d+)?|[A-Za-z_][A-Za-z_0-9]*'*|\*\*|.)")
_OPEN, _CLOSE = "\x02", "\x03"  # an exponent group's braces until the spacing is settled


def latex_math(text: str) -> str:
    """A formula or gate written the way gradcalc writes it (``-1/v^2``, ``p * z``), in LaTeX.

    One pass over the tokens: a parenthesised exponent ``^(…)`` opens a brace group that its closing
    parenthesis ends, tracked on an explicit stack, so any nesting depth is linear and never recurses.
    """
    tokens = [t for t in _TOKEN.findall(text) if t.strip()]
    out: list[str] = []
    exponent_groups: list[bool] = []  # per open parenthesis: does its ")" close an exponent's braces?
    k = 0
    while k < len(tokens):
        token = tokens[k]
        nxt = tokens[k + 1] if k + 1 < len(tokens) else ""
        if token in ("^", "**"):
            if nxt == "(":
                exponent_groups.append(True)
                out.append(_OPEN)
                k += 2
            elif nxt == "-" and k + 2 < len(tokens):
                out.append(f"^{{-{_latex_token(tokens[k + 2], '')}}}")
                k += 3
            else:
                out.append(f"^{{{_latex_token(nxt, '') if nxt else ''}}}")
                k += 2
            continue
        if token == "-" and out and out[-1] in (r"\cdot", "+", "-", "/") and _NUMBER.fullmatch(nxt):
            out.append(f"(-{nxt})")  # a negative constant after an operator: s \cdot (-1)
            k += 2
            continue
        if token == "(":
            exponent_groups.append(False)
            out.append("(")
        elif token == ")":
            out.append(_CLOSE if exponent_groups and exponent_groups.pop() else ")")
        else:
            out.append(_latex_token(token, nxt))
        k += 1
    return _join(out)


def _latex_token(token: str, nxt: str) -> str:
    """One token in LaTeX; ``nxt`` tells a function name (followed by ``(``) from a label."""
    if token == "*":
        return r"\cdot"
    if token in ("if", "else"):
        return rf"\text{{ {token} }}"
    if token == "pi":
        return r"\pi"
    if nxt == "(" and token in FUNCTIONS:
        return _LATEX_NAMES.get(token, rf"\operatorname{{{token}}}")
    if token[0].isalpha() or token[0] == "_":
        return _latex_label(token)
    if _NUMBER.fullmatch(token):
        return _latex_number_text(token)
    return token


# A function name and the parenthesis after it, which _join writes together: \exp(x), \operatorname{erf}(x).
_CALLED = re.compile(
    "(" + "|".join(map(re.escape, sorted(_LATEX_NAMES.values(), key=len, reverse=True))) + r"|\\operatorname\{\w+\}) \("
)


def _join(parts: list[str]) -> str:
    text = " ".join(parts)
    for loose, tight in (
        ("( ", "("), (" )", ")"), (" ^", "^"), (" ,", ","), ("(- ", "(-"),
        (f" {_OPEN}", _OPEN), (f"{_OPEN} ", _OPEN), (f" {_CLOSE}", _CLOSE), (_OPEN, "^{"), (_CLOSE, "}"),
        ("{- ", "{-"),
    ):  # fmt: skip
        text = text.replace(loose, tight)
    text = _CALLED.sub(r"\1(", text)
    return "-" + text[2:] if text.startswith("- ") else text  # a leading minus: -1 / v^{2}


def _latex_label(label: str) -> str:
    """``h'4`` (h's fifth version shown, see ``gradcalc.labels``) -> ``h^{(4)}``, the usual way to write 4 primes."""
    numbered = re.fullmatch(r"(.+)'(\d+)", label)
    if numbered is None:
        return _latex_base(label)
    return _latex_base(numbered[1]) + f"^{{({numbered[2]})}}"


def _latex_base(label: str) -> str:
    """``w0`` -> ``w_{0}``, ``loss`` -> ``\\mathit{loss}``, ``c'`` stays; constants' text is formatted too."""
    if label == "pi":
        return r"\pi"
    match = re.fullmatch(r"([A-Za-z]+)_?(\d+)?('*)", label)
    if match is None:
        if re.fullmatch(r"[A-Za-z_][A-Za-z_0-9]*'*", label):
            return r"\mathit{" + label.replace("_", r"\_") + "}"
        return label if re.fullmatch(r"-?[\d.]+", label) else latex_math(label)
    letters, digits, primes = match.groups()
    base = letters if len(letters) == 1 else rf"\mathit{{{letters}}}"
    return base + (f"_{{{digits}}}" if digits else "") + primes
