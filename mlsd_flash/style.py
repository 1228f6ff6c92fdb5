"""The style rules of the built-in deck (`check --strict`), from CARD-STYLE.md, as code.

Each rule reports a `Problem` at the card's line, so a writer can fix it where it stands.
"""

from __future__ import annotations

import re
from collections import defaultdict
from typing import TYPE_CHECKING

from .cards import Card
from .problems import Problem

if TYPE_CHECKING:
    from .notes import Note

MAX_ANSWER_WORDS = 50
MAX_ITEMS = 4
POINT_MAX_WORDS = 35  # a case point is one fact said in ten seconds: aim for 25 words
POINT_MAX_ITEMS = 3
POINTS_PER_STEP = (2, 6)
MIN_DEEP_DIVES = 6
MIN_CASE_CARDS = 20
TRADE_OFF_FACETS = {"why", "when", "pros", "cons", "pitfalls", "vs"}
_CODE_OR_MATH = re.compile(r"```.*?```|`[^`]*`|\$[^$]*\$", re.S)
_LIST_ITEM = re.compile(r"^(?:[-*+]|\d+[.)])\s+")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_SEPARATOR = re.compile(r"(?<!\d)[,;]|[,;](?!\d)")
_WORD = re.compile(r"[a-z0-9]+")
_STOPWORDS = frozenset(
    "a an the of in on for to and or is are what which how why when does do you your with by as its it "
    "at be from this that".split()
)


def strict_problems(cards: list[Card]) -> list[Problem]:
    """Every style problem in the deck, in card order."""
    problems: list[Problem] = []
    seen_questions: dict[tuple, Card] = {}
    facets_by_note: dict[str, set[str]] = defaultdict(set)
    definition_card: dict[str, Card] = {}
    for card in cards:
        where = (card.path, card.line, 1)
        text = card.question if card.kind == "cloze" else card.answer
        words = len(_CODE_OR_MATH.sub(" x ", text).split())
        if card.facet != "reverse" and words > MAX_ANSWER_WORDS:
            problems.append(Problem(*where, f"{card.id}: answer has {words} words (at most {MAX_ANSWER_WORDS}; "
                                            "move the explanation to 'extra')"))
        items = enumerated_items(text)
        if card.facet != "reverse" and items > MAX_ITEMS:
            problems.append(Problem(*where, f"{card.id}: answer enumerates {items} items (at most {MAX_ITEMS}; "
                                            "split it or use a cloze)"))
        if not card.source:
            problems.append(Problem(*where, f"{card.id}: card has no source"))
        if card.kind == "basic":
            key = question_key(card.question)
            other = seen_questions.get(key)
            if other is not None:
                problems.append(Problem(*where, f"{card.id}: question is (nearly) the same as {other.id}'s "
                                                f"({other.path}:{other.line})"))
            else:
                seen_questions[key] = card
        facets_by_note[card.note_id].add(card.facet)
        if card.facet == "definition":
            definition_card[card.note_id] = card
    for note_id, card in definition_card.items():
        if not facets_by_note[note_id] & TRADE_OFF_FACETS:
            problems.append(Problem(card.path, card.line, 1,
                                    f"{note_id}: a definition alone; add a why, when, pros, cons, pitfalls or vs card"))
    return problems


def enumerated_items(text: str) -> int:
    """How many items the answer lists: Markdown list items, or the parts of its longest sentence."""
    plain = _CODE_OR_MATH.sub(" x ", text)
    list_items = sum(1 for line in plain.splitlines() if _LIST_ITEM.match(line.strip()) and not line.startswith("  "))
    prose = "\n".join(line for line in plain.splitlines() if not _LIST_ITEM.match(line.strip()))
    parts = max((len(_SEPARATOR.findall(s)) + 1 for s in _SENTENCE_END.split(prose) if s.strip()), default=0)
    return max(list_items, parts)


def question_key(question: str) -> tuple[str, ...]:
    """Questions with the same content words, in any order, count as nearly identical."""
    return tuple(sorted({w for w in _WORD.findall(question.lower()) if w not in _STOPWORDS}))


def case_problems(notes: list[Note]) -> list[Problem]:
    """The skeleton rules of a case: a prompt, every framework step with 2 to 6 points, each point
    short enough to say in ten seconds, at least 6 deep dives and 20 cards."""
    from .cards import compile_note
    from .notes import CASE_FACETS

    problems: list[Problem] = []
    for note in notes:
        if note.kind != "case":
            continue
        where = (note.path, note.line, note.column)
        if not note.prompt:
            problems.append(Problem(*where, f"case '{note.id}' has no 'prompt' (the problem as the interviewer states it)"))
        for entry in note.entries:
            if entry.kind == "facet":
                problems.append(Problem(note.path, entry.line, 1, f"case '{note.id}': step '{entry.key}' is one "
                                        "checklist card; write it as a list of 2 to 6 points"))
            elif entry.kind == "point":
                at = (note.path, entry.line, 1)
                words = len(_CODE_OR_MATH.sub(" x ", entry.answer).split())
                if words > POINT_MAX_WORDS:
                    problems.append(Problem(*at, f"{note.id}/{entry.key}: point answer has {words} words "
                                                 f"(at most {POINT_MAX_WORDS}; move the rest to 'why' or 'extra')"))
                items = enumerated_items(entry.answer)
                if items > POINT_MAX_ITEMS:
                    problems.append(Problem(*at, f"{note.id}/{entry.key}: point answer lists {items} items "
                                                 f"(at most {POINT_MAX_ITEMS}; split it into points)"))
        low, high = POINTS_PER_STEP
        for step in CASE_FACETS:
            count = sum(1 for e in note.entries if e.kind == "point" and e.step == step)
            if not low <= count <= high and not any(e.kind == "facet" and e.key == step for e in note.entries):
                problems.append(Problem(*where, f"case '{note.id}': step '{step}' has {count} points "
                                                f"(write {low} to {high})"))
        dives = sum(1 for e in note.entries if e.kind == "dive")
        if dives < MIN_DEEP_DIVES:
            problems.append(Problem(*where, f"case '{note.id}' has {dives} deep dives (at least {MIN_DEEP_DIVES})"))
        cards = len(compile_note(note))
        if cards < MIN_CASE_CARDS:
            problems.append(Problem(*where, f"case '{note.id}' has {cards} cards (at least {MIN_CASE_CARDS})"))
    return problems
