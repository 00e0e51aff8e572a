"""The API's promise about errors: only ``GradcalcError`` leaves it.

Errors a user can cause are already ``GradcalcError`` subclasses (``gradcalc.errors``). Anything else
raised inside the library is a bug in gradcalc; the command line reports those as "internal error", and
the API raises them as ``InternalError`` (itself a ``GradcalcError``) with the original exception
chained as its ``__cause__``, so a notebook cell can catch one class and a bug report keeps its traceback.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import ParamSpec, TypeVar

from gradcalc.errors import GradcalcError

P = ParamSpec("P")
T = TypeVar("T")


class InternalError(GradcalcError):
    """A bug in gradcalc, not in the program: the original exception is chained as ``__cause__``."""

    kind = "internal error"


@contextmanager
def guarded() -> Iterator[None]:
    """Let ``GradcalcError`` (and Ctrl-C) through; turn any other exception into ``InternalError``."""
    try:
        yield
    except GradcalcError:
        raise
    except RecursionError as exc:
        raise InternalError(f"RecursionError: {exc}", hint="this is a bug in gradcalc; please report it") from exc
    except Exception as exc:
        raise InternalError(f"{type(exc).__name__}: {exc}", hint="this is a bug in gradcalc; please report it") from exc


def api_call(function: Callable[P, T]) -> Callable[P, T]:
    """Decorate a public function or method with ``guarded``."""

    @wraps(function)
    def call(*args: P.args, **kwargs: P.kwargs) -> T:
        with guarded():
            return function(*args, **kwargs)

    return call
