"""The deck's order kept in the history database, so that a day's queue costs what the day holds.

A heavy user has ninety thousand cards and three million answers; a review shows two hundred of
them. The `deck` table holds each card's place in deck order, its priority and whether it has a
history (kept by triggers on `cards`), so the queue reads its learning steps, its first due reviews
and its first new cards through indexes, and stops reading once the day is full. `sync` keeps the
table in step with the card files, one changed file at a time.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Iterator

from .cards import Cards, note_of
from .history import LEARNING, RELEARNING, REVIEW, History

MIN_GAP = 1e-6  # keys closer than this are renumbered rather than split again


def sync(history: History, cards: Cards) -> None:
    """Make the history's `deck` table hold `cards` (a whole deck) in deck order. Unchanged decks
    cost one query; an edited file rewrites that file's rows; a new file takes a key between its
    neighbours'."""
    segments = cards.segments
    fingerprint = zlib.crc32(repr(segments).encode())
    if _synced(history) == fingerprint:
        return
    conn = history.conn
    with history._write():
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
                "INSERT INTO deck (card_id, file, idx, extended, seen) "
                "SELECT ?1, ?2, ?3, ?4, EXISTS (SELECT 1 FROM cards WHERE card_id = ?1)",
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

    def _kept(self, card_ids: Iterable[str]) -> Iterator[str]:
        only = self.only
        return iter(card_ids) if only is None else (cid for cid in card_ids if cid in only)

    def learning(self) -> list[tuple[int, str]]:
        """(due, card id) of every card in learning or relearning, by due time."""
        rows = self.conn.execute(
            "SELECT c.due, c.card_id FROM cards c JOIN deck d ON d.card_id = c.card_id "
            "WHERE c.state IN (?, ?) ORDER BY c.due, c.card_id", (LEARNING, RELEARNING)).fetchall()
        return rows if self.only is None else [r for r in rows if r[1] in self.only]

    def reviews(self, before_ms: int) -> Iterator[str]:
        """Review cards due before `before_ms`, by due time (then id)."""
        rows = self.conn.execute(
            "SELECT c.card_id FROM cards c CROSS JOIN deck d ON d.card_id = c.card_id "
            "WHERE c.state = ? AND c.due < ? ORDER BY c.due, c.card_id", (REVIEW, before_ms))
        return self._kept(cid for (cid,) in rows)

    def unseen(self, target_cases: Iterable[str] = ()) -> Iterator[str]:
        """Cards never answered, as new cards come: the target cases' first, then core, then
        extended, each in deck order."""
        targets = sorted(set(target_cases))
        if targets:
            found = []
            for note in targets:  # a note's cards are the ids between "note/" and "note0"
                found += self.conn.execute(
                    "SELECT file, idx, card_id FROM deck WHERE card_id > ? AND card_id < ? AND seen = 0",
                    (note + "/", note + "0")).fetchall()
            yield from self._kept(cid for _, _, cid in sorted(found))
        chosen = frozenset(targets)
        for extended in (0, 1):
            rows = self.conn.execute("SELECT card_id FROM deck WHERE seen = 0 AND extended = ? ORDER BY file, idx",
                                     (extended,))
            yield from self._kept(cid for (cid,) in rows if not chosen or note_of(cid) not in chosen)

    def unseen_in_deck_order(self) -> list[str]:
        rows = self.conn.execute("SELECT card_id FROM deck WHERE seen = 0 ORDER BY file, idx")
        return list(self._kept(cid for (cid,) in rows))

    def first_due(self) -> int | None:
        """The earliest due time of a card with a history (UTC ms)."""
        rows = self.conn.execute("SELECT c.due, c.card_id FROM cards c CROSS JOIN deck d ON d.card_id = c.card_id "
                                 "ORDER BY c.due")
        try:
            return next((due for due, cid in rows if self.only is None or cid in self.only), None)
        finally:
            rows.close()

    def due_count(self, from_ms: int, before_ms: int) -> int:
        """Cards with a history due from `from_ms` and before `before_ms`."""
        rows = self.conn.execute("SELECT c.card_id FROM cards c CROSS JOIN deck d ON d.card_id = c.card_id "
                                 "WHERE c.due >= ? AND c.due < ?", (from_ms, before_ms))
        return sum(1 for _ in self._kept(cid for (cid,) in rows))
