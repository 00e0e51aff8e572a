"""``train --plot FILE.png|svg``: the loss curve as an image, drawn with Matplotlib (imported lazily)."""

from __future__ import annotations

from pathlib import Path

from gradcalc.errors import EvaluationError, UsageError
from gradcalc.numbers import format_number
from gradcalc.training import Trained
from gradcalc.views.loss_curve import log_scale

PLOT_SUFFIXES = (".png", ".svg")


def check_plot_path(path: Path) -> None:
    """Refuse a file type we cannot write before training starts, not after."""
    if path.suffix.lower() not in PLOT_SUFFIXES:
        raise UsageError(f"--plot writes .png or .svg files, not {path.name!r}")
    if not path.parent.exists():
        raise UsageError(f"cannot write {path}: the folder {path.parent} does not exist")


def save_loss_plot(trained: Trained, path: Path, title: str = "") -> None:
    try:
        import matplotlib
    except ImportError:
        raise UsageError(
            "--plot needs Matplotlib, which is not installed", hint="pip install 'gradcalc[plot]'"
        ) from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter

    losses = trained.history.losses.tolist()
    steps = list(range(len(losses)))  # step 0 is the start, as in the terminal chart and the JSON history
    log = log_scale(losses)
    with plt.rc_context({"svg.hashsalt": "gradcalc", "svg.fonttype": "none"}):
        figure, axes = plt.subplots(figsize=(6.4, 4.0), dpi=150)
        axes.plot(steps, losses, color="#c2185b", linewidth=1.6)
        if log:
            axes.set_yscale("log")
            # Tick labels as the tables print numbers (0.2, 1e-12), not 2×10⁻¹; within one decade the
            # only ticks are minor ones, so they are labelled too.
            ticks = FuncFormatter(lambda value, _: format_number(value, 3))
            axes.yaxis.set_major_formatter(ticks)
            if max(losses) < 10 * min(losses):
                axes.yaxis.set_minor_formatter(ticks)
        axes.set_xlim(0, max(len(losses) - 1, 1))
        axes.set_xlabel("step")
        axes.set_ylabel("loss (log scale)" if log else "loss")
        axes.set_title(title or f"loss over {trained.steps} steps", fontsize=11)
        axes.grid(True, which="major", alpha=0.3)
        figure.tight_layout()
        try:
            figure.savefig(path, metadata={"Date": None} if path.suffix.lower() == ".svg" else None)
        except OSError as exc:
            raise EvaluationError(f"cannot write {path}: {exc.strerror or exc}") from None
        finally:
            plt.close(figure)
