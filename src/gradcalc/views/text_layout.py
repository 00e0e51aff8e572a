"""Where the blocks of a terminal drawing go: Graphviz's layout snapped to a character grid.

The drawing is layered left to right, one column of blocks per rank (the caller gives the ranks:
inputs first, the output last). Graphviz's ``dot`` does what is hard to do well: the order of the
blocks within each column (few crossings) and their heights (straight wires). We give it every block
with its size in rows (``fixedsize``, one row = ``ROW`` inches), a one-row stand-in for each column a
long wire passes through, and every column as a ``rank=same`` group, run ``dot -Tplain`` and keep
only the vertical positions, rounded to rows with ``floor(y + 1/2)`` (Python's ``round`` rounds
halves to even, which would make equal gaps unequal).

The wires between two columns are routed here, in the channel between them, on a grid of tracks:
a wire leaves its block horizontally, runs down or up its own track, and enters its target
horizontally. Branches of one value (a value used by several gates) share a track, so a reused value
shows as one wire that splits (``├``). Tracks are ordered to avoid crossings, and two wires never
share a stretch of line.
"""

from __future__ import annotations

import functools
import itertools
import math
import shutil
import subprocess
from dataclasses import dataclass, field

from gradcalc.views.text_canvas import Canvas, E, W

ROW = 0.25  # inches per row given to dot: a whole number of points (18), so sizes stay exact
DOT_MISSING = "Graphviz's dot is not installed"
DOT_TIMEOUT = 20.0  # seconds; the circuit view is only used for small graphs, dot takes ~0.05 s


class LayoutUnavailable(Exception):
    """dot is missing or failed: the caller draws another view and says why."""


@dataclass(slots=True)
class Block:
    """A rectangle to place: its size, its rank, where wires enter (by slot) and leave it."""

    width: int
    height: int
    rank: int
    in_rows: tuple[int, ...] = ()
    out_row: int = 0
    x: int = 0
    y: int = 0
    dummy_of: int | None = None  # a stand-in for the wire of this block through a column


@dataclass(slots=True)
class _Hop:
    """One value's wire across one channel: from its block (or stand-in) to one or more targets."""

    net: int
    source: int  # the block the wire leaves
    start_y: int
    targets: list[tuple[int, int]] = field(default_factory=list)  # (target block, row of its port)

    lo: int = 0  # the rows its vertical stretch spans, set once its targets are known
    hi: int = 0

    def span(self) -> None:
        rows = [self.start_y, *(y for _, y in self.targets)]
        self.lo, self.hi = min(rows), max(rows)


def dot_program() -> str:
    dot = shutil.which("dot")
    if dot is None:
        raise LayoutUnavailable(DOT_MISSING)
    return dot


def place(blocks: list[Block], edges: list[tuple[int, int, int]], canvas: Canvas) -> None:
    """Give every block its x and y, and draw every wire on ``canvas``.

    ``edges`` are (source block, target block, target slot), in the order the target's slots read.
    """
    chains = _stand_ins(blocks, edges)
    _rows_from_dot(blocks, chains)
    _separate(blocks)
    columns = _columns(blocks)
    _route(blocks, chains, columns, canvas)


def _stand_ins(blocks: list[Block], edges: list[tuple[int, int, int]]) -> list[tuple[list[int], int]]:
    """Each edge as a chain of blocks between adjacent ranks: (source, stand-ins...) and the target slot."""
    chains = []
    for source, target, slot in edges:
        chain = [source]
        for rank in range(blocks[source].rank + 1, blocks[target].rank):
            blocks.append(Block(0, 1, rank, (0,), 0, dummy_of=source))
            chain.append(len(blocks) - 1)
        chain.append(target)
        chains.append((chain, slot))
    return chains


