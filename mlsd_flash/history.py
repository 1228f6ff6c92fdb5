"""The review history: one SQLite file with an append-only review log and a cache of card states.

The log is the source of truth; the `cards` table is a cache that `rebuild` recomputes by replaying
the log. Every answer is one durable transaction (WAL, synchronous=FULL) committed before the next
card is shown. An existing file is never deleted or recreated: a database we cannot use is
reported, not "repaired".
"""

from __future__ import annotations

import itertools
import sqlite3
from pathlib import Path
from typing import Callable, Container, Iterable, Iterator, NamedTuple

SCHEMA_VERSION = 4
NEW, LEARNING, REVIEW, RELEARNING = 0, 1, 2, 3

MIGRATIONS = {
    1: """
    CREATE TABLE reviews (
        id INTEGER PRIMARY KEY,
        card_id TEXT NOT NULL,
        rating INTEGER NOT NULL CHECK (rating BETWEEN 1 AND 4),
        reviewed_at INTEGER NOT NULL,      -- UTC, milliseconds since the epoch
        duration_ms INTEGER,
        content_hash TEXT,                 -- the card's text as it was answered
        state_before INTEGER NOT NULL, step_before INTEGER, stability_before REAL,
        difficulty_before REAL, due_before INTEGER, last_review_before INTEGER,
        state_after INTEGER NOT NULL, step_after INTEGER, stability_after REAL,
        difficulty_after REAL, due_after INTEGER NOT NULL,
        interval_ms INTEGER NOT NULL       -- from this review to the next due time
    );
    CREATE INDEX reviews_by_card ON reviews (card_id, id);
    CREATE INDEX reviews_by_time ON reviews (reviewed_at);
    CREATE TABLE cards (
        card_id TEXT PRIMARY KEY,
        state INTEGER NOT NULL, step INTEGER, stability REAL, difficulty REAL,
        due INTEGER NOT NULL, last_review INTEGER, reps INTEGER NOT NULL, lapses INTEGER NOT NULL,
        content_hash TEXT
    ) WITHOUT ROWID;
    CREATE INDEX cards_by_due ON cards (due);
    CREATE TABLE buried (card_id TEXT PRIMARY KEY, until INTEGER NOT NULL) WITHOUT ROWID;
    """,
    2: """
    ALTER TABLE reviews ADD COLUMN origin TEXT;  -- where the answer was made: NULL for review, 'mock', ...
    """,
    3: """
    CREATE TABLE suspended (card_id TEXT PRIMARY KEY, since INTEGER NOT NULL, reason TEXT) WITHOUT ROWID;
    CREATE TABLE leeches (card_id TEXT PRIMARY KEY, since INTEGER NOT NULL) WITHOUT ROWID;
    CREATE TABLE resets (card_id TEXT NOT NULL, at INTEGER NOT NULL);  -- `forget`: state starts again here
    CREATE INDEX resets_by_card ON resets (card_id, at);
    """,
    4: """
    -- The deck's order and each card's schedule side by side, kept in step with the card files by
    -- deck_order.sync and with `cards` by the triggers below: a day's queue reads its first new
    -- cards, due reviews and learning steps through indexes instead of the whole collection.
    CREATE TABLE deck_files (path TEXT PRIMARY KEY, key REAL NOT NULL, stamp INTEGER NOT NULL) WITHOUT ROWID;
    CREATE TABLE deck (
        card_id TEXT PRIMARY KEY,
        file REAL NOT NULL, idx INTEGER NOT NULL,  -- deck order: the file's key, then the place in it
        extended INTEGER NOT NULL,
        state INTEGER, due INTEGER                 -- as in `cards`; NULL for a card never answered
    ) WITHOUT ROWID;
    CREATE INDEX deck_by_file ON deck (file, idx);
    CREATE INDEX deck_unseen ON deck (extended, file, idx) WHERE state IS NULL;
    CREATE INDEX deck_by_state ON deck (state, due);
    CREATE TABLE deck_synced (fingerprint INTEGER NOT NULL);
    CREATE TRIGGER deck_answered AFTER INSERT ON cards
        BEGIN UPDATE deck SET state = NEW.state, due = NEW.due WHERE card_id = NEW.card_id; END;
    CREATE TRIGGER deck_rescheduled AFTER UPDATE OF state, due ON cards
        BEGIN UPDATE deck SET state = NEW.state, due = NEW.due WHERE card_id = NEW.card_id; END;
    CREATE TRIGGER deck_forgotten AFTER DELETE ON cards
        BEGIN UPDATE deck SET state = NULL, due = NULL WHERE card_id = OLD.card_id; END;
    """,
}
SINCE_RESET = "reviewed_at > COALESCE((SELECT MAX(at) FROM resets WHERE resets.card_id = reviews.card_id), -1)"
"""The log rows a card's state is replayed from: those after its last `forget` (all, without one)."""


