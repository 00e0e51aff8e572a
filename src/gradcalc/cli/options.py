"""Options shared by several commands, declared once."""

from __future__ import annotations

from typing import Annotated

import typer

Bindings = Annotated[
    list[str] | None,
    typer.Argument(
        metavar="[NAME=VALUE]...",
        help="Input values, e.g. x=1 y=3 w=pi/4; they override the program's own constant assignments.",
        show_default=False,
    ),
]
Json = Annotated[bool, typer.Option("--json", help="Print one JSON object (documented in the README).")]
Precision = Annotated[
    int,
    typer.Option(
        "--precision", "-p", min=0, max=17, metavar="N", help="Decimals shown in the table (JSON keeps full precision)."
    ),
]
Expand = Annotated[
    bool,
    typer.Option(
        "--expand",
        help="Rewrite composite functions (sigmoid, tanh, -, /) "
        "into primitive gates, constants folded in: *-1, exp, +1, 1/x.",
    ),
]
Collapse = Annotated[
    bool,
    typer.Option(
        "--collapse",
        help="Show each call of a function you defined as one gate, its local partials the function's own "
        "derivatives (computed by a backward pass inside the call).",
    ),
]
Rows = Annotated[
    int,
    typer.Option(
        "--rows",
        min=0,
        metavar="N",
        help="Largest table shown in full; bigger graphs show their first and last rows and gradients. 0 shows all.",
    ),
]
