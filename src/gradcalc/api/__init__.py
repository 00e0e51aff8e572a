"""gradcalc's Python API: ``evaluate``, ``Session``, ``train`` and their results; public and stable.

``import gradcalc`` re-exports these names (lazily). The reference is docs/API.md, written from these
docstrings by ``scripts/api_reference.py``. What is not listed in ``__all__`` is internal and may change.
"""

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
