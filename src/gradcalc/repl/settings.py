"""A session's settings, apart from the session so the prompt can start before the pipeline is imported."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(slots=True)
class Settings:
    precision: int = 6
    expanded: bool = False
    rows: int = 200  # largest table shown in full