class HistoryError(Exception):
    """The history database cannot be used; the message says why and which file."""


class CardState(NamedTuple):
    """A card's FSRS memory state as cached in `cards` (times in UTC milliseconds)."""

    state: int
    step: int | None
    stability: float | None
    difficulty: float | None
    due: int
    last_review: int | None
    reps: int = 0
    lapses: int = 0
    content_hash: str | None = None


class Review(NamedTuple):
    id: int
    card_id: str
    rating: int
    reviewed_at: int
    duration_ms: int | None
    state_before: int
    state_after: int
    interval_ms: int
    origin: str | None = None  # where the answer was made: None for review, "mock", ...


class History:
    """Reads and appends to one history database."""

    def __init__(self, conn: sqlite3.Connection, path: str):
        self.conn = conn
        self.path = path

    # -- reading ---------------------------------------------------------------------------
    def states(self) -> dict[str, CardState]:
        """Every card's state. Ids and states come in two scans in the same (key) order, zipped in C:
        a heavy user's ninety thousand states arrive without a Python step per card."""
        rows = self.conn.execute("SELECT state, step, stability, difficulty, due, last_review, reps, lapses, "
                                 "content_hash FROM cards ORDER BY card_id")
        return dict(zip(self.reviewed_card_ids(), map(tuple.__new__, itertools.repeat(CardState), rows)))

    def state(self, card_id: str) -> CardState | None:
        row = self.conn.execute(
            "SELECT state, step, stability, difficulty, due, last_review, reps, lapses, content_hash "
            "FROM cards WHERE card_id = ?", (card_id,)).fetchone()
        return CardState(*row) if row else None

    def reviews_since(self, since_ms: int) -> list[Review]:
        rows = self.conn.execute(
            "SELECT id, card_id, rating, reviewed_at, duration_ms, state_before, state_after, interval_ms "
            # `+id`: sort the few recent rows rather than walk the whole log in id order
            "FROM reviews WHERE reviewed_at >= ? ORDER BY +id", (since_ms,))
        return [Review(*r) for r in rows]

    def answers_since(self, since_ms: int) -> list[tuple[str, int]]:
        """(card id, state before) of each answer since `since_ms`: what today's limits have used."""
        return self.conn.execute("SELECT card_id, state_before FROM reviews WHERE reviewed_at >= ?",
                                 (since_ms,)).fetchall()

    def reviews(self, card_id: str | None = None) -> list[Review]:
        sql = ("SELECT id, card_id, rating, reviewed_at, duration_ms, state_before, state_after, interval_ms, "
               "origin FROM reviews")
        rows = self.conn.execute(sql + " WHERE card_id = ? ORDER BY id" if card_id else sql + " ORDER BY id",
                                 (card_id,) if card_id else ())
        return [Review(*r) for r in rows]

    def buried(self, now_ms: int) -> set[str]:
        return {r[0] for r in self.conn.execute("SELECT card_id FROM buried WHERE until > ?", (now_ms,))}

    def orphans(self, known: Container[str]) -> list[tuple[str, int, int | None]]:
        """(card id, number of reviews, last review) of each card with a history whose id is not in
        `known` (its note was deleted or renamed), by id. The reviews are counted in one query."""
        last = {card_id: at for card_id, at in self.conn.execute("SELECT card_id, last_review FROM cards")
                if card_id not in known}
        if not last:
            return []
        counts = dict(self.conn.execute(f"SELECT card_id, COUNT(*) FROM reviews WHERE {self._only(last)} "
                                        "GROUP BY card_id"))
        return [(card_id, counts.get(card_id, 0), last[card_id]) for card_id in sorted(last)]

    def unseen_count(self, card_ids: Iterable[str]) -> int:
        """How many of `card_ids` have no history (a few buried cards: one lookup each)."""
        lookup = "SELECT 1 FROM cards WHERE card_id = ?"
        return sum(1 for cid in card_ids if self.conn.execute(lookup, (cid,)).fetchone() is None)

    def reviewed_card_ids(self) -> list[str]:
        """Every card with a history, by id. One joined string split in C: a heavy user's 30,000 ids
        arrive without a tuple per row (card ids are slugs joined by '/', never holding a newline)."""
        joined = self.conn.execute("SELECT group_concat(card_id, char(10)) FROM (SELECT card_id FROM cards "
                                   "ORDER BY card_id)").fetchone()[0]
        return joined.split("\n") if joined else []

    # -- aggregates for stats (read-only; summed in SQL so a million reviews stay fast) ------
    def first_review_at(self) -> int | None:
        return self.conn.execute("SELECT MIN(reviewed_at) FROM reviews").fetchone()[0]

    def review_counts(self, bounds: list[int], card_ids: Iterable[str] | None = None, exact_from: int = 0) -> list[int]:
        """The number of reviews between consecutive `bounds` (sorted UTC ms): one count per
        [bounds[i], bounds[i+1]), the last one open-ended. Only the reviews of `card_ids` when given.
        Range counts over the time index: faster than grouping a million rows by an expression.
        Ranges before the `exact_from`-th are only told apart as with reviews (1) or without (0):
        one index lookup each, where counting would step through every review."""
        if card_ids is not None:  # a selection: one pass over its reviews, counted here
            from bisect import bisect_right

            counts = [0] * len(bounds)
            for (at,) in self.conn.execute(f"SELECT reviewed_at FROM reviews WHERE {self._only(card_ids)}"):
                i = bisect_right(bounds, at) - 1
                if i >= 0:
                    counts[i] += 1
            return counts
        count = "SELECT COUNT(*) FROM reviews WHERE reviewed_at >= ? AND reviewed_at < ?"
        any_ = "SELECT EXISTS (SELECT 1 FROM reviews WHERE reviewed_at >= ? AND reviewed_at < ?)"
        ends = bounds[1:] + [2 ** 62]
        return [self.conn.execute(count if i >= exact_from else any_, (a, b)).fetchone()[0]
                for i, (a, b) in enumerate(zip(bounds, ends))]

    def retention_counts(self, since_ms: int, recent_ms: int, mature_ms: int,
                         card_ids: Iterable[str] | None = None) -> list[tuple[bool, bool, int, int]]:
        """Answers to review-state cards since `since_ms`, as [(recent, mature, reviews, not Again)]:
        `recent` when answered at or after `recent_ms`, `mature` when the card's interval before the
        answer was at least `mature_ms`."""
        where = self._only(card_ids)
        rows = self.conn.execute(
            "SELECT reviewed_at >= ?, COALESCE(due_before - last_review_before, 0) >= ?, COUNT(*), SUM(rating > 1)"
            f" FROM reviews WHERE reviewed_at >= ? AND state_before = ? {'AND ' + where if where else ''}"
            " GROUP BY 1, 2", (recent_ms, mature_ms, since_ms, REVIEW))
        return [(bool(a), bool(b), n, p or 0) for a, b, n, p in rows]

    def _only(self, card_ids: Iterable[str] | None) -> str:
        """A WHERE clause limiting reviews to `card_ids` (held in a temporary table), or ''."""
        if card_ids is None:
            return ""
        self.conn.execute("CREATE TEMP TABLE IF NOT EXISTS only_cards (card_id TEXT PRIMARY KEY) WITHOUT ROWID")
        self.conn.execute("DELETE FROM temp.only_cards")
        self.conn.executemany("INSERT OR IGNORE INTO temp.only_cards VALUES (?)", ((c,) for c in card_ids))
        return "card_id IN (SELECT card_id FROM temp.only_cards)"

    # -- writing ---------------------------------------------------------------------------
    def record(self, card_id: str, rating: int, reviewed_at: int, duration_ms: int | None,
               content_hash: str | None, schedule: Callable[[CardState | None], CardState],
               origin: str | None = None) -> int:
        """Append one answer and update the card's cached state, in one durable transaction.

        The state is re-read inside the transaction, so two sessions answering the same card both
        land in the log and the cache follows the later one. Returns the new review's id.
        """
        with self.transaction():
            before = self.state(card_id)
            b = before or CardState(NEW, None, None, None, reviewed_at, None)
            s = schedule(before)
            lapses = b.lapses + (rating == 1 and b.state == REVIEW)
            after = CardState(s.state, s.step, s.stability, s.difficulty, s.due, s.last_review, b.reps + 1,
                              lapses, content_hash)
            cur = self.conn.execute(
                "INSERT INTO reviews (card_id, rating, reviewed_at, duration_ms, content_hash, state_before,"
                " step_before, stability_before, difficulty_before, due_before, last_review_before, state_after,"
                " step_after, stability_after, difficulty_after, due_after, interval_ms, origin)"
                " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (card_id, rating, reviewed_at, duration_ms, content_hash, b.state, b.step, b.stability,
                 b.difficulty, b.due if before else None, b.last_review, after.state, after.step,
                 after.stability, after.difficulty, after.due, after.due - reviewed_at, origin))
            self._put_state(card_id, after)
            return cur.lastrowid

    def undo(self, review_id: int,
             replay_steps: Callable[[str, list[tuple[int, int, int | None]]], list[CardState]]) -> str | None:
        """Remove one review and put the card back as the rest of its log says. Returns the card id.

        When it was the card's last review, the state from before it is restored exactly. When
        another process has answered the card since, the rows that remain are replayed (their states
        and the card's), so the log and the cache never disagree."""
        with self.transaction():
            row = self.conn.execute(
                "SELECT card_id, state_before, step_before, stability_before, difficulty_before, due_before,"
                " last_review_before FROM reviews WHERE id = ?", (review_id,)).fetchone()
            if row is None:
                return None
            card_id = row[0]
            self.conn.execute("DELETE FROM reviews WHERE id = ?", (review_id,))
            later = self.conn.execute("SELECT 1 FROM reviews WHERE card_id = ? AND id > ? LIMIT 1",
                                      (card_id, review_id)).fetchone()
            if later:
                self._replay_rows(card_id, replay_steps)
            elif row[1] == NEW:
                self.conn.execute("DELETE FROM cards WHERE card_id = ?", (card_id,))
            else:
                reps, lapses, content_hash = self._counts(card_id)
                restored = CardState(row[1], row[2], row[3], row[4], row[5], row[6], reps, lapses, content_hash)
                self._put_state(card_id, restored)
            return card_id

    def bury(self, card_id: str, until_ms: int) -> None:
        with self.transaction():
            self.conn.execute("INSERT OR REPLACE INTO buried (card_id, until) VALUES (?, ?)", (card_id, until_ms))

    def unbury(self, card_id: str) -> None:
        with self.transaction():
            self.conn.execute("DELETE FROM buried WHERE card_id = ?", (card_id,))

    def rebuild(self, replay: Callable[[str, list[tuple[int, int, int | None]]], CardState]) -> int:
        """Recompute every cached card state from the log. `replay(card_id, [(rating, at_ms,
        duration_ms)...])` gives the final state with its counts. Returns the number of cards rebuilt.

        The log is read and the cache written in one write transaction: an answer made meanwhile in
        another process waits for it, and is never dropped from the cache."""
        with self.transaction():
            by_card, hashes = self._answers_by_card()
            self.conn.execute("DELETE FROM cards")
            for card_id, answers in by_card.items():
                s = replay(card_id, answers)
                self._put_state(card_id, CardState(s.state, s.step, s.stability, s.difficulty, s.due,
                                                   s.last_review, s.reps, s.lapses, hashes[card_id]))
        return len(by_card)

    # -- card controls -----------------------------------------------------------------------
    def suspended(self) -> dict[str, str | None]:
        """Suspended cards and why (None: by hand, "leech": lapsed too often)."""
        return dict(self.conn.execute("SELECT card_id, reason FROM suspended"))

    def suspend(self, card_ids: Iterable[str], at_ms: int, reason: str | None = None) -> int:
        """Suspend cards; returns how many were not suspended already."""
        with self.transaction():
            before = self.conn.total_changes
            self.conn.executemany("INSERT OR IGNORE INTO suspended (card_id, since, reason) VALUES (?, ?, ?)",
                                  ((c, at_ms, reason) for c in card_ids))
            return self.conn.total_changes - before

    def unsuspend(self, card_ids: Iterable[str]) -> int:
        with self.transaction():
            before = self.conn.total_changes
            self.conn.executemany("DELETE FROM suspended WHERE card_id = ?", ((c,) for c in card_ids))
            return self.conn.total_changes - before

    def leeches(self) -> set[str]:
        return {r[0] for r in self.conn.execute("SELECT card_id FROM leeches")}

    def mark_leech(self, card_id: str, at_ms: int, suspend: bool) -> None:
        with self.transaction():
            self.conn.execute("INSERT OR IGNORE INTO leeches (card_id, since) VALUES (?, ?)", (card_id, at_ms))
            if suspend:
                self.conn.execute("INSERT OR IGNORE INTO suspended (card_id, since, reason) VALUES (?, ?, 'leech')",
                                  (card_id, at_ms))

    def forget(self, card_ids: Iterable[str], at_ms: int) -> int:
        """Put cards back to new, as Anki's Forget does: the log keeps every review, and a reset is
        recorded, from which the card's state starts again. Returns how many had a state to reset."""
        with self.transaction():
            count = 0
            for card_id in card_ids:
                if self.conn.execute("SELECT 1 FROM cards WHERE card_id = ?", (card_id,)).fetchone():
                    last = self.conn.execute("SELECT MAX(reviewed_at) FROM reviews WHERE card_id = ?",
                                             (card_id,)).fetchone()[0]
                    at = max(at_ms, (last or 0) + 1)  # after every review it resets, whatever the clocks say
                    self.conn.execute("INSERT INTO resets (card_id, at) VALUES (?, ?)", (card_id, at))
                    self.conn.execute("DELETE FROM cards WHERE card_id = ?", (card_id,))
                    self.conn.execute("DELETE FROM leeches WHERE card_id = ?", (card_id,))
                    count += 1
            return count

    def purge(self, card_ids: Iterable[str]) -> int:
        """Delete the log and state of cards (used for orphans the user chose to remove)."""
        ids = list(card_ids)
        with self.transaction():
            for card_id in ids:
                self.conn.execute("DELETE FROM reviews WHERE card_id = ?", (card_id,))
                self.conn.execute("DELETE FROM cards WHERE card_id = ?", (card_id,))
                self.conn.execute("DELETE FROM buried WHERE card_id = ?", (card_id,))
                for table in ("suspended", "leeches", "resets"):
                    self.conn.execute(f"DELETE FROM {table} WHERE card_id = ?", (card_id,))
        return len(ids)

    def verify(self, replay: Callable[[str, list[tuple[int, int, int | None]]], CardState]) -> tuple[str, list[str]]:
        """SQLite's integrity check, and the cards whose cached state is not what a replay of their
        log gives (state, step, memory and counts; due times may differ by the scheduler's fuzz)."""
        integrity = "; ".join(r[0] for r in self.conn.execute("PRAGMA integrity_check"))
        if integrity != "ok":
            return integrity, []
        cached = self.states()
        by_card, _ = self._answers_by_card()
        wrong = sorted(set(cached) - set(by_card))
        for card_id, answers in by_card.items():
            want, have = replay(card_id, answers), cached.get(card_id)
            if have is None or (want.state, want.step, want.reps, want.lapses) != (have.state, have.step, have.reps,
                                                                                    have.lapses) \
                    or not _close(want.stability, have.stability) or not _close(want.difficulty, have.difficulty):
                wrong.append(card_id)
        return integrity, wrong

    def add_reviews(self, rows: Iterable[tuple[str, int, int, int | None, str]],
                    replay_steps: Callable[[str, list[tuple[int, int, int | None]]], list[CardState]]) -> tuple[int, int]:
        """Append answers made elsewhere (card id, rating, time in ms, duration, origin) and replay every
        card they touch in time order, so its log rows and state are what one place would have given.
        An answer already in the log (same card, same millisecond) is skipped: adding twice adds nothing.
        Returns (answers added, cards affected). One transaction: all or nothing."""
        with self.transaction():
            added: dict[str, int] = {}
            for card_id, rating, at, duration, origin in rows:
                if self.conn.execute("SELECT 1 FROM reviews WHERE card_id = ? AND reviewed_at = ?",
                                     (card_id, at)).fetchone():
                    continue
                self.conn.execute(
                    "INSERT INTO reviews (card_id, rating, reviewed_at, duration_ms, state_before, state_after,"
                    " due_after, interval_ms, origin) VALUES (?, ?, ?, ?, 0, 0, ?, 0, ?)",
                    (card_id, rating, at, duration, at, origin))
                added[card_id] = added.get(card_id, 0) + 1
            for card_id in added:
                self._replay_rows(card_id, replay_steps)
        return sum(added.values()), len(added)

    def answers(self) -> Iterator[tuple[str, int, int]]:
        """(card id, rating, time in ms) of every answer, card by card in time order: what an
        optimizer fits to."""
        return self.conn.execute("SELECT card_id, rating, reviewed_at FROM reviews ORDER BY card_id, reviewed_at, id")

    def close(self) -> None:
        self.conn.close()

    # -- internals -------------------------------------------------------------------------
    def _counts(self, card_id: str) -> tuple[int, int, str | None]:
        reps, lapses = self.conn.execute(
            "SELECT COUNT(*), COALESCE(SUM(rating = 1 AND state_before = ?), 0) FROM reviews WHERE card_id = ?",
            (REVIEW, card_id)).fetchone()
        row = self.conn.execute("SELECT content_hash FROM reviews WHERE card_id = ? ORDER BY id DESC LIMIT 1",
                                (card_id,)).fetchone()
        return reps, lapses, row[0] if row else None

    def _answers_by_card(self) -> tuple[dict[str, list], dict[str, str | None]]:
        """Each card's answers (rating, time, duration) since its last reset, in time order, and the
        content hash of its latest answer: what a replay of the whole log reads."""
        by_card: dict[str, list] = {}
        hashes: dict[str, str | None] = {}
        for card_id, rating, at, duration, content_hash in self.conn.execute(
                f"SELECT card_id, rating, reviewed_at, duration_ms, content_hash FROM reviews WHERE {SINCE_RESET} "
                "ORDER BY reviewed_at, id"):
            by_card.setdefault(card_id, []).append((rating, at, duration))
            hashes[card_id] = content_hash
        return by_card, hashes

    def _replay_rows(self, card_id: str, replay_steps) -> None:
        """Recompute the before and after states of every log row of a card, in time order, and its cache."""
        rows = self.conn.execute("SELECT id, rating, reviewed_at, duration_ms, content_hash FROM reviews"
                                 f" WHERE card_id = ? AND {SINCE_RESET} ORDER BY reviewed_at, id", (card_id,)).fetchall()
        if not rows:
            self.conn.execute("DELETE FROM cards WHERE card_id = ?", (card_id,))
            return
        steps = replay_steps(card_id, [r[1:4] for r in rows])
        before: CardState | None = None
        for (review_id, rating, at, _, _), after in zip(rows, steps):
            b = before or CardState(NEW, None, None, None, at, None)
            self.conn.execute(
                "UPDATE reviews SET state_before = ?, step_before = ?, stability_before = ?, difficulty_before = ?,"
                " due_before = ?, last_review_before = ?, state_after = ?, step_after = ?, stability_after = ?,"
                " difficulty_after = ?, due_after = ?, interval_ms = ? WHERE id = ?",
                (b.state, b.step, b.stability, b.difficulty, b.due if before else None, b.last_review, after.state,
                 after.step, after.stability, after.difficulty, after.due, after.due - at, review_id))
            before = after
        last_hash = next((r[4] for r in reversed(rows) if r[4]), None)
        self._put_state(card_id, before._replace(content_hash=last_hash))

    def _put_state(self, card_id: str, s: CardState) -> None:
        self.conn.execute(
            "INSERT OR REPLACE INTO cards (card_id, state, step, stability, difficulty, due, last_review, reps,"
            " lapses, content_hash) VALUES (?,?,?,?,?,?,?,?,?,?)",
            (card_id, s.state, s.step, s.stability, s.difficulty, s.due, s.last_review, s.reps, s.lapses,
             s.content_hash))

    def transaction(self):
        """One durable write transaction: BEGIN IMMEDIATE ... COMMIT, a busy or read-only database
        turned into a HistoryError."""
        return _Transaction(self.conn, self.path)


