"""Write examples/tour.ipynb from the cells below and run it in a real kernel, so its outputs are real.

    .venv/bin/python scripts/build_tour.py

The notebook is what a teacher hands out; tests/test_notebook.py runs it again and checks the outputs.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
TOUR = ROOT / "examples" / "tour.ipynb"

CELLS: list[tuple[str, str]] = [
    (
        "markdown",
        """# Backpropagation, node by node: a tour of gradcalc

Each cell evaluates a small program: the **forward pass** computes every node's value from the inputs,
the **backward pass** starts at d(output)/d(output) = 1 and applies the chain rule gate by gate back to
the inputs. A result shows itself as a circuit: on each wire, the value above and the gradient below.
Press **Step** (or →) in a picture to watch both passes one gate at a time; click a gate to inspect it.

`pip install gradcalc` is all it needs (Graphviz's `dot` draws the pictures).""",
    ),
    ("code", "from pathlib import Path\n\nimport gradcalc"),
    (
        "markdown",
        """## 1. The seed example: `(x + y) * z`

At x = 1, y = 3, z = -3: the sum p = x + y = 4, the output f = p · z = -12. Backwards: ∂f/∂z = p = 4,
∂f/∂p = z = -3, and the `+` gate passes -3 on to both x and y.""",
    ),
    ("code", 'seed = gradcalc.evaluate("(x+y)*z", x=1, y=3, z=-3)\nseed'),
    ("code", "seed.value, seed.gradients"),
    ("markdown", """Every node, with its local partial derivatives (`local`) and its gradient ∂f/∂node:"""),
    ("code", "for node in seed.nodes:\n    print(node)"),
    (
        "markdown",
        """## 2. A neuron: `sigmoid(w*x + b)`

The derivative of the sigmoid is σ(1 − σ): at the output f = 0.1824 it is 0.1491, and the gradients of w,
x and b are that times x, w and 1.""",
    ),
    ("code", 'neuron = gradcalc.evaluate("sigmoid(w*x + b)", w=2, x=-1, b=0.5)\nneuron'),
    (
        "markdown",
        """The classic 2-D neuron of `neuron.gc`, with the sigmoid expanded into its primitive gates
(`*-1`, `exp`, `+1`, `1/x`), each with its own local derivative:""",
    ),
    ("code", 'neuron2 = gradcalc.evaluate(Path("neuron.gc").read_text())\nneuron2.show(expand=True)'),
    (
        "markdown",
        """## 3. A value used twice: gradients add up

In f = x·y + x the input x feeds two gates, so its gradient is the sum of what flows back along both
wires: ∂f/∂x = y + 1 = 4.""",
    ),
    ("code", 'reuse = gradcalc.evaluate("f = x*y + x", x=2, y=3)\nreuse'),
    ("code", "from IPython.display import Markdown\n\nMarkdown(reuse.explain())"),
    (
        "markdown",
        """## 4. A session, as in the REPL

Assigning an input again changes it in place: everything built from it is computed anew.""",
    ),
    (
        "code",
        's = gradcalc.Session()\n'
        'print(s.run("x = 1; y = 3; z = -3; g = (x + y) * z"), end="")\n'
        'print(s.run("x = 2"), end="")\n'
        's.run("g")',
    ),
    ("markdown", "The session itself shows the circuit of its last result and the table of its names:"),
    ("code", "s"),
    (
        "markdown",
        """## 5. Training: gradient descent

`line.gc` is the squared error of a line w·x + b through the points of `line.csv`; gradient descent
finds w = 2.5 and b = -1.""",
    ),
    ("code", 'fit = gradcalc.train(Path("line.gc").read_text(), wrt="w,b", data="line.csv", lr=0.1)\nfit'),
    ("code", "fit.learned, fit.losses[:3]"),
    (
        "markdown",
        """## 6. When something is wrong

Errors are `gradcalc.GradcalcError`s that point at the place in the program:""",
    ),
    (
        "code",
        'try:\n    gradcalc.evaluate("log(x - 3)", x=1)\n'
        "except gradcalc.GradcalcError as error:\n    print(error.render())",
    ),
]


def build() -> nbformat.NotebookNode:
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    notebook.metadata["language_info"] = {"name": "python"}
    for k, (kind, text) in enumerate(CELLS):
        cell = nbformat.v4.new_markdown_cell(text) if kind == "markdown" else nbformat.v4.new_code_cell(text)
        cell["id"] = f"cell-{k}"
        notebook.cells.append(cell)
    return notebook


def run(notebook: nbformat.NotebookNode, timeout: int = 120) -> nbformat.NotebookNode:
    """Execute every cell in a fresh python3 kernel, in the examples folder (where neuron.gc is)."""
    client = NotebookClient(
        notebook, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(TOUR.parent)}}
    )
    client.execute()
    return notebook


def main() -> None:
    notebook = run(build())
    for cell in notebook.cells:
        cell.get("metadata", {}).pop("execution", None)
    nbformat.write(notebook, TOUR)
    print(f"wrote {TOUR}")


if __name__ == "__main__":
    main()
