"""Reading the user's files, with the errors said in the user's terms."""

from __future__ import annotations

from pathlib import Path

from gradcalc.errors import UsageError


def read_text(path: Path, what: str = "program file", encoding: str = "utf-8") -> str:
    """The text of ``path``; a UsageError naming the problem when it cannot be read."""
    try:
        return path.read_text(encoding=encoding)
    except FileNotFoundError:
        raise UsageError(f"no such {what}: {path}") from None
    except IsADirectoryError:
        raise UsageError(f"{path} is a folder, not a {what}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read {path}: {getattr(exc, 'strerror', None) or exc}") from None
