"""The circuit as one self-contained web page that steps through both passes, gate by gate.

The page is the SVG that Graphviz draws from ``views.dot.render_dot`` (the same DOT as ``gradcalc
render``), a JSON description of every node and of every step of the two passes, and a script and a
style sheet from ``views/assets``, all inlined: the file works offline, from a USB stick or a course
page, and its Content-Security-Policy forbids loading anything from anywhere (the live page may only
open its event stream, on the server that sent it).

The script never re-lays out the picture. It finds each drawn node by the ``<title>`` Graphviz gives
its ``<g>`` element (``n3`` a wire, ``g3`` a gate, ``s3`` a split, ``b3_0`` a branch; ``o3`` a boxes-style
operation) and toggles CSS classes on it: hidden values and gradients, the gate being computed, the
gates already computed. Everything the steps say, and every number, is written here with
``numbers.format_number``, so the page reads exactly as the other views do.

Two layers: ``page_state`` runs ``dot`` and builds the data (what the live server caches and pushes);
``page_document`` wraps a state into the HTML page. ``render_html`` is both.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import shutil
import subprocess
from collections.abc import Callable
from functools import cache
from importlib.resources import files
from typing import Any

from gradcalc.engine import op_call_text
from gradcalc.errors import GradcalcError
from gradcalc.numbers import format_number
from gradcalc.ops import INPUT, Syntax
from gradcalc.program import Result
from gradcalc.views.dot import STYLES, render_dot
from gradcalc.views.graphviz import DOT_TIMEOUT, INSTALL_ADVICE, MAX_IMAGE_NODES
from gradcalc.views.palette import DEFAULT_PALETTE, PALETTES

TEXT_EXTRA_DECIMALS = 2  # the steps' and inspector's numbers: 0.1966 · (-3) = -0.5898, not 0.2 · (-3) = -0.59
State = dict[str, Any]  # what the page shows: {"kind": "result", "svg": ..., "data": ...}, an error, or nothing


def render_html(
    result: Result,
    *,
    precision: int = 2,
    style: str = "circuit",
    live: bool = False,
    events_url: str | None = None,
    rankdir: str = "LR",
    palette: str = DEFAULT_PALETTE,
) -> str:
    """The whole page for ``result``; with ``live``, a page that follows the server's ``events_url``."""
    state = page_state(result, precision=precision, style=style, rankdir=rankdir, palette=palette)
    return page_document(state, live=live, events_url=events_url)


def page_state(
    result: Result,
    *,
    precision: int = 2,
    style: str = "circuit",
    rankdir: str = "LR",
    palette: str = DEFAULT_PALETTE,
    timeout: float = DOT_TIMEOUT,
    started: Callable[[subprocess.Popen[bytes]], None] | None = None,
) -> State:
    """The picture (SVG from ``dot``) and the data of ``result``: everything the page needs to show it.

    ``started`` is given the running ``dot`` process, so that a server can end it when it stops.
    """
    size = len(result.evaluation.order)
    if size > MAX_IMAGE_NODES:
        raise GradcalcError(
            f"the graph has {size:,} nodes: too many for a readable page (pictures stop at {MAX_IMAGE_NODES:,} nodes)",
            hint="look at the table instead: gradcalc eval (or run)",
        )
    dot_text = render_dot(result, style=style, precision=precision, rankdir=rankdir, palette=palette)  # checks them
    svg = _svg(dot_text, timeout, started)
    data = page_data(result, precision=precision, style=style, palette=palette)
    return {"kind": "result", "svg": svg, "data": data}


def error_state(message: str) -> State:
    """What the page shows instead of a picture when the program has an error (the live page keeps going)."""
    return {"kind": "error", "message": message}


def empty_state(message: str = "Waiting for a result…") -> State:
    return {"kind": "empty", "message": message}


# ---------------------------------------------------------------------------------------------------
# The data: every node, and the steps of both passes.


