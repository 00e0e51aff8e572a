"""The interactive REPL: a live computational graph built line by line.

- ``session``: the session itself (one growing graph, ``ans``, settings), the model the rest sits on;
- ``outcomes``: what each line produces, as data;
- ``transcript``: what the session did, written back as a program ``gradcalc run`` replays (``:save``);
- ``commands``: the ``:``-commands, one registry that ``:help`` and completion read, and ``run_line``;
- ``syntax``: tokens of a line, for highlighting and completion;
- ``display``: outcomes as Rich renderables;
- ``terminal``: the prompt_toolkit front end; ``piped``: standard input that is not a terminal.

``session``, ``outcomes``, ``transcript``, ``commands`` and ``syntax`` import neither prompt_toolkit nor rich, so the
session logic is tested without a terminal.
"""
