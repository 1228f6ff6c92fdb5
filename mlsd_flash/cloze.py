"""Cloze deletions, `{{c1::answer::hint}}`: their syntax and how each side of a cloze card reads."""

from __future__ import annotations

import re

CLOZE = re.compile(r"\{\{c(\d+)::(.*?)(?:::(.*?))?\}\}", re.S)


def cloze_numbers(text: str) -> list[int]:
    """The distinct deletion numbers of a cloze text, in ascending order."""
    return sorted({int(m.group(1)) for m in CLOZE.finditer(text)})


def cloze_side(text: str, ordinal: int, reveal: bool) -> str:
    """The text with deletion `ordinal` hidden as [...] (or its hint), or shown in bold."""

    def replace(m: re.Match) -> str:
        if int(m.group(1)) != ordinal:
            return m.group(2)
        if reveal:
            return f"**{m.group(2)}**"
        return f"[{m.group(3)}]" if m.group(3) else "[...]"

    return CLOZE.sub(replace, text)
