"""How many terminal cells a text takes, as Rich counts them, without Rich's count of every character.

The tables and the explanation measure every cell and line they draw: mostly printable ASCII (a cell a
character), with a few ``∂``, ``≈`` and ``·``. A table measures each of its cells several times as it
lays itself out, so other text is measured once and remembered, as Rich does.
"""

from __future__ import annotations

from functools import lru_cache

from rich.cells import cell_len


def cell_width(text: str) -> int:
    """``rich.cells.cell_len(text)``: printable ASCII by its length, other text by ``_measured``."""
    if text.isascii() and text.isprintable():
        return len(text)
    return _measured(text)


@lru_cache(maxsize=4096)
def _measured(text: str) -> int:
    """Each distinct character measured once (a control character takes no cell, ``∂`` one, a wide
    character two): an explanation's line of 80 characters has two or three. A text with a joiner, whose
    characters combine, is left to Rich."""
    if "\u200d" in text or "\ufe0f" in text:
        return cell_len(text)
    return len(text) + sum(
        (cell_len(c) - 1) * text.count(c) for c in set(text) if not (c.isascii() and c.isprintable())
    )