def _rows_from_dot(blocks: list[Block], chains: list[tuple[list[int], int]]) -> None:
    lines = [
        "digraph layout {",
        f"  graph [rankdir=LR, nodesep={ROW}, ranksep=0.5, splines=false, ordering=in];",
        "  node [shape=plaintext, margin=0];",
    ]
    lines += [f"  b{k} [label=<{_ports(block)}>];" for k, block in enumerate(blocks)]
    ranks: dict[int, list[int]] = {}
    for k, block in enumerate(blocks):
        ranks.setdefault(block.rank, []).append(k)
    lines += ["  {rank=same; " + " ".join(f"b{k};" for k in members) + "}" for members in ranks.values()]
    for chain, slot in chains:
        for a, b in itertools.pairwise(chain):
            head = f"i{slot}" if blocks[b].dummy_of is None else "i0"
            lines.append(f"  b{a}:o:e -> b{b}:{head}:w;")
    lines.append("}")
    height, centres = _dot_layout("\n".join(lines))
    for k, y in centres:
        top = (height - y) / ROW - blocks[k].height / 2
        blocks[k].y = math.floor(top + 0.5)


@functools.lru_cache(maxsize=32)
def _dot_layout(text: str) -> tuple[float, tuple[tuple[int, float], ...]]:
    """The drawing's height and each block's vertical centre, in inches, as ``dot -Tplain`` places them.

    Kept for the last few graphs: the text sent to dot holds only the graph's shape (block heights
    and wires, never a number), so redrawing after an input changes (the REPL's live view) reuses
    the layout and costs milliseconds instead of a run of dot.
    """
    try:
        done = subprocess.run(
            [dot_program(), "-Tplain"],
            input=text.encode(),
            capture_output=True,
            timeout=DOT_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise LayoutUnavailable(f"Graphviz's dot took more than {DOT_TIMEOUT:.0f} s") from None
    except OSError as exc:
        raise LayoutUnavailable(f"Graphviz's dot cannot run: {exc.strerror or exc}") from None
    if done.returncode != 0:
        raise LayoutUnavailable(f"Graphviz's dot failed (exit {done.returncode})")
    height = 0.0
    centres = []
    for line in done.stdout.decode("utf-8", "replace").splitlines():
        words = line.split()
        if words[:1] == ["graph"]:
            height = float(words[3])
        elif words[:1] == ["node"] and words[1].startswith("b"):
            centres.append((int(words[1][1:]), float(words[3])))
    return height, tuple(centres)


def _ports(block: Block) -> str:
    """An HTML-like table of ``block.height`` rows, one point per row apart, with its ports named:
    ``i0``, ``i1``... on the left where wires enter, ``o`` on the right where the value leaves."""
    points = ROW * 72
    inputs = {row: k for k, row in enumerate(block.in_rows)} if block.dummy_of is None else {0: 0}
    rows = []
    for row in range(block.height):
        left = f' port="i{inputs[row]}"' if row in inputs else ""
        right = ' port="o"' if row == block.out_row else ""
        rows.append(
            f'<tr><td fixedsize="true" width="18" height="{points:g}"{left}></td>'
            f'<td fixedsize="true" width="18" height="{points:g}"{right}></td></tr>'
        )
    return '<table border="0" cellborder="0" cellspacing="0" cellpadding="0">' + "".join(rows) + "</table>"


def _separate(blocks: list[Block]) -> None:
    """Push blocks down where rounding made neighbours in a column touch: one blank row between blocks."""
    columns: dict[int, list[Block]] = {}
    for block in blocks:
        columns.setdefault(block.rank, []).append(block)
    for members in columns.values():
        members.sort(key=lambda b: b.y)
        floor = -(10**9)
        for block in members:
            block.y = max(block.y, floor)
            floor = block.y + block.height + 1
    top = min(block.y for block in blocks)
    for block in blocks:
        block.y -= top


def _columns(blocks: list[Block]) -> list[int]:
    """The width of each rank's column (its widest block)."""
    ranks = max(block.rank for block in blocks) + 1
    widths = [0] * ranks
    for block in blocks:
        widths[block.rank] = max(widths[block.rank], block.width)
    return [max(width, 1) for width in widths]


def _route(blocks: list[Block], chains: list[tuple[list[int], int]], widths: list[int], canvas: Canvas) -> None:
    """Order the tracks of every channel, set the columns' x, then draw the wires."""
    channels: list[dict[tuple[int, int], _Hop]] = [{} for _ in widths]
    for chain, slot in chains:
        net = chain[0]
        for a, b in itertools.pairwise(chain):
            src, dst = blocks[a], blocks[b]
            key = (net, a)
            hop = channels[src.rank].setdefault(key, _Hop(net, a, src.y + src.out_row))
            port = dst.in_rows[slot] if dst.dummy_of is None else 0
            hop.targets.append((b, dst.y + port))
    for channel in channels:
        for hop in channel.values():
            hop.span()
    tracks = [_order_tracks(list(channel.values())) for channel in channels]
    gaps = [max(2, 2 * (max(t.values(), default=-1) + 1) + 2) for t in tracks]
    x, starts = 0, []
    for width, gap in zip(widths, gaps, strict=True):
        starts.append(x)
        x += width + gap
    for block in blocks:
        block.x = starts[block.rank]
    for block in blocks:
        if block.dummy_of is not None:
            width = widths[block.rank]
            canvas.hline(block.x, block.x + width - 1, block.y, block.dummy_of)
            canvas.link(block.x, block.y, W, block.dummy_of)
            canvas.link(block.x + width - 1, block.y, E, block.dummy_of)
    for rank, channel in enumerate(channels):
        edge = starts[rank] + widths[rank]  # the channel's first column
        for hop in channel.values():
            src = blocks[hop.source]
            begin = src.x + (src.width if src.dummy_of is None else widths[rank])
            y = hop.start_y
            ends = [(blocks[b].x - 1, ty) for b, ty in hop.targets]
            track = tracks[rank].get(id(hop))
            if track is None:
                end, ty = ends[0]
                canvas.hline(begin, end, y, hop.net)
            else:
                tx = edge + 1 + 2 * track
                canvas.hline(begin, tx, y, hop.net)
                canvas.vline(tx, hop.lo, hop.hi, hop.net)
                for end, ty in ends:
                    canvas.hline(tx, end, ty, hop.net)
            canvas.link(begin, y, W, hop.net)
            for end, ty in ends:
                canvas.link(end, ty, E, hop.net)


def _cost(a: _Hop, b: _Hop) -> int:
    """Crossings (a stretch of shared line counts 100) when ``a``'s track is left of ``b``'s."""

    def passes(row: int, hop: _Hop) -> int:
        if hop.lo < row < hop.hi:
            return 1
        return 100 if row in (hop.lo, hop.hi) else 0

    return passes(b.start_y, a) + sum(passes(ty, b) for _, ty in a.targets)


def _order_tracks(hops: list[_Hop]) -> dict[int, int]:
    """Track number of each hop that needs one (id(hop) -> track), in an order with few crossings.

    Each hop is inserted where it adds the fewest crossings (the channel of a small circuit holds a
    handful of wires), then hops whose rows are apart share a track.
    """
    bent = [hop for hop in hops if len(hop.targets) > 1 or hop.targets[0][1] != hop.start_y]
    bent.sort(key=lambda hop: (hop.lo, hop.hi))
    order: list[_Hop] = []
    for hop in bent:
        best, where = None, 0
        for position in range(len(order) + 1):
            cost = sum(_cost(other, hop) for other in order[:position])
            cost += sum(_cost(hop, other) for other in order[position:])
            if best is None or cost < best:
                best, where = cost, position
        order.insert(where, hop)
    assigned: dict[int, int] = {}
    placed: list[tuple[_Hop, int]] = []
    for hop in order:
        track = 0
        for other, other_track in placed:
            if other.lo <= hop.hi + 1 and hop.lo <= other.hi + 1:
                track = max(track, other_track + 1)
        assigned[id(hop)] = track
        placed.append((hop, track))
    return assigned
