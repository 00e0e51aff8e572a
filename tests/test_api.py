"""The Python API: ``gradcalc.evaluate``, ``Session``, ``train``, its errors, and how results display."""

from __future__ import annotations

import html
import json
import random
import subprocess
import sys

import pytest

import gradcalc
from conftest import EXAMPLES, run_gradcalc
from test_live_browser import browser  # noqa: F401 - the headless Chromium fixture

SEEDS = sorted(EXAMPLES.glob("*.gc"))


# -- one pipeline: the API gives exactly what --json gives ---------------------------------------------


def random_program(rng: random.Random, depth: int = 3) -> str:
    """An expression over x, y, z of every op the language has (some fail: log(-1), 1/0)."""

    def leaf() -> str:
        return rng.choice(["x", "y", "z", "x", "2", "0.5", "pi"])

    pieces = [leaf() for _ in range(2**depth)]
    while len(pieces) > 1:
        a, b = pieces.pop(), pieces.pop()
        kind = rng.random()
        if kind < 0.5:
            piece = f"({a} {rng.choice(['+', '-', '*', '/', '^'])} {b})"
        elif kind < 0.8:
            piece = f"{rng.choice(['exp', 'sin', 'cos', 'tanh', 'sigmoid', 'sqrt', 'log', 'abs', 'relu'])}({a})"
            pieces.insert(0, b)
        else:
            piece = f"{rng.choice(['max', 'min'])}({a}, {b})"
        pieces.insert(0, piece)
    if rng.random() < 0.3:
        return f"q = {pieces[0]}; f = q * x + q"  # a named, reused value
    return pieces[0]


def cases() -> list[tuple[str, list[str], bool]]:
    """(program, NAME=VALUE arguments, --expand): the seed examples, then random programs."""
    found = [(path.read_text(encoding="utf-8"), [], expand) for path in SEEDS for expand in (False, True)]
    found.append(("(x+y)*z", ["x=1", "y=3", "z=-3"], False))
    rng = random.Random(14)
    for k in range(14):
        values = [f"{name}={rng.choice(['-1.5', '0.3', '2', '-0.7', '1'])}" for name in "xyz"]
        found.append((random_program(rng), values, k % 3 == 0))
    return found


@pytest.mark.parametrize(("program", "arguments", "expand"), cases())
def test_the_api_gives_exactly_what_the_json_command_gives(program, arguments, expand):
    """The same text: ``gradcalc eval PROGRAM ARGS --json`` (the console script) and ``evaluate().to_json()``."""
    done = run_gradcalc("eval", program, *arguments, "--json", *(["--expand"] if expand else []))
    inputs = dict(argument.split("=") for argument in arguments)
    if done.returncode == 0:
        result = gradcalc.evaluate(program, expand=expand, **{k: float(v) for k, v in inputs.items()})
        assert result.to_json() == done.stdout
        document = json.loads(done.stdout)
        assert result.to_dict() == document
        assert (
            result.value == pytest.approx(document["output"]["value"], nan_ok=True)
            or document["output"]["value"] is None
        )
        assert result.output_name == document["output"]["label"]
        assert [node.id for node in result.nodes] == [node["id"] for node in document["nodes"]]
        assert [node.gradient for node in result.nodes] == [
            float("inf") if node["grad"] is None else node["grad"] for node in document["nodes"]
        ] or any(node["grad"] is None for node in document["nodes"])
        assert list(result.warnings) == [line for line in done.stderr.splitlines() if line.startswith("warning:")]
    else:
        with pytest.raises(gradcalc.GradcalcError) as caught:
            gradcalc.evaluate(program, expand=expand, **{k: float(v) for k, v in inputs.items()})
        # the same message and place; only the hint differs for a missing name (the CLI's says x=1)
        assert caught.value.render().split("\nhint: ")[0] == done.stderr.split("\nhint: ")[0].rstrip("\n")


