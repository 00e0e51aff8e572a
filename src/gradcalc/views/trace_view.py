"""The evaluation trace (``gradcalc trace``) for a terminal, Markdown notes, LaTeX slides or JSON.

Columns as in Baydin et al.'s Tables 2 and 3: the primal trace ``v3 = sin(v0) = -0.959``, the tangent
(forward mode, seeded at one input) and the adjoint (reverse mode); below, what each mode cost.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any, Literal

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from gradcalc.numbers import format_number
from gradcalc.trace import Trace, TraceRow, written
from gradcalc.views.explain_view import latex_math

Format = Literal["rich", "markdown", "latex"]


def _passes(n: int) -> str:
    return f"{n} pass{'es' if n != 1 else ''}"


def cost_lines(t: Trace, precision: int) -> list[str]:
    """What each mode gave and cost: forward mode one input's derivatives per pass, reverse one output's."""
    out = t.rows[-1]
    adjoints = ", ".join(
        f"∂{t.output}/∂{r.label} = {format_number(r.adjoint, precision)}" for r in t.rows if r.is_input
    )
    per_input = "one per input" if t.forward_passes != 1 else "one per input, and there is one"
    return [
        f"{t.output} = {format_number(out.value, precision)}",
        f"forward mode: this pass gave ∂{t.output}/∂{t.wrt} = {format_number(out.tangent, precision)} (the output's "
        f"tangent); the whole gradient takes {_passes(t.forward_passes)}, {per_input}.",
        f"reverse mode: one backward pass gave {adjoints} (the inputs' adjoints): "
        f"{_passes(t.reverse_passes)}, one per output.",
    ]


# Rows of the terminal's table: the first and last half of them, as the eval table shows its nodes. Rich
# lays out a table row in about 2 ms, so a loop of 3,000 nodes took 5 s; the text formats show every row.
MAX_ROWS = 200


def render_trace(t: Trace, fmt: Format = "rich", precision: int = 6, max_rows: int = MAX_ROWS) -> RenderableType | str:
    """The trace as a Rich table (of at most ``max_rows`` rows, 0: all), or Markdown / LaTeX text."""
    if fmt == "markdown":
        return _markdown(t, precision)
    if fmt == "latex":
        return _latex(t, precision)
    return _rich(t, precision, max_rows)


def _rich(t: Trace, precision: int, max_rows: int) -> RenderableType:
    table = Table(title=f"evaluation trace: tangent seeded at {t.wrt}", title_justify="left")
    table.add_column("node")
    table.add_column("primal")
    table.add_column(f"tangent ∂·/∂{t.wrt}", justify="right")
    table.add_column(f"adjoint ∂{t.output}/∂·", justify="right")
    last = t.rows[-1].node
    shown: list[TraceRow | None] = list(t.rows)
    left_out = 0
    if max_rows and len(t.rows) > max_rows:
        half = max_rows // 2
        shown = [*t.rows[:half], None, *t.rows[-half:]]
        left_out = len(t.rows) - 2 * half
    for r in shown:
        if r is None:
            table.add_row("…", style="dim")
            continue
        style = "bold" if r.node == last else "cyan" if r.is_input else ""
        table.add_row(r.label, _primal(r, format_number(r.value, precision)), format_number(r.tangent, precision),
                      format_number(r.adjoint, precision), style=style)
    parts: list[RenderableType] = [table]
    if left_out:
        parts.append(Text(f"… {left_out:,} more rows (-f markdown, -f latex and --json show them all)", style="dim"))
    return Group(*parts, Text("\n".join(cost_lines(t, precision))))


def _markdown_cell(text: str) -> str:
    return text.replace("|", r"\|").replace("*", r"\*")


def _markdown(t: Trace, precision: int) -> str:
    lines = [f"**Evaluation trace**, tangent seeded at `{t.wrt}`", "",
             f"| node | primal | tangent ∂·/∂{t.wrt} | adjoint ∂{t.output}/∂· |", "|---|---|--:|--:|"]
    for r in t.rows:
        cells = [r.label, _primal(r, format_number(r.value, precision)),
                 format_number(r.tangent, precision), format_number(r.adjoint, precision)]
        lines.append("| " + " | ".join(_markdown_cell(c) for c in cells) + " |")
    lines.append("")
    lines.extend(f"- {_markdown_cell(line)}" for line in cost_lines(t, precision))
    return "\n".join(lines) + "\n"


_PLACEHOLDER = "zzarg"


def _latex_name(name: str) -> str:
    """``v-1`` -> ``v_{-1}``; a constant's text as LaTeX writes it."""
    match = re.fullmatch(r"v(-?\d+)", name)
    return f"v_{{{match[1]}}}" if match else latex_math(name)


