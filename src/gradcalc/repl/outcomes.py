"""What a REPL line produces, as data: the session and the commands return these; the front ends show them.

Kept apart from the session so that the session (the model), the command registry and the display
can all import them without importing one another.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the prompt comes up before the pipeline is imported (repl/terminal.py)
    from gradcalc.program import Result


@dataclass(slots=True)
class InputSet:
    """``x = 2``: an input created or changed; nothing needs evaluating."""

    name: str
    value: float


@dataclass(slots=True, eq=False)
class Assigned:
    """``g = (x+y)*z``: the name and its value.

    An assignment shows its value only, which the session knows without a backward pass (its value
    cache); the whole evaluation (gradients, labels) is made only if someone asks for ``result``, so a
    line costs the same after 10,000 statements as after one. ``kinked``: a gate this statement made is
    at a point with no derivative, which is worth a warning (nodes from ``first_node`` on are its own).
    """

    name: str
    value: float
    evaluate: Callable[[], Result]
    kinked: bool = False
    first_node: int = 0

    @property
    def result(self) -> Result:
        return self.evaluate()


@dataclass(slots=True)
class Evaluated:
    """An expression line, ``:grad``: the value and the gradient with respect to each input."""

    result: Result


@dataclass(slots=True)
class TableShown:
    """``:table``: every node with its value, local derivatives and gradient."""

    result: Result


@dataclass(slots=True)
class Explained:
    """``:explain``: the forward and backward passes told step by step."""

    result: Result


@dataclass(slots=True)
class HessianShown:
    """``:hessian``: the second derivatives of ``result``'s output with respect to every input."""

    result: Result
    matrix: list[list[float]]


@dataclass(slots=True)
class Drawn:
    """``:show``: the graph drawn as text, inline (the front end knows the width and the colours)."""

    result: Result


@dataclass(slots=True)
class Variable:
    name: str
    label: str
    op: str  # "input", or the node's gate symbol
    value: float | None  # None: undefined at the current inputs (see ``error``)
    grad: float | None  # d(last result)/d(this node); None when the last result does not depend on it
    error: str | None = None


@dataclass(slots=True)
class VariablesShown:
    """``:vars``: every bound name, its value, and the last result's gradient with respect to it."""

    variables: list[Variable]
    output_label: str | None  # the last result's label, for the gradient column


@dataclass(slots=True)
class Message:
    text: str


@dataclass(slots=True)
class HelpShown:
    commands: list[tuple[str, str]]  # (usage, summary)
    intro: str


@dataclass(slots=True)
class WatchSet:
    """``:watch on|off``: the terminal's live panel, which the front end owns, turned on or off."""

    on: bool


@dataclass(slots=True)
class ServeSet:
    """``:serve [--port N]``, ``:serve off``: the live page, which the front end owns, started or stopped."""

    on: bool
    port: int | None = None


@dataclass(slots=True)
class Quit:
    pass


Outcome = (
    InputSet
    | Assigned
    | Evaluated
    | TableShown
    | Explained
    | HessianShown
    | Drawn
    | VariablesShown
    | Message
    | HelpShown
    | WatchSet
    | ServeSet
    | Quit
)