def test_the_seed_example_reads_as_the_readme_says():
    result = gradcalc.evaluate("(x+y)*z", x=1, y=3, z=-3)
    assert result.value == -12.0
    assert result.gradients == {"x": -3.0, "y": -3.0, "z": 4.0}
    assert result.output_label == "f" and result.output_name is None
    p = result.nodes[3]
    assert (p.id, p.op, p.symbol, p.label, p.inputs, p.value, p.local, p.gradient) == (
        "n3",
        "add",
        "+",
        "p",
        ("n0", "n1"),
        4.0,
        (1.0, 1.0),
        -3.0,
    )
    assert str(result) == "f = -12\n∂f/∂x = -3\n∂f/∂y = -3\n∂f/∂z = 4"
    assert repr(result) == "<gradcalc.Result f=-12 ∂f/∂x=-3, ∂f/∂y=-3, ∂f/∂z=4>"


def test_inputs_override_assignments_and_may_be_text_or_a_mapping():
    text = (EXAMPLES / "neuron.gc").read_text(encoding="utf-8")
    assert (
        gradcalc.evaluate(text, x0="pi/4").to_json()
        == run_gradcalc("run", "examples/neuron.gc", "x0=pi/4", "--json", cwd=EXAMPLES.parent).stdout
    )
    assert gradcalc.evaluate("lambda * 2", inputs={"lambda": 3}).gradients == {"lambda": 2.0}
    assert gradcalc.evaluate("expand * 2", {"expand": 3}, expand=True).value == 6.0
    assert gradcalc.evaluate("x", x=2, unused=1).warnings == (
        "warning: unused is given a value but the program does not use it",
    )


def test_a_program_file_is_given_as_a_path(tmp_path):
    done = run_gradcalc("run", "examples/neuron.gc", "--json", cwd=EXAMPLES.parent)
    assert gradcalc.evaluate(EXAMPLES / "neuron.gc").to_json() == done.stdout
    with pytest.raises(gradcalc.UsageError, match="no such program file"):
        gradcalc.evaluate(tmp_path / "missing.gc")
    broken = tmp_path / "broken.gc"
    broken.write_text("x = 1\ny = log(x - 2)\n", encoding="utf-8")
    with pytest.raises(gradcalc.EvaluationError) as caught:
        gradcalc.evaluate(broken)
    assert caught.value.render().startswith(f"{broken}:2:5: error:")


def test_views_are_the_commands_views(dot, tmp_path):
    result = gradcalc.evaluate("(x+y)*z", x=1, y=3, z=-3)
    assert result.dot() == run_gradcalc("render", "(x+y)*z", "x=1", "y=3", "z=-3", "-o", "-").stdout
    assert result.explain("latex") == run_gradcalc("explain", "(x+y)*z", "x=1", "y=3", "z=-3", "-f", "latex").stdout
    assert result.check().ok and [c.label for c in result.check().checks] == ["x", "y", "z"]
    for suffix in (".svg", ".png", ".pdf", ".dot", ".txt", ".html"):
        written = result.render(tmp_path / f"graph{suffix}")
        assert written.stat().st_size > 0
    assert (tmp_path / "graph.dot").read_text() == result.dot()
    assert result.text() == (tmp_path / "graph.txt").read_text()
    with pytest.raises(gradcalc.UsageError, match="cannot tell the format"):
        result.render(tmp_path / "graph.xyz")
    from rich.console import Console

    console = Console(width=120, record=True, file=open("/dev/null", "w"))  # noqa: SIM115
    console.print(result.table())
    assert "∂f/∂z = 4" in console.export_text()


# -- errors: only GradcalcError escapes, with its span ------------------------------------------------

BAD_PROGRAMS: list[tuple[str, dict[str, object], type[gradcalc.GradcalcError], str | None]] = [
    ("(x + ", {"x": 1}, gradcalc.ProgramSyntaxError, ""),
    ("x $ y", {"x": 1, "y": 2}, gradcalc.ProgramSyntaxError, "$"),
    ("x = ", {}, gradcalc.ProgramSyntaxError, ""),
    ("log(x - 3)", {"x": 1}, gradcalc.EvaluationError, "log(x - 3)"),
    ("1 / x", {"x": 0}, gradcalc.EvaluationError, "1 / x"),
    ("frob(x)", {"x": 1}, gradcalc.EvaluationError, "frob"),
    ("y * 2", {}, gradcalc.EvaluationError, "y"),
    ("exp(1000 * x)", {"x": 1}, gradcalc.EvaluationError, "exp(1000 * x)"),
    ("", {}, gradcalc.UsageError, None),
    ("# only a comment", {}, gradcalc.UsageError, None),
    ("x", {"x": "abc"}, gradcalc.UsageError, "abc"),
    ("x", {"x": float("nan")}, gradcalc.UsageError, None),
    ("x", {"x": [1]}, gradcalc.UsageError, None),
]


