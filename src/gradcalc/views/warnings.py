"""Warnings in words, each naming its node: kinks, infinite gradients, values nobody uses."""

from __future__ import annotations

from gradcalc.engine import op_call_text
from gradcalc.program import Result


def warning_lines(result: Result, since: int = 0) -> list[str]:
    """Every warning of ``result``; with ``since``, only those of nodes from that id on (a REPL line's own)."""
    labels, nodes = result.labels, result.graph.nodes
    lines = []
    for warning in result.evaluation.warnings:
        if warning.node < since:
            continue
        node = nodes[warning.node]
        where = labels[warning.node]
        if node.args:
            where += " = " + op_call_text(node.op, [labels[a] for a in node.args], node.param)
        lines.append(f"warning: {where}: {warning.message}")
    lines += [f"warning: {name} is given a value but the program does not use it" for name in result.unused_overrides]
    return lines
