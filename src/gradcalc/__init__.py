"""gradcalc: a calculator that shows backpropagation, node by node.

The Python API, public and stable (``docs/API.md``)::

    >>> import gradcalc
    >>> r = gradcalc.evaluate("(x+y)*z", x=1, y=3, z=-3)
    >>> r.value, r.gradients
    (-12.0, {'x': -3.0, 'y': -3.0, 'z': 4.0})

The names below are imported when first used, so ``import gradcalc`` loads neither the parser nor any
view (nor Rich, Typer, prompt_toolkit, Graphviz, NumPy or IPython), and the command line that imports
``gradcalc.cli`` pays nothing for them.
"""

from __future__ import annotations

__version__ = "0.1.0"

TYPE_CHECKING = False  # not typing's: importing typing would double the time `import gradcalc` takes
if TYPE_CHECKING:
    from gradcalc.api import (
        EvaluationError,
        GradcalcError,
        InternalError,
        Line,
        Node,
        Picture,
        ProgramSyntaxError,
        Result,
        Session,
        Training,
        UsageError,
        evaluate,
        train,
    )

__all__ = [
    "EvaluationError",
    "GradcalcError",
    "InternalError",
    "Line",
    "Node",
    "Picture",
    "ProgramSyntaxError",
    "Result",
    "Session",
    "Training",
    "UsageError",
    "__version__",
    "evaluate",
    "train",
]


def __getattr__(name: str) -> object:
    """Import the public names on first use (PEP 562)."""
    if name in __all__:
        from gradcalc import api

        value = getattr(api, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'gradcalc' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
