"""``gradcalc train --newton``: Newton steps w <- w - H^-1 gradient, with the Hessian of gradcalc.hessian."""

from __future__ import annotations

import json

import pytest

from conftest import EXAMPLES, run_gradcalc


def test_newton_on_x4_minus_2x2_from_2_visits_the_known_points() -> None:
    out = run_gradcalc("train", "x^4 - 2*x^2", "--wrt", "x", "x=2", "--newton", "--steps", "5", "--json")
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    visited = [round(entry["values"]["x"], 6) for entry in doc["history"]]
    assert visited == [2.0, 1.454545, 1.151047, 1.025326, 1.000908, 1.000001]
    assert doc["settings"]["newton"] is True


def test_newton_solves_least_squares_in_one_step() -> None:
    out = run_gradcalc("train", str(EXAMPLES / "line.gc"), "--wrt", "w,b", "--data", str(EXAMPLES / "line.csv"),
                       "--newton", "--json")
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert doc["steps"] == 1
    assert doc["learned"] == {"w": pytest.approx(2.5), "b": pytest.approx(-1.0)}


def test_newton_table_names_the_method() -> None:
    out = run_gradcalc("train", "x^4 - 2*x^2", "--wrt", "x", "x=2", "--newton")
    assert "Newton's method, w <- w - H^-1 gradient, at one point" in out.stdout


@pytest.mark.parametrize(
    ("start", "message"),
    [
        ("x=0.1", "the Hessian is not positive definite at step 1 (x = 0.1) (smallest eigenvalue -3.88)"),
        ("x=0.5773502691896258", "the Hessian is singular at step 1 (x = 0.57735)"),
    ],
)
def test_newton_says_where_the_hessian_fails(start: str, message: str) -> None:
    out = run_gradcalc("train", "x^4 - 2*x^2", "--wrt", "x", start, "--newton")
    assert out.returncode == 1
    assert message in out.stderr


def test_newton_does_not_combine_with_momentum() -> None:
    out = run_gradcalc("train", "x^4 - 2*x^2", "--wrt", "x", "x=2", "--newton", "--momentum", "0.5")
    assert out.returncode == 2
    assert "--newton takes whole Newton steps" in out.stderr
