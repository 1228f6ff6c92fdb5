"""FSRS over the history: next states, interval previews, the day's bounds and the daily queue.

Pure functions of their inputs (cards, cached states, today's reviews, settings and `now`): the
clock is passed in, never read here. `fsrs` is imported only when a card is answered or previewed,
so the first question appears without paying for it.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone, tzinfo
from typing import Callable, Iterable, NamedTuple

from .cards import note_of
from .config import Settings, step_seconds
from .history import NEW, REVIEW, CardState

AGAIN, HARD, GOOD, EASY = 1, 2, 3, 4
RATING_NAMES = {AGAIN: "Again", HARD: "Hard", GOOD: "Good", EASY: "Easy"}
LEARN_AHEAD_MS = 20 * 60 * 1000  # like Anki: with nothing else left, show learning cards due within 20 min


def to_ms(dt: datetime) -> int:
    return int(dt.timestamp() * 1000)


def from_ms(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, timezone.utc)


class Day(NamedTuple):
    """The learner's current day: from the last rollover to the next, in UTC milliseconds."""

    start: int
    end: int
    label: date


def day_of(now: datetime, rollover_hour: int, tz: tzinfo | None = None) -> Day:
    """The day `now` falls in, when days start at `rollover_hour` local time (system zone by default).

    Built from local dates, so a day across a daylight-saving change is 23 or 25 hours long and
    never negative."""
    local = now.astimezone(tz)
    label = (local - timedelta(hours=rollover_hour)).date()

    def boundary(d: date) -> int:
        naive = datetime(d.year, d.month, d.day, rollover_hour)
        return to_ms(naive.replace(tzinfo=tz) if tz else naive.astimezone())

    start, end = boundary(label), boundary(label + timedelta(days=1))
    if end <= start:  # a pathological zone change; keep the day non-empty
        end = start + 86_400_000
    return Day(start, end, label)


def interview_start(settings: Settings, tz: tzinfo | None = None) -> int:
    """When the interview day starts (its rollover hour, local time), in UTC milliseconds."""
    d = date.fromisoformat(settings.interview_date)
    naive = datetime(d.year, d.month, d.day, settings.day_starts_at)
    return to_ms(naive.replace(tzinfo=tz) if tz else naive.astimezone())


def in_final_days(settings: Settings, day: Day) -> bool:
    """Whether `day` is one of the last `interview_final_days` days before the interview."""
    if not settings.interview_date or not settings.interview_final_days:
        return False
    days_left = (date.fromisoformat(settings.interview_date) - day.label).days
    return 0 < days_left <= settings.interview_final_days


def decay_of(settings: Settings) -> float:
    """The forgetting curve's decay: FSRS-6's last parameter, negated (the default's when unset)."""
    if settings.fsrs_parameters:
        return -settings.fsrs_parameters[20]
    from .stats import FSRS_DECAY

    return FSRS_DECAY


def weakest_on(states: dict[str, CardState], at_ms: int, count: int, decay: float) -> list[str]:
    """The `count` cards with the lowest predicted recall at `at_ms`."""
    import heapq

    from .stats import retrievability

    return [cid for _, cid in heapq.nsmallest(count, ((retrievability(s, at_ms, decay), cid)
                                                       for cid, s in states.items()))]


class Scheduler:
    """The `fsrs` scheduler configured from the settings, speaking our `CardState`."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self._fsrs = None

    @property
    def fsrs(self):
        if self._fsrs is None:
            import fsrs

            s = self.settings
            self._fsrs = fsrs.Scheduler(
                parameters=s.fsrs_parameters or fsrs.scheduler.DEFAULT_PARAMETERS,
                desired_retention=s.desired_retention,
                learning_steps=tuple(timedelta(seconds=step_seconds(x)) for x in s.learning_steps),
                relearning_steps=tuple(timedelta(seconds=step_seconds(x)) for x in s.relearning_steps),
                maximum_interval=s.maximum_interval,
                enable_fuzzing=s.fuzz,
            )
        return self._fsrs

    def next_state(self, card_id: str, before: CardState | None, rating: int, now: datetime) -> CardState:
        import random

        import fsrs

        card = self._to_fsrs(before, now)
        # Fuzz draws from the global `random`; seeding it per card and review makes the interval
        # shown on a button the one that is scheduled, and replays repeatable.
        random.seed(f"{card_id}:{before.reps if before else 0}")
        new, _ = self.fsrs.review_card(card, fsrs.Rating(rating), now.astimezone(timezone.utc))
        due = to_ms(new.due)
        cap = self.interview_cap(now)
        if cap is not None and int(new.state) == REVIEW and due > cap:
            due = cap
        return CardState(int(new.state), new.step, new.stability, new.difficulty, due, to_ms(new.last_review))

    def interview_cap(self, now: datetime) -> int | None:
        """With an interview date ahead, the latest a review may be due: the start of the interview
        day, so every seen card is reviewed before it. None when no date is set, once it has passed,
        and on its eve (a card answered then is not asked again the same day)."""
        if not self.settings.interview_date:
            return None
        start = interview_start(self.settings)
        if to_ms(now) >= start or day_of(now, self.settings.day_starts_at).end >= start:
            return None
        return start

    def preview(self, card_id: str, before: CardState | None, now: datetime) -> dict[int, int]:
        """Milliseconds until the card would be due again, for each rating."""
        now_ms = to_ms(now)
        return {r: self.next_state(card_id, before, r, now).due - now_ms for r in (AGAIN, HARD, GOOD, EASY)}

    def replay(self, card_id: str, answers: Iterable[tuple[int, int, int | None]]) -> CardState:
        """The state after replaying a card's answers (rating, time in ms, duration) in order."""
        return self.replay_steps(card_id, answers)[-1]

    def replay_steps(self, card_id: str, answers: Iterable[tuple[int, int, int | None]]) -> list[CardState]:
        """The state after each of a card's answers, replayed in order, with the counts so far."""
        state: CardState | None = None
        reps = lapses = 0
        out = []
        for rating, at_ms, _duration in answers:
            lapses += rating == AGAIN and state is not None and state.state == REVIEW
            nxt = self.next_state(card_id, None if state is None else _with_reps(state, reps), rating,
                                  from_ms(at_ms))
            reps += 1
            state = nxt
            out.append(CardState(nxt.state, nxt.step, nxt.stability, nxt.difficulty, nxt.due, nxt.last_review,
                                 reps, lapses))
        assert out
        return out

    def retrievability(self, state: CardState, now: datetime) -> float:
        return self.fsrs.get_card_retrievability(self._to_fsrs(state, now), now.astimezone(timezone.utc))

    @staticmethod
    def _to_fsrs(state: CardState | None, now: datetime):
        import fsrs

        if state is None or state.state == NEW:
            return fsrs.Card(card_id=1, due=now.astimezone(timezone.utc))
        return fsrs.Card(
            card_id=1, state=fsrs.State(state.state), step=state.step, stability=state.stability,
            difficulty=state.difficulty, due=from_ms(state.due),
            last_review=from_ms(state.last_review) if state.last_review is not None else None,
        )


