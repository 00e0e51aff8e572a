"""``gradcalc train PROGRAM --wrt NAMES``: gradient descent on a program's inputs, the output its loss."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from gradcalc.cli.options import Bindings, Json, Precision
from gradcalc.cli.program_source import Program, program_source
from gradcalc.errors import UsageError
from gradcalc.program import parse_bindings
from gradcalc.reporting import report_warnings

if TYPE_CHECKING:
    from gradcalc.training import Settings, Trained, Trainer

PROGRESS_UPDATES = 200  # the bar is redrawn this many times per run at most: it must not slow the loop


def train_command(
    program: Program,
    bindings: Bindings = None,
    wrt: Annotated[
        str,
        typer.Option(
            "--wrt", metavar="NAMES", help="The inputs to learn, comma-separated: --wrt w,b.", show_default=False
        ),
    ] = "",
    data: Annotated[
        Path | None,
        typer.Option(
            "--data",
            metavar="FILE.csv",
            help="Data points: each row binds the columns (named in the header) to the inputs of that name.",
            show_default=False,
        ),
    ] = None,
    lr: Annotated[float, typer.Option("--lr", metavar="RATE", help="The learning rate.")] = 0.01,
    steps: Annotated[int, typer.Option("--steps", metavar="N", min=1, help="The most steps (updates) to take.")] = 1000,
    tol: Annotated[
        float,
        typer.Option(
            "--tol",
            metavar="TOL",
            min=0.0,
            help="Stop when the loss changes by less than TOL (relative) or the gradient norm falls below it; 0 never.",
        ),
    ] = 1e-12,
    momentum: Annotated[
        float, typer.Option("--momentum", metavar="M", help="Momentum in [0, 1): v = M*v - lr*gradient; w = w + v.")
    ] = 0.0,
    sgd: Annotated[
        bool, typer.Option("--sgd", help="Stochastic gradient descent: one row per step, rows shuffled by --seed.")
    ] = False,
    seed: Annotated[int, typer.Option("--seed", metavar="N", help="Seed of the row shuffle of --sgd.")] = 0,
    newton: Annotated[
        bool, typer.Option("--newton", help="Newton steps w <- w - H^-1 gradient instead of gradient steps (no --lr).")
    ] = False,
    json: Json = False,
    plot: Annotated[
        Path | None,
        typer.Option(
            "--plot", metavar="FILE.png|svg", help="Also draw the loss curve into an image.", show_default=False
        ),
    ] = None,
    precision: Precision = 6,
) -> None:
    """Train: forward pass, backward pass, w = w - lr * gradient, repeated until a stop criterion holds.

    The program's output is the loss; with --data it is the mean over the rows.

    Example: gradcalc train examples/line.gc --wrt w,b --data examples/line.csv --lr 0.1
    """
    from gradcalc.dataset import read_csv
    from gradcalc.training import Settings, Trainer

    names = [name.strip() for name in wrt.split(",") if name.strip()]
    if not names:
        raise UsageError("name the inputs to learn with --wrt, e.g. --wrt w,b")
    if plot is not None:
        from gradcalc.views.loss_plot import check_plot_path

        check_plot_path(plot)
    source = program_source(program)
    fixed = parse_bindings(bindings or [])
    dataset = read_csv(data) if data is not None else None
    trainer = Trainer(source, names, fixed, dataset)
    warnings = [f"warning: the column {name} of {data} is not used by the program" for name in trainer.unused_columns]
    warnings += [
        f"warning: {name} is given a value but the program does not use it" for name in trainer.unused_bindings
    ]
    report_warnings(warnings)

    settings = Settings(lr=lr, steps=steps, tol=tol, momentum=momentum, sgd=sgd, seed=seed, newton=newton)
    trained = _train_with_progress(trainer, settings)

    if plot is not None:
        from gradcalc.views.loss_plot import save_loss_plot

        save_loss_plot(trained, plot, title=_last_statement(source.text))
    if json:
        from gradcalc.views.training_view import render_training_json

        sys.stdout.write(render_training_json(trained))
    else:
        from gradcalc.views.console import make_console
        from gradcalc.views.training_view import training_view

        make_console().print(training_view(trained, precision))
        if plot is not None:
            sys.stdout.write(f"loss curve written to {plot}\n")


def _train_with_progress(trainer: Trainer, settings: Settings) -> Trained:
    """Train, with a progress bar on stderr when it is a terminal."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from gradcalc.views.console import make_console

    console = make_console(stderr=True)
    if not console.is_terminal:
        return trainer.train(settings)
    every = max(1, settings.steps // PROGRESS_UPDATES)
    with Progress(
        TextColumn("training"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("steps"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as progress:
        task = progress.add_task("training", total=settings.steps)

        def on_step(k: int) -> None:
            if k % every == 0:
                progress.update(task, completed=k)

        return trainer.train(settings, on_step)


def _last_statement(text: str) -> str:
    """The program's last line of code, comments dropped: the loss, as the plot's title."""
    lines = [line.split("#", 1)[0].strip() for line in text.splitlines()]
    code = [line for line in lines if line]
    return code[-1].rsplit(";", 1)[-1].strip()[:80] if code else ""
