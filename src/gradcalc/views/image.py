"""Write a result to a file in any format of ``views.formats``: SVG, PNG or PDF through Graphviz's ``dot``,
the DOT text itself, the text drawing.

The DOT text comes from ``views.dot``; this module runs the ``dot`` program on it (a subprocess: the
text we generate is exactly the text Graphviz reads, with no binding library in between), and owns
everything that can go wrong on the way to a file:

- the format: from the file's suffix, or given (``views.formats`` has the table); anything else is a
  usage error;
- the target: a folder that does not exist, a folder given as the file, a file that cannot be written;
- ``dot`` missing from PATH (SVG, PNG and PDF need it; ``.dot`` does not), or failing;
- size: graphs above ``MAX_IMAGE_NODES`` are refused (Graphviz's layout takes minutes and the picture
  cannot be read; see benchmarks/bench_render.py), and a PNG that Graphviz had to shrink below its
  bitmap limit of 32,767 pixels is refused rather than written illegibly;
- atomicity: output goes to a temporary file beside the target, renamed into place only when complete,
  so a failure never leaves a half-written file (nor touches an existing one).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from gradcalc.errors import GradcalcError
from gradcalc.program import Result
from gradcalc.views.draw_options import DrawOptions
from gradcalc.views.formats import for_path
from gradcalc.views.graphviz import DOT_TIMEOUT, INSTALL_ADVICE, MAX_IMAGE_NODES
from gradcalc.views.palette import DEFAULT_PALETTE

if TYPE_CHECKING:
    from gradcalc.views.kept_picture import KeptPicture

_SHRUNK = re.compile(r"too large for [\w-]+ bitmaps\. Scaling by ([0-9.eE+-]+)")


def image_format(path: Path, fmt: str | None = None) -> str:
    """The name of the format to write ``path`` in: ``fmt`` when given, else the one its suffix names."""
    return for_path(path, fmt).name


def write_image(
    result: Result,
    path: Path,
    *,
    fmt: str | None = None,
    style: str = "circuit",
    precision: int = 2,
    rankdir: str = "LR",
    palette: str = DEFAULT_PALETTE,
    legend: bool | None = None,
    charset: str = "unicode",
    kept: KeptPicture | None = None,
) -> None:
    """Draw ``result`` into ``path`` in ``fmt`` (or the format its suffix names when None).

    ``kept`` is the last picture drawn, where the caller keeps one to draw the next faster (``views.kept_picture``).
    """
    path = Path(path)
    check_target(path)
    chosen = for_path(path, fmt)
    size = len(result.evaluation.order)
    if chosen.needs_dot and size > MAX_IMAGE_NODES:
        raise GradcalcError(
            f"the graph has {size:,} nodes: too many for a readable {chosen.name.upper()} "
            f"(images stop at {MAX_IMAGE_NODES:,} nodes)",
            hint="write a .dot file instead, or look at the table: gradcalc eval (or run) without -o",
        )
    options = DrawOptions(
        style=style, precision=precision, rankdir=rankdir, palette=palette, legend=legend, charset=charset
    )
    pieces = chosen.produce(result, options, kept)
    if not chosen.needs_dot:
        write_pieces(path, pieces)
        return
    dot = shutil.which("dot")
    if dot is None:
        raise GradcalcError(
            f"Graphviz's dot program is not on PATH; it draws {chosen.name.upper()} files", hint=INSTALL_ADVICE
        )
    _write_atomically(path, lambda temp: _run_dot(dot, pieces, chosen.name, temp))


def write_text(path: Path, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically, with the same checks as an image."""
    write_pieces(path, [text])


def write_pieces(path: Path, pieces: Iterable[str]) -> None:
    """Write the text whose pieces are ``pieces`` (UTF-8) to ``path``, as ``write_text`` writes a text.

    Each piece is written as it is taken: a picture's pieces are drawn as they are (``views.dot``), so
    its text is never held whole.
    """
    path = Path(path)
    check_target(path)
    _write_atomically(path, lambda temp: _write_encoded(temp, pieces))


def _write_encoded(target: Path, pieces: Iterable[str]) -> None:
    with target.open("wb") as file:
        file.writelines(piece.encode("utf-8") for piece in pieces)  # one piece's bytes at a time


def check_target(path: Path) -> None:
    """Fail early, in words, on a target that can never be written."""
    folder = path.parent
    if path.is_dir():
        raise GradcalcError(f"cannot write {path}: it is a folder", hint="give a file name, e.g. graph.svg")
    if not folder.exists():
        raise GradcalcError(f"cannot write {path}: the folder {folder} does not exist")
    if not folder.is_dir():
        raise GradcalcError(f"cannot write {path}: {folder} is not a folder")


def _write_atomically(path: Path, fill: Callable[[Path], object]) -> None:
    """Call ``fill(temp)`` to write a temporary file beside ``path``, then rename it into place."""
    try:
        handle, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    except OSError as exc:
        raise GradcalcError(f"cannot write {path}: {exc.strerror or exc}") from None
    os.close(handle)
    temp = Path(name)
    try:
        fill(temp)
        _give_default_mode(temp)
        os.replace(temp, path)
    except OSError as exc:
        raise GradcalcError(f"cannot write {path}: {exc.strerror or exc}") from None
    finally:
        temp.unlink(missing_ok=True)


def _give_default_mode(temp: Path) -> None:
    """mkstemp makes files only their owner can read; give the image the mode a new file gets."""
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(temp, 0o666 & ~umask)


def _run_dot(dot: str, pieces: Iterable[str], fmt: str, target: Path) -> None:
    try:
        done = subprocess.run(
            [dot, f"-T{fmt}", "-o", str(target)],
            input=b"".join([piece.encode("utf-8") for piece in pieces]),
            capture_output=True,
            timeout=DOT_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise GradcalcError(
            f"Graphviz's dot did not finish within {DOT_TIMEOUT:.0f} s", hint="write a .dot file instead"
        ) from None
    except OSError as exc:
        raise GradcalcError(f"cannot run Graphviz's dot ({dot}): {exc.strerror or exc}", hint=INSTALL_ADVICE) from None
    messages = done.stderr.decode("utf-8", "replace").strip()
    if done.returncode != 0:
        raise GradcalcError(f"Graphviz's dot failed (exit {done.returncode}): {messages or 'no message'}")
    shrunk = _SHRUNK.search(messages)
    if shrunk:
        raise GradcalcError(
            f"the graph is too large for a readable PNG: Graphviz's bitmap limit is 32,767 pixels a side, "
            f"so it would shrink the picture to {float(shrunk.group(1)):.0%} of its size",
            hint="write an .svg (or .pdf) instead: they have no size limit",
        )