def _close(a: float | None, b: float | None) -> bool:
    return (a is None) == (b is None) and (a is None or abs(a - b) <= 1e-6 * max(1.0, abs(a)))


class _Transaction:
    """BEGIN IMMEDIATE ... COMMIT, turning a busy or read-only database into a HistoryError."""

    def __init__(self, conn: sqlite3.Connection, path: str):
        self.conn, self.path = conn, path

    def __enter__(self):
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise _as_history_error(exc, self.path) from None
        return self.conn

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            try:
                self.conn.execute("COMMIT")
                return False
            except sqlite3.OperationalError as err:
                self.conn.execute("ROLLBACK")
                raise _as_history_error(err, self.path) from None
        self.conn.execute("ROLLBACK")
        if isinstance(exc, sqlite3.Error):
            raise _as_history_error(exc, self.path) from None
        return False


def _as_history_error(exc: Exception, path: str) -> HistoryError:
    text = str(exc)
    if "locked" in text or "busy" in text:
        return HistoryError(f"{path}: the history is busy in another mlsd-flash process; try again")
    if "readonly" in text or "read-only" in text:
        return HistoryError(f"{path}: the history is read-only; check the folder's permissions")
    if "malformed" in text or "not a database" in text or "corrupt" in text:
        return HistoryError(f"{path}: the history database is damaged ({text}); `mlsd-flash check --db` checks it "
                            "and `mlsd-flash restore` lists your backups")
    return HistoryError(f"{path}: {text}")


