"""Write docs/API.md, the reference of gradcalc's Python API, from the docstrings of ``gradcalc.__all__``.

    .venv/bin/python scripts/api_reference.py          # rewrite docs/API.md
    .venv/bin/python scripts/api_reference.py --check  # exit 1 when docs/API.md is not what it would write

A small script rather than a documentation generator: the well-kept ones (Sphinx autodoc, mkdocstrings,
pdoc) write HTML sites or need a site build; this page is Markdown that GitHub shows as it is.
tests/test_api_reference.py checks that the committed page is up to date.
"""

from __future__ import annotations

import inspect
import sys
from functools import cached_property
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "API.md"

HEADER = """# gradcalc's Python API

<!-- written by scripts/api_reference.py from the docstrings; do not edit by hand -->

`import gradcalc` gives the names below (and `gradcalc.__version__`). **This API is public and stable:**
from version 0.1.0 on, these names, their parameters and the attributes documented here are only ever
added to, never renamed or removed, as the `--json` document is. Everything else in the package
(`gradcalc.program`, `gradcalc.engine`, the views…) is internal and may change.

```python
import gradcalc

r = gradcalc.evaluate("(x+y)*z", x=1, y=3, z=-3)
r.value        # -12.0
r.gradients    # {'x': -3.0, 'y': -3.0, 'z': 4.0}
r.to_json()    # exactly what `gradcalc eval "(x+y)*z" x=1 y=3 z=-3 --json` prints
r              # in a notebook: the circuit, with every value and gradient
```

Errors are `gradcalc.GradcalcError` subclasses; nothing else leaves a call for any program, however
wrong (a bug in gradcalc itself arrives as `InternalError`, the original exception as its `__cause__`).
"""


def signature(function: Any, *, drop_self: bool = False) -> str:
    """``(program: str, /, *, expand: bool = False) -> Result``, the annotations as written in the source."""
    sig = inspect.signature(function)
    params = list(sig.parameters.values())[1 if drop_self else 0 :]
    parts: list[str] = []
    seen_keyword_only = False
    for k, param in enumerate(params):
        if param.kind is param.KEYWORD_ONLY and not seen_keyword_only:
            parts.append("*")
        if param.kind in (param.KEYWORD_ONLY, param.VAR_KEYWORD, param.VAR_POSITIONAL):
            seen_keyword_only = True
        text = {param.VAR_POSITIONAL: "*", param.VAR_KEYWORD: "**"}.get(param.kind, "") + param.name
        if param.annotation is not param.empty:
            text += f": {param.annotation}"
        if param.default is not param.empty:
            text += f" = {param.default!r}"
        parts.append(text)
        following = params[k + 1] if k + 1 < len(params) else None
        if param.kind is param.POSITIONAL_ONLY and (following is None or following.kind is not param.POSITIONAL_ONLY):
            parts.append("/")
    returns = "" if sig.return_annotation is sig.empty else f" -> {sig.return_annotation}"
    return f"({', '.join(parts)}){returns}"


def doc(value: Any) -> str:
    return inspect.getdoc(value) or ""


def members(cls: type) -> list[str]:
    lines: list[str] = []
    fields = getattr(cls, "__dataclass_fields__", {})
    if fields:
        lines.append("Fields: " + ", ".join(f"`{name}: {field.type}`" for name, field in fields.items()) + ".\n")
    for name, attribute in vars(cls).items():
        if name.startswith("_") or name in fields:
            continue
        if isinstance(attribute, property | cached_property):
            getter = attribute.fget if isinstance(attribute, property) else attribute.func
            settable = " (settable)" if isinstance(attribute, property) and attribute.fset else ""
            annotation = inspect.signature(getter).return_annotation
            lines.append(f"#### `.{name}: {annotation}`{settable}\n\n{doc(attribute)}\n")
        elif callable(attribute):
            lines.append(f"#### `.{name}{signature(attribute, drop_self=True)}`\n\n{doc(attribute)}\n")
    return lines


def page() -> str:
    import gradcalc

    lines = [HEADER]
    names = [name for name in gradcalc.__all__ if name != "__version__"]
    functions = [name for name in names if inspect.isfunction(getattr(gradcalc, name))]
    classes = [name for name in names if inspect.isclass(getattr(gradcalc, name))]
    errors = sorted(
        (name for name in classes if issubclass(getattr(gradcalc, name), Exception)),
        key=lambda name: (name != "GradcalcError", name),
    )
    ordered = [*functions, *[name for name in classes if name not in errors], *errors]
    lines.append("## Contents\n")
    lines += [f"- [`{name}`](#{name.lower()})" for name in ordered]
    lines.append("")
    for name in ordered:
        value = getattr(gradcalc, name)
        if inspect.isfunction(value):
            lines.append(f"## {name}\n\n```python\ngradcalc.{name}{signature(value)}\n```\n\n{doc(value)}\n")
        elif issubclass(value, Exception):
            bases = ", ".join(base.__name__ for base in value.__bases__)
            lines.append(f"## {name}\n\n`class gradcalc.{name}({bases})`\n\n{doc(value)}\n")
        else:
            lines.append(f"## {name}\n\n`class gradcalc.{name}`\n\n{doc(value)}\n")
            lines += members(value)
    errors_note = (
        "Every error has `.message`, `.span` (a `gradcalc.source.Span` with `.start`, `.end`, `.text`, or None), "
        "`.hint`, `.excerpt` (the source line with carets under the span, as the command line prints it) and "
        "`.render()` (the whole text the command line prints: place, message, excerpt, hint)."
    )
    lines.append(f"## Error attributes\n\n{errors_note}\n")
    return "\n".join(lines).rstrip() + "\n"


def main() -> int:
    text = page()
    if "--check" in sys.argv[1:]:
        if PAGE.read_text(encoding="utf-8") != text:
            sys.stderr.write(f"{PAGE} is out of date: run python scripts/api_reference.py\n")
            return 1
        return 0
    PAGE.write_text(text, encoding="utf-8")
    sys.stdout.write(f"wrote {PAGE}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
