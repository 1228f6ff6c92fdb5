"""The deck's order kept in the history: in step with the card files after every kind of edit, in
step with the card states after every kind of write, and filled in when an older history is
opened for the first time."""

from __future__ import annotations

import sqlite3
from datetime import timedelta

from mlsd_flash.config import Settings
from mlsd_flash.deck import load
from mlsd_flash.deck_order import sync
from mlsd_flash.history import MIGRATIONS, open_history
from mlsd_flash.scheduler import AGAIN, GOOD, Scheduler, to_ms
from mlsd_flash.session import Session
from conftest import write
from test_deck_cache import notes
from test_review import T0


def deck_order(history) -> list[str]:
    return [cid for (cid,) in history.conn.execute("SELECT card_id FROM deck ORDER BY file, idx")]


def mirrored(history) -> tuple[list, list]:
    """(state, due) of every card as the deck table has it, and as `cards` has it."""
    ours = history.conn.execute("SELECT card_id, state, due FROM deck WHERE state IS NOT NULL ORDER BY card_id")
    theirs = history.conn.execute("SELECT card_id, state, due FROM cards ORDER BY card_id")
    return ours.fetchall(), theirs.fetchall()


def test_the_history_keeps_the_deck_order_through_every_kind_of_edit(tmp_path):
    cards, personal, cache = tmp_path / "cards", tmp_path / "personal", tmp_path / "cache"
    write(cards / "a.yaml", notes("a1", "a2"))
    write(cards / "c.yaml", notes("c1"))
    write(personal / "mine.yaml", notes("p1"))
    history = open_history(tmp_path / "history.sqlite3")
    edits = [
        lambda: None,
        lambda: write(cards / "a.yaml", notes("a1", "a3", "a2")),  # a note added in the middle of a file
        lambda: write(cards / "b.yaml", notes("b1")),  # a file between two others
        *[lambda n=n: write(cards / f"b{n}.yaml", notes(f"b{n}x")) for n in range(1, 4)],  # and between those
        lambda: (cards / "c.yaml").unlink(),  # a file deleted
        lambda: write(personal / "mine.yaml", notes("p1") + "  - id: a1\n    override: true\n    concept: Mine\n"
                                                          "    definition: My words.\n"),  # a note moved
    ]
    for edit in edits:
        edit()
        deck = load([cards, personal], cache)
        sync(history, deck.cards)
        assert deck_order(history) == deck.cards.ids
    assert deck_order(history)[-1] == "a1/definition"  # the personal copy stands where it was written
    sync(history, load([personal, cards], cache).cards)  # folders read in another order: numbered again
    assert deck_order(history) == load([personal, cards]).cards.ids


def test_the_deck_table_follows_every_write_to_a_card_state(tmp_path):
    write(tmp_path / "cards" / "a.yaml", notes("a1", "a2", "a3"))
    deck = load([tmp_path / "cards"])
    history = open_history(tmp_path / "history.sqlite3")
    scheduler = Scheduler(Settings())
    clock = [T0]
    session = Session(deck.cards, history, Settings(), lambda: clock[0])
    for rating in (GOOD, AGAIN, GOOD):
        session.next_card()
        session.answer(rating)
        assert mirrored(history)[0] == mirrored(history)[1]
    session.undo()
    assert mirrored(history)[0] == mirrored(history)[1]
    history.forget(["a1/definition"], to_ms(T0))
    assert mirrored(history)[0] == mirrored(history)[1]
    history.rebuild(scheduler.replay)
    assert mirrored(history)[0] == mirrored(history)[1]
    history.add_reviews([("a3/why", GOOD, to_ms(T0 - timedelta(days=3)), 1000, "anki")], scheduler.replay_steps)
    ours, theirs = mirrored(history)
    assert ours == theirs and "a3/why" in [cid for cid, _, _ in ours]
    # Only cards never answered come as new: the forgotten one again, the imported one not.
    fresh = Session(deck.cards, history, Settings(new_per_day=50), lambda: clock[0] + timedelta(days=1))
    assert "a1/definition" in fresh.queue.new and "a3/why" not in fresh.queue.new


def test_an_older_history_gets_the_deck_order_on_its_first_review(tmp_path):
    write(tmp_path / "cards" / "a.yaml", notes("a1", "a2"))
    deck = load([tmp_path / "cards"])
    path = tmp_path / "history.sqlite3"
    conn = sqlite3.connect(path)  # a history as mlsd-flash wrote it before the deck table
    for version in (1, 2, 3):
        conn.executescript(MIGRATIONS[version])
    conn.execute("PRAGMA user_version = 3")
    due = to_ms(T0 - timedelta(days=1))
    conn.execute("INSERT INTO cards VALUES ('a1/definition', 2, NULL, 5.0, 5.0, ?, ?, 1, 0, NULL)", (due, due - 86400000))
    conn.execute("INSERT INTO reviews (card_id, rating, reviewed_at, state_before, state_after, due_after, interval_ms) "
                 "VALUES ('a1/definition', 3, ?, 0, 2, ?, 86400000)", (due - 86400000, due))
    conn.commit()
    conn.close()
    history = open_history(path)
    session = Session(deck.cards, history, Settings(), lambda: T0)
    assert list(session.queue.main) == ["a1/definition", "a2/definition"]  # the due review, then a new card
    assert session.queue.new == ["a2/definition"]
    assert list((tmp_path / "backups").iterdir())  # the migration was backed up first


def test_a_session_is_not_cut_short_by_another_process_reviewing_a_newer_deck(tmp_path):
    write(tmp_path / "old" / "a.yaml", notes("a1", "a2"))
    write(tmp_path / "new" / "a.yaml", notes("a1", "a2", "a3"))
    path = tmp_path / "history.sqlite3"
    mine = Session(load([tmp_path / "old"]).cards, open_history(path), Settings(), lambda: T0)
    # Ten minutes earlier, another process with a newer deck failed a card this one lacks: its
    # learning step is due before any of this session's.
    other = Session(load([tmp_path / "new"]).cards, open_history(path), Settings(new_per_day=50),
                    lambda: T0 - timedelta(minutes=10))
    while other.next_card().id != "a3/definition":
        other.answer(GOOD)
    other.answer(AGAIN)
    shown = []
    while (card := mine.next_card()) is not None and len(shown) < 6:
        shown.append(card.id)
        mine.answer(AGAIN)  # back in a minute: its learning steps keep coming
    assert len(shown) == 6 and "a3/definition" not in shown
