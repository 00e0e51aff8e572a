"""Every output format gradcalc can draw a graph in, in one table.

``gradcalc render``, ``gradcalc run -o``, the REPL's ``:render`` and their help texts all read
``FORMATS``: the format names ``-f`` accepts, the suffixes that pick a format from a file name, which
formats need Graphviz's ``dot``, which are binary, and which can be printed on standard output.
Adding a format is adding one entry here (and nothing else).

A format's ``produce`` gives its text, in pieces of whole lines to be written one after another: the
text itself for text formats, or for the formats drawn by Graphviz (``needs_dot``) the DOT text that
``dot -T<name>`` turns into the picture (a big picture's DOT is many pieces, drawn as they are taken and
never one string; see ``views.dot.dot_pieces``). Producers import their view when called, so reading this
table costs nothing at start-up.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from gradcalc.errors import UsageError
from gradcalc.views.draw_options import DrawOptions

if TYPE_CHECKING:
    from gradcalc.program import Result
    from gradcalc.views.kept_picture import KeptPicture


# The text's pieces, written one after another; the last picture drawn, where a caller keeps it, to draw
# the next faster (the REPL's ``:render``: ``views.kept_picture``), or None.
Producer = Callable[["Result", DrawOptions, "KeptPicture | None"], Iterable[str]]


@dataclass(frozen=True, slots=True)
class OutputFormat:
    name: str
    suffixes: tuple[str, ...]  # the first is the one help texts name
    help: str
    produce: Producer
    needs_dot: bool = False  # drawn by ``dot -T<name>`` from the produced DOT text
    binary: bool = False
    aliases: tuple[str, ...] = ()

    @property
    def printable(self) -> bool:
        """Whether ``-o -`` can print it: text that gradcalc writes itself."""
        return not self.binary and not self.needs_dot


def _dot_text(result: Result, options: DrawOptions, kept: KeptPicture | None) -> Iterable[str]:
    from gradcalc.views.dot import dot_pieces

    return dot_pieces(result, options) if kept is None else kept.dot_pieces(result, options)


def _html_page(result: Result, options: DrawOptions, kept: KeptPicture | None) -> list[str]:
    from gradcalc.views.html_page import render_html

    return [
        render_html(
            result, precision=options.precision, style=options.style, rankdir=options.rankdir, palette=options.palette
        )
    ]


def _text_drawing(result: Result, options: DrawOptions, kept: KeptPicture | None) -> list[str]:
    from gradcalc.views.text_graph import render_text

    return [render_text(result, precision=options.precision, charset=options.charset, width=options.width).text()]


FORMATS: dict[str, OutputFormat] = {
    entry.name: entry
    for entry in (
        OutputFormat("svg", (".svg",), "a picture for the web and slides (drawn by Graphviz)", _dot_text, True),
        OutputFormat("png", (".png",), "a bitmap picture (drawn by Graphviz)", _dot_text, True, True),
        OutputFormat("pdf", (".pdf",), "a picture for print (drawn by Graphviz)", _dot_text, True, True),
        OutputFormat("dot", (".dot", ".gv"), "the DOT text Graphviz reads", _dot_text, aliases=("gv",)),
        OutputFormat("text", (".txt",), "the circuit drawn in text, for the terminal", _text_drawing),
        OutputFormat(
            "html",
            (".html", ".htm"),
            "one self-contained page: the circuit, both passes step by step, a node inspector",
            _html_page,
        ),
    )
}


def format_names() -> tuple[str, ...]:
    return tuple(FORMATS)


def suffix_list(sep: str = ", ", last: str = " or ") -> str:
    """``.svg, .png, .pdf, .dot or .txt``: each format's main suffix, for help texts."""
    suffixes = [entry.suffixes[0] for entry in FORMATS.values()]
    return sep.join(suffixes[:-1]) + last + suffixes[-1] if len(suffixes) > 1 else suffixes[0]


def printable_names() -> tuple[str, ...]:
    return tuple(name for name, entry in FORMATS.items() if entry.printable)


def by_name(name: str) -> OutputFormat:
    """The format called ``name`` (any case, an alias such as ``gv`` too, a leading dot ignored)."""
    wanted = name.lower().lstrip(".")
    for entry in FORMATS.values():
        if wanted == entry.name or wanted in entry.aliases:
            return entry
    raise UsageError(f"unknown format {name!r}", hint=f"choose one of: {', '.join(FORMATS)}")


def for_path(path: Path, fmt: str | None = None) -> OutputFormat:
    """The format to write ``path`` in: ``fmt`` when given, else the one its suffix names."""
    if fmt is not None:
        return by_name(fmt)
    suffix = path.suffix.lower()
    for entry in FORMATS.values():
        if suffix in entry.suffixes:
            return entry
    why = f"from the suffix {path.suffix!r} of {path}" if suffix else f"of {path}: its name has no suffix"
    raise UsageError(f"cannot tell the format {why}", hint=f"name the file {suffix_list()}, or give --format")