@pytest.mark.parametrize(("program", "inputs", "kind", "spanned"), BAD_PROGRAMS)
def test_each_bad_program_raises_its_error_class_with_its_span(program, inputs, kind, spanned):
    with pytest.raises(kind) as caught:
        gradcalc.evaluate(program, inputs)  # type: ignore[arg-type]
    error = caught.value
    assert isinstance(error, gradcalc.GradcalcError) and error.message
    if spanned is None:
        assert error.excerpt is None
    else:
        assert error.span is not None and error.span.text.startswith(spanned)
        assert error.excerpt is not None and "^" in error.excerpt
        assert error.excerpt in error.render()


def test_an_error_carries_the_excerpt_the_command_line_prints():
    with pytest.raises(gradcalc.EvaluationError) as caught:
        gradcalc.evaluate("w = 2; f = log(w - 3)")
    done = run_gradcalc("eval", "w = 2; f = log(w - 3)")
    assert caught.value.excerpt == "1 | w = 2; f = log(w - 3)\n  |            ^^^^^^^^^^"
    assert caught.value.render() + "\n" == done.stderr


def test_a_missing_input_says_how_to_give_it_in_python():
    with pytest.raises(gradcalc.EvaluationError) as caught:
        gradcalc.evaluate("(x + y) * z", x=1, y=3)
    assert caught.value.hint == "give it a value: evaluate(..., z=1), or write z = 1 in the program"


def test_names_that_are_not_names_and_programs_that_are_not_text_are_usage_errors():
    for call in (
        lambda: gradcalc.evaluate("x", inputs={"1x": 2}),
        lambda: gradcalc.evaluate("x", inputs={"x y": 2}),
        lambda: gradcalc.evaluate(3),  # type: ignore[arg-type]
        lambda: gradcalc.evaluate("x", inputs=[("x", 1)]),  # type: ignore[arg-type]
        lambda: gradcalc.evaluate("x", x=1).table(precision=40),
        lambda: gradcalc.evaluate("x", x=1).show(style="fancy"),
        lambda: gradcalc.evaluate("x", x=1).explain("html"),
    ):
        with pytest.raises(gradcalc.UsageError):
            call()


def test_no_other_exception_escapes_for_garbage_programs():
    rng = random.Random(11)
    alphabet = "xyz0123456789.+-*/^()=;,# \n\tabcdefghijklmnopqrstuvwxyzé$@![]{}'\"\\"
    tokens = ["x", "y", "sigmoid(", "log(", "max(", ")", "(", "*", "+", "-", "^", "/", "=", ";", "1e308", "0", "pi"]
    for k in range(400):
        if k % 2:
            program = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 20)))
        else:
            program = " ".join(rng.choice(tokens) for _ in range(rng.randint(1, 12)))
        try:
            result = gradcalc.evaluate(program, x=rng.uniform(-3, 3), y=0.0)
        except gradcalc.GradcalcError as error:
            assert not isinstance(error, gradcalc.InternalError), (program, error.render())
            assert error.render()
        else:
            assert result.to_json()


