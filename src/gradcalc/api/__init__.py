"""gradcalc's Python API: ``evaluate``, ``Session``, ``train`` and their results; public and stable.

``import gradcalc`` re-exports these names. The reference is docs/API.md, written from these docstrings
by ``scripts/api_reference.py``. What is not listed in ``__all__`` is internal and may change.

Each name is imported on first use, from its own module: ``evaluate`` imports neither the REPL's session
nor training, and importing this package imports nothing.
"""

from __future__ import annotations

TYPE_CHECKING = False  # not typing's: see gradcalc/__init__.py
if TYPE_CHECKING:
    from gradcalc.api.guard import InternalError
    from gradcalc.api.pictures import Picture
    from gradcalc.api.results import Node, Result, evaluate
    from gradcalc.api.session import Line, Session
    from gradcalc.api.training import Training, train
    from gradcalc.errors import EvaluationError, GradcalcError, ProgramSyntaxError, UsageError

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
    "evaluate",
    "train",
]

# Where each name lives: the first use of a name imports its module alone (evaluate needs no session).
_MODULES = {
    "evaluate": "gradcalc.api.results",
    "Result": "gradcalc.api.results",
    "Node": "gradcalc.api.results",
    "Picture": "gradcalc.api.pictures",
    "Session": "gradcalc.api.session",
    "Line": "gradcalc.api.session",
    "train": "gradcalc.api.training",
    "Training": "gradcalc.api.training",
    "InternalError": "gradcalc.api.guard",
    "GradcalcError": "gradcalc.errors",
    "ProgramSyntaxError": "gradcalc.errors",
    "EvaluationError": "gradcalc.errors",
    "UsageError": "gradcalc.errors",
}


def __getattr__(name: str) -> object:
    """Import the public names on first use (PEP 562)."""
    if name in _MODULES:
        value = getattr(__import__(_MODULES[name], fromlist=[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'gradcalc.api' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
