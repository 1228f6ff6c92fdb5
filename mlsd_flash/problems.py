"""A problem in a card file, located as `path:line:column` so editors and people can jump to it."""

from __future__ import annotations

import os
from pathlib import Path
from typing import NamedTuple


class Problem(NamedTuple):
    """One thing wrong with a card file, where it is."""

    path: str
    line: int
    column: int
    message: str

    def __str__(self) -> str:
        return f"{display_path(self.path)}:{self.line}:{self.column}: {self.message}"


def display_path(path: Path | str) -> str:
    """A path as the user should see it: relative to the current folder when inside it.

    Paths are stored absolute (so the deck cache serves any folder) and shortened only for display."""
    if not os.path.isabs(path):
        return str(path)
    try:
        rel = os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return str(path)
    return str(path) if rel.startswith("..") else rel