def _latex_expression(r: TraceRow) -> str:
    if r.is_input:
        return latex_math(r.label)
    # Placeholders for the names, so that latex_math writes the operators and functions; then the names.
    slots = {name: f"{_PLACEHOLDER}{k}" for k, name in enumerate(dict.fromkeys(r.args))}
    text = latex_math(written(r, slots.__getitem__))
    for name, slot in slots.items():
        text = text.replace(latex_math(slot), _latex_name(name))
    return text


_SUBSCRIPTS = str.maketrans("-0123456789", "₋₀₁₂₃₄₅₆₇₈₉")


def _name(name: str) -> str:
    """``v-1`` -> ``v₋₁``, as the textbook writes it (``v-1 * v0`` would read as a subtraction)."""
    return "v" + name[1:].translate(_SUBSCRIPTS) if re.fullmatch(r"v-?\d+", name) else name


def _primal(r: TraceRow, num: str) -> str:
    return f"{_name(r.name)} = {written(r, _name)} = {num}"


def _latex_number(value: float, precision: int) -> str:
    text = format_number(value, precision)
    mantissa, _, exponent = text.partition("e")
    return rf"{mantissa} \times 10^{{{int(exponent)}}}" if exponent else text


_LATEX_PARTIAL = re.compile(r"∂(\S+?)/∂(\S+?) = (\S+?)(?=[,\s]|$)")


def _latex_partial(match: re.Match[str]) -> str:
    value = float(match[3])
    return rf"$\partial {latex_math(match[1])} / \partial {latex_math(match[2])} = {_latex_number(value, 17)}$"


def _latex(t: Trace, precision: int) -> str:
    wrt, out = latex_math(t.wrt), latex_math(t.output)
    lines = [
        r"\begin{tabular}{lll}",
        rf"primal & tangent $\dot v = \partial v / \partial {wrt}$ & adjoint $\bar v = \partial {out} / \partial v$ \\",
        r"\hline",
    ]
    for r in t.rows:
        name = _latex_name(r.name)
        value = _latex_number(r.value, precision)
        lines.append(
            rf"${name} = {_latex_expression(r)} = {value}$ & $\dot {name} = {_latex_number(r.tangent, precision)}$"
            rf" & $\bar {name} = {_latex_number(r.adjoint, precision)}$ \\"
        )
    lines.append(r"\end{tabular}")
    lines.append("")
    lines.extend(_LATEX_PARTIAL.sub(_latex_partial, line) + "\n" for line in cost_lines(t, precision))
    return "\n".join(lines).rstrip("\n") + "\n"


def _number(value: float) -> float | None:
    return value if math.isfinite(value) else None


def document(t: Trace) -> dict[str, Any]:
    """The trace as JSON: rows in evaluation order with their textbook names, and each mode's cost."""
    return {
        "wrt": t.wrt,
        "output": {"label": t.output, "value": _number(t.rows[-1].value)},
        "rows": [
            {
                "id": r.name,
                "label": r.label,
                "expression": r.expression,
                "inputs": list(r.args),
                "value": _number(r.value),
                "tangent": _number(r.tangent),
                "adjoint": _number(r.adjoint),
            }
            for r in t.rows
        ],
        "passes": {"forward": t.forward_passes, "reverse": t.reverse_passes},
    }


def render_json(t: Trace) -> str:
    return json.dumps(document(t), ensure_ascii=False) + "\n"
