"""The last picture drawn, its DOT text kept with holes where its numbers go: drawn again when only they change.

A line that sets an input in place (``x = 0.7``) makes a REPL result's passes again and leaves its graph,
its labels and the picture's options as they were: the picture's text then differs only in its numbers.
After 10,000 re-assignments, ``:render FILE.dot`` of the 15,000-node chain spent most of its time
writing the 55,000 lines around its 45,000 numbers again. Kept, the text is written once, cut at its
numbers (``views.dot.holed_pieces``), and each drawing after that writes the numbers into the holes;
a number equal to the one in its hole last time is not formatted again (the chain's gradients do not
change with ``x``).

A kept text is used only for a result drawn exactly as it was: the same graph with as many nodes and
scopes and as many names given (``Graph.namings``), the same output, output name and evaluation order,
equal labels, the same gates at a kink, and the same options. A node's op, arguments and constant never
change once made, so the text around the numbers is then the one the drawing would write. Only
pictures of up to ``MOST_NODES`` nodes are kept: a kept text is held whole (10 MB for the chain).

The REPL's session holds one; ``views.dot`` is imported at the first picture, as every view is.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from gradcalc.graph import Graph
from gradcalc.numbers import fixed_formatter
from gradcalc.program import Result
from gradcalc.views.draw_options import DrawOptions

if TYPE_CHECKING:
    from gradcalc.views.dot import Holed

MOST_NODES = 50_000  # the biggest picture kept: its text is about 35 MB

# What a kept text was drawn for, beside the graph, labels and order it is compared with: how far the
# graph had grown (``Graph.made``), the output, its name, whether expanded, the options and the kinks.
_Key = tuple[tuple[int, int, int], int, str | None, bool, DrawOptions, tuple[tuple[int, str], ...]]


class _Kept:
    """A picture's text with holes, what it was drawn for, and the numbers last written in its holes."""

    __slots__ = ("graph", "holed", "key", "labels", "numbers", "order", "texts")

    def __init__(self, key: _Key, graph: Graph, labels: dict[int, str], order: list[int], holed: Holed) -> None:
        self.key, self.graph, self.labels, self.order, self.holed = key, graph, labels, order, holed
        self.numbers: list[float] = []  # the numbers written in the holes last time, and their texts
        self.texts: list[str] = []


class KeptPicture:
    """The DOT text of the last picture drawn of up to ``MOST_NODES`` nodes, with holes for its numbers."""

    def __init__(self) -> None:
        self._kept: _Kept | None = None

    def dot_pieces(self, result: Result, options: DrawOptions) -> Iterator[str]:
        """``views.dot.dot_pieces(result, options)``: the kept text with ``result``'s numbers in it, when it
        was drawn for the same picture; else drawn, and kept if it is small enough."""
        from gradcalc.views.dot import dot_pieces, holed_pieces, kinks_of

        evaluation = result.evaluation
        if len(evaluation.order) > MOST_NODES:
            return dot_pieces(result, options)
        graph = result.graph
        key = (
            graph.made(),
            evaluation.output,
            result.output_name,
            result.expanded,
            options,
            tuple(kinks_of(result).items()),
        )
        kept = self._kept
        if kept is None or not _same(kept, key, result):
            holed = holed_pieces(result, options)  # checks the options, as dot_pieces does
            if holed is None:  # pragma: no cover - no picture writes a hole of its own
                self._kept = None
                return dot_pieces(result, options)
            kept = self._kept = _Kept(key, graph, result.labels, evaluation.order, holed)
        return _filled(kept, result, options.precision)


def _same(kept: _Kept, key: _Key, result: Result) -> bool:
    order = result.evaluation.order
    return (
        kept.key == key
        and kept.graph is result.graph
        and (kept.labels is result.labels or kept.labels == result.labels)
        and (kept.order is order or kept.order == order)
    )


def _filled(kept: _Kept, result: Result, precision: int) -> Iterator[str]:
    """The kept pieces with ``result``'s numbers in their holes, each formatted unless it is last time's."""
    from gradcalc.views.dot import numbers

    holed = kept.holed
    everything = numbers(result.evaluation, holed.flows)
    shown = list(map(everything.__getitem__, holed.holes))
    number = fixed_formatter(precision)
    if kept.numbers:
        texts = [text if new == old else number(new) for new, old, text in zip(shown, kept.numbers, kept.texts)]
    else:
        texts = _formatted(shown, number)
    kept.numbers, kept.texts = shown, texts
    return _pieces(holed.pieces, texts)


def _formatted(shown: list[float], number: Callable[[float], str]) -> list[str]:
    """Each number's text, each value formatted once (a constant's, a split's branches repeat)."""
    written: dict[float, str] = {}
    texts = []
    for value in shown:
        text = written.get(value)
        if text is None:
            text = written[value] = number(value)
        texts.append(text)
    return texts


def _pieces(pieces: list[list[str]], texts: list[str]) -> Iterator[str]:
    """Each piece's parts with the texts between them, as they come: ``dot_pieces``' pieces of whole lines."""
    start = 0
    for parts in pieces:
        holes = len(parts) - 1
        joined: list[str] = [""] * (2 * holes + 1)
        joined[::2] = parts
        joined[1::2] = texts[start : start + holes]
        start += holes
        yield "".join(joined)
