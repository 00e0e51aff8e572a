"""What each node is called in tables, JSON, pictures and explanations.

A node the user named shows its name, as typed. Only when several nodes of one name are shown together
(``c = a*b; c = c + 1`` shows both) do the later ones get marks, in the order they were bound: ``c``,
``c'``, ``c''``, ``c'''``, then ``c'4``, ``c'5``, ... (the number counts the primes). So a label stays short
however often a name is re-bound, and it can never be a name a user could type: names are
``[A-Za-z_][A-Za-z_0-9]*`` and every mark starts with ``'``. LaTeX writes ``c'4`` as ``c^{(4)}``, the usual
way to write four primes (``latex_label``).

A constant shows its source text (``2``, ``pi/4``); every other node gets a short name that no user
name uses, in the order the seed example uses them: ``p = x + y``, then ``q``, ``r``, ... An unnamed
output is ``f``, as in f(x, y, z).

``node_labels`` labels every node at once; ``LabelsOnDemand`` gives the same labels one at a time, as a
view reads them: the REPL's table of a 15,000-node session reads about 400 of them.
"""

from __future__ import annotations

import operator
import re
from bisect import bisect_right
from collections import Counter
from collections.abc import Iterable, Iterator
from itertools import accumulate, compress, count, repeat
from operator import attrgetter

from gradcalc.graph import Graph, Node
from gradcalc.numbers import format_number
from gradcalc.ops import CONST

_LETTERS = "pqrstuv"  # not w: it reads as a weight
OUTPUT_NAME = "f"
MAX_PRIMES = 3  # c''' is still easy to count; the fourth re-binding shown is c'4
_VERSIONED = re.compile(r"(?P<name>[A-Za-z_][A-Za-z_0-9]*)(?:'(?P<number>\d+)|(?P<primes>'*))")


def versioned(name: str, rank: int) -> str:
    """The label of the ``rank``-th (from 0) of several nodes named ``name`` that are shown together."""
    return name + ("'" * rank if rank <= MAX_PRIMES else f"'{rank}")


def split_label(label: str) -> tuple[str, int] | None:
    """A user-named node's label as (name, rank): ``c''`` -> ("c", 2), ``h'12`` -> ("h", 12); else None."""
    match = _VERSIONED.fullmatch(label)
    if match is None:
        return None
    number, primes = match["number"], match["primes"]
    return match["name"], int(number) if number is not None else len(primes or "")


def name_labels(graph: Graph, shown: Iterable[int]) -> dict[int, str]:
    """The label of every named node in ``shown``: its name, marked only where a name is shown twice."""
    ids = list(shown)
    return _versioned_names(graph.nodes, ids, _names_of(graph.nodes, ids))


def _fresh_names(taken: set[str | None]) -> Iterator[str]:
    for round_ in count():
        suffix = str(round_) if round_ else ""
        for letter in _LETTERS:
            name = letter + suffix
            if name not in taken:
                yield name


_FRESH = re.compile(rf"(?P<letter>[{_LETTERS}])(?P<round>[1-9][0-9]*)?")


def _fresh_index(name: str) -> int | None:
    """Where ``name`` comes in the sequence ``_fresh_names`` draws from (p, q, ..., v, p1, ...), or None.

    None for index 0 too (``p``): callers filter out the Nones and so the zero; ``_nth_fresh_name``
    takes the position plus one.
    """
    match = _FRESH.fullmatch(name)
    if match is None:
        return None
    return 1 + _LETTERS.index(match["letter"]) + len(_LETTERS) * int(match["round"] or 0)


def _nth_fresh_name(index: int, skipped: list[int]) -> str:
    """The ``index``-th (from 0) name ``_fresh_names`` yields, ``skipped`` the sorted positions (plus one)
    of the names it skips because they are taken: found without making the names before it."""
    position = index
    while True:  # the position moves past each skipped name at or before it, until none is left
        moved = index + bisect_right(skipped, position + 1)
        if moved == position:
            break
        position = moved
    round_, letter = divmod(position, len(_LETTERS))
    return _LETTERS[letter] + (str(round_) if round_ else "")


def node_labels(graph: Graph, order: list[int], output: int) -> dict[int, str]:
    """A label for every node in ``order``."""
    names = _names_of(graph.nodes, order)
    return _all_labels(graph.nodes, order, output, names, _taken(graph, names))


