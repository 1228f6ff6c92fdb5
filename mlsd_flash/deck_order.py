"""The deck's order kept in the history database, so that a day's queue costs what the day holds.

A heavy user has ninety thousand cards and three million answers; a review shows two hundred of
them. The `deck` table holds each card's place in deck order and its priority beside its state and
due time (copied from `cards` by triggers), so the queue reads its learning steps, its first due
reviews and its first new cards through indexes, and stops reading once the day is full. `sync`
keeps the table in step with the card files, one changed file at a time.
"""

from __future__ import annotations

import heapq
import zlib
from collections.abc import Collection, Container, Iterable, Iterator

from .cards import Cards, note_of
from .history import LEARNING, RELEARNING, REVIEW, History

MIN_GAP = 1e-6  # keys closer than this are renumbered rather than split again
# One state at a time: each is read in the (state, due) index's order, with no sort of them all.
LEARNING_SQL = "SELECT due, card_id FROM deck WHERE state = ? ORDER BY due, card_id"


def sync(history: History, cards: Cards) -> None:
    """Make the history's `deck` table hold `cards` (a whole deck) in deck order. Unchanged decks
    cost one query; an edited file rewrites that file's rows; a new file takes a key between its
    neighbours'."""
    segments = cards.segments
    fingerprint = zlib.crc32(repr(segments).encode())
    if _synced(history) == fingerprint:
        return
    conn = history.conn
    with history.transaction():
        if _synced(history) == fingerprint:  # another process did it meanwhile
            return
        old = {path: (key, stamp) for path, key, stamp in conn.execute("SELECT path, key, stamp FROM deck_files")}
        keys = _keys([s[0] for s in segments], old)
        if keys is None:  # files moved around: number them again
            conn.execute("DELETE FROM deck")
            conn.execute("DELETE FROM deck_files")
            old, keys = {}, [float(i + 1) for i in range(len(segments))]
        changed = [(seg, key) for seg, key in zip(segments, keys) if old.get(seg[0]) != (key, seg[3])]
        gone = old.keys() - {s[0] for s in segments}
        for path in [*gone, *(seg[0] for seg, _ in changed if seg[0] in old)]:
            conn.execute("DELETE FROM deck WHERE file = ?", (old[path][0],))
            conn.execute("DELETE FROM deck_files WHERE path = ?", (path,))
        ids, priorities = (cards.ids, cards.priorities) if changed else ((), "")
        for (path, start, end, stamp), key in changed:
            conn.executemany(
                "INSERT INTO deck (card_id, file, idx, extended, state, due) SELECT ?1, ?2, ?3, ?4, "
                "(SELECT state FROM cards WHERE card_id = ?1), (SELECT due FROM cards WHERE card_id = ?1)",
                ((ids[i], key, i - start, priorities[i] == "e") for i in range(start, end)))
            conn.execute("INSERT INTO deck_files (path, key, stamp) VALUES (?, ?, ?)", (path, key, stamp))
        conn.execute("DELETE FROM deck_synced")
        conn.execute("INSERT INTO deck_synced VALUES (?)", (fingerprint,))


def _synced(history: History) -> int | None:
    row = history.conn.execute("SELECT fingerprint FROM deck_synced").fetchone()
    return row[0] if row else None


def _keys(paths: list[str], old: dict[str, tuple[float, int]]) -> list[float] | None:
    """A key for each file in deck order: a file already kept keeps its key, and new files share
    the gap between their neighbours' evenly. None when the kept files changed order, or a gap is
    used up."""
    keys = [old[p][0] if p in old else None for p in paths]
    kept = [k for k in keys if k is not None]
    if any(b <= a for a, b in zip(kept, kept[1:])):
        return None
    i = 0
    while i < len(keys):
        if keys[i] is not None:
            i += 1
            continue
        j = i
        while j < len(keys) and keys[j] is None:
            j += 1
        low = keys[i - 1] if i else 0.0
        high = keys[j] if j < len(keys) else low + (j - i + 1)
        step = (high - low) / (j - i + 1)
        if step < MIN_GAP:
            return None
        for n in range(i, j):
            keys[n] = low + step * (n - i + 1)
        i = j
    return keys


