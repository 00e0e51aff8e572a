"""A result's picture in a notebook: ``_repr_mimebundle_`` with the circuit, the step-through page and a summary.

Jupyter asks an object for a bundle of representations and shows the richest one its front end can:

- ``image/svg+xml``: the circuit as ``gradcalc render -o graph.svg`` draws it;
- ``text/html``: the step-through page of ``gradcalc render -o graph.html`` (``views.html_page``) inside an
  ``<iframe srcdoc>``: the page keeps its own document, so its element ids, style sheet and
  Content-Security-Policy (its one script allowed by hash, nothing from the network) apply to it alone,
  and several pictures in one notebook do not collide. ``sandbox="allow-scripts"`` lets the script run
  in an origin of its own, with no access to the notebook;
- ``text/plain``: ``f = -12`` and the gradients, for consoles and for the tests.

Graphviz's ``dot`` runs once for both the SVG and the page, and not at all when only text is asked for
(``include``/``exclude`` as IPython passes them). Without Graphviz, or for a graph too large to draw,
the bundle is the text alone with a note saying why: displaying never raises.
"""

from __future__ import annotations

import html
import re
from collections.abc import Container
from typing import Any

from gradcalc.errors import GradcalcError
from gradcalc.program import Result as ProgramResult

SVG, HTML, TEXT = "image/svg+xml", "text/html", "text/plain"
MIME_TYPES = (SVG, HTML, TEXT)
FRAME_MIN, FRAME_MAX, FRAME_CHROME = 560, 900, 470  # px: the page's header and legend around the picture
_SVG_HEIGHT = re.compile(r'<svg[^>]*\bheight="([0-9.]+)pt"')


class Picture:
    """A result drawn with chosen options (``Result.show``): displays itself in a notebook.

    ``svg()`` and ``html()`` give the picture and the step-through page as text; ``str()`` the summary.
    """

    def __init__(
        self,
        result: ProgramResult,
        *,
        style: str = "circuit",
        precision: int = 2,
        rankdir: str = "LR",
        palette: str = "safe",
    ) -> None:
        self._result = result
        self.style, self.precision, self.rankdir, self.palette = style, precision, rankdir, palette
        self._state: dict[str, Any] | None = None

    def _page_state(self) -> dict[str, Any]:
        """The SVG and the page's data: ``dot`` runs here, once per picture."""
        if self._state is None:
            from gradcalc.views.html_page import page_state

            self._state = page_state(
                self._result, precision=self.precision, style=self.style, rankdir=self.rankdir, palette=self.palette
            )
        return self._state

    def svg(self) -> str:
        """The circuit as SVG text (drawn by Graphviz's ``dot``)."""
        return str(self._page_state()["svg"])

    def html(self) -> str:
        """The whole step-through page, as ``gradcalc render -o graph.html`` writes it."""
        from gradcalc.views.html_page import page_document

        return page_document(self._page_state())

    def frame(self) -> str:
        """The page inside an ``<iframe srcdoc>``, as a notebook shows it."""
        page = self.html()
        found = _SVG_HEIGHT.search(str(self._page_state()["svg"]))
        picture = float(found.group(1)) * 4 / 3 if found else 300.0
        height = int(min(FRAME_MAX, max(FRAME_MIN, picture + FRAME_CHROME)))
        title = html.escape(f"gradcalc: {self._result.output_label}")
        return (
            f'<iframe srcdoc="{html.escape(page, quote=True)}" sandbox="allow-scripts" title="{title}" '
            f'style="width: 100%; height: {height}px; border: 1px solid #ddd; border-radius: 4px;"></iframe>'
        )

    def __str__(self) -> str:
        from gradcalc.views.table import summary

        return summary(self._result, 6).plain

    def __repr__(self) -> str:
        return f"<gradcalc.Picture of {self._result.output_label}, style {self.style!r}>"

    def _repr_mimebundle_(
        self, include: Container[str] | None = None, exclude: Container[str] | None = None
    ) -> dict[str, Any]:
        """Only the representations asked for (all three by default); never raises."""
        wanted = [kind for kind in MIME_TYPES if (include is None or kind in include) and kind not in (exclude or ())]
        bundle: dict[str, Any] = {}
        note = ""
        try:
            if SVG in wanted:
                bundle[SVG] = self.svg()
            if HTML in wanted:
                bundle[HTML] = self.frame()
        except GradcalcError as error:  # no Graphviz, a graph too big to draw: the text says so
            bundle.pop(SVG, None)
            bundle.pop(HTML, None)
            note = f"\n(no picture: {error.message})"
        if TEXT in wanted or not bundle:
            bundle[TEXT] = str(self) + note
        return bundle
