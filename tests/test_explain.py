"""``gradcalc explain``: the chain rule told gate by gate, checked against the seed's worked example."""

from __future__ import annotations

import math
import subprocess

import pytest

from conftest import ROOT, run_gradcalc
from gradcalc.explain import explain
from gradcalc.ops import DIFFERENTIABLE
from gradcalc.program import run_source
from gradcalc.source import Source
from gradcalc.views.explain_view import latex_math, render_explanation

SEED = "g = (x+y)*z"
SEED_INPUTS = {"x": 1.0, "y": 3.0, "z": -3.0}
NEURON = "w0 = 2; x0 = -1; w1 = -3; x1 = -2; w2 = -3\nf = sigmoid(w0*x0 + w1*x1 + w2)"


def gradcalc(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return run_gradcalc(*args, stdin=stdin, cwd=ROOT)


def markdown(
    program: str, inputs: dict[str, float] | None = None, *, expanded: bool = False, precision: int = 6
) -> str:
    result = run_source(Source(program), inputs or {}, expanded=expanded)
    text = render_explanation(result, "markdown", precision)
    assert isinstance(text, str)
    return text.replace("`", "")


def test_seed_example_forward_steps_and_values() -> None:
    text = markdown(SEED, SEED_INPUTS)
    assert "The inputs: x = 1, y = 3, z = -3" in text
    assert "p = x + y = 1 + 3 = 4" in text
    assert "g = p * z = 4 * -3 = -12" in text
    assert text.index("p = x + y") < text.index("g = p * z")


def test_seed_example_backward_steps_and_values() -> None:
    text = markdown(SEED, SEED_INPUTS)
    assert "∂g/∂g = 1" in text
    assert "g = p * z, so ∂g/∂p = z = -3 and ∂g/∂z = p = 4" in text
    assert "p = x + y, so ∂p/∂x = 1 and ∂p/∂y = 1" in text
    assert "∂g/∂x = ∂g/∂p * ∂p/∂x = -3 * 1 = -3" in text
    assert "∂g/∂y = ∂g/∂p * ∂p/∂y = -3 * 1 = -3" in text
    assert "∂g/∂x = -3, ∂g/∂y = -3, ∂g/∂z = 4" in text
    # the backward pass walks from the output to the inputs
    assert text.index("∂g/∂g = 1") < text.index("g = p * z, so") < text.index("p = x + y, so")


def test_unnamed_output_and_intermediates_get_short_names_that_never_clash() -> None:
    text = markdown("(x+y)*z", SEED_INPUTS)
    assert "f = p * z = 4 * -3 = -12" in text
    clash = markdown("p = 2; q = 1; (p+q)*x", {"x": 2.0})
    assert "r = p + q = 2 + 1 = 3" in clash
    assert "f = r * x = 3 * 2 = 6" in clash


def test_expanded_neuron_walks_the_primitive_gates_with_their_local_gradients() -> None:
    text = markdown(NEURON, expanded=True, precision=2)
    assert "t = s*-1 = 1*-1 = -1" in text
    assert "u = exp(t) = exp(-1) = 0.37" in text
    assert "v = u+1 = 0.37+1 = 1.37" in text
    assert "f = 1/v = 1/1.37 = 0.73" in text
    assert "f = 1/v, so ∂f/∂v = -1/v^2 = -0.53" in text
    assert "v = u+1, so ∂v/∂u = 1" in text
    assert "u = exp(t), so ∂u/∂t = exp(t) = 0.37" in text
    assert "t = s*-1, so ∂t/∂s = -1" in text
    assert "∂f/∂w0 = -0.2, ∂f/∂x0 = 0.39, ∂f/∂w1 = -0.39, ∂f/∂x1 = -0.59, ∂f/∂w2 = 0.2" in text


def test_an_input_feeding_several_gates_sums_its_paths() -> None:
    result = run_source(Source("x = 3\nx*x + sigmoid(x)"))
    explanation = explain(result)
    (total,) = explanation.input_sums
    assert total.label == "x"
    assert [gate for gate, _ in total.terms] == ["p", "p", "q"]
    assert math.fsum(p for _, p in total.terms) == pytest.approx(total.total, rel=1e-15)
    assert total.total == result.evaluation.grads[total.node]
    text = markdown("x = 3\nx*x + sigmoid(x)")
    assert "∂p/∂x = x = 3 (argument 1) and ∂p/∂x = x = 3 (argument 2)" in text
    assert "the path through q: ∂f/∂q * ∂q/∂x = 1 * 0.0451767 = 0.0451767" in text
    assert "x feeds 3 paths (p, q), so its gradient is their sum: ∂f/∂x = 3 + 3 + 0.0451767 = 6.045177" in text


def test_an_intermediate_node_feeding_several_gates_is_summed_before_its_own_gate() -> None:
    text = markdown("x = 2\np = x*x\np*3 + p", {})
    summed = "p feeds 2 paths (q, f), so its gradient is their sum: ∂f/∂p = 3 + 1 = 4"
    assert summed in text
    assert text.index(summed) < text.index("p = x * x, so")
    assert "∂f/∂x = 4, " not in text and "∂f/∂x = 16" in text


def test_negative_numbers_keep_their_meaning() -> None:
    assert "f = -x = -(-2) = 2" in markdown("-x", {"x": -2.0})
    assert "f = x^3 = (-2)^3 = -8" in markdown("x^3", {"x": -2.0})


def test_kinks_say_which_convention_was_used() -> None:
    text = markdown("relu(x)", {"x": 0.0})
    assert "f = relu(x), so ∂f/∂x = (1 if x > 0 else 0) = 0" in text
    assert "relu'(0) is taken as 0" in text


@pytest.mark.parametrize("op", DIFFERENTIABLE, ids=lambda op: op.name)
def test_every_op_narrates_the_engines_own_partials_and_products(op: object) -> None:
    from gradcalc.graph import Graph
    from gradcalc.ops import Op
    from gradcalc.program import view_of

    assert isinstance(op, Op)
    assert len(op.formulas) == op.arity, "each argument needs a formula for the explanation"
    graph = Graph()
    args = [graph.set_input(name, value) for name, value in zip("ab", (0.7, 1.3))][: op.arity]
    output = graph.add(op, tuple(args), param=2.0 if op.parametric else None)
    result = view_of(graph, output)
    (step,) = explain(result).backward
    assert [p.value for p in step.partials] == list(result.evaluation.local[output])
    assert all(p.formula and "{" not in p.formula for p in step.partials)
    assert all(c.product == c.upstream * c.local for c in step.products)


def test_a_program_without_gates_is_explained_too() -> None:
    text = markdown("x", {"x": 5.0})
    assert "There are no gates: the output is x = 5 itself." in text
    assert "∂x/∂x = 1" in text


def test_a_constant_program_has_nothing_to_differentiate() -> None:
    text = markdown("2*3")
    assert "The program has no inputs: its output is the constant 2*3 = 6." in text
    assert "∂" not in text
    latex = render_explanation(run_source(Source("2*3")), "latex")
    assert isinstance(latex, str) and "partial" not in latex and "6" in latex


def test_latex_writes_partials_as_fractions() -> None:
    result = run_source(Source(SEED), SEED_INPUTS)
    latex = render_explanation(result, "latex")
    assert isinstance(latex, str)
    assert r"p &= x + y = 1 + 3 = 4" in latex
    assert r"g &= p \cdot z = 4 \cdot (-3) = -12" in latex
    assert r"\frac{\partial g}{\partial g} &= 1" in latex
    assert r"\frac{\partial g}{\partial p} &= z = -3" in latex
    chain = r"\frac{\partial g}{\partial x} &= \frac{\partial g}{\partial p} \cdot \frac{\partial p}{\partial x}"
    assert chain + " = (-3) \\cdot 1 = -3" in latex
    assert latex.count("\\begin{align*}") == latex.count("\\end{align*}") == 3
    assert latex.count("{") == latex.count("}")


def test_latex_of_the_expanded_neuron() -> None:
    result = run_source(Source(NEURON), expanded=True)
    latex = render_explanation(result, "latex", 2)
    assert isinstance(latex, str)
    assert r"\frac{\partial f}{\partial v} &= -1 / v^{2} = -0.53" in latex
    assert r"t &= s \cdot (-1) = 1 \cdot (-1) = -1" in latex
    assert r"u &= \exp(t) = \exp(-1) = 0.37" in latex
    assert r"p &= w_{0} \cdot x_{0}" in latex
    assert latex.count("{") == latex.count("}")


@pytest.mark.parametrize(
    ("text", "latex"),
    [
        ("sigmoid(a)*(1-sigmoid(a))", r"\sigma(a) \cdot (1 - \sigma(a))"),
        ("b*a^(b-1)", r"b \cdot a^{b - 1}"),
        ("x^-1", r"x^{-1}"),
        ("1 if a > b", r"1 \text{ if } a > b"),
        ("relu(loss)", r"\operatorname{relu}(\mathit{loss})"),
        ("2*pi", r"2 \cdot \pi"),
    ],
)
def test_latex_math(text: str, latex: str) -> None:
    assert latex_math(text) == latex


def test_explanations_of_large_graphs_do_not_recurse() -> None:
    n = 20_000
    result = run_source(Source("x = 0.5\n" + "x" + " + x" * n))
    explanation = explain(result)
    assert len(explanation.forward) == n
    (total,) = explanation.input_sums
    assert total.total == n + 1


def test_cli_explain_prints_the_seed_narration() -> None:
    done = gradcalc("explain", "(x+y)*z", "x=1", "y=3", "z=-3")
    assert done.returncode == 0, done.stderr
    assert "p = x + y = 1 + 3 = 4" in done.stdout
    assert "f = p * z = 4 * -3 = -12" in done.stdout
    assert "∂f/∂x = ∂f/∂p * ∂p/∂x = -3 * 1 = -3" in done.stdout


def test_cli_explain_walks_the_expanded_neuron_example() -> None:
    done = gradcalc("explain", "examples/neuron.gc", "--expand", "-p", "2")
    assert done.returncode == 0, done.stderr
    assert "f = 1/v, so ∂f/∂v = -1/v^2 = -0.53" in done.stdout
    assert "u = exp(t), so ∂u/∂t = exp(t) = 0.37" in done.stdout


def test_cli_explain_formats_and_expand() -> None:
    done = gradcalc("explain", "sigmoid(w*x)", "w=2", "x=-1", "--expand", "--format", "latex", "-p", "2")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(r"\paragraph{Forward pass.}")
    assert r"-1 / s^{2}" in done.stdout
    done = gradcalc("explain", "-", "--format", "markdown", stdin="x = 2\ny = x^2\n")
    assert done.returncode == 0, done.stderr
    assert "- `y = x^2 = 2^2 = 4`" in done.stdout


def test_cli_explain_reads_program_files() -> None:
    done = gradcalc("explain", "examples/logistic.gc", "x0=1", "x1=2", "y=1", "-f", "markdown")
    assert done.returncode == 0, done.stderr
    assert "- `p = sigmoid(t) = sigmoid(0) = 0.5`" in done.stdout
    assert "- `loss = -t1 = -(-0.693147) = 0.693147`" in done.stdout
    missing = gradcalc("explain", "no/such/file.gc")
    assert missing.returncode == 2
    assert "no such program file" in missing.stderr


def test_cli_explain_errors_exit_cleanly() -> None:
    syntax = gradcalc("explain", "(x+")
    assert syntax.returncode == 2
    assert "syntax error" in syntax.stderr
    runtime = gradcalc("explain", "log(x)", "x=-1")
    assert runtime.returncode == 1
    assert "log" in runtime.stderr
    fmt = gradcalc("explain", "x", "x=1", "--format", "pdf")
    assert fmt.returncode == 2