def page_data(
    result: Result, *, precision: int = 2, style: str = "circuit", palette: str = DEFAULT_PALETTE
) -> dict[str, Any]:
    """Per node: its drawn elements, label, op, inputs, value, local partials and gradient as a chain-rule sum.

    Then the steps: before the passes; the leaves; each gate in topological order; the seed
    d(out)/d(out) = 1; each node's gradient in reverse order, written as the sum of its consumers'
    contributions. Each step names the node it computes and says what it computed, in one line.
    """
    if style not in STYLES:
        raise GradcalcError(f"unknown style {style!r}")
    evaluation, nodes, labels = result.evaluation, result.graph.nodes, result.labels
    values, grads, local, order, output = (
        evaluation.values,
        evaluation.grads,
        evaluation.local,
        evaluation.order,
        evaluation.output,
    )
    position = {node: k for k, node in enumerate(order)}

    def num(value: float) -> str:  # two more decimals than the picture, so the products visibly add up
        return format_number(value, precision + TEXT_EXTRA_DECIMALS)

    def factor(value: float) -> str:  # a number inside a formula: negative numbers in parentheses
        text = num(value)
        return f"({text})" if text.startswith("-") else text

    out = labels[output]
    uses: dict[int, list[tuple[int, int]]] = {i: [] for i in order}
    for i in order:
        for slot, arg in enumerate(nodes[i].args):
            uses[arg].append((i, slot))

    rows: list[dict[str, Any]] = []
    for i in order:
        node, k, label = nodes[i], position[i], labels[i]
        readers = uses[i]
        elements: dict[str, Any] = {"wire": f"n{k}", "gate": None, "split": None, "branches": []}
        if node.args:
            elements["gate"] = f"g{k}" if style == "circuit" else f"o{k}"
        if style == "circuit" and len(readers) > 1:
            elements["split"] = f"s{k}"
            elements["branches"] = [f"b{k}_{j}" for j in range(len(readers))]
        args = [labels[a] for a in node.args]
        formulas = _formulas(node.op.formulas, args, node.param, label)
        partials = [
            {
                "arg": position[a],
                "text": f"∂{label}/∂{labels[a]} = " + (f"{f} = " if f and f != num(d) else "") + num(d),
            }
            for a, f, d in zip(node.args, formulas, local[i])
        ]
        terms: list[dict[str, Any]] = [
            {
                "consumer": position[c],
                "branch": elements["branches"][j] if elements["branches"] else None,
                "symbolic": f"∂{out}/∂{labels[c]} · ∂{labels[c]}/∂{label}",
                "numeric": f"{factor(grads[c])} · {factor(local[c][slot])}",
                "contribution": num(grads[c] * local[c][slot]),
            }
            for j, (c, slot) in enumerate(readers)
        ]
        if i == output:
            chain = f"∂{out}/∂{out} = 1 (the output: where the backward pass starts)"
        else:
            chain = (
                f"∂{out}/∂{label} = "
                + " + ".join(t["symbolic"] for t in terms)
                + " = "
                + " + ".join(t["numeric"] for t in terms)
                + f" = {num(grads[i])}"
            )
        if node.is_leaf:
            kind = "input" if node.op is INPUT else "constant"
            computed = f"{label} = {num(values[i])} ({'an input' if node.op is INPUT else 'a constant'})"
        else:
            kind = "gate"
            symbolic = op_call_text(node.op, args, node.param)
            wrap = factor if node.op.syntax in (Syntax.INFIX, Syntax.PREFIX, Syntax.GATE) else num
            numeric = op_call_text(node.op, [wrap(values[a]) for a in node.args], node.param)
            computed = f"{label} = {symbolic} = {numeric} = {num(values[i])}"
        rows.append(
            {
                "id": f"n{k}",
                "elements": elements,
                "label": label,
                "kind": kind,
                "op": node.op.name,
                "symbol": node.op.gate_symbol(node.param, format_number),
                "inputs": [{"node": position[a], "label": labels[a], "value": num(values[a])} for a in node.args],
                "value": num(values[i]),
                "grad": num(grads[i]),
                "computed": computed,
                "partials": partials,
                "terms": terms,
                "chain": chain,
                "output": i == output,
            }
        )
    return {
        "output": position[output],
        "outputLabel": out,
        "expanded": result.expanded,
        "style": style,
        "colors": {"value": PALETTES[palette].value, "grad": PALETTES[palette].grad},
        "nodes": rows,
        "steps": _steps(rows, [position[i] for i in order if nodes[i].is_leaf], position[output]),
    }


