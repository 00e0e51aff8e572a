"""A session's settings, apart from the session so the prompt can start before the pipeline is imported."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(slots=True)
class Settings:
    precision: int = 6
    expanded: bool = False
    collapsed: bool = False  # each call of a user function shown as one gate
    rows: int = 200  # largest table shown in full