class Today:
    """The sources of a day's queue over `cards` (a whole deck, or a selection of one), read lazily
    through indexes: learning steps by due time, due reviews by due time, unseen cards in the order
    new cards come."""

    def __init__(self, history: History, cards: Cards):
        sync(history, cards.whole)
        self.conn = history.conn
        # A selection is filtered here; a whole deck needs no test (the join does it).
        self.only = None if cards.whole is cards else cards.positions()

    def _wanted(self, card_id: str, hidden: Container[str] = ()) -> bool:
        """In the selection, and not buried or suspended."""
        return card_id not in hidden and (self.only is None or card_id in self.only)

    def learning(self, hidden: Container[str] = ()) -> list[tuple[int, str]]:
        """(due, card id) of every card in learning or relearning, by due time."""
        return list(self._learning(hidden))

    def next_learning(self, hidden: Container[str]) -> tuple[int, str] | None:
        """The learning step due first (due, card id)."""
        return next(self._learning(hidden), None)

    def _learning(self, hidden: Container[str]) -> Iterator[tuple[int, str]]:
        """Learning and relearning steps merged by (due, id), read lazily through the index."""
        steps = heapq.merge(*(self.conn.execute(LEARNING_SQL, (state,)) for state in (LEARNING, RELEARNING)))
        return (step for step in steps if self._wanted(step[1], hidden))

    def learning_count(self, before_ms: int, hidden: Collection[str]) -> int:
        """How many learning steps fall due before `before_ms`: counted in SQL for a whole deck."""
        if self.only is not None:
            return sum(1 for due, _ in self.learning(hidden) if due < before_ms)
        count = self.conn.execute("SELECT COUNT(*) FROM deck WHERE state IN (?, ?) AND due < ?",
                                  (LEARNING, RELEARNING, before_ms)).fetchone()[0]
        if hidden:  # the few buried or suspended ones
            count -= sum(1 for _, due in self._learning_of(hidden) if due < before_ms)
        return count

    def in_learning(self, note_id: str, hidden: Container[str]) -> bool:
        """Whether a card of the note is in learning (its siblings wait until tomorrow)."""
        rows = self.conn.execute("SELECT card_id FROM deck WHERE card_id > ? AND card_id < ? AND +state IN (?, ?)",
                                 (note_id + "/", note_id + "0", LEARNING, RELEARNING))
        return any(self._wanted(cid, hidden) for (cid,) in rows)

    def _learning_of(self, card_ids: Iterable[str]) -> list[tuple[str, int]]:
        lookup = "SELECT card_id, due FROM deck WHERE card_id = ? AND state IN (?, ?)"
        return [row for cid in card_ids for row in self.conn.execute(lookup, (cid, LEARNING, RELEARNING))]

    def reviews(self, before_ms: int) -> Iterator[str]:
        """Review cards due before `before_ms`, by due time (then id)."""
        rows = self.conn.execute("SELECT card_id FROM deck WHERE state = ? AND due < ? ORDER BY due, card_id",
                                 (REVIEW, before_ms))
        return (cid for (cid,) in rows if self._wanted(cid))

    def unseen(self, target_cases: Iterable[str] = ()) -> Iterator[str]:
        """Cards never answered, as new cards come: the target cases' first, then core, then
        extended, each in deck order."""
        targets = sorted(set(target_cases))
        if targets:
            found = []
            for note in targets:  # a note's cards are the ids between "note/" and "note0"
                found += self.conn.execute(
                    "SELECT file, idx, card_id FROM deck WHERE card_id > ? AND card_id < ? AND state IS NULL",
                    (note + "/", note + "0")).fetchall()
            yield from (cid for _, _, cid in sorted(found) if self._wanted(cid))
        chosen = frozenset(targets)
        for extended in (0, 1):
            rows = self.conn.execute("SELECT card_id FROM deck WHERE state IS NULL AND extended = ? ORDER BY file, idx",
                                     (extended,))
            yield from (cid for (cid,) in rows if self._wanted(cid) and (not chosen or note_of(cid) not in chosen))

    def unseen_in_deck_order(self) -> list[str]:
        rows = self.conn.execute("SELECT card_id FROM deck WHERE state IS NULL ORDER BY file, idx")
        return [cid for (cid,) in rows if self._wanted(cid)]

    def first_due(self) -> int | None:
        """The earliest due time of a card with a history (UTC ms)."""
        rows = self.conn.execute("SELECT c.due, c.card_id FROM cards c CROSS JOIN deck d ON d.card_id = c.card_id "
                                 "ORDER BY c.due")
        try:
            return next((due for due, cid in rows if self._wanted(cid)), None)
        finally:
            rows.close()

    def due_count(self, from_ms: int, before_ms: int) -> int:
        """Cards with a history due from `from_ms` and before `before_ms`."""
        rows = self.conn.execute("SELECT c.card_id FROM cards c CROSS JOIN deck d ON d.card_id = c.card_id "
                                 "WHERE c.due >= ? AND c.due < ?", (from_ms, before_ms))
        return sum(1 for (cid,) in rows if self._wanted(cid))
