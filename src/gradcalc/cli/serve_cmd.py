"""``gradcalc serve PROGRAM``: the live page of a program, redrawn whenever its file changes.

Edit ``neuron.gc`` in your editor, save, and the browser shows the new circuit a moment later; a
program with an error shows the error on the page, and the server goes on serving. Ctrl-C stops it.
"""

from __future__ import annotations

import sys
import time
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from gradcalc.cli.options import Bindings, Expand
from gradcalc.cli.program_source import PROGRAM_FILE_SUFFIX, Program, program_source
from gradcalc.errors import GradcalcError
from gradcalc.program import parse_bindings, run_source

WATCH_INTERVAL = 0.3  # seconds between looks at the program file's modification time


class PageStyle(StrEnum):
    circuit = "circuit"
    boxes = "boxes"


PAGE_PRECISION = 2  # as the pictures: wires labelled 2.00, -0.20 (the step texts show two decimals more)

Port = Annotated[
    int | None,
    typer.Option("--port", min=1, max=65535, metavar="N", help="Serve on port N of 127.0.0.1 (default: a free port)."),
]

PagePrecision = Annotated[
    int, typer.Option("--precision", "-p", min=0, max=17, metavar="N", help="Decimals of the numbers in the picture.")
]
PageStyleOption = Annotated[
    PageStyle,
    typer.Option(
        "--style", case_sensitive=False, help="circuit: gates as circles and labelled wires; boxes: micrograd's."
    ),
]


def serve_command(
    program: Program,
    bindings: Bindings = None,
    port: Port = None,
    expand: Expand = False,
    precision: PagePrecision = PAGE_PRECISION,
    style: PageStyleOption = PageStyle.circuit,
) -> None:
    """Serve PROGRAM's circuit as a live page on 127.0.0.1 and redraw it whenever its file changes.

    The page steps through the forward and backward passes gate by gate. Ctrl-C stops the server.

    Example: gradcalc serve examples/neuron.gc --expand
    """
    from gradcalc.live.server import LiveServer

    overrides = parse_bindings(bindings or [])  # a wrong NAME=VALUE is a usage error before anything starts
    path = Path(program.strip()) if program.strip().endswith(PROGRAM_FILE_SUFFIX) else None
    text = None if path is not None else program
    server = LiveServer(port=port)
    url = server.start()
    try:

        def publish() -> None:
            try:
                source = program_source(text if text is not None else str(path))
                result = run_source(source, overrides, expanded=expand)
            except GradcalcError as error:
                server.publish_error(error.render())
                sys.stderr.write(error.render() + "\n")
                return
            server.publish(result, precision=precision, style=style.value)

        publish()
        sys.stdout.write(f"gradcalc: the live page of {program.strip()} is at {url}\n")
        if server.ssh_hint:
            sys.stdout.write(server.ssh_hint + "\n")
        sys.stdout.write(
            ("it is redrawn when the file changes; " if path is not None else "") + "press Ctrl-C to stop\n"
        )
        sys.stdout.flush()
        seen = _stamp(path)
        while True:
            time.sleep(WATCH_INTERVAL)
            if path is None:
                continue
            now = _stamp(path)
            if now != seen:
                seen = now
                publish()
                sys.stderr.write(f"{time.strftime('%H:%M:%S')} redrawn: {path}\n")
    except KeyboardInterrupt:
        sys.stdout.write("stopped\n")
    finally:
        server.stop()


def _stamp(path: Path | None) -> tuple[int, int] | None:
    """What changes when the file is saved (even by an editor that replaces it), or None when it is missing."""
    if path is None:
        return None
    try:
        stat = path.stat()
    except OSError:
        return None
    return stat.st_mtime_ns, stat.st_size
