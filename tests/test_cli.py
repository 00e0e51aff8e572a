"""The command line as a user meets it: output, JSON, exit codes, errors with carets."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from conftest import EXAMPLES, gradcalc_command


def test_eval_prints_the_table_and_the_gradients(gradcalc):
    out = gradcalc("eval", "(x+y)*z", "x=1", "y=3", "z=-3")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    row_p = next(line for line in lines if line.startswith("│ p "))
    assert "x, y" in row_p and " 4 " in row_p and "-3" in row_p
    assert "f = -12" in lines
    assert "∂f/∂x = -3" in lines and "∂f/∂y = -3" in lines and "∂f/∂z = 4" in lines
    assert out.stderr == ""


def test_json_schema(gradcalc):
    out = gradcalc("eval", "g = (x+y)*z", "x=1", "y=3", "z=-3", "--json")
    doc = json.loads(out.stdout)
    assert out.stdout.count("\n") == 1
    assert doc["output"] == {"label": "g", "value": -12.0}
    assert doc["gradients"] == {"x": -3.0, "y": -3.0, "z": 4.0}
    nodes = doc["nodes"]
    assert [n["label"] for n in nodes] == ["x", "y", "z", "p", "g"]
    assert [n["op"] for n in nodes] == ["input", "input", "input", "add", "mul"]
    ids = [n["id"] for n in nodes]
    assert len(set(ids)) == len(ids)
    assert nodes[3]["inputs"] == [ids[0], ids[1]] and nodes[4]["inputs"] == [ids[3], ids[2]]
    assert [n["value"] for n in nodes] == [1.0, 3.0, -3.0, 4.0, -12.0]
    assert [n["grad"] for n in nodes] == [-3.0, -3.0, 4.0, -3.0, 1.0]
    for node in nodes:
        assert set(node) >= {"id", "op", "label", "inputs", "value", "grad"}


def test_json_keeps_full_precision(gradcalc):
    doc = json.loads(gradcalc("run", str(EXAMPLES / "neuron.gc"), "--json").stdout)
    assert doc["output"]["value"] == 0.7310585786300049


def test_precision_option(gradcalc):
    out = gradcalc("run", str(EXAMPLES / "neuron.gc"), "--precision", "2").stdout
    assert "f = 0.73" in out and "∂f/∂x1 = -0.59" in out


def test_program_starting_with_minus_works_as_typed(gradcalc):
    for args in (
        ["-x^2", "x=3", "--json"],
        ["--json", "--", "-x^2", "x=3"],
        ["-x^2", "--json", "x=3"],
        ["-p", "3", "-x^2", "x=3", "--json"],
        ["--json", "-(x^2)", "x=3"],
    ):
        out = gradcalc("eval", *args)
        assert out.returncode == 0, (args, out.stderr)
        assert json.loads(out.stdout)["gradients"] == {"x": -6.0}


def test_program_from_stdin(gradcalc):
    out = gradcalc("eval", "-", "x=2", "--json", stdin="y = x * x\ny + 1\n")
    assert json.loads(out.stdout)["output"]["value"] == 5.0


def test_bindings_accept_constant_expressions(gradcalc):
    out = gradcalc("eval", "sin(x)", "x=pi/2", "--json")
    assert json.loads(out.stdout)["output"]["value"] == 1.0


def test_run_overrides_the_files_inputs(gradcalc):
    doc = json.loads(gradcalc("run", str(EXAMPLES / "seed_add_mul.gc"), "z=2", "--json").stdout)
    assert doc["output"]["value"] == 8.0 and doc["gradients"]["x"] == 2.0


def test_syntax_error_shows_line_caret_and_exit_2(gradcalc):
    out = gradcalc("eval", "(x+)*z", "x=1", "z=2")
    assert out.returncode == 2
    assert out.stdout == ""
    assert out.stderr.splitlines() == [
        "<program>:1:4: syntax error: unexpected ')'; expected a number, a name, '(', '+' or '-'",
        "1 | (x+)*z",
        "  |    ^",
    ]


def test_syntax_error_in_a_file_names_file_and_line(gradcalc, tmp_path):
    program = tmp_path / "bad.gc"
    program.write_text("x = 1\ny = x * * 2\n")
    out = gradcalc("run", str(program))
    assert out.returncode == 2
    assert out.stderr.startswith(f"{program}:2:9: syntax error: unexpected '*'")
    assert "2 | y = x * * 2" in out.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["log(x)", "x=-1"], "log(-1) is undefined: log needs a positive argument"),
        (["sqrt(x)", "x=-1"], "sqrt(-1) is undefined"),
        (["1/x", "x=0"], "division by zero in 1 / 0"),
        (["x^-1", "x=0"], "is undefined"),
        (["exp(x)", "x=1000"], "overflow: exp(1000)"),
        (["x*y"], "the name 'x' has no value"),
        (["9^9^9^9"], "overflow"),
    ],
)
def test_evaluation_errors_exit_1_with_the_place(gradcalc, args, message):
    out = gradcalc("eval", *args)
    assert out.returncode == 1
    assert message in out.stderr
    assert "^" in out.stderr.splitlines()[2]


@pytest.mark.parametrize(
    "args",
    [
        ["x", "x=abc"],
        ["x", "1x=2"],
        ["x", "x"],
        ["x", "x=1/0"],
        ["x", "x="],
        ["x", "--precision", "-3"],
        ["x", "--nonsense"],
        ["x", "--precision", "many"],
        [],
    ],
)
def test_usage_errors_exit_2(gradcalc, args):
    out = gradcalc("eval", *args)
    assert out.returncode == 2, out
    assert out.stderr


def test_missing_file_and_folder(gradcalc, tmp_path):
    assert gradcalc("run", str(tmp_path / "nope.gc")).returncode == 2
    assert "no such program file" in gradcalc("run", str(tmp_path / "nope.gc")).stderr
    assert gradcalc("run", str(tmp_path)).returncode == 2


def test_empty_program(gradcalc):
    out = gradcalc("eval", "# nothing")
    assert out.returncode == 2 and "empty" in out.stderr


def test_version_and_help(gradcalc):
    import gradcalc as package

    assert gradcalc("--version").stdout.strip() == f"gradcalc {package.__version__}"
    for command in ("eval", "run"):
        out = gradcalc(command, "--help")
        assert out.returncode == 0 and "Usage:" in out.stdout


def test_python_dash_m_works():
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "-m", "gradcalc", "eval", "x*x", "x=3", "--json"], capture_output=True, text=True, check=True
    )
    assert json.loads(out.stdout)["gradients"] == {"x": 6.0}


def test_nothing_ever_prints_a_traceback(gradcalc):
    for args in (
        ["eval", "(((("],
        ["eval", "x", "x=(("],
        ["run", "/dev/null"],
        ["eval", "max(1,2,3)"],
        ["eval", "x*x", "x=1e300"],
        ["eval", "x^0.5", "x=-1"],
        ["eval", "x = 1; \x01"],
    ):
        out = gradcalc(*args)  # run_gradcalc asserts no Traceback
        assert out.returncode in (1, 2), (args, out)


def test_large_table_is_abbreviated_but_json_is_complete(gradcalc):
    program = " + ".join(f"x{i}" for i in range(300))
    bindings = [f"x{i}=1" for i in range(300)]
    out = gradcalc("eval", program, *bindings)
    assert "more nodes (--rows 0 shows all)" in out.stdout
    doc = json.loads(gradcalc("eval", program, *bindings, "--json").stdout)
    assert len(doc["nodes"]) == 599


def test_every_program_command_takes_a_program_file(gradcalc, tmp_path):
    seed = str(EXAMPLES / "seed_add_mul.gc")
    assert json.loads(gradcalc("eval", seed, "--json").stdout)["output"]["value"] == -12.0
    assert gradcalc("render", seed, "-o", str(tmp_path / "seed.dot")).returncode == 0
    assert "p = x + y = 1 + 3 = 4" in gradcalc("explain", seed).stdout



GC_PROBE = """
import gc, sys
from gradcalc.cli import eval_cmd
def show(*args, **kwargs):
    print("collecting" if gc.isenabled() else "paused", "frozen" if gc.get_freeze_count() else "unfrozen")
