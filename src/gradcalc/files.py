"""Reading the user's files and standard input, with the errors said in the user's terms."""

from __future__ import annotations

import codecs
from pathlib import Path

from gradcalc.errors import UsageError


def read_text(path: Path, what: str = "program file", encoding: str = "utf-8") -> str:
    """The text of ``path``; a UsageError naming the problem when it cannot be read."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise UsageError(f"no such {what}: {path}") from None
    except IsADirectoryError:
        raise UsageError(f"{path} is a folder, not a {what}") from None
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror or exc}") from None
    return decode_text(data, str(path), encoding)


def decode_text(data: bytes, where: str, encoding: str = "utf-8", offset: int = 0) -> str:
    """``data`` decoded; a UsageError giving the first bad byte and its offset when it is not text.

    ``offset`` is where ``data`` starts in a longer stream (a line of piped input), so the offset the
    message gives is the one a hex dump of the whole input shows. Line ends are made ``\n`` as
    ``open()`` does in text mode, so a file saved on Windows reads as it did.
    """
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        bad = data[exc.start : exc.end]
        shown = " ".join(f"0x{byte:02x}" for byte in bad[:4])
        name = codecs.lookup(encoding).name.upper().replace("-SIG", "")
        raise UsageError(
            f"{where} is not {name} text: byte {shown} at byte offset {offset + exc.start} ({exc.reason})",
            hint=f"save it as {name} (iconv -t {name} converts most encodings)",
        ) from None
    except LookupError:  # pragma: no cover - an encoding Python does not know comes only from the environment
        raise UsageError(f"cannot read {where}: unknown encoding {encoding!r}") from None
    return text.replace("\r\n", "\n").replace("\r", "\n")
