"""Labels: a name as the user typed it, marked only where several versions of it are shown together.

Through the real console script (and a piped REPL) where a user reads them.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from helpers import run
from repl_support import run_gradcalc


def chain(statements: int) -> str:
    """``h = h*1.0001`` and ``h = h + 1`` alternating: every statement re-binds h."""
    lines = ["h = 1"] + ["h = h*1.0001" if k % 2 == 0 else "h = h + 1" for k in range(statements)]
    return "\n".join(lines) + "\n"


def rnn(steps: int) -> str:
    return "w = 0.5; x = 0.1; h = 0\n" + "h = tanh(w*h + x)\n" * steps


def test_primes_for_the_first_versions_then_the_number_of_primes():
    from gradcalc.labels import split_label, versions

    assert versions("c", 7) == ["c", "c'", "c''", "c'''", "c'4", "c'5", "c'6"]
    assert versions("c", 2) == ["c", "c'"] and versions("c", 0) == []
    assert versions("w0", 21)[20] == "w0'20"
    labels = versions("h_1", 5001)
    for k in (0, 1, 3, 4, 12, 5000):
        assert split_label(labels[k]) == ("h_1", k)
    assert split_label("p1") == ("p1", 0) and split_label("2*pi") is None


def test_versions_shown_together_are_told_apart():
    result = run("a = 1; b = 2; c = a * b; c = c + 1; c = c * 3")
    assert [result.labels[i] for i in result.evaluation.order] == ["a", "b", "c", "1", "c'", "3", "c''"]
    assert result.output_label == "c''"


def test_a_name_not_shown_twice_is_shown_as_typed():
    # the first g is not part of the result: the second is just g
    result = run("x = 1; y = 2; g = x * y; g = x + y; g * 2")
    assert sorted(result.labels.values()) == ["2", "f", "g", "x", "y"]
    # kept alive by an alias, both are shown: g, then g'
    both = run("x = 1; y = 2; g = x * y; k = g; g = x + y; k * g")
    assert [both.labels[i] for i in both.evaluation.order] == ["x", "y", "g", "g'", "f"]


def test_a_name_is_marked_among_the_nodes_shown_wherever_it_is_bound_now():
    # only the earlier g is shown (k kept it): as typed, though g is bound to another node now
    earlier = run("x = 1; y = 2; g = x * y; k = g * 2; g = x + y; k")
    assert [earlier.labels[i] for i in earlier.evaluation.order] == ["x", "y", "g", "2", "k"]
    # g re-bound to d's node: the earlier g and d are shown, each as typed
    alias = run("x = 1; y = 2; g = x * y; k = g + 1; d = x - y; g = d; k * g")
    assert [alias.labels[i] for i in alias.evaluation.order] == ["x", "y", "g", "1", "k", "d", "f"]
    # three versions shown, the one bound now among them; then the middle one left out: g and g'
    three = run("x = 1; g = x * 2; a = g; g = g + 1; g = g * 3; a + g")
    assert [three.labels[i] for i in three.evaluation.order] == ["x", "2", "g", "1", "g'", "3", "g''", "f"]
    skipped = run("x = 1; g = x * 2; a = g; g = x + 1; g = x * 3; a + g")
    assert [skipped.labels[i] for i in skipped.evaluation.order] == ["x", "2", "g", "3", "g'", "f"]


def test_generated_names_stay_unique_and_never_take_a_users_name():
    result = run("p = 1; q1 = 2; f = 3; " + " + ".join(f"sin(p*{k}*q1)" for k in range(1, 12)) + " + f")
    labels = [result.labels[i] for i in result.evaluation.order if result.graph.nodes[i].op.name != "const"]
    assert len(labels) == len(set(labels))
    assert labels.count("p") == 1 and labels.count("q1") == 1 and labels.count("f") == 1
    # In order, the first of p, q, ..., v, p1, ... that no name takes: here p and q1 are the user's.
    assert labels[3:12] == ["q", "r", "s", "t", "u", "v", "p1", "r1", "s1"]
    # Nor a loop's counter (t), nor a name the program binds (s, u1), whatever its form.
    looped = run("for t in 1..2 { s = t*2 }\nu1 = 3\n(s + u1)*(s - u1)*(s*u1)*sin(s)*(s + 1)*(s + 2)")
    gates = [looped.labels[i] for i in looped.evaluation.order if looped.graph.nodes[i].op.name != "const"]
    assert gates == ["s", "u1", "p", "q", "r", "u", "v", "p1", "q1", "r1", "s1", "t1", "f"]


def test_an_unrolled_recurrence_is_labelled_by_step_not_by_twenty_primes(tmp_path: Path):
    program = tmp_path / "rnn.gc"
    program.write_text(rnn(20))
    done = run_gradcalc("explain", str(program), home=tmp_path)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "''''" not in out
    assert "Forward pass, from the inputs to h'20" in out
    assert "h''' = tanh(" in out and "h'4 = tanh(" in out
    assert re.search(r"∂h'20/∂h'19 = ∂h'20/∂\w+ \* ∂\w+/∂h'19", out)
    latex = run_gradcalc("explain", str(program), "-f", "latex", home=tmp_path).stdout
    assert r"h^{(20)} &= \tanh(" in latex and r"h^{(4)}" in latex and "h'4" not in latex and "''''" not in latex
    # the inputs keep their own names, and every node's label is its own
    doc = json.loads(run_gradcalc("eval", str(program), "--json", home=tmp_path).stdout)
    labels = [node["label"] for node in doc["nodes"]]
    assert len(labels) == len(set(labels)) and labels[:3] == ["w", "x", "h"]
    assert doc["gradients"].keys() == {"w", "x", "h"}


def test_a_long_re_binding_chain_costs_linear_output(tmp_path: Path):
    done = run_gradcalc("eval", "-", "--json", stdin=chain(5000), home=tmp_path)
    assert done.returncode == 0, done.stderr
    assert len(done.stdout) < 2_000_000  # 15 MB when the n-th re-binding carried n primes
    doc = json.loads(done.stdout)
    assert doc["nodes"][-1]["label"] == "h'5000"
    named = [node["label"] for node in doc["nodes"] if node["op"] != "const"]
    assert len(named) == len(set(named)) == 5001
    assert max(map(len, named)) == len("h'5000")


def test_repl_shows_a_re_bound_name_as_typed(tmp_path: Path):
    done = run_gradcalc(stdin="x = 1; y = 2\ng = x*y\ng = 5\ng\n", home=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["x = 1", "y = 2", "g = 2", "g = 5", "g = 5", "∂g/∂g = 1"]


def test_ans_is_never_primed_when_one_ans_is_shown(tmp_path: Path):
    done = run_gradcalc(stdin="2*3\nans + 1\nans + 1\n3*4\nans + 1\n", home=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "2*3 = 6",
        "f = 7",
        "∂f/∂ans = 1",
        "f = 8",
        "∂f/∂ans = 1",
        "3*4 = 12",
        "f = 13",
        "∂f/∂ans = 1",
    ]


def test_repl_table_tells_versions_apart_and_a_saved_session_replays_the_same_labels(tmp_path: Path):
    saved = tmp_path / "session.gc"
    lines = "x = 1; y = 2\nc = x*y\nc = c + 1\n3*4\nans + c\n:table\n"
    done = run_gradcalc(stdin=lines + f":save {saved}\n", home=tmp_path)
    assert done.returncode == 0, done.stderr
    table = done.stdout[done.stdout.index("computational graph") : done.stdout.index("saved")]
    assert "│ c    │ *     │ x, y    │" in table and "│ c'   │ +     │ c, 1    │" in table
    assert "│ f    │ +     │ ans, c' │" in table and "∂f/∂ans = 1" in table
    replay = run_gradcalc("run", str(saved), home=tmp_path)
    assert replay.returncode == 0, replay.stderr
    assert replay.stdout == table


def test_vars_names_the_node_only_where_two_versions_are_bound(tmp_path: Path):
    done = run_gradcalc(stdin="x = 1; y = 2\ng = x*y\nk = g\ng = x + y\n:vars\n", home=tmp_path)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert re.search(r"│ k +│ g +│ \* +│", out) and re.search(r"│ g +│ g' +│ \+ +│", out)


def test_a_constant_written_over_lines_with_a_tab_and_a_comment_is_labelled_on_one_line(tmp_path: Path):
    """Its label is what a table row, the JSON and a picture show: the source text on one line."""
    program = "x = 1\ny = x * (3 +  # three\n 1) + x * (2 *\tpi)\n"
    (tmp_path / "p.gc").write_text(program)
    table = run_gradcalc("run", "p.gc", home=tmp_path, cwd=tmp_path)
    assert table.returncode == 0, table.stderr
    rows = [line for line in table.stdout.splitlines() if line.startswith("│")]
    assert [row.split("│")[1].strip() for row in rows] == ["x", "(3 + 1)", "p", "(2 * pi)", "q", "y"]
    assert len({len(line) for line in table.stdout.splitlines()[1:-2]}) == 1  # every line of the table as wide
    done = run_gradcalc("run", "p.gc", "--json", home=tmp_path, cwd=tmp_path)
    labels = [node["label"] for node in json.loads(done.stdout)["nodes"]]
    assert "(3 + 1)" in labels and "(2 * pi)" in labels