eval_cmd.show = show
from gradcalc.cli.{module} import main
main(["eval", "x", "x=1", "--json"])
"""


@pytest.mark.parametrize(
    ("module", "expected"),
    [("entry", "collecting frozen"), ("app", "collecting unfrozen")],
    ids=["console script", "called from Python"],
)
def test_the_program_runs_with_the_garbage_collector_on(module, expected):
    # The console script pauses the collector while it starts and freezes what start-up made before
    # the command runs; cli.app.main called from Python leaves the collector alone.
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-c", GC_PROBE.format(module=module)], capture_output=True, text=True)
    assert out.stdout.strip() == expected, out


def _wide_program(terms: int) -> str:
    return "\n".join(
        [*(f"w{i} = 0.5" for i in range(terms)), *(f"x{i} = {i % 7}" for i in range(terms)),
         " + ".join(f"w{i}*x{i}" for i in range(terms))]
    )  # fmt: skip


def test_a_reader_that_stops_early_ends_gradcalc_quietly_with_status_0():
    # gradcalc eval ... | head -c 100: the rest of a big --json goes nowhere; no error, and status 0
    # (click alone would exit with 1), as for every output that is cut short
    for options in (["--json"], []):
        process = subprocess.Popen(
            [*gradcalc_command(), "eval", "-", *options], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )  # fmt: skip
        assert process.stdin and process.stdout
        process.stdin.write(_wide_program(20_000).encode())
        process.stdin.close()
        assert process.stdout.read(100)
        process.stdout.close()
        assert process.wait(timeout=120) == 0
        assert process.stderr and process.stderr.read() == b""


def test_a_big_json_document_arrives_whole_and_its_warnings_too(gradcalc):
    # the console script ends without freeing the graph (cli.collector.finish): all its output is flushed first
    program = _wide_program(20_000) + " + relu(x0)"  # x0 = 0: a kink, warned about on stderr
    out = gradcalc("eval", "-", "--json", stdin=program)
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert len(doc["nodes"]) == 80_001 and doc["output"]["value"] == sum(0.5 * (i % 7) for i in range(20_000))
    assert "relu" in out.stderr and doc["warnings"]


def test_under_a_profiler_the_process_ends_as_usual_so_the_profile_is_printed():
    # the console script ends with os._exit (cli.collector.finish), except under a profiler or a tracer
    done = subprocess.run(
        [sys.executable, "-m", "cProfile", "-m", "gradcalc", "eval", "x*2", "x=1", "--json"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert '"value": 2.0' in done.stdout and "function calls" in done.stdout