_NAME_OF = attrgetter("name")
_OP_OF = attrgetter("op")
_VERSION_OF = attrgetter("version")
_NAMES_ONE_BY_ONE = 4  # repeated names whose nodes are found one name at a time (``_rank_of``)
_ON_DEMAND_SHARE = 8  # past one label in 8 read one by one, the rest are made at once (a picture reads all)


def _names_of(nodes: list[Node], order: list[int]) -> list[str | None]:
    """Each shown node's name, read once: the labels stay as they were when the result was made, even
    if a later REPL line names one of these nodes (``ans``) while a drawing is still reading them."""
    return list(map(_NAME_OF, map(nodes.__getitem__, order)))


def _taken(graph: Graph, names: Iterable[str | None]) -> set[str | None]:
    """The names a generated label must not take: those bound, those shown, and loop counters."""
    taken: set[str | None] = set(graph.bindings)
    taken.update(names)
    taken.update(scope.name for scope in graph.scopes if scope.kind == "step")  # a loop's counter reads as itself
    return taken


def _all_labels(
    nodes: list[Node], order: list[int], output: int, names: list[str | None], taken: set[str | None]
) -> dict[int, str]:
    named = _versioned_names(nodes, order, names)
    fresh = _fresh_names(taken)
    labels: dict[int, str] = {}
    for i, name in zip(order, names):
        if name is not None:
            labels[i] = named[i]
            continue
        node = nodes[i]
        if node.op is CONST:
            labels[i] = node.text or format_number(node.param or 0.0)
        elif i == output and OUTPUT_NAME not in taken:
            labels[i] = OUTPUT_NAME
        else:
            labels[i] = next(fresh)
    return labels


def _versioned_names(nodes: list[Node], order: list[int], names: list[str | None]) -> dict[int, str]:
    """The label of each named node: its name, marked where the name is shown more than once.

    Most names are shown once (a wide sum's 200,000 inputs): they get a dictionary entry each and no
    list, so the cost per node stays flat as programs grow.
    """
    first: dict[str, int] = {}
    repeated: dict[str, list[int]] = {}
    for i, name in zip(order, names):
        if name is not None:
            seen = first.setdefault(name, i)
            if seen != i:
                ids = repeated.get(name)
                if ids is None:
                    repeated[name] = [seen, i]
                else:
                    ids.append(i)
    labels = {i: name for name, i in first.items()}
    for name, ids in repeated.items():
        for rank, i in enumerate(_by_version(nodes, ids)):
            labels[i] = versioned(name, rank)
    return labels


def _by_version(nodes: list[Node], ids: list[int]) -> list[int]:
    """The nodes of one name in the order they were bound (usually their order already)."""
    versions = list(map(_VERSION_OF, map(nodes.__getitem__, ids)))
    return ids if versions == sorted(versions) else sorted(ids, key=lambda i: nodes[i].version)


