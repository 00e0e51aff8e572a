"""``gradcalc.train``: gradient descent on a program's inputs, with the options of ``gradcalc train``.

The same ``training.Trainer`` the command runs; what comes back is the whole history (every step's
loss, gradient norm, learned values and gradient), the ``--json`` document, the table and the plot.
NumPy is imported when ``train`` is called, not with ``gradcalc``.
"""

from __future__ import annotations

import io
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gradcalc.api.guard import api_call
from gradcalc.api.results import InputValue, ProgramText, input_values, program_source
from gradcalc.dataset import Dataset, parse_csv
from gradcalc.errors import UsageError

if TYPE_CHECKING:
    from gradcalc.training import Trained

DataColumns = Mapping[str, Sequence[float]]


class Training:
    """A finished training run: the learned inputs, the final loss, why it stopped, and every step.

    ``history`` is the ``history`` of the ``--json`` document: ``history[k]`` is step k (``history[0]`` the
    start, ``history[-1]`` the end), each ``{"step", "loss", "grad_norm", "values", "gradient"}``.
    """

    def __init__(self, trained: Trained, title: str, warnings: Sequence[str]) -> None:
        self._trained = trained
        self._title = title
        self._warnings = tuple(warnings)

    @property
    def warnings(self) -> tuple[str, ...]:
        """Data columns and given values the program does not use, as ``gradcalc train`` warns of them."""
        return self._warnings

    @property
    def wrt(self) -> tuple[str, ...]:
        """The inputs learned, in the order given."""
        return self._trained.wrt

    @property
    def initial(self) -> dict[str, float]:
        """Each learned input's starting value."""
        return dict(zip(self._trained.wrt, self._trained.initial))

    @property
    def learned(self) -> dict[str, float]:
        """Each learned input's final value."""
        return dict(zip(self._trained.wrt, self._trained.values))

    @property
    def loss(self) -> float:
        """The loss at the learned values (the mean over the data's rows)."""
        return self._trained.loss

    @property
    def gradient(self) -> dict[str, float]:
        """d(loss)/d(input) at the learned values."""
        return dict(zip(self._trained.wrt, self._trained.gradient))

    @property
    def steps(self) -> int:
        """The number of updates made (the history has one row more: the start)."""
        return self._trained.steps

    @property
    def stopped(self) -> str:
        """Why training stopped: ``steps``, ``loss_change`` or ``gradient``."""
        return self._trained.stop.name.lower()

    @property
    def reason(self) -> str:
        """Why training stopped, in words."""
        return self._trained.stop.value

    @property
    def losses(self) -> list[float]:
        """The loss at each step, from step 0 (the start) to the end."""
        return [float(x) for x in self._trained.history.losses.tolist()]

    @property
    def history(self) -> list[dict[str, Any]]:
        """Every step: ``{"step", "loss", "grad_norm", "values", "gradient"}``."""
        history: list[dict[str, Any]] = self.to_dict()["history"]
        return history

    def to_dict(self) -> dict[str, Any]:
        """The ``gradcalc train --json`` document as Python data."""
        from gradcalc.views.training_view import training_document

        return training_document(self._trained)

    def to_json(self) -> str:
        """The ``gradcalc train --json`` document, byte for byte."""
        from gradcalc.views.training_view import render_training_json

        return render_training_json(self._trained)

    def table(self, precision: int = 6) -> Any:
        """What ``gradcalc train`` prints: the learned inputs, the final loss, the loss curve (Rich)."""
        from gradcalc.views.training_view import training_view

        return training_view(self._trained, precision)

    @api_call
    def plot(self, path: str | Path) -> Path:
        """Draw the loss curve into a .png or .svg file (needs Matplotlib: ``gradcalc[plot]``)."""
        from gradcalc.views.loss_plot import check_plot_path, save_loss_plot

        target = Path(path).expanduser()
        check_plot_path(target)
        save_loss_plot(self._trained, target, title=self._title)
        return target

    def __str__(self) -> str:
        from gradcalc.views.console import make_console

        buffer = io.StringIO()
        make_console(file=buffer, plain=True).print(self.table())
        return buffer.getvalue()

    def __repr__(self) -> str:
        learned = ", ".join(f"{name}={value:.6g}" for name, value in self.learned.items())
        return f"<gradcalc.Training {learned} loss={self.loss:.6g} after {self.steps} steps>"

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        """In a notebook: what ``gradcalc train`` prints, as text."""
        return {"text/plain": str(self)}


