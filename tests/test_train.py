"""``gradcalc train``: gradient descent on a program's inputs, vectorised over the data rows."""

from __future__ import annotations

import itertools
import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from conftest import ROOT, run_gradcalc
from gradcalc import training
from gradcalc.dataset import Dataset, parse_csv
from gradcalc.errors import EvaluationError, UsageError
from gradcalc.ops import DIFFERENTIABLE, Op
from gradcalc.program import run_source
from gradcalc.source import Source
from gradcalc.training import Settings, Stop, Trainer, TrainingDiverged

LINE = ["train", "examples/line.gc", "--wrt", "w,b", "--data", "examples/line.csv"]
LOGISTIC = ["train", "examples/logistic.gc", "--wrt", "w0,w1,b", "--data", "examples/points.csv"]


def gradcalc(*args: str) -> subprocess.CompletedProcess[str]:
    return run_gradcalc(*args, cwd=ROOT, timeout=120)


def trained_json(*args: str) -> dict:
    done = gradcalc(*args, "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def line_data(w: float, b: float, n: int = 50) -> Dataset:
    x = np.linspace(-2.0, 3.0, n)
    return Dataset("<line>", {"x": x.tolist(), "y": (w * x + b).tolist()})


# -- the examples ----------------------------------------------------------------------------------


def test_train_recovers_the_line_of_the_example_data() -> None:
    doc = trained_json(*LINE, "--lr", "0.1")
    assert doc["learned"]["w"] == pytest.approx(2.5, abs=1e-6)
    assert doc["learned"]["b"] == pytest.approx(-1.0, abs=1e-6)
    assert doc["loss"] < 1e-12
    assert doc["stopped"] in ("gradient", "loss_change")
    assert doc["rows"] == 21
    assert len(doc["history"]) == doc["steps"] + 1
    first = doc["history"][0]
    assert first["values"] == {"w": 0.0, "b": 0.0}
    assert first["loss"] == pytest.approx(3.2916666666666665, rel=1e-12)


@pytest.mark.parametrize(("w", "b"), [(2.5, -1.0), (-0.75, 4.0), (0.0, 0.125)])
def test_train_recovers_w_and_b_from_noiseless_data(w: float, b: float) -> None:
    trainer = Trainer(Source("(w*x + b - y)^2"), ["w", "b"], {}, line_data(w, b))
    trained = trainer.train(Settings(lr=0.1, steps=5000))
    assert trained.values == pytest.approx((w, b), abs=1e-6)
    assert trained.stop is not Stop.STEPS


def test_the_logistic_loss_falls_monotonically_with_a_small_learning_rate() -> None:
    doc = trained_json(*LOGISTIC, "--lr", "0.05", "--steps", "400")
    losses = [step["loss"] for step in doc["history"]]
    assert losses[0] == pytest.approx(math.log(2), rel=1e-12)  # sigmoid(0) = 0.5 on every point
    assert all(later < earlier for earlier, later in itertools.pairwise(losses))
    assert doc["loss"] == losses[-1]  # the history ends at the final values


def test_the_terminal_report_shows_learned_inputs_loss_steps_reason_and_curve() -> None:
    done = gradcalc(*LINE, "--lr", "0.1")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "learned inputs" in out and "│ w     │     0 │     2.5 │" in out
    assert "final loss" in out and "(from 3.291667 at the start)" in out
    assert "batch, the mean over 21 rows, --lr 0.1" in out
    assert "stopped    the gradient norm fell below --tol" in out
    assert "loss per step (log scale)" in out and "█" in out


# -- divergence and bad input -----------------------------------------------------------------------


def test_divergence_is_reported_with_its_step_not_a_traceback() -> None:
    done = gradcalc(*LINE, "--lr", "5")
    assert done.returncode == 1
    assert done.stdout == ""
    assert "error: training diverged at step" in done.stderr
    assert "the loss is inf" in done.stderr
    assert "try a smaller --lr" in done.stderr


def test_divergence_names_the_step_in_process() -> None:
    trainer = Trainer(Source("(w*x + b - y)^2"), ["w", "b"], {}, line_data(1.0, 0.0))
    with pytest.raises(TrainingDiverged, match=r"training diverged at step \d+: the loss is inf"):
        trainer.train(Settings(lr=3.0, steps=10_000))


def test_a_loss_that_is_not_finite_from_the_start_names_the_row() -> None:
    data = parse_csv("x\n1\n-2\n3\n")
    trainer = Trainer(Source("(log(x) - w)^2"), ["w"], {}, data)
    with pytest.raises(TrainingDiverged) as error:
        trainer.train(Settings())
    assert error.value.message == (
        "training cannot start: the loss is nan: p = log(x) on data row 2 is nan at the starting values"
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["train", "(w-1)^2"], "--wrt"),
        (["train", "w = 0.5; (w-1)^2", "--wrt", "v"], "the program has no input named v"),
        (["train", "w = 1; u = w*2; (u-1)^2", "--wrt", "u"], "the program computes u, it is not an input"),
        (["train", "a = 1; (w-1)^2", "--wrt", "w,a"], "the loss does not depend on a"),
        ([*LINE, "--wrt", "x"], "x is a column of examples/line.csv"),
        ([*LINE, "y=2"], "y is both given as y=... and a column"),
        (["train", "(w-1)^2", "--wrt", "w", "--sgd"], "--sgd visits the data one row at a time"),
        (["train", "(w-1)^2", "--wrt", "w", "--momentum", "1"], "--momentum must be at least 0 and below 1"),
        (["train", "(w-1)^2", "--wrt", "w", "--lr", "0"], "--lr must be a positive number"),
        (["train", "(w-1)^2", "--wrt", "w", "--plot", "curve.jpg"], "--plot writes .png or .svg files"),
        (["train", "(w*x-y)^2", "--wrt", "w", "--data", "no/such.csv"], "no such data file"),
    ],
)
def test_usage_errors_exit_2_with_a_clear_message(args: list[str], message: str) -> None:
    done = gradcalc(*args)
    assert done.returncode == 2, done.stderr
    assert message in done.stderr


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "is empty"),
        ("x,y\n", "has a header but no rows"),
        ("x,y\n1,2\n3\n", "<data>:3: 1 values, but the header names 2 columns"),
        ("x,y\n1,two\n", "<data>:2: 'two' in column 'y' is not a number"),
        ("x,x\n1,2\n", "the column 'x' appears twice"),
        ("x,my y\n1,2\n", "the column name 'my y' is not a name"),
        ("x\nnan\n", "is not a finite number"),
    ],
)
def test_bad_csv_files_are_usage_errors(text: str, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        parse_csv(text)


def test_unused_columns_and_values_are_warned_about() -> None:
    done = gradcalc("train", "(w - x)^2", "--wrt", "w", "--data", "examples/line.csv", "z=1", "--steps", "3")
    assert done.returncode == 0, done.stderr
    assert "warning: the column y of examples/line.csv is not used by the program" in done.stderr
    assert "warning: z is given a value but the program does not use it" in done.stderr


# -- the mathematics --------------------------------------------------------------------------------


def test_the_batch_gradient_is_the_mean_of_the_engines_per_row_gradients() -> None:
    data = parse_csv((ROOT / "examples/points.csv").read_text())
    program = (ROOT / "examples/logistic.gc").read_text()
    learned = {"w0": 0.5, "w1": -1.5, "b": 0.25}
    trainer = Trainer(Source(program), list(learned), learned, data)
    loss, gradient = trainer.loss_and_gradient(list(learned.values()))
    rows = [dict(zip(data.columns, values)) for values in zip(*data.columns.values())]
    results = [run_source(Source(program), {**learned, **row}) for row in rows]
    assert loss == pytest.approx(math.fsum(r.evaluation.value for r in results) / len(rows), rel=1e-13)
    for name, slope in zip(learned, gradient):
        per_row = [r.evaluation.grads[r.graph.bindings[name]] for r in results]
        assert slope == pytest.approx(math.fsum(per_row) / len(rows), rel=1e-12, abs=1e-15)


def test_a_data_independent_term_is_not_averaged_away() -> None:
    # mean((w*x - y)^2) + w^2: the penalty's gradient is 2w whatever the number of rows
    trainer = Trainer(Source("(w*x - y)^2 + w^2"), ["w"], {"w": 3.0}, parse_csv("x,y\n1,0\n2,0\n"))
    loss, (slope,) = trainer.loss_and_gradient([3.0])
    assert loss == pytest.approx((9 + 36) / 2 + 9)
    assert slope == pytest.approx((2 * 3 * 1 + 2 * 6 * 2) / 2 + 6)


def test_without_data_train_minimises_the_output_itself() -> None:
    doc = trained_json("train", "(w - 3)^2 + (v + 1)^2", "--wrt", "w,v", "--lr", "0.25", "--steps", "200")
    assert doc["learned"] == pytest.approx({"w": 3.0, "v": -1.0}, abs=1e-9)
    assert doc["rows"] == 1


def test_momentum_converges_in_fewer_steps_on_an_ill_conditioned_bowl() -> None:
    program = Source("(w - 1)^2 + 0.01*(v - 2)^2")
    plain = Trainer(program, ["w", "v"]).train(Settings(lr=0.4, steps=20_000, tol=1e-10))
    heavy = Trainer(program, ["w", "v"]).train(Settings(lr=0.4, steps=20_000, tol=1e-10, momentum=0.9))
    assert heavy.values == pytest.approx((1.0, 2.0), abs=1e-4)
    assert heavy.steps < plain.steps / 3


def test_sgd_visits_one_row_per_step_and_is_reproducible_with_a_seed() -> None:
    first = trained_json(*LINE, "--sgd", "--lr", "0.1", "--steps", "400", "--seed", "3")
    again = trained_json(*LINE, "--sgd", "--lr", "0.1", "--steps", "400", "--seed", "3")
    other = trained_json(*LINE, "--sgd", "--lr", "0.1", "--steps", "400", "--seed", "4")
    assert first == again
    assert first["history"] != other["history"]
    assert first["learned"] == pytest.approx({"w": 2.5, "b": -1.0}, abs=1e-6)
    assert first["steps"] == 400 and len(first["history"]) == 401  # step 0, the start, and 400 updates


def test_the_program_is_parsed_and_lowered_once(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = {"parse": 0, "lower": 0}
    real_parse, real_lower = training.parse, training.lower

    def parse(*args: object) -> object:
        calls["parse"] += 1
        return real_parse(*args)  # type: ignore[arg-type]

    def lower(*args: object) -> object:
        calls["lower"] += 1
        return real_lower(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(training, "parse", parse)
    monkeypatch.setattr(training, "lower", lower)
    trainer = Trainer(Source("(w*x + b - y)^2"), ["w", "b"], {}, line_data(1.0, 2.0))
    trainer.train(Settings(lr=0.05, steps=50, tol=0))
    trainer.train(Settings(lr=0.05, steps=20, tol=0, sgd=True))
    assert calls == {"parse": 1, "lower": 1}


def test_plots_are_written_as_png_and_svg(tmp_path: Path) -> None:
    for name, magic in (("curve.png", b"\x89PNG"), ("curve.svg", b"<?xml")):
        done = gradcalc(
            "train", "(w - 3)^2", "--wrt", "w", "--lr", "0.1", "--steps", "40", "--plot", str(tmp_path / name)
        )
        assert done.returncode == 0, done.stderr
        assert (tmp_path / name).read_bytes().startswith(magic)
        assert f"loss curve written to {tmp_path / name}" in done.stdout


def test_eval_does_not_import_numpy() -> None:
    code = (
        "import sys\nfrom gradcalc.cli.app import main\n"
        "try:\n    main(['eval', 'x*y', 'x=1', 'y=2', '--json'])\nexcept SystemExit:\n    pass\n"
        "print('numpy' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip().endswith("False")


# -- the op table's array rules ----------------------------------------------------------------------

POINTS = [-2.0, -1.0, -0.5, 0.0, 0.3, 1.0, 2.5]


@pytest.mark.parametrize("op", DIFFERENTIABLE, ids=lambda op: op.name)
def test_array_rules_agree_with_the_scalar_rules_everywhere(op: Op) -> None:
    forward, local = op.array_rules(np)
    pairs = [(a, b) for a in POINTS for b in POINTS][: len(POINTS) ** op.arity]
    columns = [np.array([pair[k] for pair in pairs]) for k in range(op.arity)]
    params = [2.0, -1.0, 0.5] if op.parametric else [None]
    for param in params:
        lead = (param,) if op.parametric else ()
        with np.errstate(all="ignore"):
            out = forward(*lead, *columns)
            slopes = [np.broadcast_to(s, out.shape) for s in local(*lead, *columns, out)]
        for row, pair in enumerate(pairs):
            args = pair[: op.arity]
            try:
                expected = op.forward(*lead, *args)
            except (ArithmeticError, ValueError):
                assert not math.isfinite(out[row]), (op.name, args)  # where math raises, arrays are inf or nan
                continue
            assert out[row] == pytest.approx(expected, rel=1e-15, abs=1e-300), (op.name, args)
            for k, slope in enumerate(op.local(*lead, *args, expected)):
                got = float(slopes[k][row])
                if math.isnan(slope):
                    assert math.isnan(got), (op.name, args, k)
                else:
                    assert got == pytest.approx(slope, rel=1e-13, abs=1e-300), (op.name, args, k)


def test_evaluation_errors_from_training_are_evaluation_errors() -> None:
    assert issubclass(TrainingDiverged, EvaluationError)


def test_the_history_grows_as_steps_are_added_and_keeps_every_row() -> None:
    history = training.History(width=2, capacity=1)
    for k in range(5):
        history.add(float(k), 2.0 * k, [k, -k], [0.5 * k, 1.0])
    history.trim()
    assert len(history) == 5 and history.losses.tolist() == [0.0, 1.0, 2.0, 3.0, 4.0]
    assert history.values[:, 1].tolist() == [0.0, -1.0, -2.0, -3.0, -4.0]
    assert history.gradients.shape == (5, 2) and history.grad_norms[-1] == 8.0


def test_the_teaching_modules_of_the_core_import_no_interface_library() -> None:
    code = (
        "import sys\nimport gradcalc.explain, gradcalc.gradcheck, gradcalc.dataset, gradcalc.training\n"
        "print(' '.join(sorted({m.split('.')[0] for m in sys.modules})))"
    )
    loaded = set(
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    )
    assert loaded.isdisjoint({"rich", "typer", "click", "graphviz", "prompt_toolkit", "matplotlib"}), loaded
