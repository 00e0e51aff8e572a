"""The walks a one-shot command makes once over a whole program run as specialized code.

CPython 3.11 specializes a function's bytecode (a dictionary lookup becomes a cached slot read) once the
function has been called, or its loops have jumped back, often enough; the jump that ends a ``while cond``
loop is not counted. A walk called once per program (the lowering of a 100,000-term sum) written that way
stays unspecialized to its end: a third more instructions a term, measured. A fresh process is needed:
in the test session's own, every function has long been called often enough.
"""

from __future__ import annotations

import subprocess
import sys

_ONCE = """
import dis
from gradcalc.graph import Graph
from gradcalc.lowering import _Lowering, lower
from gradcalc.parser import parse
from gradcalc.source import Source

program = parse(Source(" + ".join(f"x*{k}" for k in range(2_000)) + "\\n"))
code = _Lowering._expression.__code__
before = [i.opname for i in dis.get_instructions(code, adaptive=True)]
lower(program, Graph(), {"x": 1.0})  # _expression is called once, for the sum
after = [i.opname for i in dis.get_instructions(code, adaptive=True)]
print(before != after)
"""


def test_the_lowering_walk_of_a_sum_called_once_is_specialized() -> None:
    done = subprocess.run([sys.executable, "-c", _ONCE], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["True"]
