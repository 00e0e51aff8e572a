"""What every view that runs Graphviz's ``dot`` shares: how big a graph it will draw, how long it waits, and
what to tell a user who has no Graphviz.
"""

from __future__ import annotations

# Measured with benchmarks/bench_render.py: dot takes 1-2 s for 1,000 nodes, 5-17 s for 2,000, ~40 s for
# 3,000 and ten minutes for 7,600, and past 2,000 nodes the picture is over 10,000 px a side, unreadable at
# any size that fits a screen or a page. Larger graphs get no image; .dot is still written.
MAX_IMAGE_NODES = 2000
DOT_TIMEOUT = 300.0  # seconds; far above what MAX_IMAGE_NODES takes, only a guard against a hung dot
INSTALL_ADVICE = (
    "install Graphviz: sudo apt-get install graphviz (Debian, Ubuntu), brew install graphviz (macOS), "
    "winget install graphviz (Windows), or see https://graphviz.org/download/; "
    "a .dot file needs no Graphviz"
)
