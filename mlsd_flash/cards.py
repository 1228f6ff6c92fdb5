"""Cards: a note's facets compiled into question/answer and cloze cards with stable ids.

A card's id is its note's id plus its facet or local id, never its text, so editing an answer keeps
the card's review history; `content_hash` tells later stages that the text changed.
"""

from __future__ import annotations

import contextlib
import gc
import marshal
import zlib
from collections.abc import Sequence
from typing import TYPE_CHECKING, Callable, Iterable, NamedTuple

from .cloze import cloze_numbers, cloze_side

if TYPE_CHECKING:
    from .notes import Note

# "{title}: ..." reads right for any term (singular or plural, with or without an article).
CONCEPT_QUESTIONS = {
    "definition": "{title}: what is it?",
    "why": "{title}: why does it matter?",
    "when": "{title}: when would you use it?",
    "how": "{title}: how does it work?",
    "pros": "{title}: what is its main advantage?",
    "cons": "{title}: what is its main drawback?",
    "pitfalls": "{title}: what goes wrong in practice?",
    "example": "{title}: what is a concrete example?",
    "formula": "{title}: what is the formula?",
}
REVERSE_QUESTION = "Which term is defined as: {definition}"
VS_QUESTION = "{title} vs {other}: what is the difference?"
CASE_QUESTIONS = {
    "framing": "How do you frame the ML problem and its business goal?",
    "data": "What data do you use, and where does it come from?",
    "labels": "Where do the labels come from, and how delayed or noisy are they?",
    "features": "What are the key features?",
    "model": "What is the baseline, and what stronger model follows?",
    "offline_metrics": "Which offline metrics do you use?",
    "online_metrics": "Which online metrics and experiment do you use?",
    "serving": "What are the serving constraints, and how do you meet them?",
    "pitfalls": "What are the main pitfalls?",
}


class Card(NamedTuple):
    """One reviewable card. For a cloze card, `question` holds the raw cloze text and `ordinal`
    the deletion number it asks for; `anki_id` is the Anki note it belongs to.

    A named tuple, so that the cached deck of tens of thousands of cards is rebuilt quickly."""

    id: str
    note_id: str
    anki_id: str
    kind: str  # "basic" or "cloze"
    facet: str  # definition, why, ..., reverse, vs, card, cloze, or a case step
    title: str  # the concept or case
    question: str
    answer: str
    extra: str
    deck: str
    tags: tuple[str, ...]
    source: str
    path: str
    line: int
    ordinal: int = 0
    content_hash: str = ""
    priority: str = "core"  # "core" or "extended"

    def front(self) -> str:
        """The question as Markdown (a cloze shows its deletion as [...] or its hint)."""
        return cloze_side(self.question, self.ordinal, reveal=False) if self.kind == "cloze" else self.question

    def back(self) -> str:
        """The answer as Markdown (a cloze shows its whole text, the asked deletion in bold)."""
        return cloze_side(self.question, self.ordinal, reveal=True) if self.kind == "cloze" else self.answer

    def to_dict(self) -> dict:
        return {
            "id": self.id, "note_id": self.note_id, "kind": self.kind, "facet": self.facet,
            "deck": self.deck, "tags": list(self.tags), "question": self.front(), "answer": self.back(),
            "extra": self.extra, "source": self.source, "path": self.path, "line": self.line,
            "content_hash": self.content_hash,
        }


def note_of(card_id: str) -> str:
    """The note a card belongs to: its id up to the first '/' (note ids are slugs without one)."""
    return card_id.split("/", 1)[0]


