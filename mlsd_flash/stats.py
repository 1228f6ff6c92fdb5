"""Progress figures: today's work, streaks, reviews per day, the due forecast, true retention, recall
per deck and a readiness prediction for an interview date.

`compute` is pure: it takes the cards, their cached states, reviews already summed per time bucket,
today's reviews, retention counts, the settings and `now`, and returns a `Stats` of plain values.
`gather` fetches those inputs from a History with aggregate SQL, so a history of a million reviews is
never loaded as Python objects. Times are UTC milliseconds; days are the learner's days (local time,
starting at the rollover hour), as in the review queue.
"""

from __future__ import annotations

import math
import heapq
from bisect import bisect_right
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta, timezone, tzinfo
from typing import Iterable

from .cards import Card, Cards
from .config import Settings
from .history import NEW, REVIEW, CardState, History, Review

DAY_MS = 86_400_000
MATURE_DAYS = 21
FORECAST_DAYS = 30
WEAKEST_PER_DECK = 3
WEAKEST = 10
WINDOWS = (7, 30)
FSRS_DECAY = -0.1542  # fsrs 6's default forgetting curve, the one Scheduler uses (a test checks they agree)


def deck_group(deck: str) -> str:
    """The top two levels of a deck path: 'Data::Sampling::Reservoir' -> 'Data::Sampling'."""
    return "::".join(deck.split("::")[:2])


def day_start(label: date, rollover_hour: int, tz: tzinfo | None = None) -> int:
    """When the learner's day `label` starts, in UTC ms (mirrors scheduler.day_of)."""
    naive = datetime(label.year, label.month, label.day, rollover_hour)
    return int((naive.replace(tzinfo=tz) if tz else naive.astimezone()).timestamp() * 1000)