def _steps(rows: list[dict[str, Any]], leaves: list[int], output: int) -> list[dict[str, Any]]:
    """Both passes as a list of steps; each says which nodes it computes (``nodes``) and what it computed."""
    gates = [k for k, row in enumerate(rows) if row["kind"] == "gate"]
    steps: list[dict[str, Any]] = [
        {"phase": "ready", "nodes": [], "text": "Before the passes: press Step (→) or Play (space) to compute values."}
    ]
    if leaves:
        steps.append(
            {
                "phase": "forward",
                "nodes": leaves,
                "text": "The leaves: " + ", ".join(f"{rows[k]['label']} = {rows[k]['value']}" for k in leaves),
            }
        )
    steps += [{"phase": "forward", "nodes": [k], "text": rows[k]["computed"]} for k in gates]
    out = rows[output]["label"]
    steps.append(
        {"phase": "backward", "nodes": [output], "text": f"∂{out}/∂{out} = 1: the backward pass starts at the output"}
    )
    steps += [
        {"phase": "backward", "nodes": [k], "text": rows[k]["chain"]} for k in reversed(range(len(rows))) if k != output
    ]
    steps.append(
        {
            "phase": "done",
            "nodes": [],
            "text": f"Done: every value (forward) and every gradient ∂{out}/∂node (backward) is known.",
        }
    )
    return steps


def _formulas(formulas: tuple[str, ...], args: list[str], param: float | None, out: str) -> list[str]:
    """The op table's local partials in node labels (``{b}`` of ``p * z`` is ``z``); empty when there are none."""
    if not formulas:
        return [""] * len(args)

    def operand(label: str) -> str:
        return label if label.replace("_", "").replace("'", "").isalnum() else f"({label})"

    names = dict(zip("ab", (operand(a) for a in args)), out=operand(out))
    if param is not None:
        names["c"] = format_number(param)
    try:
        return [formula.format(**names) for formula in formulas]
    except (KeyError, IndexError):
        return [""] * len(args)


# ---------------------------------------------------------------------------------------------------
# The picture.


