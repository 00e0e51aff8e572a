"""Gradient descent on a program's inputs: the training loop that gradients exist for.

The program's output is the loss; ``wrt`` names the inputs being learned; every other input is fixed,
or bound to a data column (``--data``), one value per row. Each step runs the forward pass, the backward
pass and the update ``w = w - lr * dloss/dw`` (with momentum, ``v = momentum * v - lr * g; w = w + v``).

The program is parsed and lowered once. The graph is then run over *all rows at once*: each node's value
is a NumPy array with one entry per row (a scalar where the node does not depend on the data), using the
op table's array rules (``Op.array_rules``). The loss of a step is the mean of the output over the rows
(batch gradient descent), so d(loss)/d(output) is 1/n on each row and a learned input's gradient is the
sum of its per-row gradients. With ``sgd`` a step is one row, the rows visited in an order shuffled by
``seed`` anew each pass over the data.

NumPy is imported here, and this module is imported only by ``train``: ``gradcalc eval`` never loads it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from functools import partial
from typing import Any

import numpy as np

from gradcalc import ast
from gradcalc.dataset import Dataset
from gradcalc.engine import op_call_text, order_for
from gradcalc.errors import EvaluationError, UsageError
from gradcalc.graph import Graph
from gradcalc.labels import node_labels
from gradcalc.lowering import lower, on_command_line
from gradcalc.numbers import format_number
from gradcalc.parser import gc_paused, parse
from gradcalc.source import Source


class Stop(Enum):
    """Why training stopped."""

    STEPS = "reached the step limit (--steps)"
    LOSS_CHANGE = "the loss changed by less than --tol (relative)"
    GRADIENT = "the gradient norm fell below --tol"


@dataclass(frozen=True, slots=True)
class Settings:
    lr: float = 0.01
    steps: int = 1000
    tol: float = 1e-12  # stop when the loss changes by less, or the gradient norm falls below; 0 never stops early
    momentum: float = 0.0
    sgd: bool = False
    seed: int = 0
    newton: bool = False  # Newton steps w <- w - H^-1 grad (the Hessian from gradcalc.hessian); lr is not used


class History:
    """Each step's loss, gradient norm, learned values and gradient, in NumPy arrays that grow by doubling.

    Row k is step k: the learned values after k updates, and the loss and gradient there. Row 0 is the
    start, and the last row the end, so a training of N steps has N + 1 rows (its curve runs from step
    0 to step N). With ``sgd`` a row's loss is that of the data row the next update uses, except the last
    row's, which is the mean over all rows, as the final loss is.
    """

    def __init__(self, width: int, capacity: int = 1024) -> None:
        self.losses = np.empty(capacity)
        self.grad_norms = np.empty(capacity)
        self.values = np.empty((capacity, width))
        self.gradients = np.empty((capacity, width))
        self.size = 0

    def __len__(self) -> int:
        return self.size

    def add(self, loss: float, norm: float, values: Any, gradient: Any) -> None:
        k = self.size
        if k == len(self.losses):
            self._resize(2 * k)
        self.losses[k], self.grad_norms[k], self.values[k], self.gradients[k] = loss, norm, values, gradient
        self.size = k + 1

    def trim(self) -> History:
        """Drop the rows never filled."""
        self._resize(self.size)
        return self

    def _resize(self, capacity: int) -> None:
        def resized(array: Any) -> Any:
            grown = np.empty((capacity, *array.shape[1:]))
            kept = min(self.size, capacity)
            grown[:kept] = array[:kept]
            return grown

        self.losses, self.grad_norms = resized(self.losses), resized(self.grad_norms)
        self.values, self.gradients = resized(self.values), resized(self.gradients)


@dataclass(slots=True, eq=False)
class Trained:
    wrt: tuple[str, ...]
    initial: tuple[float, ...]
    values: tuple[float, ...]  # the learned values
    loss: float  # the loss at the learned values (the mean over all rows)
    gradient: tuple[float, ...]  # its gradient there
    steps: int  # the number of updates made; the history has one row more (step 0, the start)
    stop: Stop
    rows: int  # data points per pass (1 without --data)
    settings: Settings
    history: History


class TrainingDiverged(EvaluationError):
    """The loss or a gradient stopped being a finite number."""


class Trainer:
    """A program lowered once, ready to be trained any number of times."""

    def __init__(
        self,
        source: Source,
        wrt: Sequence[str],
        fixed: Mapping[str, float] | None = None,
        data: Dataset | None = None,
    ) -> None:
        fixed = dict(fixed or {})
        self.wrt = tuple(dict.fromkeys(wrt))
        if not self.wrt:
            raise UsageError("name the inputs to learn with --wrt, e.g. --wrt w,b")
        columns, where = (data.columns, data.name) if data is not None else ({}, "")
        self.data = data
        for name in self.wrt:
            if name in columns:
                raise UsageError(f"{name} is a column of {where}: --wrt names inputs to learn, not data")
        for name in fixed:
            if name in columns:
                raise UsageError(f"{name} is both given as {name}=... and a column of {where}")

        with gc_paused():
            program = parse(source)
            assigned = {s.name for s in program.statements if isinstance(s, ast.Assign)}
            # A learned input the program leaves unset starts at 0; data columns start at their first row.
            overrides = {name: 0.0 for name in self.wrt if name not in assigned}
            overrides |= fixed | {name: values[0] for name, values in columns.items()}
            graph = Graph()
            lowered = lower(program, graph, overrides, _missing_hint(data))
        if lowered.output is None:
            raise UsageError("the program is empty: write the loss, e.g. (w*x + b - y)^2")
        self.graph, self.output = graph, lowered.output
        self.unused_columns = [name for name in columns if name in lowered.unused_overrides]
        self.unused_bindings = [name for name in fixed if name in lowered.unused_overrides]

        order = order_for(graph, self.output)
        used = set(order)
        self.wrt_nodes = tuple(self._input_node(name, used, "learn") for name in self.wrt)
        self.data_nodes = tuple(
            (self._input_node(name, used, "bind to data"), np.asarray(values, dtype=np.float64))
            for name, values in columns.items()
            if name not in self.unused_columns
        )
        self.initial = tuple(float(graph.nodes[i].param or 0.0) for i in self.wrt_nodes)
        self.labels = node_labels(graph, order, self.output)
        self._plan = _Plan(graph, order, self.output, self.wrt_nodes)

    def _input_node(self, name: str, used: set[int], purpose: str) -> int:
        node = self.graph.bindings.get(name)
        if node is None:
            raise UsageError(f"cannot {purpose} {name}: the program has no input named {name}")
        if not self.graph.nodes[node].is_input:
            raise UsageError(f"cannot {purpose} {name}: the program computes {name}, it is not an input")
        if node not in used:
            raise UsageError(f"cannot {purpose} {name}: the loss does not depend on {name}")
        return node

    @property
    def rows(self) -> int:
        return self.data.rows if self.data is not None and self.data_nodes else 1

    def loss_and_gradient(self, values: Sequence[float], rows: slice | None = None) -> tuple[float, list[float]]:
        """The mean loss over ``rows`` (all by default) at learned values ``values``, and its gradient."""
        data = [(node, column if rows is None else column[rows]) for node, column in self.data_nodes]
        return self._plan.run(values, data)

    def train(self, settings: Settings, on_step: Callable[[int], None] | None = None) -> Trained:
        """Run gradient descent; ``on_step(k)`` is called after each update (for a progress bar)."""
        _check_settings(settings, self.rows if self.data_nodes else 0)
        history = History(len(self.wrt), capacity=min(settings.steps + 1, 1024))
        values = np.array(self.initial, dtype=np.float64)
        velocity = np.zeros_like(values)
        lr, momentum, tol = settings.lr, settings.momentum, settings.tol
        stop = Stop.STEPS
        batches = self._batches(settings)
        previous: float | None = None
        updates = 0
        with np.errstate(all="ignore"):
            for k in range(1, settings.steps + 1):
                rows, epoch_done = next(batches)
                loss, gradient = self._evaluate(values, rows, k)
                norm = math.sqrt(math.fsum(g * g for g in gradient))
                history.add(loss, norm, values, gradient)
                if not settings.sgd:
                    if norm <= tol:
                        stop = Stop.GRADIENT
                        break
                    if previous is not None and _settled(previous, loss, tol):
                        stop = Stop.LOSS_CHANGE
                        break
                    previous = loss
                if settings.newton:
                    values = values - self._newton_step(values, k)
                else:
                    velocity = momentum * velocity - lr * np.asarray(gradient)
                    values = values + velocity
                updates = k
                if on_step is not None:
                    on_step(k)
                if settings.sgd and epoch_done and tol:
                    # Per-row losses are noisy: the stop test compares the mean loss of whole passes.
                    epoch_loss = self._evaluate(values, None, k + 1)[0]
                    if previous is not None and _settled(previous, epoch_loss, tol):
                        stop = Stop.LOSS_CHANGE
                        break
                    previous = epoch_loss
            final, gradient = self._evaluate(values, None, updates + 1, after=True)
        if len(history) == updates:  # the loop ended on an update: the end is not in the history yet
            history.add(final, math.sqrt(math.fsum(g * g for g in gradient)), values, gradient)
        return Trained(
            self.wrt,
            self.initial,
            tuple(values.tolist()),
            final,
            tuple(gradient),
            updates,
            stop,
            self.rows,
            settings,
            history.trim(),
        )

    def hessian(self, values: Sequence[float]) -> list[list[float]]:
        """The Hessian of the mean loss over the data rows in the learned inputs, at ``values``.

        Evaluated on numbers, row by row (forward mode over each row's backward pass): a Newton step
        costs rows x inputs passes, where a gradient step costs one pass over all rows as arrays.
        """
        from gradcalc.engine import evaluate
        from gradcalc.hessian import hessian_row

        nodes, k = self.graph.nodes, len(self.wrt_nodes)
        saved = [nodes[i].param for i in self.wrt_nodes] + [nodes[i].param for i, _ in self.data_nodes]
        total = [[0.0] * k for _ in range(k)]
        try:
            for node, value in zip(self.wrt_nodes, values):
                nodes[node].param = float(value)
            for row in range(self.rows):
                for node, column in self.data_nodes:
                    nodes[node].param = float(column[row])
                evaluation = evaluate(self.graph, self.output)
                for j, seed in enumerate(self.wrt_nodes):
                    second = hessian_row(evaluation, seed)
                    for m, other in enumerate(self.wrt_nodes):
                        total[j][m] += second[other] / self.rows
        finally:
            for node, before in zip([*self.wrt_nodes, *(i for i, _ in self.data_nodes)], saved):
                nodes[node].param = before
        return total

    def _newton_step(self, values: Any, step: int) -> Any:
        """H^-1 grad at ``values``; a clear error where the Hessian is singular or not positive definite."""
        _, gradient = self._evaluate(values, None, step)
        matrix = np.array(self.hessian(values.tolist()), dtype=np.float64)
        where = f"at step {step} ({', '.join(f'{n} = {format_number(v)}' for n, v in zip(self.wrt, values.tolist()))})"
        if not np.all(np.isfinite(matrix)):
            raise TrainingDiverged(f"the Hessian is not finite {where}: Newton's method cannot go on")
        eigenvalues = np.linalg.eigvalsh((matrix + matrix.T) / 2.0)
        scale = max(1.0, float(np.max(np.abs(eigenvalues))))
        if np.min(np.abs(eigenvalues)) <= 1e-12 * scale:
            raise TrainingDiverged(f"the Hessian is singular {where}: a Newton step is not defined there",
                                   hint="start elsewhere, or take gradient steps (without --newton)")
        if np.min(eigenvalues) < 0.0:
            raise TrainingDiverged(
                f"the Hessian is not positive definite {where} (smallest eigenvalue "
                f"{format_number(float(np.min(eigenvalues)))}): a Newton step would head for a maximum or a saddle",
                hint="start nearer a minimum, or take gradient steps (without --newton)",
            )
        return np.linalg.solve(matrix, np.asarray(gradient, dtype=np.float64))

    def _batches(self, settings: Settings) -> Iterator[tuple[slice | None, bool]]:
        """Endless (rows, last of a pass) pairs: all rows each step, or one row at a time with ``sgd``."""
        if not settings.sgd:
            while True:
                yield None, True
        rng = np.random.default_rng(settings.seed)
        n = self.rows
        while True:
            order = rng.permutation(n)
            for position, row in enumerate(order.tolist(), start=1):
                yield slice(row, row + 1), position == n

    def _evaluate(self, values: Any, rows: slice | None, step: int, after: bool = False) -> tuple[float, list[float]]:
        try:
            return self.loss_and_gradient(values.tolist(), rows)
        except _NotFinite as problem:
            raise self._diverged(problem, rows, step, after) from None

    def _diverged(self, problem: _NotFinite, rows: slice | None, step: int, after: bool) -> TrainingDiverged:
        if problem.gradient_of is not None:
            what = f"the gradient of {problem.gradient_of} is {problem.value}"
        else:
            nodes, labels = self.graph.nodes, self.labels
            node = nodes[problem.node]
            where = labels[problem.node]
            if node.args:
                where += " = " + op_call_text(node.op, [labels[a] for a in node.args], node.param)
            if problem.row is not None:
                where += f" on data row {problem.row + (rows.start if rows is not None else 0) + 1}"
            what = f"the loss is {problem.loss}: {where} is {problem.value}"
        if step == 1:
            return TrainingDiverged(
                f"training cannot start: {what} at the starting values",
                hint="check the starting values of the inputs and the data",
            )
        when = f"after step {step - 1}" if after else f"at step {step}"
        return TrainingDiverged(
            f"training diverged {when}: {what}", hint="try a smaller --lr (or a smaller --momentum)"
        )


def _missing_hint(data: Dataset | None) -> Callable[[str], str]:
    """How to give a name a value in training: a column of the data file, or an argument."""
    if data is None:
        return on_command_line

    def hint(name: str) -> str:
        columns = ", ".join(data.columns)
        return (
            f"{data.name} has no column {name} (its columns are {columns}): add one, "
            f"or give {name} one value with the argument {name}=1"
        )

    return hint


def _settled(previous: float, loss: float, tol: float) -> bool:
    """The loss changed by at most ``tol`` relative to its size (so a loss falling to 0 keeps going)."""
    return abs(previous - loss) <= tol * max(abs(previous), abs(loss))


def _check_settings(settings: Settings, data_rows: int) -> None:
    if not (settings.lr > 0.0 and math.isfinite(settings.lr)):
        raise UsageError(f"--lr must be a positive number, not {format_number(settings.lr, 17)}")
    if settings.steps < 1:
        raise UsageError("--steps must be at least 1")
    if not 0.0 <= settings.momentum < 1.0:
        raise UsageError(f"--momentum must be at least 0 and below 1, not {format_number(settings.momentum, 17)}")
    if settings.tol < 0.0:
        raise UsageError("--tol must not be negative")
    if settings.newton and (settings.sgd or settings.momentum):
        raise UsageError("--newton takes whole Newton steps: it does not combine with --sgd or --momentum")
    if settings.sgd and not data_rows:
        raise UsageError("--sgd visits the data one row at a time: it needs --data FILE.csv")


class _NotFinite(Exception):
    """The loss or a gradient is not a finite number, and the first node whose value went wrong."""

    def __init__(
        self, node: int, value: str, row: int | None = None, loss: str = "", gradient_of: str | None = None
    ) -> None:
        super().__init__(node)
        self.node, self.value, self.row, self.loss, self.gradient_of = node, value, row, loss, gradient_of


class _Plan:
    """The forward and backward passes of one graph as flat loops over NumPy arrays."""

    def __init__(self, graph: Graph, order: list[int], output: int, wrt: tuple[int, ...]) -> None:
        nodes = graph.nodes
        self.size, self.output, self.wrt = len(nodes), output, wrt
        self.labels = {i: nodes[i].name or "" for i in wrt}
        self.leaves = [(i, np.float64(nodes[i].param)) for i in order if not nodes[i].args]
        needs_grad = [False] * len(nodes)  # does the node depend on a learned input?
        for i in wrt:
            needs_grad[i] = True
        self.forward: list[tuple[int, Callable[..., Any], tuple[int, ...]]] = []
        self.backward: list[tuple[int, Callable[..., Any], tuple[int, ...], tuple[tuple[int, int], ...]]] = []
        for i in order:
            node = nodes[i]
            if not node.args:
                continue
            forward, local = node.op.array_rules(np)
            if node.op.parametric:
                forward, local = partial(forward, node.param), partial(local, node.param)
            self.forward.append((i, forward, node.args))
            targets = tuple((k, a) for k, a in enumerate(node.args) if needs_grad[a])
            if targets:
                needs_grad[i] = True
                self.backward.append((i, local, node.args, targets))
        self.backward.reverse()

    def run(self, learned: Sequence[float], data: list[tuple[int, Any]]) -> tuple[float, list[float]]:
        values: list[Any] = [None] * self.size
        for i, value in self.leaves:
            values[i] = value
        for i, learned_value in zip(self.wrt, learned):
            values[i] = np.float64(learned_value)
        for i, column in data:
            values[i] = column
        for i, forward, args in self.forward:
            values[i] = forward(*[values[a] for a in args])

        out = values[self.output]
        rows = out.size if np.ndim(out) else 1
        loss = float(np.sum(out)) / rows
        if not math.isfinite(loss):
            raise self._first_not_finite(values, format_number(loss))

        # Backpropagate the sum of the output over the rows, and divide by their number at the end:
        # d(sum)/d(out) is 1 on every row, so no pass over the arrays is spent on the 1/n.
        grads: list[Any] = [None] * self.size
        grads[self.output] = 1.0
        for i, local, args, targets in self.backward:
            upstream = grads[i]
            if upstream is None:
                continue
            slopes = local(*[values[a] for a in args], values[i])
            for k, a in targets:
                slope = slopes[k]
                # Multiplying a whole array by 1.0 (the gradient at the output, the slopes of + and -) is a
                # wasted pass over the rows: skip it. No array is ever changed in place, so sharing is safe.
                if upstream.__class__ is float and upstream == 1.0:
                    contribution = slope
                elif slope.__class__ is float and slope == 1.0:
                    contribution = upstream
                else:
                    contribution = upstream * slope
                grads[a] = contribution if grads[a] is None else grads[a] + contribution
        gradient = [0.0 if grads[i] is None else float(np.sum(grads[i])) / rows for i in self.wrt]
        for i, g in zip(self.wrt, gradient):
            if not math.isfinite(g):
                raise _NotFinite(i, format_number(g), gradient_of=self.labels[i])
        return loss, gradient

    def _first_not_finite(self, values: list[Any], loss: str) -> _NotFinite:
        """The first node, in evaluation order, whose value is not finite (on some row)."""
        for i, _, _ in self.forward:
            finite = np.isfinite(values[i])
            if not np.all(finite):
                if np.ndim(finite):
                    row = int(np.argmin(finite))
                    return _NotFinite(i, format_number(float(values[i][row])), row, loss)
                return _NotFinite(i, format_number(float(values[i])), None, loss)
        return _NotFinite(self.output, loss, None, loss)
