"""An explanation as a reader sees it: Rich text for a terminal, Markdown for notes, LaTeX for slides.

``render_explanation(result, fmt)`` is the one entry point (the CLI's ``explain`` and the REPL's
``:explain`` call it). The words are the same in every format; LaTeX writes each partial derivative as a
fraction, ``\\frac{\\partial g}{\\partial p}``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, get_args

from gradcalc.engine import op_call_text
from gradcalc.explain import BackwardStep, ChainProduct, Explanation, Gate, PathSum, explain
from gradcalc.numbers import format_number
from gradcalc.ops import FUNCTIONS, Syntax
from gradcalc.program import Result

if TYPE_CHECKING:
    from rich.console import RenderableType

Format = Literal["rich", "markdown", "latex"]
FORMATS: tuple[str, ...] = get_args(Format)


def render_explanation(result: Result, fmt: Format = "rich", precision: int = 6) -> RenderableType | str:
    """The explanation of ``result``: a Rich renderable for ``"rich"``, a string for Markdown and LaTeX."""
    explanation = explain(result)
    if fmt == "latex":
        return render_latex(explanation, precision)
    sections = list(_sections(explanation, _Notation(precision)))
    if fmt == "markdown":
        return _markdown(sections)
    return _rich(sections)


# ---------------------------------------------------------------------------------------------------
# The words, shared by the terminal and Markdown: sections of lines, each an equation or a remark.


@dataclass(frozen=True, slots=True)
class Piece:
    text: str
    math: bool = True  # an equation (code in Markdown) rather than words


Line = tuple[Piece, ...]


def _say(*parts: str) -> Line:
    """A line alternating math and words: ``_say("p = x + y", ", so ", "∂p/∂x = 1")``."""
    return tuple(Piece(part, math=k % 2 == 0) for k, part in enumerate(parts) if part)


@dataclass(frozen=True, slots=True)
class Section:
    title: str
    lines: list[Line]


class _Notation:
    """How numbers, partials and gates are written in plain text: ``∂g/∂p``, ``4 * -3``."""

    def __init__(self, precision: int) -> None:
        self.precision = precision

    def num(self, value: float) -> str:
        return format_number(value, self.precision)

    def d(self, top: str, bottom: str) -> str:
        return f"∂{top}/∂{bottom}"

    def times(self, *factors: str) -> str:
        return " * ".join(factors)

    def gate(self, gate: Gate, args: tuple[str, ...]) -> str:
        return op_call_text(gate.op, list(args), gate.param)


def _sections(e: Explanation, n: _Notation) -> Iterator[Section]:
    out = e.output_label
    forward: list[Line] = []
    if e.leaves:
        inputs = ", ".join(f"{leaf.label} = {n.num(leaf.value)}" for leaf in e.leaves)
        forward.append(_say("", "The inputs: ", inputs))
    for computed in e.forward:
        values = _bracket_negatives(computed.gate, tuple(n.num(v) for v in computed.gate.values))
        symbolic, numeric = n.gate(computed.gate, computed.gate.args), n.gate(computed.gate, values)
        forward.append(_say(f"{computed.label} = {symbolic} = {numeric} = {n.num(computed.value)}"))
    if not e.leaves:
        value = n.num(e.value)
        said = value if out == value else f"{out} = {value}"
        yield Section(
            "Nothing to differentiate",
            [_say("", "The program has no inputs: its output is the constant ", said, ".")],
        )
        return
    if not e.forward:
        forward.append(_say("", "There are no gates: the output is ", f"{out} = {n.num(e.value)}", " itself."))
    yield Section(f"Forward pass, from the inputs to {out}", forward)

    backward = [_say("", "Start at the output: ", f"{n.d(out, out)} = 1")]
    for step in e.backward:
        backward.extend(_backward_lines(e, step, n))
    for total in e.input_sums:
        backward.append(_sum_line(out, total, n))
    yield Section(f"Backward pass, from {out} back to the inputs", backward)

    if e.gradients:
        yield Section(
            "Gradients",
            [_say(", ".join(f"{n.d(out, leaf.label)} = {n.num(leaf.value)}" for leaf in e.gradients))],
        )


def _bracket_negatives(gate: Gate, values: tuple[str, ...]) -> tuple[str, ...]:
    """``-(-2)`` rather than ``--2``, ``(-2)^2`` rather than ``-2^2``; ``4 * -3`` reads well as it is."""
    if gate.op.syntax is Syntax.PREFIX:
        return tuple(f"({v})" if v.startswith("-") else v for v in values)
    if "^" in gate.op.symbol and values[0].startswith("-"):
        return (f"({values[0]})", *values[1:])
    return values


def _backward_lines(e: Explanation, step: BackwardStep, n: _Notation) -> Iterator[Line]:
    out, label = e.output_label, step.label
    if step.paths is not None:
        yield _sum_line(out, step.paths, n)
    if not step.partials:
        return
    repeated = len({p.arg for p in step.partials}) < len(step.partials)
    parts = [f"{label} = {n.gate(step.gate, step.gate.args)}"]
    for k, partial in enumerate(step.partials, start=1):
        formula = _grouped(partial.formula)
        value = n.num(partial.value)
        parts.append(", so " if k == 1 else " and ")
        parts.append(f"{n.d(label, partial.arg_label)} = " + (value if formula == value else f"{formula} = {value}"))
        if repeated:
            parts += [f" (argument {k})", ""]
    yield _say(*parts)
    if step.kink_rule:
        yield _say("", f"{label} sits where {step.gate.op.symbol} has no derivative: {step.kink_rule}")
    for product in step.products:
        if step.node == e.output and not product.one_of_several:
            continue  # at the output, the local partials are already the gradients
        yield _product_line(out, product, n)


def _grouped(formula: str) -> str:
    """A formula with words in it reads as one thing when bracketed: ``(1 if p > 0 else 0) = 0``."""
    return f"({formula})" if " " in formula else formula


def _product_line(out: str, p: ChainProduct, n: _Notation) -> Line:
    chain = n.times(n.d(out, p.gate_label), n.d(p.gate_label, p.arg_label))
    numbers = n.times(n.num(p.upstream), n.num(p.local))
    if p.one_of_several:
        return _say("", f"the path through {p.gate_label}: ", f"{chain} = {numbers} = {n.num(p.product)}")
    return _say(f"{n.d(out, p.arg_label)} = {chain} = {numbers} = {n.num(p.product)}")


def _sum_line(out: str, total: PathSum, n: _Notation) -> Line:
    gates = ", ".join(dict.fromkeys(gate for gate, _ in total.terms))
    terms = " + ".join(n.num(product) for _, product in total.terms)
    return _say(
        "",
        f"{total.label} feeds {len(total.terms)} paths ({gates}), so its gradient is their sum: ",
        f"{n.d(out, total.label)} = {terms} = {n.num(total.total)}",
    )


def _markdown(sections: list[Section]) -> str:
    parts = []
    for section in sections:
        parts.append(f"### {section.title}\n")
        parts.extend("- " + "".join(f"`{p.text}`" if p.math else p.text for p in line) for line in section.lines)
        parts.append("")
    return "\n".join(parts)


def _rich(sections: list[Section]) -> RenderableType:
    from rich.console import Group
    from rich.text import Text

    items: list[RenderableType] = []
    for k, section in enumerate(sections):
        if k:
            items.append(Text(""))
        items.append(Text(section.title, style="bold underline"))
        for line in section.lines:
            text = Text("  ")
            for piece in line:
                text.append(piece.text, style="" if piece.math else "italic dim")
            items.append(text)
    return Group(*items)


# ---------------------------------------------------------------------------------------------------
# LaTeX: the same steps, with partials as fractions, in align* environments ready for a slide.


def render_latex(e: Explanation, precision: int = 6) -> str:
    num = _latex_number(precision)
    out = _latex_label(e.output_label)

    def d(top: str, bottom: str) -> str:
        return rf"\frac{{\partial {_latex_label(top)}}}{{\partial {_latex_label(bottom)}}}"

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
            num(v) if computed.gate.op.syntax is Syntax.CALL else _latex_operand(num(v)) for v in computed.gate.values
        )
        symbolic, numeric = gate(computed.gate, labels), gate(computed.gate, values)
        forward.append(f"{_latex_label(computed.label)} &= {symbolic} = {numeric} = {num(computed.value)}")
    if not e.forward:
        forward.append(f"{out} &= {num(e.value)}" if out != num(e.value) else f"&{out}")
    if not e.leaves:  # a constant: nothing to differentiate
        return r"\paragraph{No inputs.}" + "\n" + _align(forward) + "\n"

    backward = [f"{d(e.output_label, e.output_label)} &= 1"]

    def sum_row(total: PathSum) -> str:
        terms = " + ".join(_latex_operand(num(p)) for _, p in total.terms)
        return f"{d(e.output_label, total.label)} &= {terms} = {num(total.total)}"

    for step in e.backward:
        labels = tuple(_latex_label(a) for a in step.gate.args)
        if step.paths is not None:
            backward.append(sum_row(step.paths))
        repeated = len({p.arg for p in step.partials}) < len(step.partials)
        for k, partial in enumerate(step.partials, start=1):
            formula, value = latex_math(_grouped(partial.formula)), num(partial.value)
            which = rf"\text{{, argument {k}}}" if repeated else ""
            backward.append(
                f"{d(step.label, partial.arg_label)} &= "
                + (value if formula == value else f"{formula} = {value}")
                + rf" && \text{{as }} {_latex_label(step.label)} = {gate(step.gate, labels)}{which}"
            )
        for p in step.products:
            if step.node == e.output and not p.one_of_several:
                continue
            chain = f"{d(e.output_label, p.gate_label)} \\cdot {d(p.gate_label, p.arg_label)}"
            numbers = f"{_latex_operand(num(p.upstream))} \\cdot {_latex_operand(num(p.local))} = {num(p.product)}"
            if p.one_of_several:
                path = rf"\text{{the path through }} {_latex_label(p.gate_label)}"
                backward.append(f"{chain} &= {numbers} && {path}")
            else:
                backward.append(f"{d(e.output_label, p.arg_label)} &= {chain} = {numbers}")
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
    return "\n".join(lines) + "\n"


def _align(rows: list[str]) -> str:
    return "\\begin{align*}\n  " + " \\\\\n  ".join(rows) + "\n\\end{align*}"


def _latex_number(precision: int) -> Callable[[float], str]:
    def num(value: float) -> str:
        text = format_number(value, precision)
        mantissa, e, exponent = text.partition("e")
        if e and exponent.lstrip("+-").isdigit():
            return rf"{mantissa} \times 10^{{{int(exponent)}}}"
        return {"inf": r"\infty", "-inf": r"-\infty", "nan": r"\mathrm{NaN}"}.get(text, text)

    return num


def _latex_operand(number: str) -> str:
    """A negative number inside a product or sum gets parentheses: ``4 \\cdot (-3)``."""
    return f"({number})" if number.startswith("-") else number


_PLACEHOLDERS = ("\u2460", "\u2461", "\u2462")  # ①②③: one character each, never in a label
_LATEX_FUNCTIONS = {"exp", "log", "sin", "cos", "tan", "tanh", "max", "min"}
_NUMBER = re.compile(r"\d+\.?\d*(?:e[+-]?\d+)?")
_TOKEN = re.compile(r"\s*(\d+\.?\d*(?:e[+-]?\d+)?|[A-Za-z_][A-Za-z_0-9]*'*|\*\*|.)")


def latex_math(text: str) -> str:
    """A formula or gate written the way gradcalc writes it (``-1/v^2``, ``p * z``), in LaTeX."""
    tokens = [t for t in _TOKEN.findall(text) if t.strip()]
    out: list[str] = []
    k = 0
    while k < len(tokens):
        token = tokens[k]
        nxt = tokens[k + 1] if k + 1 < len(tokens) else ""
        if token in ("^", "**"):
            exponent, k = _exponent(tokens, k + 1)
            out.append(f"^{{{latex_math(exponent)}}}")
            continue
        if token == "-" and out and out[-1] in (r"\cdot", "+", "-", "/") and _NUMBER.fullmatch(nxt):
            out.append(f"(-{nxt})")  # a negative constant after an operator: s \cdot (-1)
            k += 2
            continue
        if token == "*":
            out.append(r"\cdot")
        elif token in ("if", "else"):
            out.append(rf"\text{{ {token} }}")
        elif token == "pi":
            out.append(r"\pi")
        elif nxt == "(" and token in FUNCTIONS:
            out.append(
                r"\sigma"
                if token == "sigmoid"
                else rf"\{token}"
                if token in _LATEX_FUNCTIONS
                else rf"\operatorname{{{token}}}"
            )
        elif token[0].isalpha() or token[0] == "_":
            out.append(_latex_label(token))
        else:
            out.append(token)
        k += 1
    return _join(out)


def _exponent(tokens: list[str], k: int) -> tuple[str, int]:
    """The exponent after ``^``: a parenthesised group (parentheses dropped), or a signed token."""
    if k < len(tokens) and tokens[k] == "(":
        depth, end = 0, k
        for end in range(k, len(tokens)):
            depth += {"(": 1, ")": -1}.get(tokens[end], 0)
            if depth == 0:
                break
        return " ".join(tokens[k + 1 : end]), end + 1
    if k < len(tokens) and tokens[k] == "-" and k + 1 < len(tokens):
        return "-" + tokens[k + 1], k + 2
    return (tokens[k], k + 1) if k < len(tokens) else ("", k)


def _join(parts: list[str]) -> str:
    text = " ".join(parts)
    for loose, tight in (("( ", "("), (" )", ")"), (" ^", "^"), (" ,", ","), ("{- ", "{-")):
        text = text.replace(loose, tight)
    text = re.sub(r"(\\(?:sigma|exp|log|sin|cos|tanh|tan|max|min)|\\operatorname\{\w+\}) \(", r"\1(", text)
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
