"""A review session as a state machine: which card is shown, answers, undo and bury.

No terminal and no wall clock here: the caller passes `now` to every step, and the history store
is injected, so a whole session can be driven by a test in memory.
"""

from __future__ import annotations

from collections import deque
from datetime import datetime, tzinfo
from typing import TYPE_CHECKING, Callable, NamedTuple

from .cards import Card, Cards
from .deck_order import Today
from .history import LEARNING, RELEARNING, REVIEW, History
from .scheduler import (AGAIN, LEARN_AHEAD_MS, Day, Queue, Scheduler, build_queue, day_of, decay_of, in_final_days,
                        interview_start, to_ms, today_counts, weakest_on)
from .config import Settings

if TYPE_CHECKING:
    import random


class Summary:
    """What the session has done so far."""

    def __init__(self):
        self.reviewed = 0
        self.again = 0
        self.seconds = 0.0

    @property
    def again_percent(self) -> float:
        return 100.0 * self.again / self.reviewed if self.reviewed else 0.0


class _Done(NamedTuple):
    kind: str  # "answer" or "bury"
    card: Card
    review_id: int | None = None
    from_main: bool = False  # taken from today's reviews and new cards (not a learning step)
    hid: bool = False  # the card was hidden by it (buried, or suspended as a leech)
    rating: int = 0
    seconds: float = 0.0


