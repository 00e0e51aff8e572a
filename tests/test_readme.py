"""Every example in the README is true as printed: each command is run and its output compared.

Two kinds of example are checked:

- ``console`` blocks: each ``$ command`` line is run by bash in a scratch folder holding a copy of
  ``examples/``, with ``gradcalc`` being the console script beside this Python. When lines follow the
  command (up to the next ``$``), they are what it prints (standard output and standard error, as a
  terminal shows them together) and must match exactly, except that a line ``...`` stands for any
  number of lines left out; a command printed without output must succeed.
- ``text`` blocks that open with ``$ gradcalc``: REPL transcripts. The lines after ``>>>`` prompts
  (and after the ``...`` prompts that continue an open block) are piped into ``gradcalc`` and what
  it prints must be the transcript's other lines (the banner is shown only at a terminal, so it is
  not compared).

Blocks of other kinds (``sh`` recipes, ``json`` schemas, ``latex``) are documentation, not transcripts.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import ROOT, gradcalc_command

README = ROOT / "README.md"
FENCE = re.compile(r"^```(\w*)\s*$")
PROMPT = ">>> "
CONTINUATION = "... "  # the prompt of a line inside an open block or parenthesis


@dataclass(frozen=True)
class Example:
    line: int  # where the command is in the README (1-based), for the test id
    command: str
    expected: list[str] | None  # None: printed without output, so it must just succeed
    kind: str  # "console" or "repl"


def _blocks(text: str) -> list[tuple[int, str, list[str]]]:
    """``(first line number, language, lines)`` of every fenced block."""
    blocks: list[tuple[int, str, list[str]]] = []
    language: str | None = None
    body: list[str] = []
    start = 0
    for number, line in enumerate(text.splitlines(), start=1):
        fence = FENCE.match(line)
        if fence and language is None:
            language, body, start = fence.group(1), [], number + 1
        elif line.startswith("```") and language is not None:
            blocks.append((start, language, body))
            language = None
        elif language is not None:
            body.append(line)
    return blocks


def _console_examples(start: int, lines: list[str]) -> list[Example]:
    examples: list[Example] = []
    for offset, line in enumerate(lines):
        if not line.startswith("$ "):
            continue
        output: list[str] = []
        for following in lines[offset + 1 :]:
            if following.startswith("$ "):
                break
            output.append(following)
        examples.append(Example(start + offset, line[2:], output or None, "console"))
    return examples


def _repl_example(start: int, lines: list[str]) -> Example:
    typed = [line[len(PROMPT) :] for line in lines if line.startswith((PROMPT, CONTINUATION))]
    first_prompt = next(k for k, line in enumerate(lines) if line.startswith(PROMPT))
    shown = [line for line in lines[first_prompt:] if not line.startswith((PROMPT, CONTINUATION))]
    return Example(start, "\n".join(typed) + "\n", shown, "repl")


def readme_examples() -> list[Example]:
    examples: list[Example] = []
    for start, language, lines in _blocks(README.read_text(encoding="utf-8")):
        if language == "console":
            examples.extend(_console_examples(start, lines))
        elif language == "text" and lines and lines[0].startswith("$ gradcalc") and any(
            line.startswith(PROMPT) for line in lines
        ):
            examples.append(_repl_example(start, lines))
    return examples


EXAMPLES = readme_examples()


def test_the_readme_has_examples_of_both_kinds():
    kinds = {example.kind for example in EXAMPLES}
    assert kinds == {"console", "repl"}
    assert len(EXAMPLES) >= 10


@pytest.fixture
def scratch(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    launcher = bin_dir / "gradcalc"
    launcher.write_text("#!/bin/sh\nexec " + " ".join(f"'{part}'" for part in gradcalc_command()) + ' "$@"\n')
    launcher.chmod(0o755)
    return tmp_path


def _environment(scratch: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in ("COLUMNS", "LINES", "FORCE_COLOR")}
    env["NO_COLOR"] = "1"
    env["PATH"] = f"{scratch / 'bin'}{os.pathsep}{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    return env


def _lines(text: str) -> list[str]:
    return [line.rstrip() for line in text.rstrip("\n").splitlines()]


def _matches(printed: list[str], expected: list[str]) -> bool:
    """``printed`` is ``expected``, where an expected line ``...`` stands for any run of lines."""
    while expected and not expected[-1]:
        expected = expected[:-1]
    pattern = "".join("(?:[^\n]*\n)*?" if line.strip() == "..." else re.escape(line) + "\n" for line in expected)
    return re.fullmatch(pattern, "".join(line + "\n" for line in printed)) is not None


@pytest.mark.parametrize("example", EXAMPLES, ids=[f"README.md:{e.line}" for e in EXAMPLES])
def test_readme_example_is_true_as_printed(example: Example, scratch: Path):
    console = example.kind == "console"
    done = subprocess.run(
        ["bash", "-c", example.command if console else "gradcalc"],
        cwd=scratch,
        env=_environment(scratch),
        input="" if console else example.command,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,  # one stream, in the order a terminal would show it
        text=True,
        timeout=120,
    )
    assert "Traceback" not in done.stdout, done.stdout
    if example.expected is None:
        assert done.returncode == 0, f"{example.command!r} failed:\n{done.stdout}"
    else:
        expected = [line.rstrip() for line in example.expected]
        printed = _lines(done.stdout)
        assert _matches(printed, expected), "\n".join(["printed:", *printed, "", "README:", *expected])
