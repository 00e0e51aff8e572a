"""The core imports no interface library, and a one-shot eval imports only what it needs."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

INTERFACE = ("rich", "typer", "click", "graphviz", "prompt_toolkit")
CORE = (
    "ast",
    "engine",
    "errors",
    "expansion",
    "graph",
    "labels",
    "lowering",
    "numbers",
    "ops",
    "parser",
    "program",
    "source",
)


def loaded_after(code: str, env: dict[str, str] | None = None) -> set[str]:
    script = f"import sys\n{code}\nprint(' '.join(sorted({{m.split('.')[0] for m in sys.modules}})))"
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, env=env)
    return set(out.stdout.splitlines()[-1].split())  # the last line: the command's output comes first


def test_core_imports_no_interface_library():
    imports = "\n".join(f"import gradcalc.{name}" for name in CORE)
    assert loaded_after(imports).isdisjoint(INTERFACE)


def test_one_shot_json_eval_imports_no_table_or_picture_libraries():
    code = (
        "from gradcalc.cli.app import main\n"
        "try:\n    main(['eval', '(x+y)*z', 'x=1', 'y=3', 'z=-3', '--json'])\n"
        "except SystemExit:\n    pass"
    )
    loaded = loaded_after(code)
    assert loaded.isdisjoint({"graphviz", "prompt_toolkit", "numpy", "matplotlib", "rich"}), loaded


def test_a_one_shot_eval_reads_the_kept_tables_and_imports_no_lark(tmp_path):
    """Lark analyses the grammar once, and the tables are kept; from then on a program that parses is
    parsed without importing Lark (its import was most of what gradcalc added to a command's start-up),
    and a syntax error still gets Lark's wording."""
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path)}

    def eval_(program: str) -> str:
        return (
            "from gradcalc.cli.app import main\n"
            f"try:\n    main(['eval', {program!r}, 'x=1', 'y=3', 'z=-3', '--json'])\n"
            "except SystemExit:\n    pass"
        )

    assert "lark" in loaded_after(eval_("(x+y)*z"), env)  # nothing kept yet: Lark analyses the grammar
    assert len(list((tmp_path / "gradcalc").glob("tables-*.marshal"))) == 1
    assert "lark" not in loaded_after(eval_("(x+y)*z"), env)
    assert "lark" not in loaded_after(eval_("f(a) = { b = a*y; b + z }\nfor t in 1..2 { x = x*t }\nf(x)"), env)
    assert "lark" in loaded_after(eval_("(x+y)*"), env)  # the error, worded by Lark


def gradcalc_modules_after(code: str) -> set[str]:
    script = f"import sys\n{code}\nprint(' '.join(sorted(m for m in sys.modules if m.startswith('gradcalc'))))"
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    return set(out.stdout.splitlines()[-1].split())  # the last line: the command's output comes first


@pytest.mark.parametrize("options", [["--json"], []], ids=["json", "table"])
def test_one_shot_eval_imports_only_its_own_command(options):
    code = (
        "from gradcalc.cli.entry import main\n"
        f"try:\n    main(['eval', 'x', 'x=1', *{options!r}])\n"
        "except SystemExit:\n    pass"
    )
    loaded = gradcalc_modules_after(code)
    assert "gradcalc.cli.eval_cmd" in loaded and "gradcalc.program" in loaded
    others = {f"gradcalc.cli.{name}_cmd" for name in ("run", "render", "explain", "trace", "train", "serve", "repl")}
    assert loaded.isdisjoint(others | {"gradcalc.explain", "gradcalc.views.formats", "gradcalc.gradcheck"}), loaded


# -- the import graph, read from the source (lazy imports included, TYPE_CHECKING ones not) -----------

SRC = Path(__file__).resolve().parent.parent / "src"


def module_imports() -> dict[str, set[str]]:
    """Every gradcalc module and the gradcalc modules it imports anywhere in its body."""
    modules = {
        ".".join(path.relative_to(SRC).with_suffix("").parts).removesuffix(".__init__"): path
        for path in (SRC / "gradcalc").rglob("*.py")
    }
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        typing_only = {
            id(inner)
            for node in ast.walk(tree)
            if isinstance(node, ast.If) and ast.unparse(node.test) in ("TYPE_CHECKING", "typing.TYPE_CHECKING")
            for inner in ast.walk(node)
        }
        targets: set[str] = set()
        for node in ast.walk(tree):
            if id(node) in typing_only:
                continue
            if isinstance(node, ast.Import):
                targets.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                for alias in node.names:  # `from gradcalc.repl import commands` imports the module commands
                    submodule = f"{node.module}.{alias.name}"
                    targets.add(submodule if submodule in modules else node.module)
        graph[name] = {target for target in targets if target in modules and target != name}
    return graph


def import_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm, with a stack)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    cycles: list[list[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    cycles.append(sorted(component))
    return cycles


def test_the_import_graph_has_lazy_imports_and_not_type_checking_ones_and_the_finder_finds_cycles():
    graph = module_imports()
    assert "gradcalc.repl.terminal" in graph["gradcalc.repl.start"]  # imported inside start()
    assert "gradcalc.repl.session" not in graph["gradcalc.repl.commands"]  # only under TYPE_CHECKING
    toy = {"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": set(), "e": {"a", "e"}}
    assert import_cycles(toy) == [["a", "b", "c"]]


def test_no_import_cycles_anywhere_in_the_package():
    assert import_cycles(module_imports()) == []


def test_the_repl_session_is_the_model_below_its_commands_and_front_ends():
    graph = module_imports()
    repl = {name: targets for name, targets in graph.items() if name.startswith("gradcalc.repl")}
    assert {name: sorted(t for t in targets if t.startswith("gradcalc.cli")) for name, targets in repl.items()} == {
        name: [] for name in repl
    }, "the REPL must not depend on the command line"
    above = {"gradcalc.repl.commands", "gradcalc.repl.display", "gradcalc.repl.terminal", "gradcalc.repl.piped"}
    assert graph["gradcalc.repl.session"].isdisjoint(above)
    assert graph["gradcalc.repl.outcomes"].isdisjoint(above | {"gradcalc.repl.session"})


def test_the_repl_prompt_comes_up_before_the_pipeline_rich_typer_the_drawing_or_the_server_is_imported():
    # What ``gradcalc`` imports before its prompt: the console script's module, and the terminal front end
    # (the session, Rich and the rest are made in a background thread once the prompt is on the screen).
    code = "import gradcalc.cli.entry, gradcalc.repl.start, gradcalc.repl.terminal\n"
    code += "print(' '.join(sorted(m for m in sys.modules if m.startswith('gradcalc.'))))"
    loaded = loaded_after(code)
    assert loaded.isdisjoint({"rich", "typer", "click", "pydantic", "lark", "numpy", "graphviz"}), loaded
    assert "prompt_toolkit" in loaded
    out = subprocess.run([sys.executable, "-c", f"import sys\n{code}"], capture_output=True, text=True, check=True)
    modules = set(out.stdout.split())
    late = {"parser", "program", "engine", "repl.session", "repl.display", "views.text_graph", "live.server", "cli.app"}
    assert modules.isdisjoint(f"gradcalc.{name}" for name in late), modules