def open_history(path: Path | str, create: bool = True) -> History:
    """Open (and create or migrate) the history database, or raise a HistoryError saying why not."""
    path = Path(path)
    shown = str(path)
    if path == Path(":memory:"):
        conn = sqlite3.connect(":memory:", isolation_level=None)
    else:
        if not path.exists():
            if not create:
                raise HistoryError(f"{shown}: no review history yet")
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise HistoryError(f"{path.parent}: cannot create the data folder: {exc.strerror}") from None
        elif path.is_dir():
            raise HistoryError(f"{shown}: is a folder, not a history database")
        try:
            conn = sqlite3.connect(str(path), isolation_level=None, timeout=10.0)
        except sqlite3.Error as exc:
            raise HistoryError(f"{shown}: cannot open the history: {exc}") from None
    try:
        _refuse_unknown(conn, shown)  # before anything changes the file, WAL mode included
        conn.execute("PRAGMA busy_timeout=10000")
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        _migrate(conn, shown)
    except HistoryError:
        conn.close()
        raise
    except sqlite3.Error as exc:
        conn.close()
        text = str(exc)
        if "not a database" in text or "malformed" in text or "corrupt" in text:
            raise HistoryError(f"{shown}: the history database is damaged or not a database ({text}); "
                               "the file was left untouched; `mlsd-flash restore` lists your backups") from None
        raise _as_history_error(exc, shown) from None
    return History(conn, shown)


