"""``--check`` and ``--tol`` of ``eval`` and ``run``: verify backprop against finite differences."""

from __future__ import annotations

from typing import Annotated

import typer

Check = Annotated[
    bool,
    typer.Option(
        "--check",
        help="Compare every input's gradient with a central finite difference; exit 1 if any disagrees.",
    ),
]
CheckTol = Annotated[
    float,
    typer.Option(
        "--tol",
        min=0.0,
        metavar="TOL",
        help="Largest error --check accepts (relative, or absolute for gradients smaller than 1).",
    ),
]