def test_no_other_exception_escapes_a_session_for_garbage_lines(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    rng = random.Random(12)
    words = [
        "x",
        "=",
        "1",
        "ans",
        "(",
        ")",
        "+",
        "*",
        "log(",
        "sigmoid(",
        ";",
        ":table",
        ":del",
        ":vars",
        ":show",
        ":render",
        "g.svg",
        ":precision",
        "99",
        ":expand",
        "on",
        ":save",
        ":load",
        "nowhere.gc",
        '"',
        "'",
        "2e400",
    ]
    session = gradcalc.Session()
    for _ in range(300):
        line = " ".join(rng.choice(words) for _ in range(rng.randint(1, 6)))
        try:
            str(session.run(line))
        except gradcalc.GradcalcError as error:
            assert not isinstance(error, gradcalc.InternalError), (line, error.render())
    assert session.run("1 + 1").value == 2.0


def test_a_bug_in_a_public_call_is_an_internal_error(monkeypatch):
    import gradcalc.api.results as results

    def broken(*args, **kwargs):
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(results, "run_program", broken)
    with pytest.raises(gradcalc.InternalError) as caught:
        gradcalc.evaluate("x", x=1)
    assert isinstance(caught.value.__cause__, ZeroDivisionError)
    assert caught.value.render().startswith("internal error: ZeroDivisionError: a bug")


def test_deep_nesting_works_at_the_default_recursion_limit():
    depth = 10_000
    result = gradcalc.evaluate("(" * depth + "x" + ")" * depth + " * 2", x=3)
    assert result.value == 6.0 and result.gradients == {"x": 2.0}


# -- the session: the REPL's lines and commands --------------------------------------------------------

LINES = [
    "x = 1; y = 3; z = -3",
    "g = (x + y) * z",
    "x = 2",
    "g",
    "ans * 2",
    ":table g",
    ":grad",
    ":vars",
    ":explain g",
    ":precision 3",
    "sigmoid(x / 3)",
    ":expand on",
    ":table",
    ":show",
    ":del y",
    ":help",
]


def test_each_line_prints_what_the_piped_repl_prints(monkeypatch):
    monkeypatch.delenv("COLUMNS", raising=False)
    session = gradcalc.Session()
    printed = "".join(str(session.run(line)) for line in LINES)
    piped = run_gradcalc(stdin="\n".join(LINES) + "\n", columns=None)
    assert piped.returncode == 0, piped.stderr
    assert printed == piped.stdout


def test_session_values_update_in_place_and_ans_is_the_last_result():
    s = gradcalc.Session()
    s.run("x = 1; y = 3; z = -3; g = (x + y) * z")
    assert s.run("x = 2").value == 2.0
    line = s.run("g")
    assert line.value == -15.0 and line.result is not None and line.result.gradients == {"x": -3.0, "y": -3.0, "z": 5.0}
    assert s.run("ans + 1").value == -14.0
    assert s.last is not None and s.last.value == -14.0
    assert s.names == ["ans", "g", "x", "y", "z"]


def test_session_methods_are_the_colon_commands(tmp_path, monkeypatch):
    monkeypatch.delenv("COLUMNS", raising=False)
    s = gradcalc.Session()
    s.run("x = 1; y = 3; z = -3; g = (x + y) * z")
    assert str(s.table()) == str(s.run(":table"))
    assert str(s.vars()) == str(s.run(":vars"))
    assert str(s.explain("g")) == str(s.run(":explain g"))
    s.precision = 2
    assert s.precision == 2 and str(s.run("sigmoid(1)")) == "sigmoid(1) = 0.73\n"
    s.expand = True
    assert s.expand
    saved = tmp_path / "a session.gc"
    assert str(s.save(saved)) == f"saved 5 statements to {saved}\n"
    assert "g = (x + y) * z" in saved.read_text() and s.program() == saved.read_text()
    fresh = gradcalc.Session()
    assert fresh.load(saved).value == pytest.approx(0.7310585786)
    fresh.run("f(t) = {\n  a = t^2\n  a + 1\n}")
    fresh.run("for k in [\n  1,\n  2\n] {\n  x = x + k\n}")
    assert str(fresh.save(saved)).startswith("saved 7 statements to ")  # the 5 loaded, a definition, a loop
    assert str(s.delete("y")) == "deleted y\n" and "y" not in s.names
    assert str(s.reset()) == "the session is empty\n" and s.names == []


def test_a_session_survives_every_error():
    s = gradcalc.Session()
    s.run("x = 1")
    for bad in ("log(", "log(x - 3)", "y", ":nope", ":precision 99", ":watch on", ":serve"):
        with pytest.raises(gradcalc.GradcalcError):
            s.run(bad)
    assert s.run("x * 2").value == 2.0


def test_a_session_takes_the_repl_options():
    s = gradcalc.Session(precision=2, expand=True, rows=0)
    assert str(s.run("sigmoid(1)")) == "sigmoid(1) = 0.73\n" and s.expand
    for bad in ({"precision": 18}, {"precision": -1}, {"rows": "all"}):
        with pytest.raises(gradcalc.UsageError):
            gradcalc.Session(**bad)  # type: ignore[arg-type]


def test_a_session_error_points_at_its_line():
    s = gradcalc.Session()
    s.run("x = 1")
    with pytest.raises(gradcalc.ProgramSyntaxError) as caught:
        s.run("y = (x +")
    assert caught.value.render().startswith("<session>:2:")


# -- training -------------------------------------------------------------------------------------------


def test_train_gives_the_history_of_the_train_command():
    program = (EXAMPLES / "line.gc").read_text(encoding="utf-8")
    fit = gradcalc.train(program, wrt="w,b", data=EXAMPLES / "line.csv", lr=0.1)
    done = run_gradcalc(
        "train",
        "examples/line.gc",
        "--wrt",
        "w,b",
        "--data",
        "examples/line.csv",
        "--lr",
        "0.1",
        "--json",
        cwd=EXAMPLES.parent,
    )
    assert fit.to_json() == done.stdout
    assert fit.learned == pytest.approx({"w": 2.5, "b": -1.0}) and fit.stopped == "gradient"
    assert len(fit.history) == fit.steps + 1 == len(fit.losses)
    assert fit.losses[0] == fit.history[0]["loss"] and fit.losses[-1] == fit.loss
    columns = {"x": [0.0, 1.0, 2.0], "y": [-1.0, 1.5, 4.0]}
    again = gradcalc.train(program, ["w", "b"], data=columns, lr=0.1, steps=2000)
    assert again.learned == pytest.approx({"w": 2.5, "b": -1.0}, abs=1e-6)


def test_train_errors_are_gradcalc_errors():
    with pytest.raises(gradcalc.UsageError, match="has no input named q"):
        gradcalc.train("(w - 3)^2", wrt="q", w=0)
    with pytest.raises(gradcalc.EvaluationError, match="diverged"):
        gradcalc.train("w^4", wrt="w", w=10, lr=10)
    with pytest.raises(gradcalc.UsageError):
        gradcalc.train("(w - 3)^2", wrt="w", steps=0)
    with pytest.raises(gradcalc.UsageError):
        gradcalc.train("(w*x - y)^2", wrt="w", data={"x": [1, 2], "y": [1]})


# -- Jupyter --------------------------------------------------------------------------------------------


def test_a_result_displays_as_the_circuit_the_page_and_the_summary(dot):
    bundle = gradcalc.evaluate("sigmoid(w*x + b)", w=2, x=-1, b=0.5)._repr_mimebundle_()
    assert set(bundle) == {"image/svg+xml", "text/html", "text/plain"}
    assert bundle["image/svg+xml"].startswith("<svg") and "-0.15" in html.unescape(bundle["image/svg+xml"])
    assert (
        bundle["text/html"].startswith('<iframe srcdoc="&lt;!DOCTYPE html&gt;')
        and 'sandbox="allow-scripts"' in bundle["text/html"]
    )
    assert bundle["text/plain"] == "f = 0.182426\n∂f/∂w = -0.149146\n∂f/∂x = 0.298293\n∂f/∂b = 0.149146"


def test_only_what_is_asked_for_is_drawn(monkeypatch):
    import gradcalc.views.html_page as html_page

    def no_dot(*args, **kwargs):
        raise AssertionError("dot ran for text only")

    monkeypatch.setattr(html_page, "page_state", no_dot)
    result = gradcalc.evaluate("(x+y)*z", x=1, y=3, z=-3)
    assert result._repr_mimebundle_(include=["text/plain"]) == {"text/plain": str(result)}
    assert result._repr_mimebundle_(exclude=["image/svg+xml", "text/html"]) == {"text/plain": str(result)}


def test_dot_runs_once_for_the_svg_and_the_page(monkeypatch, dot):
    import gradcalc.views.html_page as html_page

    calls = []
    real = html_page._svg
    monkeypatch.setattr(html_page, "_svg", lambda *args: calls.append(1) or real(*args))
    gradcalc.evaluate("(x+y)*z", x=1, y=3, z=-3)._repr_mimebundle_()
    assert len(calls) == 1


def test_without_graphviz_a_result_displays_as_text_with_a_note(monkeypatch):
    monkeypatch.setenv("PATH", "")
    bundle = gradcalc.evaluate("(x+y)*z", x=1, y=3, z=-3)._repr_mimebundle_()
    assert list(bundle) == ["text/plain"]
    assert (
        bundle["text/plain"].startswith("f = -12\n")
        and "(no picture: Graphviz's dot program is not on PATH" in (bundle["text/plain"])
    )


def test_show_takes_style_expand_and_precision(dot):
    result = gradcalc.evaluate("sigmoid(w*x + b)", w=2, x=-1, b=0.5)
    expanded = result.show(expand=True, precision=3, style="boxes")
    svg = expanded.svg()
    assert "exp" in svg and "0.182" in svg and "1/x" in svg
    assert "1/x" not in result.show().svg()
    assert str(expanded).startswith("f = 0.182426")
    back = gradcalc.evaluate("sigmoid(w*x + b)", w=2, x=-1, b=0.5, expand=True).show(expand=False)
    assert "1/x" not in back.svg()


def test_a_session_and_its_show_line_display_the_circuit(dot, monkeypatch):
    monkeypatch.delenv("COLUMNS", raising=False)
    s = gradcalc.Session()
    assert list(s._repr_mimebundle_()) == ["text/plain"]  # nothing computed yet
    s.run("x = 1; y = 3; z = -3; g = (x + y) * z")
    bundle = s._repr_mimebundle_()
    assert "-12.00" in html.unescape(bundle["image/svg+xml"]) and bundle["text/plain"] == str(s.vars())
    shown = s.show()._repr_mimebundle_()
    assert "<svg" in shown["image/svg+xml"] and shown["text/plain"] == str(s.run(":show"))
    assert list(s.run("g")._repr_mimebundle_()) == ["text/plain"]


def test_the_step_through_page_runs_in_each_notebook_frame(browser, tmp_path, dot):  # noqa: F811
    import time

    first = gradcalc.evaluate("sigmoid(w*x + b)", w=2, x=-1, b=0.5)._repr_mimebundle_()["text/html"]
    second = gradcalc.evaluate("(x+y)*z", x=1, y=3, z=-3)._repr_mimebundle_()["text/html"]
    host = tmp_path / "notebook.html"
    host.write_text(f"<!DOCTYPE html><html><body><h1>a notebook</h1>{first}{second}</body></html>", encoding="utf-8")
    browser.get(host.as_uri())
    frames = browser.find_elements("tag name", "iframe")
    assert len(frames) == 2
    for frame, title in zip(frames, ["f = 0.1824", "f = -12"]):
        browser.switch_to.frame(frame)
        try:
            deadline = time.monotonic() + 10
            while browser.execute_script("return document.body.getAttribute('data-phase')") != "done":
                assert time.monotonic() < deadline
                time.sleep(0.05)
            assert browser.execute_script("return document.getElementById('gc-title').textContent") == title
            browser.find_element("id", "gc-reset").click()
            browser.find_element("id", "gc-step").click()
            assert browser.execute_script("return document.body.getAttribute('data-phase')") == "forward"
        finally:
            browser.switch_to.default_content()


# -- the package: public names, types, imports -----------------------------------------------------------


def test_every_public_name_is_exported_and_documented():
    import inspect

    for name in gradcalc.__all__:
        value = getattr(gradcalc, name)
        if name == "__version__":
            continue
        assert inspect.getdoc(value), name
        if inspect.isclass(value) and not issubclass(value, Exception):
            for member, attribute in vars(value).items():
                if not member.startswith("_") and member not in getattr(value, "__dataclass_fields__", {}):
                    assert inspect.getdoc(attribute), f"{name}.{member}"


def test_the_package_is_typed():
    from importlib.resources import files

    assert files("gradcalc").joinpath("py.typed").is_file()


def test_import_gradcalc_imports_no_interface_library_and_evaluate_needs_none():
    code = (
        "import sys, gradcalc\n"
        "r = gradcalc.evaluate('(x+y)*z', x=1, y=3, z=-3)\n"
        "r.to_json(); r.gradients; r.nodes; r.warnings; r._repr_mimebundle_(include=['text/plain']) and None\n"
        "banned = ('rich', 'typer', 'click', 'prompt_toolkit', 'graphviz', 'numpy', 'IPython', 'matplotlib')\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & set(banned)))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    # text/plain is written by the table module's summary, which is Rich text: that one import is allowed
    assert done.stdout.strip() in ("[]", "['rich']")
    bare = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, gradcalc; print(sorted(m for m in sys.modules if m.startswith('gradcalc')))",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert bare.stdout.strip() == "['gradcalc']"
