"""A REPL session: one graph that grows as lines are typed, and what each line shows.

Lines are the language of ``gradcalc eval`` (statements separated by newlines or ``;``) or
``:``-commands. Each statement is lowered into the session's one graph, so bindings persist and an
input assigned a constant again (``x = 2``) changes in place: everything built from it sees the new
value the next time it is shown. A statement that fails leaves the graph as it was before it.

``ans`` is the last result. It is resolved when a line uses it, by binding the name to the result's
node (and, for an unnamed result, naming the node ``ans``, so tables show where it came from). Once
the user assigns ``ans`` themselves it is their name like any other, until ``:del ans``.

The session is the model: it returns outcomes (data, ``outcomes``) and knows nothing of the commands
(``commands`` runs them on it) or of how the front ends show what it returns.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

from gradcalc import ast
from gradcalc.engine import Evaluation, ValueCache, run_tape
from gradcalc.errors import EvaluationError, UsageError
from gradcalc.graph import Graph
from gradcalc.labels import name_labels, node_labels
from gradcalc.lowering import Functions, lower
from gradcalc.ops import CONST, CONSTANTS, INPUT
from gradcalc.parser import parse
from gradcalc.program import Result, view_of
from gradcalc.repl.kept_labels import KeptLabels
from gradcalc.repl.outcomes import Assigned, Evaluated, InputSet, Message, Outcome, Variable, VariablesShown
from gradcalc.repl.settings import Settings
from gradcalc.repl.tapes import Tapes
from gradcalc.repl.transcript import Deletion, Entry, Transcript, number_text
from gradcalc.source import Source
from gradcalc.views.kept_picture import KeptPicture

ANS = "ans"
SHOWN_KEPT = 4  # results kept for views while the graph is unchanged: a 15,000-node one holds a few MB


# -- the session --------------------------------------------------------------------------------------


@dataclass
class Session:
    settings: Settings = field(default_factory=Settings)
    source_name: str = "<input>"

    def __post_init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.graph = Graph()
        self.values = ValueCache()  # what assignments show, computed once per node (see ``value_of``)
        self.tapes = Tapes()  # the latest result's tape, grown line by line: what gradients are shown from
        # The results shown since the graph last changed, by what they were asked for: a second view of
        # one (``h``, then ``:table``, ``:explain``, ``:render``) costs the view, not the passes again.
        self._shown: dict[_Shown, Result] = {}
        self._labels = KeptLabels()  # and their labels, which a line that sets an input in place leaves as they are
        self.picture = KeptPicture()  # the last picture ``:render`` drew, to write only its numbers again
        self.functions: Functions = {}  # the functions defined so far: later lines call them
        self.transcript = Transcript()
        self.last: int | None = None  # the last result's node: what ``ans`` means
        self.drawn: int | None = None  # the last result that is not a bare input: what the drawings follow
        self.own_ans = False  # the user assigned ``ans`` themselves
        self._constants_shadowed = False  # some statement bound pi or e: constant texts may mean other things

    # -- lines ----------------------------------------------------------------------------------------

    def run(self, text: str, line: int = 1, source_name: str | None = None) -> list[Outcome]:
        """Run one line (or a multi-line chunk) of statements (``commands.run_line`` runs ``:``-commands)."""
        return self.execute(Source(text, source_name or self.source_name, first_line=line))

    def execute(self, source: Source, *, every: bool = True) -> list[Outcome]:
        """Lower every statement into the graph, then show each one (``x = 1; y = 3`` shows both).

        With ``every`` False (a loaded file) only the last statement is shown.
        """
        program = parse(source)
        if not program.statements:
            return []
        # A binding may set an input in place or name a node: what was shown is old. An expression only
        # adds nodes (which a result's key counts): ``h`` typed again is shown from before.
        if not all(isinstance(statement, _EXPRESSIONS) for statement in program.statements):
            self._shown.clear()
        if not self.own_ans and self.last is not None and _uses_before_assigning(program, ANS):
            self._shown.clear()  # the result may be named ans
            self._bind_ans()
        lowered = [self._statement(program, statement) for statement in program.statements]
        self.drawn = next(
            (node for _, node, is_input, _ in reversed(lowered) if not is_input and node >= 0), self.drawn
        )
        return [self._outcome(*statement) for statement in lowered[0 if every else -1 :]]

    def _outcome(self, name: str | None, node: int, is_input: bool, first_node: int) -> Outcome:
        if node < 0:  # a definition, or a loop that made nothing: ``name`` says what happened
            return Message(name or "")
        if name is None:
            return Evaluated(self.result_of(node))
        if is_input:  # nothing to evaluate: an input's value is its own
            return InputSet(name, self.graph.nodes[node].param or 0.0)
        if self.settings.expanded:  # the value of the expanded gates, which may differ in the last digit
            full = self.result_of(node, name)
            return Assigned(name, full.evaluation.value, lambda: full, bool(full.evaluation.warnings))
        value = self.value_of(node)
        evaluated = functools.cache(lambda: self.result_of(node, name))
        return Assigned(name, value, evaluated, self._kinked(first_node, node), first_node)

    def _forget_changed_inputs(self, saved: _Snapshot) -> None:
        """Forget the cached values from the first input whose value a loop changed in place."""
        nodes = self.graph.nodes
        changed = [i for i, value in saved[1] if i < len(nodes) and nodes[i].param != value]
        if changed:
            self.values.forget_from(min(changed))

    def value_of(self, node: int) -> float:
        """A node's value, computing only what no earlier line computed (``engine.ValueCache``)."""
        return self.values.value(self.graph, node)

    def _kinked(self, first_node: int, output: int) -> bool:
        """Whether a gate the statement made (``first_node`` to ``output``) is at a point with no derivative."""
        nodes, values, known = self.graph.nodes, self.values.values, self.values.known
        for i in range(first_node, output + 1):
            kink = nodes[i].op.kink
            if kink is not None and known[i] and kink(*(values[a] for a in nodes[i].args)):
                return True
        return False

    def _statement(self, program: ast.Program, statement: ast.Statement) -> tuple[str | None, int, bool, int]:
        """Lower one statement; its name, its node, whether it set an input, and the first node it made."""
        graph = self.graph
        name = statement.name if isinstance(statement, ast.Assign) else None
        before = len(graph.nodes)
        bound_before = graph.bindings.get(name) if name else None
        # A loop binds names and sets inputs step by step: if a later step fails, put them back.
        saved = _snapshot(graph) if isinstance(statement, ast.Loop) else None
        try:
            lowered = lower(ast.Program([statement], program.source), graph, functions=self.functions)
        except BaseException:  # an error, or Ctrl-C in a long paste: nothing was bound yet (or is put back)
            graph.truncate(before)
            self.values.forget_from(before)
            self.tapes.forget_from(before)
            if saved is not None:
                self._forget_changed_inputs(saved)
                _restore(graph, saved)
            raise
        if saved is not None:  # the loop may have changed inputs in place: what follows them may change too
            self._forget_changed_inputs(saved)
        node = lowered.output
        if node is not None and node < before and graph.nodes[node].op is INPUT:  # maybe changed in place
            self.values.forget_from(node)
        if node is not None:
            self.tapes.follow(graph, node)
        text = program.source.text[statement.start : statement.end]
        if isinstance(statement, ast.FunctionDef):
            self.transcript.add(Entry(text, -1, "define", statement.name))
            return f"defined {self.functions[statement.name].signature}", -1, False, before
        if isinstance(statement, ast.Loop):
            self.transcript.add(Entry(text, -1 if node is None else node, "loop", lowered.output_name))
            if node is None:
                return "the loop made no nodes", -1, False, before
            self.last = node
            return lowered.output_name, node, False, before
        assert node is not None
        self.last = node
        if not isinstance(statement, ast.Assign):
            self.transcript.add(Entry(text, node, "expr"))
            return None, node, False, before
        if name == ANS:
            self.own_ans = True
        if name in CONSTANTS:
            self._constants_shadowed = True
        target = graph.nodes[node]
        if target.op is INPUT and target.name == name and (node >= before or bound_before == node):
            self.transcript.add(Entry(text, node, "input" if node >= before else "update", name))
            value_text = program.source.text[statement.expr.start : statement.expr.end]
            self.transcript.set_input_text(node, None if self._constants_shadowed else value_text)
            return name, node, True, before
        self.transcript.add(Entry(text, node, "bind", name))
        return name, node, False, before

    def _bind_ans(self) -> None:
        """Make ``ans`` name the last result, in a way ``:save`` can write as a statement."""
        graph, last = self.graph, self.last
        assert last is not None
        node = graph.nodes[last]
        if node.name is not None:
            if graph.bindings.get(ANS) != last:
                graph.bind(ANS, last)
                self.transcript.add(Entry(f"{ANS} = {node.name}", last, "alias", ANS))
        elif node.op is CONST:  # a constant line (2*3): ans is an input with its value, as `ans = 6` makes
            value = number_text(node.param or 0.0)
            self._statement(*_one_statement(Source(f"{ANS} = {value}", "<ans>")))
            self.own_ans = False
        else:
            graph.bind(ANS, last)
            self.transcript.name_result_ans(last)

    # -- what commands need ---------------------------------------------------------------------------

    def result_of(self, node: int, name: str | None = None) -> Result:
        """Evaluate ``node`` (forward and backward over its ancestors only) with the session's settings.

        From the session's tape (``repl.tapes``): what the REPL shows of a 15,000-node result (the table's
        200 rows, the summary) then costs the passes, the labels and the drawing, not a search for its
        ancestors. A result asked for again before the graph changes is the one made the first time.
        """
        key = (node, name, self.settings.expanded, self.settings.collapsed, len(self.graph.nodes))
        result = self._shown.get(key)
        if result is None:
            if len(self._shown) >= SHOWN_KEPT:
                self._shown.clear()
            result = self._shown[key] = self._view(self.graph, node, name, keep=True)
        return result

    def _view(self, graph: Graph, node: int, name: str | None, *, keep: bool) -> Result:
        tape = self.tapes.tape(graph, node, keep=keep)
        expanded, collapsed = self.settings.expanded, self.settings.collapsed
        if expanded or collapsed or graph is not self.graph:  # a graph made anew, or a scratch copy
            return view_of(graph, node, name, expanded=expanded, collapsed=collapsed, tape=tape)
        labels = self._labels.get(graph, node)
        result = view_of(graph, node, name, tape=tape, labels=labels)
        if labels is None:
            self._labels.keep(graph, node, result.labels)
        return result

    def last_result(self) -> Result:
        if self.last is None:
            raise UsageError("nothing has been computed yet", hint="type an expression such as (x + y) * z")
        return self.result_of(self.last)

    def drawn_result(self) -> Result:
        """What ``:show``, ``:watch`` and ``:serve`` draw: the last result that is not a bare input.

        So ``x = 2`` changes the numbers of the drawing, not which graph it shows.
        """
        node = self.drawn if self.drawn is not None else self.last
        if node is None:
            raise UsageError("nothing to show yet", hint="type an expression such as (x + y) * z")
        return self.result_of(node)

    def result_of_text(self, text: str) -> Result:
        """The last result (empty text), or an expression's, evaluated without changing the session."""
        text = text.strip()
        if not text:
            return self.last_result()
        source = Source(text, "<expression>")
        program = parse(source)
        if len(program.statements) != 1 or isinstance(program.statements[0], ast.Assign):
            raise UsageError("expected one expression or name", hint="e.g. :table g  or  :table (x + y) * z")
        statement = program.statements[0]
        name = statement.id if isinstance(statement, ast.Name) else None
        bound = None if name is None else self.graph.bindings.get(name)
        if bound is not None and (name != ANS or self.own_ans):  # a name: its node as it is
            return self.result_of(bound, name)
        scratch = self.graph.copy()  # expressions only append nodes: a copy of the lists is enough
        if not self.own_ans and self.last is not None:
            scratch.bindings[ANS] = self.last  # a binding only: shared nodes must not be renamed
        node = lower(program, scratch, functions=self.functions).output
        assert node is not None
        return self._view(scratch, node, name, keep=False)  # the scratch nodes are not the session's

    def variables(self) -> VariablesShown:
        """Every bound name with its value and the last result's gradient with respect to it."""
        graph = self.graph
        last: Evaluation | None = None
        label: str | None = None
        if self.last is not None:
            try:
                if self.settings.expanded or self.settings.collapsed:  # the shown result's graph is another
                    last = run_tape(graph, self.tapes.tape(graph, self.last))
                    label = node_labels(graph, last.order, last.output)[last.output]
                else:  # the result shown, as ``:grad`` shows it
                    shown = self.result_of(self.last)
                    last, label = shown.evaluation, shown.output_label
            except EvaluationError:
                last = None
        in_last = set(last.order) if last is not None else set()
        labels = name_labels(graph, set(graph.bindings.values()))
        rows = []
        for name, node in sorted(graph.bindings.items(), key=lambda item: (not graph.nodes[item[1]].is_input, item[1])):
            target = graph.nodes[node]
            op = "input" if target.is_input else target.op.gate_symbol(target.param, number_text)
            value: float | None = None
            grad: float | None = None
            error = None
            if last is not None and node in in_last:
                value, grad = last.values[node], last.grads[node]
            else:
                try:
                    value = self.value_of(node)
                except EvaluationError as exc:
                    error = exc.message
            rows.append(Variable(name, labels.get(node, name), op, value, grad, error))
        return VariablesShown(rows, label)

    def delete(self, name: str) -> None:
        graph = self.graph
        if name not in graph.bindings:
            raise UsageError(f"the name '{name}' is not bound", hint=":vars lists the names")
        graph.unbind(name)
        self._shown.clear()  # what was shown, was shown while the name was bound
        self.transcript.add(Deletion(name))
        if name == ANS:
            self.own_ans = False

    def load(self, text: str, name: str) -> list[Outcome]:
        return self.execute(Source(text, name), every=False)

    def program_text(self) -> str:
        return self.saved_program()[0]

    def saved_program(self) -> tuple[str, int]:
        """The session as a program (what ``:save`` writes), and how many statements it has."""
        flags = (" --expand" if self.settings.expanded else "") + (
            f" -p {self.settings.precision}" if self.settings.precision != 6 else ""
        )
        header = f"# a gradcalc session; replay it with: gradcalc run FILE{flags}"
        return self.transcript.program(self.graph, self.last, header)

    def function_texts(self) -> list[str]:
        """Each function defined, as it was last defined: ``sig(t) = 1/(1+exp(-t))``."""
        return [function.text for _, function in sorted(self.functions.items())]

    def names(self) -> list[str]:
        """The names bound now (and ans), for completion and highlighting."""
        names = set(self.graph.bindings) | set(self.functions)
        if self.last is not None:
            names.add(ANS)
        return sorted(names)


