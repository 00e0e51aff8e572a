"""``gradcalc render PROGRAM -o FILE``: the graph as a picture (SVG, PNG, PDF), as DOT text, or drawn in text.

The picture options are declared here once and shared with ``gradcalc run FILE -o IMAGE``; the formats,
their suffixes and their help come from the one table in ``views.formats``.
"""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from gradcalc.cli.options import Bindings, Collapse, Expand
from gradcalc.cli.program_source import Program, evaluate_source, program_source
from gradcalc.errors import UsageError
from gradcalc.program import Result
from gradcalc.reporting import report_warnings
from gradcalc.views.formats import FORMATS, by_name, format_names, printable_names, suffix_list
from gradcalc.views.palette import DEFAULT_PALETTE, PALETTES
from gradcalc.views.warnings import warning_lines


class Style(StrEnum):
    circuit = "circuit"
    boxes = "boxes"


class RankDir(StrEnum):
    LR = "LR"
    TB = "TB"


Palette = StrEnum("Palette", {name: name for name in PALETTES})  # type: ignore[misc]  # one per palette row

IMAGE_PRECISION = 2  # circuit pictures label wires 2.00, -0.20

Output = Annotated[
    str | None,
    typer.Option(
        "--output",
        "-o",
        metavar="FILE",
        help=f"The file to write, its suffix naming the format: {suffix_list()}; "
        "'-' prints DOT (or, with -f text, the text drawing).",
        show_default=False,
    ),
]
FormatOption = Annotated[
    str | None,
    typer.Option(
        "--format",
        "-f",
        metavar="|".join(format_names()),
        help="The format, when the output file's suffix does not say it: "
        + "; ".join(f"{entry.name}: {entry.help}" for entry in FORMATS.values())
        + ". -f text without -o prints the drawing.",
        show_default=False,
    ),
]
AsciiOption = Annotated[
    bool, typer.Option("--ascii", help="Draw -f text with plain ASCII (+ - |) instead of box-drawing characters.")
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
PaletteOption = Annotated[
    Palette,
    typer.Option(
        "--palette",
        case_sensitive=False,
        help="Colours of values and gradients: "
        + "; ".join(f"{name}, {row.description}" for name, row in PALETTES.items())
        + ".",
    ),
]
LegendOption = Annotated[
    bool | None,
    typer.Option(
        "--legend/--no-legend",
        help="A key under the picture saying which number is the value and which the gradient "
        "[default: on for circuit, off for boxes].",
        show_default=False,
    ),
]
ImagePrecision = Annotated[
    int, typer.Option("--precision", "-p", min=0, max=17, metavar="N", help="Decimals of the numbers in the picture.")
]


def save_picture(
    result: Result,
    output: str,
    *,
    fmt: str | None,
    style: Style,
    precision: int,
    rankdir: RankDir,
    palette: str = DEFAULT_PALETTE,
    legend: bool | None = None,
    ascii_only: bool = False,
) -> None:
    """Write the picture of ``result`` to ``output`` (DOT, or another printable format, on stdout for ``-``)."""
    if output == "-":
        chosen = by_name(fmt or "dot")
        if not chosen.printable:
            printable = " or ".join(name.upper() if name == "dot" else name for name in printable_names())
            raise UsageError(
                f"only DOT text or the text drawing can go to standard output ({printable}), "
                f"not {chosen.name.upper()}",
                hint="give a file name with -o, e.g. -o graph.svg",
            )
    else:
        from gradcalc.views.formats import for_path
        from gradcalc.views.image import check_target

        check_target(Path(output))  # a folder given as the file says so, whatever its suffix
        chosen = for_path(Path(output), fmt)
    if chosen.name == "text":
        from gradcalc.cli.text_output import show_text_drawing

        if style is not Style.circuit or rankdir is not RankDir.LR:
            raise UsageError(
                "the text drawing is always a circuit drawn left to right",
                hint="--style boxes and --rankdir TB are for pictures (svg, png, pdf, dot)",
            )

        show_text_drawing(result, output, precision=precision, ascii_only=ascii_only)
        return
    if output == "-":
        from gradcalc.views.draw_options import DrawOptions

        options = DrawOptions(
            style=style.value, precision=precision, rankdir=rankdir.value, palette=palette, legend=legend
        )
        sys.stdout.writelines(chosen.produce(result, options, None))
        return
    from gradcalc.views.image import write_image

    write_image(
        result,
        Path(output),
        fmt=chosen.name,
        style=style.value,
        precision=precision,
        rankdir=rankdir.value,
        palette=palette,
        legend=legend,
        charset="ascii" if ascii_only else "unicode",
    )
    sys.stderr.write(f"wrote {output}\n")


def render_command(
    program: Program,
    bindings: Bindings = None,
    output: Output = None,
    fmt: FormatOption = None,
    style: StyleOption = Style.circuit,
    precision: ImagePrecision = IMAGE_PRECISION,
    rankdir: RankDirOption = RankDir.LR,
    palette: PaletteOption = Palette[DEFAULT_PALETTE],
    legend: LegendOption = None,
    expand: Expand = False,
    collapse: Collapse = False,
    ascii_only: AsciiOption = False,
) -> None:
    """Draw PROGRAM's graph with every value and gradient: a circuit (or boxes) in SVG, PNG, PDF or DOT, or in text.

    Example: gradcalc render "sigmoid(w0*x0 + w1*x1 + w2)" w0=2 x0=-1 w1=-3 x1=-2 w2=-3 --expand -o neuron.svg

    In the terminal: gradcalc render examples/neuron.gc --expand -f text
    """
    if output is None:
        if fmt is None or not by_name(fmt).printable:
            raise UsageError(
                "render needs a file to write: -o FILE",
                hint="e.g. -o graph.svg, or -f text to draw the graph here in the terminal",
            )
        output = "-"
    result = evaluate_source(program_source(program), bindings, expand, collapse)
    save_picture(
        result,
        output,
        fmt=fmt,
        style=style,
        precision=precision,
        rankdir=rankdir,
        palette=palette.value,
        legend=legend,
        ascii_only=ascii_only,
    )
    report_warnings(warning_lines(result))
