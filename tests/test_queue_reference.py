"""The day's queue, read through the history's indexes, is the same card for card as a plain
reference implementation that sorts everything, on a synthetic user's deck and history, under
several settings."""

from __future__ import annotations

import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from mlsd_flash.cards import Cards, note_of
from mlsd_flash.config import Settings
from mlsd_flash.deck import load
from mlsd_flash.history import LEARNING, RELEARNING, REVIEW, open_history
from mlsd_flash.scheduler import day_of, to_ms, today_counts
from mlsd_flash.session import Session

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
from synthetic_user import build  # noqa: E402

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=timezone.utc)


def reference_queue(cards, states, counts, buried, settings, day, seen):
    """Anki's daily queue written plainly: sort everything, then take one card per note."""
    position = {cid: i for i, cid in enumerate(cards.ids)}
    targets = set(settings.target_cases)
    learning = sorted((s.due, cid) for cid, s in states.items()
                      if s.state in (LEARNING, RELEARNING) and cid in position and cid not in buried)
    reviews = sorted((s.due, cid) for cid, s in states.items()
                     if s.state == REVIEW and s.due < day.end and cid in position and cid not in buried)
    notes = set(counts.notes_seen) | {note_of(cid) for _, cid in learning}

    def take(ids, room):
        out = []
        for cid in ids:
            if len(out) < room and note_of(cid) not in notes:
                notes.add(note_of(cid))
                out.append(cid)
        return out

    due = take([cid for _, cid in reviews], settings.reviews_per_day - counts.reviews_done)
    unseen = [cid for cid in cards.ids if cid not in seen and cid not in buried]
    rank = {cid: (0 if note_of(cid) in targets else 2 if cards.priorities[position[cid]] == "e" else 1,
                  position[cid]) for cid in unseen}
    new = take(sorted(unseen, key=rank.__getitem__), settings.new_per_day - counts.new_done)
    return [cid for _, cid in learning], due, new


@pytest.fixture(scope="module")
def user(tmp_path_factory):
    folder = tmp_path_factory.mktemp("synthetic")
    build(folder, n_cards=3000, n_reviews=40_000, now=NOW)
    deck = load([folder / "cards"])
    history = open_history(folder / "history.sqlite3")
    for card_id in deck.cards.ids[::97]:  # seen and unseen cards buried until tomorrow
        history.bury(card_id, to_ms(NOW + timedelta(days=1)))
    yield deck, history
    history.close()


@pytest.mark.parametrize("settings", [
    Settings(),
    Settings(new_per_day=200, reviews_per_day=50),
    Settings(new_per_day=60, target_cases=("bench-950", "bench-10")),
])
@pytest.mark.parametrize("extended_every", [0, 3])
def test_the_queue_is_the_reference_queue_card_for_card(user, settings, extended_every):
    deck, history = user
    cards = deck.cards
    if extended_every:  # mark some notes extended, as the built-in deck does
        priorities = "".join("e" if int(note_of(cid).split("-")[1]) % extended_every == 0 else "c" for cid in cards.ids)
        cards = Cards(cards.ids, cards.decks, cards.tags, priorities, list(cards))
    session = Session(cards, history, settings, lambda: NOW)
    queue = session.queue
    day = day_of(NOW, settings.day_starts_at)
    seen = set(history.reviewed_card_ids())
    buried = history.buried(to_ms(NOW))
    counts = today_counts(history.answers_since(day.start))
    counts = counts._replace(new_done=counts.new_done + len(buried - seen))
    learning, due, new = reference_queue(cards, history.states(), counts, buried, settings, day, seen)
    assert [cid for _, cid in session.today.learning(session.hidden)] == learning
    assert session.remaining()[1] == sum(1 for cid in learning if history.state(cid).due < day.end) > 0
    assert queue.new == new and len(new) > 0
    assert [cid for cid in queue.main if cid not in set(new)] == due and len(due) > 0


def test_a_selection_queues_only_its_cards(user):
    deck, history = user
    selection = deck.cards.subset(range(0, len(deck.cards), 2))
    session = Session(selection, history, Settings(), lambda: NOW)
    queue = session.queue
    day = day_of(NOW, 4)
    seen = set(history.reviewed_card_ids())
    buried = history.buried(to_ms(NOW))
    counts = today_counts(history.answers_since(day.start))
    counts = counts._replace(new_done=counts.new_done + len(buried - seen))
    learning, due, new = reference_queue(selection, history.states(), counts, buried, Settings(), day, seen)
    assert ([cid for _, cid in session.today.learning(session.hidden)], queue.new) == (learning, new)
    assert session.remaining()[1] == sum(1 for cid in learning if history.state(cid).due < day.end)
    assert [cid for cid in queue.main if cid not in set(new)] == due