def check_file(path: Path) -> None:
    """Raise a HistoryError unless `path` is an undamaged mlsd-flash history; reads only."""
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise HistoryError(f"{path}: cannot open: {exc}") from None
    try:
        _refuse_unknown(conn, str(path))
        if conn.execute("PRAGMA quick_check").fetchone()[0] != "ok":
            raise HistoryError(f"{path}: the database is damaged")
    except sqlite3.Error as exc:
        raise HistoryError(f"{path}: the database is damaged or not a database ({exc})") from None
    finally:
        conn.close()


def answers_in(path: Path) -> list[tuple[str, int, int, int | None, str | None]]:
    """Every answer in another mlsd-flash history file (another device's), read only: (card id,
    rating, time in ms, duration, origin)."""
    check_file(path)
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        has_origin = any(r[1] == "origin" for r in conn.execute("PRAGMA table_info(reviews)"))
        origin = "origin" if has_origin else "NULL"
        return conn.execute(f"SELECT card_id, rating, reviewed_at, duration_ms, {origin} FROM reviews "
                            "ORDER BY reviewed_at, id").fetchall()
    finally:
        conn.close()


def _refuse_unknown(conn: sqlite3.Connection, shown: str) -> None:
    """Refuse a file written by a newer mlsd-flash or by another program, reading its schema in one
    snapshot (another process may be creating ours at this moment)."""
    conn.execute("BEGIN")
    try:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
        columns = {table: {r[1] for r in conn.execute(f"PRAGMA table_info({table})")} for table in ("reviews", "cards")}
    finally:
        conn.execute("COMMIT")
    if version > SCHEMA_VERSION:
        raise HistoryError(f"{shown}: written by a newer mlsd-flash (schema {version}, this one knows "
                           f"{SCHEMA_VERSION}); upgrade mlsd-flash. The file was left untouched")
    ours = {"card_id", "rating", "reviewed_at", "state_after"} <= columns["reviews"] and {"card_id", "due"} <= columns["cards"]
    if (version and not ours) or (version == 0 and names):
        raise HistoryError(f"{shown}: not an mlsd-flash history database; the file was left untouched")


def _migrate(conn: sqlite3.Connection, shown: str) -> None:
    """Create or upgrade the schema inside one write transaction: of several processes starting at
    once, one migrates and the others find the work done. An existing history is backed up first."""
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version == SCHEMA_VERSION:
        return
    if version and shown != ":memory:":
        from .backups import backup_before

        backup_before(Path(shown), f"migration-{version}-to-{SCHEMA_VERSION}")
    conn.execute("BEGIN IMMEDIATE")
    try:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version == 0 and conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()[0]:
            raise HistoryError(f"{shown}: not an mlsd-flash history database; the file was left untouched")
        for target in range(version + 1, SCHEMA_VERSION + 1):
            for statement in _statements(MIGRATIONS[target]):
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {target}")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def _statements(script: str) -> Iterator[str]:
    """The statements of a script, a trigger's body (with its own semicolons) kept whole."""
    pending = ""
    for piece in script.split(";"):
        pending += piece + ";"
        if sqlite3.complete_statement(pending):
            if pending.strip(" \n;"):
                yield pending
            pending = ""