def _with_reps(state: CardState, reps: int) -> CardState:
    return CardState(state.state, state.step, state.stability, state.difficulty, state.due, state.last_review,
                     reps, state.lapses)


def format_interval(ms: int) -> str:
    """An interval as Anki shows it on a button: 1m, 10m, 3h, 4d, 1.5mo, 2.1y."""
    minutes = max(ms, 0) / 60_000
    if minutes < 60:
        return f"{max(1, round(minutes))}m"
    hours = minutes / 60
    if hours < 24:
        return f"{round(hours)}h"
    days = hours / 24
    if days < 30:
        return f"{round(days)}d"
    if days < 365:
        return f"{days / 30:.1f}mo"
    return f"{days / 365:.1f}y"


class TodayCounts(NamedTuple):
    """What today's answers have used of the daily limits."""

    new_done: int
    reviews_done: int
    notes_seen: set[str]


def today_counts(answers_today: list[tuple[str, int]]) -> TodayCounts:
    """What the limits have already used today, from (card id, state before) of each answer; a card
    counts once as new."""
    new_cards = {card_id for card_id, before in answers_today if before == NEW}
    reviews_done = sum(1 for _, before in answers_today if before == REVIEW)
    return TodayCounts(len(new_cards), reviews_done, {note_of(card_id) for card_id, _ in answers_today})


class Queue(NamedTuple):
    """Today's reviews and new cards (learning steps come from the history as they fall due)."""

    main: list[str]  # ids of reviews due today mixed with new cards up to the day's limit
    new: list[str]  # which of `main` are new cards, in deck order (or random)
    held_back: int = 0  # cards that would have come today but wait: a sibling was shown first


def build_queue(reviews: Iterable[str], unseen: Iterable[str], counts: TodayCounts, hidden: set[str],
                settings: Settings, new_limit: int | None = None,
                in_learning: Callable[[str], bool] = lambda note_id: False) -> Queue:
    """Anki's daily queue: at most one card per note a day (siblings of a card answered today or in
    learning wait for tomorrow), limits that count what was already done today, and no buried or
    suspended (`hidden`) card.

    `reviews` are the ids of review cards due today by due time, `unseen` the never-answered ids in
    the order new cards come: both are read only until the day's limits are reached (see
    `deck_order.Today`). `in_learning(note_id)` says whether a card of that note is in learning."""
    notes_seen = set(counts.notes_seen)
    review_room = max(0, settings.reviews_per_day - counts.reviews_done)
    held: list[int] = [0]
    wanted = (cid for cid in reviews if cid not in hidden)
    due_reviews = _one_per_note(wanted, notes_seen, review_room, held, in_learning)
    new_room = max(0, (settings.new_per_day if new_limit is None else new_limit) - counts.new_done)
    wanted = (cid for cid in unseen if cid not in hidden)
    new_cards = _one_per_note(wanted, notes_seen, new_room, held, in_learning)
    return Queue(_interleave(due_reviews, new_cards), new_cards, held[0])


def _one_per_note(card_ids: Iterable[str], seen_notes: set[str], limit: int, held: list[int],
                  in_learning: Callable[[str], bool]) -> list[str]:
    """Up to `limit` cards, at most one per note; `held[0]` counts the siblings passed over."""
    out = []
    for card_id in card_ids:
        if len(out) >= limit:
            break
        note_id = note_of(card_id)
        if note_id not in seen_notes and not in_learning(note_id):
            out.append(card_id)
        else:
            held[0] += 1
        seen_notes.add(note_id)
    return out


def _interleave(reviews: list[str], new: list[str]) -> list[str]:
    """Spread new cards evenly among the reviews, as Anki's "mix with reviews" does."""
    if not reviews or not new:
        return reviews + new
    out: list[str] = []
    step = (len(reviews) + len(new)) / len(new)
    next_new, ri, ni = step / 2, 0, 0
    for i in range(len(reviews) + len(new)):
        if ni < len(new) and (i >= next_new or ri >= len(reviews)):
            out.append(new[ni])
            ni += 1
            next_new += step
        else:
            out.append(reviews[ri])
            ri += 1
    return out
