"""The core imports no interface library, and a one-shot eval imports only what it needs."""

from __future__ import annotations

import subprocess
import sys

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


def loaded_after(code: str) -> set[str]:
    script = f"import sys\n{code}\nprint(' '.join(sorted({{m.split('.')[0] for m in sys.modules}})))"
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    return set(out.stdout.split())


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