class Session:
    """Today's review over `cards` (already filtered by deck or tag), writing to `history`.

    `now` is the clock; `new_limit` overrides the day's new cards, `limit` stops after that many
    answers, `tz` is the zone of the day's rollover (the system's by default), and `rng` shuffles
    the new cards when they come in random order."""

    def __init__(self, cards: Cards, history: History, settings: Settings, now: Callable[[], datetime],
                 new_limit: int | None = None, limit: int | None = None, tz: tzinfo | None = None,
                 rng: random.Random | None = None):
        self.cards, self.history, self.settings, self.now = cards, history, settings, now
        self.limit = limit
        self.scheduler = Scheduler(settings)
        self.current: Card | None = None
        self.summary = Summary()
        self._undo: list[_Done] = []
        now = self.now()
        self.day: Day = day_of(now, self.settings.day_starts_at, tz)
        self.today = Today(history, cards)
        counts = today_counts(self.history.answers_since(self.day.start))
        buried = self.history.buried(to_ms(now))
        if buried:  # a buried new card has used its place in today's new cards, in every view of today
            counts = counts._replace(new_done=counts.new_done + self.history.unseen_count(buried))
        self.hidden = buried | set(self.history.suspended())  # suspended cards never come up
        if settings.new_order == "random":
            import random  # only for this setting: the import costs a review's start milliseconds

            unseen = self.today.unseen_in_deck_order()
            (rng or random.Random()).shuffle(unseen)
        else:
            unseen = self.today.unseen(settings.target_cases)
        self.queue: Queue = build_queue(self.today.reviews(self.day.end), unseen, counts, self.hidden, self.settings,
                                        new_limit, lambda note_id: self.today.in_learning(note_id, self.hidden))
        self.leech: str = ""  # said on the next screen when an answer made the card a leech
        # Learning steps are read from the history as they fall due; only their count is kept here.
        self._learning_left = self.today.learning_count(self.day.end, self.hidden)
        self.queue = self.queue._replace(main=deque(self.queue.main))  # the head is taken in O(1)
        self._new_ids = set(self.queue.new)
        self._new_left = len(self.queue.new)
        if in_final_days(settings, self.day):
            self._bring_forward(counts, to_ms(now))

    def _bring_forward(self, counts, now_ms: int) -> None:
        """In the last days before the interview, fill the day's review budget with the seen cards
        least likely to be recalled on the day, due or not."""
        queued = set(self.queue.main) | {cid for _, cid in self.today.learning()}
        room = self.settings.reviews_per_day - counts.reviews_done - (len(self.queue.main) - len(self.queue.new))
        if room <= 0:
            return
        positions = self.cards.positions()
        buried = self.history.buried(now_ms)
        candidates = {cid: s for cid, s in self.history.states().items()
                      if cid in positions and cid not in queued and cid not in buried and s.state == REVIEW}
        extra = weakest_on(candidates, interview_start(self.settings), room, decay_of(self.settings))
        self.queue.main.extend(extra)

    # -- what to show --------------------------------------------------------------------------
    def next_card(self) -> Card | None:
        """The card to show now: a learning step that is due, else the next of today's queue, else a
        learning step due within 20 minutes. None when the session is done."""
        if self.limit is not None and self.summary.reviewed >= self.limit:
            self.current = None
            return None
        now_ms = to_ms(self.now())
        step = self.today.next_learning(self.hidden)
        step_card = self.cards.get(step[1]) if step else None
        if step and step_card is None:  # another process synced a newer deck without it
            self.hidden.add(step[1])
            return self.next_card()
        if step and step[0] <= now_ms:
            self.current = step_card
        elif self.queue.main:
            self.current = self.cards.get(self.queue.main[0])
        elif step and step[0] <= now_ms + LEARN_AHEAD_MS and step[0] < self.day.end:
            self.current = step_card
        else:
            self.current = None
        return self.current

    def remaining(self) -> tuple[int, int, int]:
        """(new, learning, review) still to do in this session, as Anki shows them."""
        return self._new_left, self._learning_left, len(self.queue.main) - self._new_left

    def is_new(self, card_id: str) -> bool:
        """Whether the card had never been answered when the session started."""
        return card_id in self._new_ids

    def next_due_later(self) -> int | None:
        """When the next learning step of today is due, if any (UTC ms)."""
        step = self.today.next_learning(self.hidden)
        return step[0] if step and step[0] < self.day.end else None

    def next_due_after_today(self) -> int | None:
        """When a seen card among the selected ones next comes up (UTC ms): a card due today that is
        not in today's queue (held back by a limit, a sibling or a bury) comes up when the next day
        starts."""
        first = self.today.first_due()
        return None if first is None else max(first, self.day.end)

    def due_tomorrow(self) -> int:
        """Seen cards that fall due tomorrow (new cards not counted)."""
        return self.today.due_count(self.day.end, self.day.end + 86_400_000)

    def is_edited(self, card: Card) -> bool:
        """Whether the card's text changed since it was last answered."""
        state = self.history.state(card.id)
        return bool(state and state.content_hash and state.content_hash != card.content_hash)

    def intervals(self) -> dict[int, int]:
        """Milliseconds until the current card would be due again, for each rating."""
        assert self.current is not None
        return self.scheduler.preview(self.current.id, self.history.state(self.current.id), self.now())

    # -- what the learner does -----------------------------------------------------------------
    def answer(self, rating: int, seconds: float = 0.0) -> None:
        """Record an answer durably, then move on."""
        card = self.current
        assert card is not None
        now = self.now()
        learning_before = self._learning_step_today(card.id, self.history.state(card.id))
        review_id = self.history.record(
            card.id, rating, to_ms(now), int(seconds * 1000), card.content_hash,
            lambda before: self.scheduler.next_state(card.id, before, rating, now),
        )
        state = self.history.state(card.id)
        self.leech = self._check_leech(card, rating, state, to_ms(now))
        hid = bool(self.leech) and self.settings.leech_action == "suspend"
        if hid:
            self.hidden.add(card.id)
        self._learning_left += self._learning_step_today(card.id, state) - learning_before
        from_main = self._remove(card)
        self.summary.reviewed += 1
        self.summary.again += rating == AGAIN
        self.summary.seconds += seconds
        self._undo.append(_Done("answer", card, review_id, from_main, hid, rating, seconds))
        self.current = None

    def _learning_step_today(self, card_id: str, state) -> int:
        """1 when the card is a learning step due today that this session shows, else 0."""
        return int(state is not None and state.state in (LEARNING, RELEARNING) and state.due < self.day.end
                   and card_id not in self.hidden)

    def _check_leech(self, card: Card, rating: int, state, now_ms: int) -> str:
        """As Anki: a card that lapses `leech_threshold` times (and every half threshold after) is
        a leech, tagged and, unless set to tag only, suspended."""
        threshold = self.settings.leech_threshold
        if rating != AGAIN or state is None or state.lapses < threshold:
            return ""
        if (state.lapses - threshold) % max(1, threshold // 2):
            return ""
        suspend = self.settings.leech_action == "suspend"
        self.history.mark_leech(card.id, now_ms, suspend)
        return (f"{card.id} is a leech ({state.lapses} lapses){': suspended' if suspend else ''}. "
                f"Rewrite it with `mlsd-flash edit {card.id}`" + (" and `mlsd-flash unsuspend` it." if suspend else "."))

    def bury(self) -> None:
        """Hide the current card until the next day starts (a new card keeps its place in the day's
        new-card limit, so the counts stay what `due` and the next session say)."""
        card = self.current
        assert card is not None
        self._learning_left -= self._learning_step_today(card.id, self.history.state(card.id))
        self.history.bury(card.id, self.day.end)
        self.hidden.add(card.id)
        self._undo.append(_Done("bury", card, from_main=self._remove(card), hid=True))
        self.current = None

    def undo(self) -> Card | None:
        """Take back the last answer or bury: the log row and card state go back, and the card is
        shown again. Returns that card, or None when there is nothing to undo."""
        if not self._undo:
            return None
        done = self._undo.pop()
        card = done.card
        self._learning_left -= self._learning_step_today(card.id, self.history.state(card.id))
        if done.kind == "answer":
            self.history.undo(done.review_id, self.scheduler.replay_steps)
            self.summary.reviewed -= 1
            self.summary.again -= done.rating == AGAIN
            self.summary.seconds -= done.seconds
        else:
            self.history.unbury(card.id)
        if done.hid:
            self.hidden.discard(card.id)
        self._learning_left += self._learning_step_today(card.id, self.history.state(card.id))
        if done.from_main:
            self.queue.main.appendleft(card.id)
            self._new_left += card.id in self._new_ids
        self.current = card
        return card

    def _remove(self, card: Card) -> bool:
        """Take the card out of today's reviews and new cards; False when it was not there (a
        learning step)."""
        main = self.queue.main
        if main and main[0] == card.id:
            main.popleft()
        elif card.id in main:  # not at the head: rare (a card brought forward twice)
            main.remove(card.id)
        else:
            return False
        self._new_left -= card.id in self._new_ids
        return True


class Practice:
    """Rehearse a fixed list of cards in order (a whole interview case), due or not.

    Answers change nothing unless `record` is set, in which case they are logged and scheduled like
    any review."""

    def __init__(self, cards: list[Card], history: History | None, settings: Settings,
                 now: Callable[[], datetime], record: bool = False):
        self.cards, self.history, self.now, self.record = list(cards), history, now, record
        self.scheduler = Scheduler(settings)
        self.position = 0
        self.current: Card | None = None
        self.summary = Summary()
        self._undo: list[tuple[int, int | None, int, float]] = []

    def next_card(self) -> Card | None:
        self.current = self.cards[self.position] if self.position < len(self.cards) else None
        return self.current

    def intervals(self) -> dict[int, int]:
        assert self.current is not None and self.history is not None
        return self.scheduler.preview(self.current.id, self.history.state(self.current.id), self.now())

    def answer(self, rating: int, seconds: float = 0.0) -> None:
        card = self.current
        assert card is not None
        review_id = None
        if self.record and self.history is not None:
            now = self.now()
            review_id = self.history.record(card.id, rating, to_ms(now), int(seconds * 1000), card.content_hash,
                                            lambda before: self.scheduler.next_state(card.id, before, rating, now))
        self._undo.append((self.position, review_id, rating, seconds))
        self.summary.reviewed += 1
        self.summary.again += rating == AGAIN
        self.summary.seconds += seconds
        self.position += 1

    def bury(self) -> None:
        self._undo.append((self.position, None, 0, 0.0))
        self.position += 1

    def undo(self) -> Card | None:
        if not self._undo:
            return None
        position, review_id, rating, seconds = self._undo.pop()
        if review_id is not None and self.history is not None:
            self.history.undo(review_id, self.scheduler.replay_steps)
        if rating:
            self.summary.reviewed -= 1
            self.summary.again -= rating == AGAIN
            self.summary.seconds -= seconds
        self.position = position
        return self.next_card()