class Cards(Sequence):
    """Cards in deck order, with plain columns of the fields that select and queue them.

    From the cache, each card stays packed (its fields as `marshal` bytes) until it is asked for,
    and the columns are read only when first used: a review finds its cards through the cache's
    index and builds `Card` tuples only for the cards it shows. A full pass unpacks every card once
    and keeps them."""

    def __init__(self, ids: list[str] | None, decks: list[str] | None, tags: list[tuple[str, ...]] | None,
                 priorities: str | None, rows: Sequence, packed: bool = False,
                 segments: list[tuple[str, int, int, int]] | None = None,
                 columns: Callable[[], tuple] | None = None, find: Callable[[str], int | None] | None = None):
        self._columns = None if columns else (ids, decks, tags, priorities)
        self._read_columns = columns  # reads (ids, decks, tags, priorities) when first needed
        self._find = find  # the row of a card id, without the columns (the cache's index)
        self._rows = rows  # Card tuples, or their fields as marshal bytes when `packed`
        self._packed = packed
        self._positions: dict[str, int] | None = None
        self._segments = segments
        self.whole: Cards = self  # the deck a selection was taken from (itself for a whole deck)

    @classmethod
    def of(cls, cards: Iterable[Card]) -> Cards:
        cards = list(cards)
        return cls([c.id for c in cards], [c.deck for c in cards], [c.tags for c in cards],
                   "".join(c.priority[0] for c in cards), cards)

    def _column(self, i: int):
        if self._columns is None:
            self._columns = self._read_columns()
        return self._columns[i]

    ids = property(lambda self: self._column(0), doc="Card ids in deck order.")
    decks = property(lambda self: self._column(1))
    tags = property(lambda self: self._column(2))
    priorities = property(lambda self: self._column(3), doc='One letter a card: "c" core, "e" extended.')

    def __len__(self) -> int:
        return len(self._rows)

    def __getitem__(self, i: int) -> Card:
        return _unpack(self._rows[i]) if self._packed else self._rows[i]

    def __iter__(self):
        if self._packed:
            with no_gc():
                self._rows = [*map(_unpack, self._rows)]
            self._packed = False
        return iter(self._rows)

    def positions(self) -> dict[str, int]:
        """Each card id's position in deck order."""
        if self._positions is None:
            self._positions = dict(zip(self.ids, range(len(self.ids))))
        return self._positions

    def get(self, card_id: str) -> Card | None:
        i = self._find(card_id) if self._find and self._positions is None else self.positions().get(card_id)
        return None if i is None else self[i]

    def subset(self, positions: Iterable[int]) -> Cards:
        keep = list(positions)
        part = Cards([self.ids[i] for i in keep], [self.decks[i] for i in keep], [self.tags[i] for i in keep],
                     "".join(self.priorities[i] for i in keep), [self._rows[i] for i in keep], self._packed)
        part.whole = self.whole
        return part

    @property
    def segments(self) -> list[tuple[str, int, int, int]]:
        """The deck as runs of cards from one file: (file, start, end, stamp), the stamp a CRC-32 of
        the run's ids and priorities. What the history's copy of the deck order is kept in step by,
        a file at a time (cards built in memory are one run)."""
        if self._segments is None:
            self._segments = [segment("", self.ids, self.priorities, 0, len(self.ids))]
        return self._segments

    def packed(self) -> Sequence[bytes]:
        """Each card's fields as marshal bytes, for the deck cache."""
        return self._rows if self._packed else [marshal.dumps(tuple(c)) for c in self._rows]


def segment(path: str, ids: list[str], priorities: str, start: int, end: int) -> tuple[str, int, int, int]:
    """The segment of cards `start` to `end`, from the file `path`, with its stamp."""
    stamp = zlib.crc32(priorities[start:end].encode(), zlib.crc32("\n".join(ids[start:end]).encode()))
    return path, start, end, stamp


def _unpack(packed: bytes) -> Card:
    return tuple.__new__(Card, marshal.loads(packed))


def compile_note(note: "Note") -> list[Card]:
    """Compile one validated note into its cards, in the order a learner should meet them."""
    cards: list[Card] = []
    title = note.title

    def add(local: str, facet: str, question: str, entry, kind="basic", ordinal=0, anki_local=None):
        card_id = f"{note.id}/{local}"
        answer = entry.answer if kind == "basic" else ""
        if facet == "reverse":
            answer = title
        cards.append(Card(
            id=card_id, note_id=note.id, anki_id=f"{note.id}/{anki_local}" if anki_local else card_id,
            kind=kind, facet=facet, title=title, question=question, answer=answer,
            extra=entry.extra, deck=note.deck, tags=note.tags,
            source=entry.source or note.source, path=note.path, line=entry.line, ordinal=ordinal,
            content_hash=_hash(question, answer, entry.extra), priority=note.priority,
        ))

    for entry in note.entries:
        if entry.kind == "facet":
            if note.kind == "case":
                question = entry.question or f"Case: {title}. {CASE_QUESTIONS[entry.key]}"
            else:
                question = entry.question or CONCEPT_QUESTIONS[entry.key].format(title=title)
            add(entry.key, entry.key, question, entry)
            if entry.key == "definition":
                if note.reverse:
                    add("reverse", "reverse", REVERSE_QUESTION.format(definition=entry.answer), entry)
        elif entry.kind == "point":
            add(entry.key, entry.step, f"Case: {title}. {entry.question}", entry)
        elif entry.kind == "dive":
            add(entry.key, "dive", f"Case: {title}. {entry.question}", entry)
        elif entry.kind == "vs":
            question = entry.question or VS_QUESTION.format(title=title, other=entry.other)
            add(f"vs-{entry.key}", "vs", question, entry)
        elif entry.kind == "card":
            add(entry.key, "card", entry.question, entry)
        else:
            for n in cloze_numbers(entry.answer):
                add(f"{entry.key}/c{n}", "cloze", entry.answer, entry, "cloze", n, entry.key)
    return cards


def _hash(*parts: str) -> str:
    import hashlib  # only when compiling: importing it costs a review's start several milliseconds

    return hashlib.blake2b("\x1f".join(parts).encode(), digest_size=8).hexdigest()


@contextlib.contextmanager
def no_gc():
    """Pause the cycle collector while tens of thousands of acyclic tuples are created at once:
    it would otherwise rescan them again and again."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
