"""Scheduling: FSRS intervals as the `fsrs` package computes them, Anki's daily queue, and the day's bounds."""

from __future__ import annotations

import csv
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import fsrs
import pytest

from mlsd_flash.cards import Card, Cards
from mlsd_flash.config import Settings
from mlsd_flash.history import LEARNING, RELEARNING, REVIEW, CardState, open_history
from mlsd_flash.scheduler import (AGAIN, EASY, GOOD, HARD, Scheduler, TodayCounts, build_queue, day_of,
                                  format_interval, from_ms, to_ms)
from mlsd_flash.session import Session

T0 = datetime(2026, 11, 23, 10, 0, tzinfo=timezone.utc)
JOSH = Path(__file__).parent / "data" / "review_logs_josh.csv"


def card(note: str, facet: str, deck: str = "D") -> Card:
    return Card(id=f"{note}/{facet}", note_id=note, anki_id=f"{note}/{facet}", kind="basic", facet=facet,
                title=note, question=f"Q {note} {facet}", answer="A", extra="", deck=deck, tags=(), source="s",
                path="x.yaml", line=1)


def session_at_t0(cards: list[Card], states: dict[str, CardState] | None = None, settings: Settings | None = None,
                  buried: tuple[str, ...] = (), rng=None) -> Session:
    """A session at T0 over a history holding `states`."""
    history = open_history(":memory:")
    with history.transaction():
        for card_id, state in (states or {}).items():
            history._put_state(card_id, state)
    for card_id in buried:
        history.bury(card_id, to_ms(T0 + timedelta(hours=12)))
    return Session(Cards.of(cards), history, settings or Settings(), lambda: T0, tz=timezone.utc, rng=rng)


def test_intervals_match_the_fsrs_package_on_a_real_history():
    """Replaying real review logs gives the same state as py-fsrs's own scheduler, card by card."""
    settings = Settings(fuzz=False)
    ours = Scheduler(settings)
    theirs = fsrs.Scheduler(enable_fuzzing=False)
    by_card: dict[str, list] = {}
    with open(JOSH) as fh:
        for row in csv.DictReader(fh):
            by_card.setdefault(row["card_id"], []).append(row)
    checked = 0
    for card_id, rows in list(by_card.items())[:150]:
        ref = fsrs.Card(card_id=1)
        answers = []
        for row in rows:
            at = datetime.fromisoformat(row["review_time"]).astimezone(timezone.utc)
            if not answers:
                ref = fsrs.Card(card_id=1, due=at)
            ref, _ = theirs.review_card(ref, fsrs.Rating(int(row["review_rating"])), at)
            answers.append((int(row["review_rating"]), to_ms(at), int(row["review_duration"])))
        state = ours.replay(card_id, answers)
        assert state.state == int(ref.state)
        assert state.stability == pytest.approx(ref.stability, rel=1e-9)
        assert state.difficulty == pytest.approx(ref.difficulty, rel=1e-9)
        assert abs(state.due - to_ms(ref.due)) <= 1
        checked += 1
    assert checked == 150


def test_card_follows_learning_review_and_relearning_over_days(tmp_path):
    history = open_history(tmp_path / "h.sqlite3")
    sched = Scheduler(Settings(fuzz=False))
    now = T0

    def answer(rating):
        history.record("n/c", rating, to_ms(now), 1000, "h",
                       lambda before: sched.next_state("n/c", before, rating, now))
        return history.state("n/c")

    s = answer(GOOD)
    assert (s.state, s.step) == (LEARNING, 1)
    assert s.due - to_ms(now) == 10 * 60 * 1000  # the second learning step
    now += timedelta(minutes=10)
    s = answer(GOOD)
    assert s.state == REVIEW and s.due > to_ms(now + timedelta(days=1))
    now = from_ms(s.due)
    s = answer(AGAIN)
    assert s.state == RELEARNING and s.lapses == 1
    assert s.due - to_ms(now) == 10 * 60 * 1000  # the relearning step
    now += timedelta(minutes=10)
    s = answer(GOOD)
    assert s.state == REVIEW and s.reps == 4
    # Rebuilding from the log gives the same cached state.
    history.rebuild(sched.replay)
    assert history.state("n/c") == s


def test_button_preview_is_what_gets_scheduled_even_with_fuzz(tmp_path):
    history = open_history(tmp_path / "h.sqlite3")
    sched = Scheduler(Settings(fuzz=True))
    state = CardState(REVIEW, None, 30.0, 5.0, to_ms(T0), to_ms(T0 - timedelta(days=30)), reps=5)
    history.conn.execute("INSERT INTO cards VALUES ('n/c', ?, NULL, 30.0, 5.0, ?, ?, 5, 0, 'h')",
                         (REVIEW, state.due, state.last_review))
    preview = sched.preview("n/c", history.state("n/c"), T0)
    assert preview[AGAIN] < preview[HARD] < preview[GOOD] < preview[EASY]
    history.record("n/c", GOOD, to_ms(T0), 0, "h", lambda b: sched.next_state("n/c", b, GOOD, T0))
    assert history.state("n/c").due - to_ms(T0) == preview[GOOD]


