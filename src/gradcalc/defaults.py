"""Defaults that the core, the API and the command line share, in a module that imports nothing.

Building the command line (``--help``, the options of ``eval``) and evaluating through the API must
not load the gradient checker or the explainer just to show their defaults; these live here instead,
once, and those modules read them from here too.
"""

CHECK_TOL = 1e-6  # --check: the largest relative error between a gradient and its central difference that passes
EXPLAIN_STEPS = 1_000  # explain: steps told per pass (2,000 in all) and inputs listed, unless asked for more
