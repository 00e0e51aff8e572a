"""The interactive REPL: a live computational graph built line by line.

- ``session``: the session itself (one growing graph, ``ans``, settings) and what each line produces;
- ``transcript``: what the session did, written back as a program ``gradcalc run`` replays (``:save``);
- ``commands``: the ``:``-commands, one registry that ``:help`` and completion read;
- ``syntax``: tokens of a line, for highlighting and completion;
- ``display``: outcomes as Rich renderables;
- ``terminal``: the prompt_toolkit front end; ``piped``: standard input that is not a terminal.

``session``, ``transcript``, ``commands`` and ``syntax`` import neither prompt_toolkit nor rich, so the
session logic is tested without a terminal.
"""