@pytest.mark.parametrize("ms, text", [(30_000, "1m"), (600_000, "10m"), (3 * 3600_000, "3h"),
                                      (4 * 86_400_000, "4d"), (45 * 86_400_000, "1.5mo"), (800 * 86_400_000, "2.2y")])
def test_interval_labels(ms, text):
    assert format_interval(ms) == text


def test_day_starts_at_the_rollover_hour_in_local_time():
    tz = ZoneInfo("America/New_York")
    before = datetime(2026, 11, 24, 3, 59, tzinfo=tz)
    after = datetime(2026, 11, 24, 4, 0, tzinfo=tz)
    assert day_of(before, 4, tz).label.day == 23
    assert day_of(after, 4, tz).label.day == 24
    assert day_of(after, 4, tz).start == to_ms(after)


@pytest.mark.parametrize("when", [datetime(2026, 3, 8, 12, tzinfo=timezone.utc),  # DST starts in New York
                                  datetime(2026, 11, 1, 12, tzinfo=timezone.utc)])  # DST ends
def test_days_across_daylight_saving_changes_are_never_negative(when):
    tz = ZoneInfo("America/New_York")
    day = day_of(when, 2, tz)  # 2 am: the hour that is skipped or repeated
    assert 22 * 3600_000 <= day.end - day.start <= 26 * 3600_000
    assert day.start <= to_ms(when) < day.end


def test_queue_orders_learning_then_reviews_with_new_mixed_in_and_limits():
    settings = Settings(new_per_day=2, reviews_per_day=3)
    cards = [card(f"n{i}", "definition") for i in range(10)]
    states = {
        "n0/definition": CardState(LEARNING, 0, 1.0, 5.0, to_ms(T0), to_ms(T0)),
        "n1/definition": CardState(REVIEW, None, 3.0, 5.0, to_ms(T0 - timedelta(days=1)), to_ms(T0)),
        "n2/definition": CardState(REVIEW, None, 3.0, 5.0, to_ms(T0 + timedelta(hours=5)), to_ms(T0)),
        "n3/definition": CardState(REVIEW, None, 3.0, 5.0, to_ms(T0 + timedelta(days=3)), to_ms(T0)),
        "n4/definition": CardState(REVIEW, None, 3.0, 5.0, to_ms(T0 - timedelta(days=2)), to_ms(T0)),
        "n5/definition": CardState(REVIEW, None, 3.0, 5.0, to_ms(T0 - timedelta(days=3)), to_ms(T0)),
    }
    session = session_at_t0(cards, states, settings)
    q = session.queue
    assert session.next_card().id == "n0/definition"  # the learning step due now comes first
    assert session.remaining() == (2, 1, 3)
    # Three reviews (the limit), most overdue first; a review due later today counts; n3 is not due.
    reviews = [cid for cid in q.main if cid in states]
    assert reviews == ["n5/definition", "n4/definition", "n1/definition"]
    new = [cid for cid in q.main if cid not in states]
    assert new == q.new == ["n6/definition", "n7/definition"]  # deck order, up to the limit
    assert q.main[0] == "n5/definition" and q.main[-1] != "n6/definition"  # new cards are spread, not first


def test_limits_count_what_was_done_today_and_siblings_wait():
    settings = Settings(new_per_day=3)
    cards = [card("a", "definition"), card("a", "why"), card("b", "definition"), card("b", "why"),
             card("c", "definition"), card("d", "definition")]
    unseen = [c.id for c in cards if c.id != "a/definition"]
    # "a" was already studied today (one new card used): its sibling waits for tomorrow.
    q = build_queue([], unseen, TodayCounts(1, 0, {"a"}), set(), settings)
    assert q.main == ["b/definition", "c/definition"] and q.held_back == 2  # a/why and b/why wait
    buried = session_at_t0(cards, settings=settings, buried=("b/definition",)).queue
    assert list(buried.main) == ["a/definition", "b/why"]  # the buried card used its place in the day's new cards


def test_random_new_order_uses_the_given_generator():
    import random

    settings = Settings(new_per_day=50, new_order="random")
    cards = [card(f"n{i}", "definition") for i in range(30)]
    one = session_at_t0(cards, settings=settings, rng=random.Random(1)).queue
    two = session_at_t0(cards, settings=settings, rng=random.Random(1)).queue
    assert list(one.main) == list(two.main) != [c.id for c in cards]
    assert sorted(one.main) == sorted(c.id for c in cards)