_Snapshot = tuple[dict[str, int], list[tuple[int, float | None]]]
_EXPRESSIONS = (ast.Number, ast.Name, ast.Unary, ast.Binary, ast.Call)  # statements that only add nodes
# What a shown result was asked for: its node, the name it is shown by, the expand and collapse settings,
# and the graph's size (its lists of values and gradients are as long as the graph was).
_Shown = tuple[int, str | None, bool, bool, int]


def _snapshot(graph: Graph) -> _Snapshot:
    """What a loop may change besides adding nodes: the bindings and the inputs' values. (The count of names
    given, ``Graph.namings``, only grows: the versions it hands out stay distinct.)"""
    inputs = [(i, graph.nodes[i].param) for i in graph.inputs()]
    return dict(graph.bindings), inputs


def _restore(graph: Graph, saved: _Snapshot) -> None:
    bindings, inputs = saved
    graph.bindings.clear()
    graph.bindings.update(bindings)
    for i, value in inputs:
        graph.nodes[i].param = value


def _one_statement(source: Source) -> tuple[ast.Program, ast.Statement]:
    program = parse(source)
    return program, program.statements[0]


def _uses_before_assigning(program: ast.Program, name: str) -> bool:
    """Whether ``program`` reads ``name`` before any of its statements assigns it."""
    for statement in program.statements:
        if isinstance(statement, ast.FunctionDef):  # its body is read at each call, not here
            continue
        stack: list[ast.Statement] = [statement]
        while stack:
            item = stack.pop()
            if isinstance(item, ast.Name) and item.id == name:
                return True
            if isinstance(item, ast.Assign):
                stack.append(item.expr)
            elif isinstance(item, ast.Loop):
                stack.extend(item.body)
                stack.extend(item.bounds or item.items or ())
            elif not isinstance(item, ast.FunctionDef):
                stack.extend(item.children)
        if isinstance(statement, ast.Assign) and statement.name == name:
            return False
    return False
