"""Case skeletons: a case's prompt and its framework steps, each a checklist of one-fact points.

The mock interview grades an answer against this outline, and `review --case` walks its cards in
the same order. A skeleton is read from the case's note, because labels and the prompt are not
part of the compiled cards.
"""

from __future__ import annotations

from typing import NamedTuple

from .notes import CASE_FACETS, Note

STEP_NAMES = {
    "framing": "Framing and requirements",
    "data": "Data",
    "labels": "Labels",
    "features": "Features",
    "model": "Model",
    "offline_metrics": "Offline evaluation",
    "online_metrics": "Online evaluation",
    "serving": "Serving",
    "pitfalls": "Monitoring and pitfalls",
}


class Point(NamedTuple):
    card_id: str
    label: str
    answer: str


class Step(NamedTuple):
    key: str
    name: str
    points: list[Point]


class Skeleton(NamedTuple):
    case_id: str
    title: str
    prompt: str
    steps: list[Step]

    def points(self) -> list[tuple[Step, Point]]:
        return [(step, point) for step in self.steps for point in step.points]


def skeleton_of(note: Note) -> Skeleton:
    """The outline of a case note. A step written the old way (one answer) is one point labelled
    with the step's name."""
    steps = []
    for key in CASE_FACETS:
        points = [Point(f"{note.id}/{e.key}", e.label or STEP_NAMES[key], e.answer) for e in note.entries
                  if (e.kind == "point" and e.step == key) or (e.kind == "facet" and e.key == key)]
        if points:
            steps.append(Step(key, STEP_NAMES[key], points))
    return Skeleton(note.id, note.title, note.prompt, steps)


def case_ids(cards) -> list[str]:
    """The ids of the cases among `cards`, in deck order."""
    steps = frozenset(CASE_FACETS) - {"pitfalls"}  # concept notes have a `pitfalls` facet too
    return list(dict.fromkeys(card.note_id for card in cards if card.facet in steps))


def load_skeleton(deck, case_id: str) -> Skeleton | None:
    """The skeleton of one case of the deck, read from its source file; None for an unknown case."""
    from .notes import parse_file

    cards = deck.note_cards(case_id)
    if not cards or case_id not in case_ids(cards):
        return None
    notes, _ = parse_file(cards[0].path)
    note = next((n for n in notes if n.id == case_id), None)
    return skeleton_of(note) if note is not None else None
