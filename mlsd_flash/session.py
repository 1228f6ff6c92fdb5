"""A review session as a state machine: which card is shown, answers, undo and bury.

No terminal and no wall clock here: the caller passes `now` to every step, and the history store
is injected, so a whole session can be driven by a test in memory.
"""

from __future__ import annotations

import heapq
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


class _Learning:
    """Today's learning steps by due time, kept so that each answer costs O(log n): the next step
    comes from a heap (stale entries dropped when they surface), and the count of steps due
    before the day ends is kept as steps come and go."""

    def __init__(self, dues: dict[str, int], day_end: int):
        self.due = dict(dues)
        self.day_end = day_end
        self.heap = [(d, c) for c, d in self.due.items()]
        heapq.heapify(self.heap)
        self.today = sum(1 for d in self.due.values() if d < day_end)

    def __contains__(self, card_id: str) -> bool:
        return card_id in self.due

    def put(self, card_id: str, due: int) -> None:
        self.drop(card_id)
        self.due[card_id] = due
        heapq.heappush(self.heap, (due, card_id))
        self.today += due < self.day_end

    def drop(self, card_id: str) -> None:
        due = self.due.pop(card_id, None)
        if due is not None:
            self.today -= due < self.day_end

    def first(self) -> tuple[int, str] | None:
        """The earliest step (due time, card id), if any."""
        heap, due = self.heap, self.due
        while heap and due.get(heap[0][1]) != heap[0][0]:
            heapq.heappop(heap)
        return heap[0] if heap else None


class _Done(NamedTuple):
    kind: str  # "answer" or "bury"
    card: Card
    review_id: int | None = None
    was_learning: bool = False
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
        hidden = buried | set(self.history.suspended())  # suspended cards never come up
        learning = self.today.learning()
        if settings.new_order == "random":
            import random  # only for this setting: the import costs a review's start milliseconds

            unseen = self.today.unseen_in_deck_order()
            (rng or random.Random()).shuffle(unseen)
        else:
            unseen = self.today.unseen(settings.target_cases)
        self.queue: Queue = build_queue(learning, self.today.reviews(self.day.end), unseen, counts, hidden,
                                        self.settings, new_limit)
        self.leech: str = ""  # said on the next screen when an answer made the card a leech
        dues = dict((cid, due) for due, cid in learning)
        self._learning = _Learning({cid: dues[cid] for cid in self.queue.learning}, self.day.end)
        self.queue = self.queue._replace(main=deque(self.queue.main))  # the head is taken in O(1)
        self._new_ids = set(self.queue.new)
        self._new_left = len(self.queue.new)
        if in_final_days(settings, self.day):
            self._bring_forward(counts, to_ms(now))

    def _bring_forward(self, counts, now_ms: int) -> None:
        """In the last days before the interview, fill the day's review budget with the seen cards
        least likely to be recalled on the day, due or not."""
        queued = set(self.queue.main) | set(self.queue.learning)
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
        step = self._learning.first()
        if step and step[0] <= now_ms:
            card_id = step[1]
        elif self.queue.main:
            card_id = self.queue.main[0]
        elif step and step[0] <= now_ms + LEARN_AHEAD_MS and step[0] < self.day.end:
            card_id = step[1]
        else:
            card_id = None
        self.current = None if card_id is None else self.cards.get(card_id)
        return self.current

    def remaining(self) -> tuple[int, int, int]:
        """(new, learning, review) still to do in this session, as Anki shows them."""
        return self._new_left, self._learning.today, len(self.queue.main) - self._new_left

    def is_new(self, card_id: str) -> bool:
        """Whether the card had never been answered when the session started."""
        return card_id in self._new_ids

    def next_due_later(self) -> int | None:
        """When the next learning step of today is due, if any (UTC ms)."""
        step = self._learning.first()
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
        was_learning = card.id in self._learning
        review_id = self.history.record(
            card.id, rating, to_ms(now), int(seconds * 1000), card.content_hash,
            lambda before: self.scheduler.next_state(card.id, before, rating, now),
        )
        state = self.history.state(card.id)
        self.leech = self._check_leech(card, rating, state, to_ms(now))
        self._remove(card)
        suspended = bool(self.leech) and self.settings.leech_action == "suspend"
        if state is not None and state.state in (LEARNING, RELEARNING) and state.due < self.day.end and not suspended:
            self._learning.put(card.id, state.due)
        self.summary.reviewed += 1
        self.summary.again += rating == AGAIN
        self.summary.seconds += seconds
        self._undo.append(_Done("answer", card, review_id, was_learning, rating, seconds))
        self.current = None

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
        self.history.bury(card.id, self.day.end)
        was_learning = card.id in self._learning
        self._remove(card)
        self._undo.append(_Done("bury", card, was_learning=was_learning))
        self.current = None

    def undo(self) -> Card | None:
        """Take back the last answer or bury: the log row and card state go back, and the card is
        shown again. Returns that card, or None when there is nothing to undo."""
        if not self._undo:
            return None
        done = self._undo.pop()
        card = done.card
        if done.kind == "answer":
            self.history.undo(done.review_id, self.scheduler.replay_steps)
            self.summary.reviewed -= 1
            self.summary.again -= done.rating == AGAIN
            self.summary.seconds -= done.seconds
        else:
            self.history.unbury(card.id)
        self._learning.drop(card.id)
        if done.was_learning:
            state = self.history.state(card.id)
            self._learning.put(card.id, state.due if state else to_ms(self.now()))
        else:
            self.queue.main.appendleft(card.id)
            self._new_left += card.id in self._new_ids
        self.current = card
        return card

    def _remove(self, card: Card) -> None:
        self._learning.drop(card.id)
        main = self.queue.main
        if main and main[0] == card.id:
            main.popleft()
        elif card.id in main:  # not at the head: rare (a card brought forward twice)
            main.remove(card.id)
        else:
            return
        self._new_left -= card.id in self._new_ids


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
