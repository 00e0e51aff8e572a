"""examples/tour.ipynb runs in a real Jupyter kernel, and each picture shows the circuit and the right numbers.

Needs nbclient, nbformat and ipykernel (the test extras) and Graphviz: skipped without them, failed
when CI is set. ``scripts/build_tour.py`` writes the notebook; the committed one must be what it writes.
"""

from __future__ import annotations

import html
import os
import shutil
import sys

import pytest

from conftest import EXAMPLES, ROOT

TOUR = EXAMPLES / "tour.ipynb"

# cell id -> (the text/plain of its display, strings its SVG must show); numbers as the summary and the
# picture print them (the picture with 2 decimals)
PICTURES = {
    "cell-3": ("f = -12\n∂f/∂x = -3\n∂f/∂y = -3\n∂f/∂z = 4", ["-12.00", "4.00", "-3.00"]),
    "cell-8": ("f = 0.182426\n∂f/∂w = -0.149146\n∂f/∂x = 0.298293\n∂f/∂b = 0.149146", ["0.18", "-0.15", "0.30"]),
    "cell-10": (
        "f = 0.731059\n∂f/∂w0 = -0.196612\n∂f/∂x0 = 0.393224\n"
        "∂f/∂w1 = -0.393224\n∂f/∂x1 = -0.589836\n∂f/∂w2 = 0.196612",
        ["0.73", "1/x", "exp", "-0.20", "0.39"],
    ),
    "cell-12": ("f = 8\n∂f/∂x = 4\n∂f/∂y = 2", ["8.00", "4.00", "2.00"]),
    "cell-17": (None, ["-15.00", "5.00"]),  # the session: the text is its :vars table
}


def _needed() -> None:
    missing = [name for name in ("nbclient", "nbformat", "ipykernel") if not _importable(name)]
    if shutil.which("dot") is None:
        missing.append("Graphviz's dot")
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"CI is set but {', '.join(missing)} is missing: pip install -e '.[test]'")
        pytest.skip(f"{', '.join(missing)} not installed")


def _importable(name: str) -> bool:
    try:
        __import__(name)
    except ImportError:
        return False
    return True


@pytest.fixture(scope="module")
def executed():
    """The tour, run from its first cell to its last in a fresh python3 kernel, in examples/."""
    _needed()
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import build_tour
    finally:
        sys.path.pop(0)
    import nbformat

    notebook = nbformat.read(TOUR, as_version=4)
    return build_tour, notebook, build_tour.run(nbformat.read(TOUR, as_version=4))


def _outputs(notebook) -> dict[str, list]:
    return {cell.id: cell.outputs for cell in notebook.cells if cell.cell_type == "code"}


def test_every_cell_runs_without_an_error(executed):
    _, _, ran = executed
    for cell_id, outputs in _outputs(ran).items():
        assert all(output.output_type != "error" for output in outputs), (cell_id, outputs)


def test_each_picture_shows_the_svg_and_the_expected_numbers(executed):
    _, _, ran = executed
    outputs = _outputs(ran)
    shown = 0
    for cell_id, output_list in outputs.items():
        for output in output_list:
            data = output.get("data", {})
            if "image/svg+xml" not in data:
                continue
            shown += 1
            assert cell_id in PICTURES, f"{cell_id} shows a picture the test does not check"
            text, in_svg = PICTURES[cell_id]
            svg = html.unescape(data["image/svg+xml"])
            assert svg.startswith("<svg") and svg.rstrip().endswith("</svg>")
            for number in in_svg:
                assert number in svg, (cell_id, number)
            assert "<iframe srcdoc=" in data["text/html"] and 'sandbox="allow-scripts"' in data["text/html"]
            if text is not None:
                assert data["text/plain"] == text
    assert shown == len(PICTURES)


def test_the_session_training_and_error_cells_print_what_the_repl_and_the_commands_print(executed):
    _, _, ran = executed
    outputs = _outputs(ran)
    session_text = _shown(outputs["cell-15"])[0]
    assert session_text == "x = 1\ny = 3\nz = -3\ng = -12\nx = 2\n"
    assert outputs["cell-15"][-1]["data"]["text/plain"] == "g = -15\n∂g/∂x = -3\n∂g/∂y = -3\n∂g/∂z = 5\n"
    assert "│ g    │ *     │   -15 │" in outputs["cell-17"][0]["data"]["text/plain"]
    training = outputs["cell-19"][0]["data"]["text/plain"]
    assert "│ w     │     0 │     2.5 │" in training and "│ b     │     0 │      -1 │" in training
    error = _shown(outputs["cell-22"])[0]
    assert error.startswith("<program>:1:1: error: log(-2) is undefined") and "^^^^^^^^^^" in error


def test_the_committed_tour_is_what_the_script_writes_with_its_outputs(executed):
    build_tour, committed, ran = executed
    assert [cell.source for cell in committed.cells] == [cell.source for cell in build_tour.build().cells]
    fresh, kept = _outputs(ran), _outputs(committed)
    for cell_id, outputs in fresh.items():
        assert _shown(kept[cell_id]) == _shown(outputs), f"{cell_id}: run scripts/build_tour.py"


def _shown(outputs: list) -> tuple[str, list[str]]:
    """What a cell printed (its streams joined: the kernel may split them anywhere) and the text of its displays."""
    printed = "".join(output.get("text", "") for output in outputs if output.output_type == "stream")
    return printed, [output["data"].get("text/plain", "") for output in outputs if "data" in output]
