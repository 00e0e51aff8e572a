"""What ``train`` reports agrees with itself: the step count, the chart's axis and the JSON history; and
a loss that a linear chart would flatten is drawn on a log scale, in the terminal and in ``--plot``
(issue 8, item 8)."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from conftest import ROOT, run_gradcalc
from gradcalc.views.loss_curve import log_scale, loss_chart

LINE = ["train", "examples/line.gc", "--wrt", "w,b", "--data", "examples/line.csv", "--lr", "0.1"]
LOGISTIC = ["train", "examples/logistic.gc", "--wrt", "w0,w1,b", "--data", "examples/points.csv", "--lr", "0.5"]


def gradcalc(*args: str) -> subprocess.CompletedProcess[str]:
    done = run_gradcalc(*args, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    return done


def reported(out: str) -> tuple[int, str, str]:
    """The step count of the summary, the chart's axis line and its title."""
    steps = int(re.search(r"^steps +(\d+):", out, re.M).group(1))  # type: ignore[union-attr]
    lines = out.splitlines()
    axis = next(line for line in lines if line.strip().startswith("step 0"))
    title = next(line for line in lines if line.startswith("loss per step"))
    return steps, axis, title


@pytest.mark.parametrize(
    ("args", "stopped"),
    [
        (LINE, "gradient"),  # stops before its step limit: 371 steps
        ([*LOGISTIC, "--steps", "50"], "steps"),  # runs to its step limit
        ([*LINE, "--sgd", "--steps", "120", "--tol", "0"], "steps"),
    ],
)
def test_the_step_count_the_chart_axis_and_the_json_history_agree(args: list[str], stopped: str):
    steps, axis, _ = reported(gradcalc(*args).stdout)
    assert axis.split() == ["step", "0", str(steps)]
    doc = json.loads(gradcalc(*args, "--json").stdout)
    assert doc["stopped"] == stopped and doc["steps"] == steps
    history = doc["history"]
    assert [entry["step"] for entry in history] == list(range(steps + 1))  # step 0 is the start
    assert history[0]["values"] == doc["initial"]
    assert history[-1]["values"] == doc["learned"]
    assert history[-1]["loss"] == doc["loss"]
    assert history[-1]["gradient"] == doc["gradient"]


def test_the_line_fit_reports_371_steps_on_an_axis_that_ends_at_371():
    steps, axis, title = reported(gradcalc(*LINE).stdout)
    assert steps == 371 and axis.split()[-1] == "371"
    assert title == "loss per step (log scale)"


def test_the_logistic_loss_is_drawn_on_a_log_scale_that_lifts_its_tail():
    out = gradcalc(*LOGISTIC).stdout
    _, _, title = reported(out)
    assert title == "loss per step (log scale)"
    chart = out[out.index("loss per step") :].splitlines()[1:9]
    assert chart[0].startswith("0.693147 ┤") and chart[-1].startswith("0.110538 ┤")  # the same digits as above
    assert "final loss 0.110538 (from 0.693147 at the start)" in out
    # on a linear scale only the first two columns rise above the bottom row; on the log scale more do
    above_bottom = [len(line.split("┤", 1)[1].rstrip()) for line in chart[:-1]]
    assert max(above_bottom) >= 3


def test_log_scale_is_for_curves_a_linear_chart_would_flatten():
    assert log_scale([3.3 * 0.9**k for k in range(400)])  # geometric decay: the line fit
    assert log_scale([0.11 + 0.58 * 0.9**k for k in range(1000)])  # a fast fall to a plateau: logistic
    assert not log_scale([10.0 - k for k in range(10)])  # an even fall
    assert not log_scale([3.3 * 0.9**k for k in range(400)] + [0.0])  # reaches 0: no log of it
    assert not log_scale([-1.0, -2.0, -3.0])  # a negative "loss"
    assert not log_scale([2.0, 2.0])
    linear = loss_chart([10.0 - k for k in range(10)], precision=2)
    assert linear.splitlines()[0] == "loss per step"
    assert linear.splitlines()[-1].split() == ["step", "0", "9"]


@pytest.mark.parametrize(
    ("args", "ylabel"),
    [
        (LOGISTIC, "loss (log scale)"),
        (["train", "abs(w - 3)", "--wrt", "w", "--lr", "0.1", "--steps", "20"], "loss"),  # an even fall
    ],
)
def test_the_plot_uses_the_same_scale_and_says_so(tmp_path: Path, args: list[str], ylabel: str):
    pytest.importorskip("matplotlib")
    target = tmp_path / "loss.svg"
    gradcalc(*args, "--plot", str(target))
    svg = target.read_text()
    labels = re.findall(r"<text[^>]*>([^<]*)</text>", svg)  # svg.fonttype none: text stays text
    assert ylabel in labels
    assert ("loss (log scale)" in labels) == (ylabel != "loss")
    assert "step" in labels
