"""The Rich table of a result: one row per node, in topological order, then the gradients.

Renderers return renderables; only the command line and the REPL print them.
"""

from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text

from gradcalc.numbers import format_number
from gradcalc.program import Result

MAX_LABEL = 32
INPUT_STYLE = "bold cyan"
OUTPUT_STYLE = "bold magenta"


def short(label: str, width: int = MAX_LABEL) -> str:
    return label if len(label) <= width else label[: width - 1] + "…"


def node_table(result: Result, precision: int = 6, max_rows: int = 200) -> Table:
    """Every node with its op, inputs, value, local derivatives and gradient.

    Graphs of more than ``max_rows`` nodes show their first and last rows (0 shows all).
    """
    evaluation, labels, nodes = result.evaluation, result.labels, result.graph.nodes
    values, grads, local = evaluation.values, evaluation.grads, evaluation.local
    out = evaluation.output
    out_label = short(labels[out])

    def num(value: float) -> str:
        return format_number(value, precision)

    table = Table(title=_title(result), title_justify="left", header_style="bold", expand=False)
    table.add_column("node", no_wrap=True)
    table.add_column("op", no_wrap=True)
    table.add_column("inputs")
    table.add_column("value", justify="right", no_wrap=True)
    table.add_column("local ∂", overflow="fold")
    table.add_column(f"grad ∂{out_label}/∂node", justify="right", no_wrap=True)

    order = evaluation.order
    shown = order
    if max_rows and len(order) > max_rows:
        half = max_rows // 2
        shown = [*order[:half], -1, *order[-half:]]
    for i in shown:
        if i < 0:
            table.add_row(
                Text(f"… {len(order) - 2 * (max_rows // 2):,} more nodes (--rows 0 shows all)", style="dim"),
                end_section=False,
            )
            continue
        node = nodes[i]
        label = short(labels[i])
        args = [short(labels[a]) for a in node.args]
        slopes = ", ".join(f"∂{label}/∂{arg} = {num(d)}" for arg, d in zip(args, local[i]))
        style = OUTPUT_STYLE if i == out else INPUT_STYLE if node.is_input else ""
        table.add_row(
            label,
            node.op.gate_symbol(node.param, lambda c: format_number(c, precision)),
            ", ".join(args),
            num(values[i]),
            slopes,
            num(grads[i]),
            style=style,
        )
    return table


def _title(result: Result) -> str:
    kind = "expanded into primitive gates" if result.expanded else "computational graph"
    n = len(result.evaluation.order)
    return f"{kind}: {n} node{'s' if n != 1 else ''}"


def summary(result: Result, precision: int = 6) -> Text:
    """``f = -12`` and each input's gradient, ``∂f/∂x = -3``."""
    evaluation, labels = result.evaluation, result.labels
    out = short(labels[evaluation.output])
    text = Text()
    text.append(f"{out} = ", style=OUTPUT_STYLE)
    text.append(format_number(evaluation.value, precision), style=OUTPUT_STYLE)
    for i in evaluation.inputs:
        text.append("\n")
        text.append(f"∂{out}/∂{short(labels[i])} = ", style=INPUT_STYLE)
        text.append(format_number(evaluation.grads[i], precision))
    return text


def result_view(result: Result, precision: int = 6, max_rows: int = 200) -> Group:
    return Group(node_table(result, precision, max_rows), summary(result, precision))