def retrievability(state: CardState | None, at_ms: int, decay: float = FSRS_DECAY) -> float:
    """FSRS's probability of recall at `at_ms`, as `fsrs.Scheduler.get_card_retrievability` computes
    it (elapsed time counted in whole days); 0 for a card never reviewed."""
    if state is None or state.state == NEW or state.stability is None or state.last_review is None:
        return 0.0
    factor = 0.9 ** (1 / decay) - 1
    elapsed_days = max(0, (at_ms - state.last_review) // DAY_MS)
    return (1 + factor * elapsed_days / state.stability) ** decay


@dataclass
class Today:
    date: str
    reviewed: int
    seconds: float
    again: int
    again_rate: float | None


@dataclass
class Retention:
    days: int
    kind: str  # "young" (interval < 21 days) or "mature"
    reviews: int
    passed: int  # answers other than Again
    rate: float | None


@dataclass
class WeakCard:
    id: str
    deck: str
    question: str
    retrievability: float
    lapses: int


@dataclass
class DeckStats:
    deck: str
    total: int
    seen: int
    retrievability: float | None  # mean over seen cards, now
    weakest: list[WeakCard] = field(default_factory=list)


@dataclass
class DeckReadiness:
    deck: str
    total: int
    seen: int
    if_stop: float  # predicted share recalled on the day if no more reviews (new cards count as 0)
    if_continue: float  # predicted share recalled if reviews go on on schedule
    new_per_day_needed: int | None  # to have seen every card by the day before; None when no day is left


@dataclass
class Readiness:
    date: str
    days_left: int
    new_per_day: int
    desired_retention: float
    decks: list[DeckReadiness]
    total: DeckReadiness
    note: str = ("predictions: 'if you stop' is the mean FSRS recall probability on that day (unseen "
                 "cards count as 0); 'if you continue' assumes seen cards are held at least at the desired "
                 "retention and new cards arrive at new_per_day in deck order")


@dataclass
class CaseReadiness:
    case_id: str
    title: str
    points: int
    seen: int
    recall_now: float  # predicted mean recall of the case's points now (unseen points count as 0)
    recall_on: float | None  # the same on the interview date, with no more reviews
    last_mock: float | None  # share of points covered in the latest complete mock


@dataclass
class Stats:
    now: str
    today: Today
    streak_current: int
    streak_longest: int
    days_reviewed: int
    per_day: list[dict]  # {"date", "count"} for the last `days` days, oldest first
    forecast: list[dict]  # {"date", "due"} for today and the next 29 days (today includes overdue)
    overdue: int
    retention: list[Retention]
    desired_retention: float
    decks: list[DeckStats]
    weakest: list[WeakCard]
    cards_total: int
    cards_seen: int
    deck_filter: str | None = None
    readiness: Readiness | None = None
    cases: list[CaseReadiness] = field(default_factory=list)
    plan: dict | None = None  # see mlsd_flash/plan.py
    cards_suspended: int = 0
    cases_note: str = ("predictions: mean FSRS recall probability of each case's points (unseen points count "
                       "as 0), now and on the interview date if you stopped reviewing")

    def to_dict(self) -> dict:
        return asdict(self)


def compute(cards: list[Card], states: dict[str, CardState], day_counts: dict[date, int],
            today_reviews: list[Review], retention_rows: Iterable[tuple[bool, bool, int, int]],
            settings: Settings, now: datetime, tz: tzinfo | None = None, days: int = 182,
            on: date | None = None, decay: float = FSRS_DECAY, deck_filter: str | None = None,
            mock_scores: dict[str, float] | None = None) -> Stats:
    """All the figures, from inputs already fetched (see `gather`)."""
    rollover = settings.day_starts_at
    now_ms = int(now.timestamp() * 1000)
    local = now.astimezone(tz)
    today = (local - timedelta(hours=rollover)).date()
    start_of = lambda d: day_start(d, rollover, tz)  # noqa: E731

    # -- reviews per day and streaks -------------------------------------------------------
    per_label = day_counts
    active = {d for d, n in per_label.items() if n > 0}
    longest = run = 0
    previous = None
    for d in sorted(active):
        run = run + 1 if previous is not None and (d - previous).days == 1 else 1
        longest = max(longest, run)
        previous = d
    current = 0
    d = today if today in active else today - timedelta(days=1)  # today not yet reviewed keeps the streak
    while d in active:
        current += 1
        d -= timedelta(days=1)
    per_day = [{"date": (today - timedelta(days=i)).isoformat(), "count": per_label.get(today - timedelta(days=i), 0)}
               for i in range(days - 1, -1, -1)]

    # -- today -----------------------------------------------------------------------------
    again = sum(1 for r in today_reviews if r.rating == 1)
    n_today = len(today_reviews)
    today_fig = Today(today.isoformat(), n_today, sum((r.duration_ms or 0) for r in today_reviews) / 1000, again,
                      again / n_today if n_today else None)

    # -- retention -------------------------------------------------------------------------
    sums: dict[tuple[int, str], list[int]] = {(w, k): [0, 0] for w in WINDOWS for k in ("young", "mature")}
    for recent, mature, n, passed in retention_rows:
        kind = "mature" if mature else "young"
        for w in WINDOWS:
            if w == max(WINDOWS) or recent:
                sums[(w, kind)][0] += n
                sums[(w, kind)][1] += passed
    retention = [Retention(w, k, n, p, p / n if n else None) for (w, k), (n, p) in sums.items()]

    # -- forecast --------------------------------------------------------------------------
    bounds = [start_of(today + timedelta(days=i)) for i in range(1, FORECAST_DAYS + 1)]
    due_counts = [0] * FORECAST_DAYS
    overdue = 0
    today_start = start_of(today)
    if not isinstance(cards, Cards):
        cards = Cards.of(cards)
    # Columns, not cards: a heavy deck is never unpacked; the few cards shown are, by position. One
    # pass puts each card in its deck's group, its due day in the forecast and, once seen, its
    # predicted recall (`retrievability` inlined) in its group's list.
    factor = 0.9 ** (1 / decay) - 1
    groups: dict[str, list[tuple[int, CardState | None]]] = {}
    recalls: dict[str, list[tuple[float, int, int]]] = {}  # group -> (recall, -lapses, position) of its seen cards
    lists_of: dict[str, tuple[list, list]] = {}  # deck -> its group's two lists
    for i, deck, s in zip(range(len(cards)), cards.decks, map(states.get, cards.ids)):
        lists = lists_of.get(deck)
        if lists is None:
            name = deck_group(deck)
            lists = lists_of[deck] = (groups.setdefault(name, []), recalls.setdefault(name, []))
        lists[0].append((i, s))
        if s is None:
            continue
        state, _, stability, _, due, last_review, _, lapses, _ = s
        if state == NEW:
            continue
        day = bisect_right(bounds, due)
        if day < FORECAST_DAYS:
            due_counts[day] += 1
        if state == REVIEW and due < today_start:
            overdue += 1
        r = (0.0 if stability is None or last_review is None
             else (1 + factor * max(0, (now_ms - last_review) // DAY_MS) / stability) ** decay)
        lists[1].append((r, -lapses, i))
    forecast = [{"date": (today + timedelta(days=i)).isoformat(), "due": due_counts[i]}
                for i in range(FORECAST_DAYS)]

    # -- per deck --------------------------------------------------------------------------
    deck_stats = []
    all_weak: list[tuple[float, int, int]] = []
    for name, members in groups.items():
        seen = recalls[name]
        weak = heapq.nsmallest(WEAKEST, seen)
        all_weak.extend(weak)
        deck_stats.append(DeckStats(name, len(members), len(seen),
                                    sum(x[0] for x in seen) / len(seen) if seen else None,
                                    [_weak(x, cards) for x in weak[:WEAKEST_PER_DECK]]))
    weakest = [_weak(x, cards) for x in heapq.nsmallest(WEAKEST, all_weak)]
    cards_seen = sum(d.seen for d in deck_stats)

    readiness = None
    if on is not None:
        readiness = _readiness(groups, on, today, start_of(on), settings, decay)
    cases = _cases(cards, states, now_ms, start_of(on) if on is not None else None, mock_scores or {}, decay)

    return Stats(
        now=now.astimezone(timezone.utc).isoformat(), today=today_fig, streak_current=current,
        streak_longest=longest, days_reviewed=len(active), per_day=per_day, forecast=forecast, overdue=overdue,
        retention=retention, desired_retention=settings.desired_retention, decks=deck_stats, weakest=weakest,
        cards_total=len(cards), cards_seen=cards_seen, deck_filter=deck_filter, readiness=readiness, cases=cases,
    )


def _cases(cards: Cards, states: dict[str, CardState], now_ms: int, on_ms: int | None,
           mock_scores: dict[str, float], decay: float) -> list[CaseReadiness]:
    """Per interview case (a note whose id starts with `case-`): its points seen and their predicted
    recall now and on the date. Only the cases' cards are unpacked."""
    from .notes import CASE_FACETS

    points: dict[str, list[tuple[Card, CardState | None]]] = {}
    for i, card_id in enumerate(cards.ids):
        if card_id.startswith("case-"):
            card = cards[i]
            if card.facet in CASE_FACETS:
                points.setdefault(card.note_id, []).append((card, states.get(card_id)))
    out = []
    for case_id, members in points.items():
        n = len(members)
        seen = sum(1 for _, s in members if s is not None and s.state != NEW)
        now = sum(retrievability(s, now_ms, decay) for _, s in members) / n
        on = sum(retrievability(s, on_ms, decay) for _, s in members) / n if on_ms is not None else None
        out.append(CaseReadiness(case_id, members[0][0].title, n, seen, round(now, 4),
                                 None if on is None else round(on, 4), mock_scores.get(case_id)))
    return out


def _readiness(groups: dict[str, list[tuple[int, CardState | None]]], on: date, today: date, at_ms: int,
               settings: Settings, decay: float) -> Readiness:
    """Predicted recall on the learner's day `on` (at its start), per deck and in total."""
    days_left = (on - today).days
    target = settings.desired_retention
    budget = max(0, days_left) * settings.new_per_day  # new cards still to come, taken in deck order
    rows = []
    totals = [0, 0, 0.0, 0.0, 0]  # total, seen, stop sum, continue sum, unseen
    for name, members in groups.items():
        stop = cont = 0.0
        seen = unseen = 0
        for _, s in members:
            if s is None or s.state == NEW:
                unseen += 1
                if budget > 0:
                    budget -= 1
                    cont += target
                continue
            seen += 1
            r = retrievability(s, at_ms, decay)
            stop += r
            cont += max(r, target)
        n = len(members)
        rows.append(DeckReadiness(name, n, seen, stop / n if n else 0.0, cont / n if n else 0.0,
                                  _needed(unseen, days_left)))
        for i, v in enumerate((n, seen, stop, cont, unseen)):
            totals[i] += v
    n = totals[0]
    total = DeckReadiness("All", n, totals[1], totals[2] / n if n else 0.0, totals[3] / n if n else 0.0,
                          _needed(totals[4], days_left))
    return Readiness(on.isoformat(), days_left, settings.new_per_day, target, rows, total)


def _weak(x: tuple[float, int, int], cards: Cards) -> WeakCard:
    r, minus_lapses, i = x
    card = cards[i]
    return WeakCard(card.id, card.deck, _one_line(card.front()), round(r, 4), -minus_lapses)


def _needed(unseen: int, days_left: int) -> int | None:
    if unseen == 0:
        return 0
    return math.ceil(unseen / days_left) if days_left > 0 else None


def _one_line(text: str, limit: int = 90) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def gather(history: History, cards: list[Card], settings: Settings, now: datetime, tz: tzinfo | None = None,
           days: int = 182, on: date | None = None, only_selected: bool = False,
           deck_filter: str | None = None, mock_scores: dict[str, float] | None = None) -> Stats:
    """Fetch the inputs from `history` (aggregated in SQL) and compute the figures. With
    `only_selected`, review counts and retention cover only `cards` (for `--deck`)."""
    rollover = settings.day_starts_at
    local = now.astimezone(tz)
    today = (local - timedelta(hours=rollover)).date()
    ids = (cards.ids if isinstance(cards, Cards) else [c.id for c in cards]) if only_selected else None
    day_counts = reviews_per_day(history, today, rollover, tz, ids, days)
    since = {w: day_start(today - timedelta(days=w - 1), rollover, tz) for w in WINDOWS}
    rows = history.retention_counts(since[max(WINDOWS)], since[min(WINDOWS)], MATURE_DAYS * DAY_MS, ids)
    today_reviews = history.reviews_since(day_start(today, rollover, tz))
    if ids is not None:
        wanted = set(ids)
        today_reviews = [r for r in today_reviews if r.card_id in wanted]
    states = history.states()
    from .plan import plan_for
    from .scheduler import day_of, decay_of

    stats = compute(cards, states, day_counts, today_reviews, rows, settings, now, tz, days, on, decay_of(settings),
                    deck_filter, mock_scores)
    selected = cards if isinstance(cards, Cards) else Cards.of(cards)
    plan = plan_for(selected, states, settings, int(now.timestamp() * 1000), day_of(now, rollover, tz).end)
    stats.plan = plan._asdict() if plan else None
    stats.cards_suspended = len(set(history.suspended()).intersection(selected.ids))
    return stats


def reviews_per_day(history: History, today: date, rollover: int, tz: tzinfo | None,
                    card_ids: list[str] | None = None, days: int = 182) -> dict[date, int]:
    """Reviews per learner day from the first review to today (days without reviews left out).
    Days before the last `days` count 1 for any number of reviews: the streaks need no more."""
    first = history.first_review_at()
    if first is None:
        return {}
    label = (datetime.fromtimestamp(first / 1000, timezone.utc).astimezone(tz) - timedelta(hours=rollover)).date()
    labels = [label + timedelta(days=i) for i in range(max(0, (today - label).days) + 2)]
    bounds = [day_start(d, rollover, tz) for d in labels]
    counts = history.review_counts(bounds, card_ids, exact_from=len(labels) - days - 2)
    return {d: n for d, n in zip(labels, counts) if n and d <= today}