def _dataset(data: str | Path | DataColumns | None) -> Dataset | None:
    if data is None:
        return None
    if isinstance(data, str | Path):
        from gradcalc.dataset import read_csv

        return read_csv(Path(data).expanduser())
    if not isinstance(data, Mapping):
        raise UsageError(f"data must be a CSV file's path or a mapping of columns, not {type(data).__name__}")
    columns: dict[str, list[float]] = {}
    for name, values in data.items():
        try:
            columns[str(name)] = [float(v) for v in values]
        except (TypeError, ValueError):
            raise UsageError(f"the column {name!r} of data must be a sequence of numbers") from None
    # The CSV reader's checks (names, equal lengths, finite numbers) on the same values written as CSV.
    header = ",".join(columns)
    rows = zip(*columns.values())
    if len({len(values) for values in columns.values()}) > 1:
        raise UsageError("the columns of data must all have the same length")
    if any(not math.isfinite(v) for values in columns.values() for v in values):
        raise UsageError("data must hold finite numbers only")
    text = "\n".join([header, *(",".join(repr(v) for v in row) for row in rows)])
    return parse_csv(text, "<data>")


@api_call
def train(
    program: ProgramText,
    /,
    wrt: str | Sequence[str],
    *,
    data: str | Path | DataColumns | None = None,
    lr: float = 0.01,
    steps: int = 1000,
    tol: float = 1e-12,
    momentum: float = 0.0,
    sgd: bool = False,
    seed: int = 0,
    inputs: Mapping[str, InputValue] | None = None,
    **values: InputValue,
) -> Training:
    """Gradient descent on the inputs ``wrt`` of ``program``, whose output is the loss: ``gradcalc train``.

    ``program`` is text or the path of a program file, as for ``evaluate``.

    ``wrt`` is ``"w,b"`` or ``["w", "b"]``; ``data`` a CSV file or a mapping of columns
    (``{"x": [...], "y": [...]}``) whose columns bind the inputs of that name, the loss then the mean over
    the rows; other inputs are fixed by keyword arguments (or ``inputs={...}``). ``lr``, ``steps``, ``tol``,
    ``momentum``, ``sgd`` and ``seed`` are the command's options. Returns the ``Training`` with its history.

    >>> t = train("(w - 3)^2", wrt="w", lr=0.1, steps=200)
    >>> round(t.learned["w"], 6)
    3.0
    """
    from gradcalc.training import Settings, Trainer

    names = [n.strip() for n in wrt.split(",")] if isinstance(wrt, str) else [str(n).strip() for n in wrt]
    names = [n for n in names if n]
    if not names:
        raise UsageError("name the inputs to learn with wrt, e.g. wrt='w,b'")
    source = program_source(program)
    fixed = input_values(inputs, values)
    dataset = _dataset(data)
    trainer = Trainer(source, names, fixed, dataset)
    where = dataset.name if dataset is not None else ""
    warnings = [f"warning: the column {name} of {where} is not used by the program" for name in trainer.unused_columns]
    warnings += [
        f"warning: {name} is given a value but the program does not use it" for name in trainer.unused_bindings
    ]
    for option, value in (("steps", steps), ("seed", seed)):
        if isinstance(value, bool) or not isinstance(value, int):
            raise UsageError(f"{option} must be a whole number, not {value!r}")
    for option, number in (("lr", lr), ("tol", tol), ("momentum", momentum)):
        if isinstance(number, bool) or not isinstance(number, int | float):
            raise UsageError(f"{option} must be a number, not {number!r}")
    settings = Settings(lr=float(lr), steps=steps, tol=float(tol), momentum=float(momentum), sgd=bool(sgd), seed=seed)
    trained = trainer.train(settings)
    code = [line.split("#", 1)[0].strip() for line in source.text.splitlines()]
    code = [line for line in code if line]
    title = code[-1].rsplit(";", 1)[-1].strip()[:80] if code else ""
    return Training(trained, title, warnings)
