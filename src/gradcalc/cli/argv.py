"""Let a program that starts with a minus sign work as typed: ``gradcalc eval '-x^2' x=3``.

Click would read ``-x^2`` as options. A leading-minus argument that is not one of the command's own
options (nor an option's value) is the program: it gets a leading space, which the language ignores.
``gradcalc eval -- -x^2 x=3`` works too, as in every Click program.
"""

from __future__ import annotations

from typing import Any


def protect_leading_minus(args: list[str], group: Any) -> list[str]:
    """``args`` with a leading-minus program protected; ``group`` is the Click group of the app."""
    if not args:
        return args
    command = getattr(group, "commands", {}).get(args[0])
    if command is None:
        return args
    takes_value = {"--help": False, "-h": False}
    for param in command.params:
        if getattr(param, "param_type_name", "") == "option":
            for name in (*param.opts, *param.secondary_opts):
                takes_value[name] = not param.is_flag and not param.count
    out = [args[0]]
    expecting_value = False
    for i, arg in enumerate(args[1:], start=1):
        if expecting_value:
            out.append(arg)
            expecting_value = False
        elif arg == "--":
            out.extend(args[i:])
            break
        elif arg.startswith("-") and arg != "-":
            name = arg.split("=", 1)[0]
            if name in takes_value:
                out.append(arg)
                expecting_value = takes_value[name] and "=" not in arg
            else:
                out.append(" " + arg)
        else:
            out.append(arg)
    return out
