"""The colours of the pictures, one row per palette.

``safe`` (the default) writes values in Okabe and Ito's blue and gradients in their vermillion: the pair
stays two different colours for readers with deuteranopia or protanopia (where the classic green and
red both turn the same brown) and both are dark enough to read on white (contrast 5.2 and 3.9). Colour is
never the only cue: the value is always above its wire and the gradient below (left and right when
drawn top to bottom), and the legend says so, so a greyscale print or a washed-out projector still reads.

``classic`` keeps the green and red of the hand-drawn backprop circuits the project started from.

The nodes that ``grad`` built are drawn on a tint per derivative order (``orders``: the 1st, 2nd and 3rd;
higher orders take the 3rd's), light enough that the value and gradient numbers on it keep a contrast of
3 or more, the 2nd a clear step darker than the 1st (relative luminance 0.91 against 0.77 or less), so a
greyscale print still tells the 1st derivative's pale cluster from the 2nd's. Colour is never the only
cue: the border's line (dashed, bold, dotted: ``views.dot``) and the cluster's title ("∂f/∂x (1st
derivative)") say the order too. ``tests/test_derivative_orders.py`` measures these contrasts.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Palette:
    value: str  # values, computed forwards
    grad: str  # gradients, computed backwards
    name: str = "#000000"  # the names the user gave
    generated: str = "#777777"  # the names gradcalc made up (p, q, r...), as the table shows them
    const: str = "#555555"  # constants are leaves too, but nobody trains them
    wire: str = "#333333"
    role: str = "#555555"  # argument roles of non-commutative gates: num, den, base, exponent
    kink: str = "#cc79a7"  # the outline of a gate evaluated where it has no derivative
    description: str = ""
    # (fill, border) of the nodes of the 1st, 2nd, 3rd... derivative: the last serves every higher order
    orders: tuple[tuple[str, str], ...] = (("#faf7c6", "#b8a000"), ("#cce8f8", "#3a8fc4"), ("#ccece3", "#009e73"))

    def order(self, order: int) -> tuple[str, str]:
        """The (fill, border) of the nodes of the ``order``-th derivative (1, 2, ...)."""
        return self.orders[min(order, len(self.orders)) - 1]


PALETTES: dict[str, Palette] = {
    "safe": Palette(
        value="#0072b2",
        grad="#d55e00",
        kink="#cc79a7",
        description="blue values, vermillion gradients (Okabe-Ito; colour-blind safe)",
    ),
    "classic": Palette(
        value="#1a7f1a",
        grad="#d11f1f",
        kink="#ff8c00",
        description="green values, red gradients, as the textbook draws them",
        orders=(("#faf7c6", "#b8a000"), ("#e1ddf4", "#6f5fc0"), ("#ddf0fb", "#3a8fc4")),
    ),
}
DEFAULT_PALETTE = "safe"