class LabelsOnDemand(dict[int, str]):
    """The labels ``node_labels`` gives the nodes of ``order``, each made the first time it is read.

    A view reads labels by node (``labels[i]``); the REPL's table of a 15,000-node session reads the 200
    rows it shows and their arguments. What labelling needs of all the nodes is read at once, at C speed
    where it can be (the names, which names repeat, how many generated labels come before each node),
    and the label itself is made when asked for. A read of the whole mapping (iterating it, ``len``,
    ``in``, ``get``, comparing it) makes every label first, so this is a ``dict`` of all of them to
    everyone who reads it; so does reading one label in ``_ON_DEMAND_SHARE`` one by one, which would
    cost more than making them all.
    """

    def __init__(self, graph: Graph, order: list[int], output: int) -> None:
        super().__init__()
        self._nodes, self._order, self._output = graph.nodes, order, output
        self._names = _names_of(graph.nodes, order)
        self._times_shown = Counter(self._names)
        self._taken = _taken(graph, self._times_shown)  # each name shown, once
        self._position: dict[int, int] | None = None
        self._ranks: dict[str | None, dict[int, int]] = {}  # for each repeated name: node -> rank
        self._fresh_before: list[int] | None = None  # generated labels up to each position in order
        self._skipped: list[int] = []  # where the names taken come in the generated names' sequence
        self._read = 0
        self._complete = False

    def __missing__(self, node: int) -> str:
        if self._complete:
            raise KeyError(node)
        self._read += 1
        if self._read * _ON_DEMAND_SHARE > len(self._order):
            self._make_all()
            return dict.__getitem__(self, node)
        label = self._label(node)
        self[node] = label
        return label

    def _label(self, node: int) -> str:
        if self._position is None:
            self._position = dict(zip(self._order, range(len(self._order))))
        position = self._position[node]  # KeyError for a node not shown, as a dict of all would raise
        name = self._names[position]
        if name is not None:
            if self._times_shown[name] == 1:
                return name
            return versioned(name, self._rank_of(name, node))
        entry = self._nodes[node]
        if entry.op is CONST:
            return entry.text or format_number(entry.param or 0.0)
        if node == self._output and OUTPUT_NAME not in self._taken:
            return OUTPUT_NAME
        return self._fresh_at(position)

    def _rank_of(self, name: str, node: int) -> int:
        """Which of the nodes named ``name`` this is, in the order they were bound (``_versioned_names``).

        The nodes of the first few names asked for are found at C speed, one name at a time; past those,
        all the other repeated names in one pass over the order.
        """
        ranks = self._ranks.get(name)
        if ranks is None:
            if len(self._ranks) < _NAMES_ONE_BY_ONE:
                ids = list(compress(self._order, map(operator.eq, self._names, repeat(name))))
                self._ranks[name] = ranks = dict(zip(_by_version(self._nodes, ids), count()))
            else:
                repeated = {n for n, times in self._times_shown.items() if times > 1 and n not in self._ranks}
                groups: dict[str | None, list[int]] = {n: [] for n in repeated}
                for i, n in zip(self._order, self._names):
                    if n in repeated:
                        groups[n].append(i)
                for n, ids in groups.items():
                    self._ranks[n] = dict(zip(_by_version(self._nodes, ids), count()))
                ranks = self._ranks[name]
        return ranks[node]

    def _fresh_at(self, position: int) -> str:
        """The generated label of the node at ``position``: the next after those of the nodes before it."""
        if self._fresh_before is None:
            nodes, order = self._nodes, self._order
            unnamed = map(operator.is_, self._names, repeat(None))
            gates = map(operator.is_not, map(_OP_OF, map(nodes.__getitem__, order)), repeat(CONST))
            takes = list(map(operator.and_, unnamed, gates))
            if OUTPUT_NAME not in self._taken:  # an unnamed output is f and takes no generated label
                takes[self._position[self._output]] = False  # type: ignore[index]  # made before this
            self._fresh_before = list(accumulate(takes))
            self._skipped = sorted(filter(None, map(_fresh_index, filter(None, self._taken))))
        return _nth_fresh_name(self._fresh_before[position] - 1, self._skipped)

    def _make_all(self) -> None:
        if not self._complete:
            self.update(_all_labels(self._nodes, self._order, self._output, self._names, self._taken))
            self._complete = True

    # Reading the whole mapping reads every label.
    def __iter__(self) -> Iterator[int]:
        self._make_all()
        return super().__iter__()

    def __len__(self) -> int:
        self._make_all()
        return super().__len__()

    def __contains__(self, node: object) -> bool:
        self._make_all()
        return super().__contains__(node)

    def __reversed__(self) -> Iterator[int]:
        self._make_all()
        return super().__reversed__()

    def __eq__(self, other: object) -> bool:
        self._make_all()
        if isinstance(other, LabelsOnDemand):
            other._make_all()
        return super().__eq__(other)

    def __ne__(self, other: object) -> bool:
        return not self == other

    __hash__ = None  # as a dict's

    def __repr__(self) -> str:
        self._make_all()
        return super().__repr__()

    def keys(self):  # noqa: ANN201  # the dict's own view
        self._make_all()
        return super().keys()

    def values(self):  # noqa: ANN201
        self._make_all()
        return super().values()

    def items(self):  # noqa: ANN201
        self._make_all()
        return super().items()

    def get(self, node: int, default: str | None = None) -> str | None:  # type: ignore[override]
        self._make_all()
        return super().get(node, default)

    def copy(self) -> dict[int, str]:
        self._make_all()
        return dict(super().items())

    def __or__(self, other: object) -> dict[int, str]:  # type: ignore[override]
        self._make_all()
        return dict(super().items()) | other  # type: ignore[operator]

    def __ror__(self, other: object) -> dict[int, str]:  # type: ignore[override]
        self._make_all()
        return other | dict(super().items())  # type: ignore[operator]

    def __reduce__(self) -> tuple[type[dict[int, str]], tuple[dict[int, str]]]:
        return dict, (self.copy(),)  # a copy or a pickle is a plain dict of every label