def _svg(dot_text: str, timeout: float, started: Callable[[subprocess.Popen[bytes]], None] | None = None) -> str:
    """``dot -Tsvg`` of ``dot_text``, without its XML prolog (the SVG is inlined into HTML)."""
    dot = shutil.which("dot")
    if dot is None:
        raise GradcalcError("Graphviz's dot program is not on PATH; it draws the page's picture", hint=INSTALL_ADVICE)
    try:
        process = subprocess.Popen(
            [dot, "-Tsvg"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
    except OSError as exc:
        raise GradcalcError(f"cannot run Graphviz's dot ({dot}): {exc.strerror or exc}", hint=INSTALL_ADVICE) from None
    with process:
        if started is not None:
            started(process)
        try:
            stdout, stderr = process.communicate(dot_text.encode("utf-8"), timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            raise GradcalcError(
                f"Graphviz's dot did not finish within {timeout:.0f} s: the graph is too big to draw in time",
                hint="look at the table instead: gradcalc eval (or run)",
            ) from None
        except (BrokenPipeError, OSError):  # dot was ended from outside (a server stopping)
            process.kill()
            stdout, stderr = b"", b""
            process.wait()
    if process.returncode != 0:
        message = stderr.decode("utf-8", "replace").strip() or "no message"
        raise GradcalcError(f"Graphviz's dot failed (exit {process.returncode}): {message}")
    svg = stdout.decode("utf-8")
    start = svg.find("<svg")
    return svg[start:] if start >= 0 else svg


# ---------------------------------------------------------------------------------------------------
# The page.


@cache
def _asset(name: str) -> str:
    return files("gradcalc.views").joinpath("assets", name).read_text(encoding="utf-8")


def _csp_hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii") + "'"


def script_json(value: object) -> str:
    """JSON safe inside a ``<script>`` element: no ``</script>``, no ``<!--``, no line separators."""
    text = json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    return (
        text.replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


def content_security_policy(script: str, style: str, *, live: bool) -> str:
    """Nothing from the network: only this page's own script and style (by hash), and its event stream."""
    return "; ".join(
        [
            "default-src 'none'",
            f"script-src {_csp_hash(script)}",
            f"style-src {_csp_hash(style)}",
            "img-src data:",
            "connect-src 'self'" if live else "connect-src 'none'",
            "base-uri 'none'",
            "form-action 'none'",
        ]
    )


def page_document(state: State, *, live: bool = False, events_url: str | None = None) -> str:
    """The HTML page showing ``state``: the SVG inline, the data as JSON, the script and the style inlined."""
    script, style = _asset("live.js"), _asset("live.css")
    svg = state.get("svg", "") if state.get("kind") == "result" else ""
    config = {"live": live, "events": events_url if live else None}
    data = {key: value for key, value in state.items() if key != "svg"}
    title = "gradcalc"
    if state.get("kind") == "result":
        title = f"gradcalc: {state['data']['outputLabel']} = {state['data']['nodes'][state['data']['output']]['value']}"
    csp = content_security_policy(script, style, live=live)
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{html.escape(csp)}">
<meta name="referrer" content="no-referrer">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title>
<style>{style}</style>
</head>
<body>
<header>
  <h1>gradcalc <span id="gc-title"></span></h1>
  <div id="gc-controls" role="toolbar" aria-label="step through the passes">
    <button id="gc-reset" type="button" title="Reset (Home)">« Reset</button>
    <button id="gc-back" type="button" title="Back (←)">◀ Back</button>
    <button id="gc-play" type="button" title="Play / pause (space)">▶ Play</button>
    <button id="gc-step" type="button" title="Step (→)">Step ▶</button>
    <span id="gc-phase" class="phase"></span>
    <span id="gc-live" class="live-status" hidden></span>
  </div>
  <p id="gc-says" aria-live="polite"></p>
</header>
<main>
  <div id="gc-picture">{svg}</div>
  <aside id="gc-side">
    <section id="gc-legend" aria-label="legend">
      <h2>Legend</h2>
      <p><span class="swatch value">2.00</span> a value: computed by the forward pass (▶)</p>
      <p><span class="swatch grad">-0.20</span> a gradient ∂<span class="gc-out">f</span>/∂node: computed by the
        backward pass (◀)</p>
      <p><span class="swatch current">━━</span> what this step computes</p>
      <p><span class="swatch source"></span> the gate a gradient flows back from</p>
      <p><span class="swatch selected">━━</span> the node in the inspector</p>
      <p><span class="swatch dim">0.00</span> not computed yet</p>
      <p class="hint">Click a gate or a wire to inspect it. Keys: → step, ← back, space play, Home reset.</p>
    </section>
    <section id="gc-inspector" aria-live="polite" hidden></section>
  </aside>
  <pre id="gc-error" hidden></pre>
  <p id="gc-empty" hidden></p>
</main>
<script type="application/json" id="gc-config">{script_json(config)}</script>
<script type="application/json" id="gc-state">{script_json(data)}</script>
<script>{script}</script>
</body>
</html>
"""
