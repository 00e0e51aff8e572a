"""Data points for training: a CSV file whose header names the program inputs each column binds.

    x,y
    0,1
    0.5,2

Every cell must be a number. Columns are kept as lists of floats in file order; the trainer turns them
into arrays once.
"""

from __future__ import annotations

import csv
import math
import re
from dataclasses import dataclass
from pathlib import Path

from gradcalc.errors import UsageError
from gradcalc.files import read_text

_NAME = re.compile(r"[A-Za-z_][A-Za-z_0-9]*\Z")


@dataclass(frozen=True, slots=True)
class Dataset:
    name: str  # where it came from, for messages
    columns: dict[str, list[float]]  # header name -> one value per row, in file order

    @property
    def rows(self) -> int:
        return len(next(iter(self.columns.values()), []))


def read_csv(path: Path) -> Dataset:
    """Read ``path``; a clear UsageError for a missing file, a bad header or a cell that is not a number."""
    return parse_csv(read_text(path, "data file", encoding="utf-8-sig"), str(path))


def parse_csv(text: str, name: str = "<data>") -> Dataset:
    lines = [(number, row) for number, row in enumerate(csv.reader(text.splitlines()), start=1) if any(row)]
    if not lines:
        raise UsageError(f"{name} is empty: it needs a header line naming the inputs, then rows of numbers")
    header_line, header = lines[0]
    names = [cell.strip() for cell in header]
    for cell in names:
        if not _NAME.match(cell):
            raise UsageError(
                f"{name}:{header_line}: the column name {cell!r} is not a name",
                hint="the header names the program's inputs, e.g. x,y",
            )
    duplicates = sorted({cell for cell in names if names.count(cell) > 1})
    if duplicates:
        raise UsageError(f"{name}:{header_line}: the column {duplicates[0]!r} appears twice in the header")
    columns: dict[str, list[float]] = {cell: [] for cell in names}
    for number, row in lines[1:]:
        if len(row) != len(names):
            raise UsageError(f"{name}:{number}: {len(row)} values, but the header names {len(names)} columns")
        for cell, value in zip(names, row):
            columns[cell].append(_number(value, f"{name}:{number}", cell))
    if len(lines) == 1:
        raise UsageError(f"{name} has a header but no rows of data")
    return Dataset(name, columns)


def _number(text: str, where: str, column: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise UsageError(f"{where}: {text.strip()!r} in column {column!r} is not a number") from None
    if not math.isfinite(value):
        raise UsageError(f"{where}: {text.strip()!r} in column {column!r} is not a finite number")
    return value
