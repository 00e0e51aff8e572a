"""Every error to its exit status, in one place: what ``gradcalc`` does when something goes wrong."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import NoReturn

from gradcalc.errors import ExitStatus, GradcalcError
from gradcalc.reporting import report_bug, report_error


@contextmanager
def exit_statuses() -> Iterator[None]:
    """Report errors without tracebacks and exit with their status (``SystemExit`` passes through)."""
    try:
        yield
    except GradcalcError as error:
        report_error(error)
        sys.exit(error.status)
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        sys.exit(ExitStatus.INTERRUPTED)
    except BrokenPipeError:
        reader_gone()
    except Exception as exc:  # a bug in gradcalc: say so plainly, traceback only on request
        if os.environ.get("GRADCALC_DEBUG"):
            raise
        report_bug(exc)
        sys.exit(ExitStatus.ERROR)


def reader_gone() -> NoReturn:
    """The reader of the output went away (``gradcalc ... | head``): nothing left to say, nothing to report.

    The rest of the output goes nowhere, and the exit status is 0, as ``head`` asked for no more.
    """
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    sys.exit(ExitStatus.OK)
