"""How long rendering takes, and where Graphviz stops being worth waiting for.

For networks of growing size (a layer of tanh neurons over shared inputs: every input wire splits
into one branch per neuron), it times gradcalc's own work (parse + evaluate, and DOT generation) against
Graphviz's ``dot -Tsvg`` on the same text, and notes the PNG size dot would need. Then it finds, for
each style, the longest chain of operations whose PNG stays within Graphviz's bitmap limit. Run:

    python benchmarks/bench_render.py            # the sizes below
    python benchmarks/bench_render.py 1000 3000  # chosen sizes (approximate node counts)

The figures in the README's "Measured" table of the pictures come from this script;
``views.image.MAX_IMAGE_NODES`` is set from them.
"""

from __future__ import annotations

import math
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from gradcalc.program import run_source
from gradcalc.source import Source
from gradcalc.views.dot import render_dot

SIZES = (100, 300, 1000, 2000, 3000)


def network(target: int) -> tuple[str, dict[str, float]]:
    """A program of about ``target`` nodes: n inputs feeding m tanh neurons, summed."""
    # n inputs, then per neuron n constants, n products, n - 1 sums and a tanh: about 3n nodes each
    n = max(2, round(math.sqrt(target / 3)))
    m = max(1, round((target - n) / (3 * n)))
    values = {f"x{i}": (i % 7 - 3) / 3 for i in range(n)}
    lines = []
    for j in range(m):
        terms = " + ".join(f"{(i * 31 + j * 17) % 11 - 5} * x{i}" for i in range(n))
        lines.append(f"h{j} = tanh({terms})")
    lines.append("y = " + " + ".join(f"h{j}" for j in range(m)))
    return "\n".join(lines), values


def best_of(runs: int, work: Callable[[], object]) -> float:
    best = math.inf
    for _ in range(runs):
        start = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - start)
    return best


def measure(target: int, dot: str) -> None:
    text, values = network(target)
    runs = 3 if target <= 1000 else 1
    evaluate_s = best_of(runs, lambda: run_source(Source(text), values))
    result = run_source(Source(text), values)
    size = len(result.evaluation.order)
    dot_text = render_dot(result)
    generate_s = best_of(runs, lambda: render_dot(result))
    with tempfile.TemporaryDirectory() as folder:
        svg = Path(folder) / "graph.svg"
        start = time.perf_counter()
        subprocess.run([dot, "-Tsvg", "-o", str(svg)], input=dot_text.encode(), check=True)
        dot_s = time.perf_counter() - start
        width, height = _svg_size(svg.read_text())
    px_w, px_h = width * 96 / 72, height * 96 / 72  # dot's PNG is 96 dpi; its bitmaps stop at 32,767 px
    print(
        f"{size:>7,} nodes  {len(dot_text) / 1e3:>7,.0f} kB DOT  evaluate {evaluate_s * 1e3:>7.1f} ms  "
        f"DOT text {generate_s * 1e3:>7.1f} ms  dot -Tsvg {dot_s:>7.2f} s  "
        f"({dot_s / generate_s:>6,.0f}x)  picture {px_w:>8,.0f} x {px_h:>7,.0f} px"
        + ("  PNG would shrink" if max(px_w, px_h) > 32767 else ""),
        flush=True,
    )


def png_limit(style: str, dot: str) -> None:
    """The longest chain of operations whose PNG fits Graphviz's 32,767-pixel bitmap limit."""
    fits = 0
    for links in range(10, 400, 10):
        result = run_source(Source("a = x\n" + "a = sin(a)\n" * links), {"x": 0.5})
        done = subprocess.run([dot, "-Tsvg"], input=render_dot(result, style=style).encode(), capture_output=True)
        width, _ = _svg_size(done.stdout.decode())
        if width * 96 / 72 > 32767:
            break
        fits = links
    print(f"{style:>7} style: a chain of {fits} operations fits a PNG, {fits + 10} does not", flush=True)


def _svg_size(svg: str) -> tuple[float, float]:
    head = svg[svg.index("<svg") : svg.index(">", svg.index("<svg"))]
    width = float(head.split('width="')[1].split("pt")[0])
    height = float(head.split('height="')[1].split("pt")[0])
    return width, height


def main() -> None:
    dot = shutil.which("dot")
    if dot is None:
        sys.exit("bench_render needs Graphviz's dot on PATH")
    sizes = [int(a) for a in sys.argv[1:]] or SIZES
    version = subprocess.run([dot, "-V"], capture_output=True, text=True).stderr.strip()
    print(f"circuit style, {version}")
    for target in sizes:
        measure(target, dot)
    for style in ("circuit", "boxes"):
        png_limit(style, dot)


if __name__ == "__main__":
    main()
