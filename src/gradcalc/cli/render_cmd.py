"""``gradcalc render PROGRAM -o FILE``: the graph as a picture (SVG, PNG, PDF) or as DOT text.

The picture options are declared here once and shared with ``gradcalc run FILE -o IMAGE``.
"""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from gradcalc.cli.options import Bindings, Expand
from gradcalc.cli.program_source import Program, program_source
from gradcalc.errors import UsageError
from gradcalc.program import Result
from gradcalc.reporting import report_warnings
from gradcalc.views.warnings import warning_lines


class Style(StrEnum):
    circuit = "circuit"
    boxes = "boxes"


class RankDir(StrEnum):
    LR = "LR"
    TB = "TB"


class Format(StrEnum):
    svg = "svg"
    png = "png"
    pdf = "pdf"
    dot = "dot"


IMAGE_PRECISION = 2  # circuit pictures label wires 2.00, -0.20

Output = Annotated[
    str,
    typer.Option(
        "--output",
        "-o",
        metavar="FILE",
        help="The picture to write: .svg, .png, .pdf (drawn by Graphviz's dot) or .dot (text); '-' prints DOT.",
        show_default=False,
    ),
]
FormatOption = Annotated[
    Format | None,
    typer.Option(
        "--format",
        "-f",
        case_sensitive=False,
        help="The picture's format, when the output file's suffix does not say it.",
    ),
]
StyleOption = Annotated[
    Style,
    typer.Option(
        "--style",
        case_sensitive=False,
        help="circuit: gates as circles, wires labelled value above, gradient below; boxes: micrograd's boxes.",
    ),
]
RankDirOption = Annotated[
    RankDir,
    typer.Option("--rankdir", case_sensitive=False, help="Draw left to right (LR) or top to bottom (TB)."),
]
ImagePrecision = Annotated[
    int, typer.Option("--precision", "-p", min=0, max=17, metavar="N", help="Decimals of the numbers in the picture.")
]


def save_picture(
    result: Result, output: str, *, fmt: Format | None, style: Style, precision: int, rankdir: RankDir
) -> None:
    """Write the picture of ``result`` to ``output`` (DOT on standard output for ``-``)."""
    if output == "-":
        if fmt not in (None, Format.dot):
            raise UsageError(
                f"only DOT text can go to standard output, not {fmt.value.upper()}",
                hint="give a file name with -o, e.g. -o graph.svg",
            )
        from gradcalc.views.dot import render_dot

        sys.stdout.write(render_dot(result, style=style.value, precision=precision, rankdir=rankdir.value))
        return
    from gradcalc.views.image import write_image

    write_image(
        result,
        Path(output),
        fmt=fmt.value if fmt else None,
        style=style.value,
        precision=precision,
        rankdir=rankdir.value,
    )
    sys.stderr.write(f"wrote {output}\n")


def render_command(
    program: Program,
    output: Output,
    bindings: Bindings = None,
    fmt: FormatOption = None,
    style: StyleOption = Style.circuit,
    precision: ImagePrecision = IMAGE_PRECISION,
    rankdir: RankDirOption = RankDir.LR,
    expand: Expand = False,
) -> None:
    """Draw PROGRAM's graph with every value and gradient, as a circuit (or boxes) in SVG, PNG, PDF or DOT.

    Example: gradcalc render "sigmoid(w0*x0 + w1*x1 + w2)" w0=2 x0=-1 w1=-3 x1=-2 w2=-3 --expand -o neuron.svg
    """
    from gradcalc.cli.eval_cmd import evaluate_source  # eval_cmd imports this module's options

    result = evaluate_source(program_source(program), bindings, expand)
    save_picture(result, output, fmt=fmt, style=style, precision=precision, rankdir=rankdir)
    report_warnings(warning_lines(result))
