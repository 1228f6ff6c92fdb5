"""The style rules of the built-in deck (`check --strict`), from CARD-STYLE.md, as code.

Each rule reports a `Problem` at the card's line, so a writer can fix it where it stands.
"""

from __future__ import annotations

import re
from collections import defaultdict

from .cards import Card
from .problems import Problem

MAX_ANSWER_WORDS = 50
MAX_ITEMS = 4
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
