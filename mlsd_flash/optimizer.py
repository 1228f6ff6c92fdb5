"""Personal FSRS parameters: fitted to the learner's own review log with fsrs-rs-python (Anki's
optimizer engine), judged honestly on the most recent reviews, and the workload each desired
retention would cost.

The log becomes FSRS items as the engine expects them: for each review on a new day, the card's
reviews up to and including it, with whole-day gaps (same-day reviews have a gap of 0). Fitting uses
all but the most recent 20% of the items by time; both parameter sets are evaluated on that 20%
(log loss and RMSE over bins, as srs-benchmark does).
"""

from __future__ import annotations

from datetime import datetime
from typing import Iterable, NamedTuple

MIN_REVIEWS = 400  # below this a fit is mostly noise
HOLDOUT = 0.2
RETENTIONS = (0.80, 0.85, 0.90, 0.95)


class Items(NamedTuple):
    items: list  # fsrs_rs_python.FSRSItem, oldest first
    reviews: int


class Evaluation(NamedTuple):
    log_loss: float
    rmse_bins: float


class Verdict(NamedTuple):
    fitted: list[float]
    current: Evaluation
    candidate: Evaluation
    train_items: int
    test_items: int

    @property
    def better(self) -> bool:
        return self.candidate.log_loss < self.current.log_loss and self.candidate.rmse_bins < self.current.rmse_bins


def day_numbers(rollover_hour: int):
    """A function from a moment (UTC ms) to the learner's day number (local time, days starting at
    the rollover hour), computed with today's UTC offset: a daylight-saving hour moves at most the
    reviews made within an hour of the rollover, which is noise for a fit."""
    offset_ms = int(datetime.now().astimezone().utcoffset().total_seconds() * 1000) - rollover_hour * 3_600_000
    return lambda at_ms: (at_ms + offset_ms) // 86_400_000


def items_from(answers: Iterable[tuple[str, int, int]], rollover_hour: int = 4) -> Items:
    """FSRS items from (card id, rating, time in ms), given card by card in time order."""
    from fsrs_rs_python import FSRSItem, FSRSReview

    day_of = day_numbers(rollover_hour)
    dated: list[tuple[int, object]] = []
    card, reviews, last_day, count = None, [], None, 0
    for card_id, rating, at in answers:
        count += 1
        day = day_of(at)
        if card_id != card:
            card, reviews, last_day = card_id, [], None
        gap = 0 if last_day is None else day - last_day
        reviews.append(FSRSReview(rating, gap))
        if last_day is not None and gap > 0:
            dated.append((at, FSRSItem(list(reviews))))
        last_day = day
    dated.sort(key=lambda x: x[0])
    return Items([item for _, item in dated], count)


def judge(items: Items, current: list[float] | None) -> Verdict:
    """Fit on the older 80% of the items, and evaluate the fitted and the current parameters on the
    most recent 20%."""
    from fsrs_rs_python import DEFAULT_PARAMETERS, FSRS

    cut = int(len(items.items) * (1 - HOLDOUT))
    train, test = items.items[:cut], items.items[cut:]
    fitted = list(FSRS([]).compute_parameters(train))
    return Verdict(fitted, evaluate(current or list(DEFAULT_PARAMETERS), test), evaluate(fitted, test),
                   len(train), len(test))


def fit_all(items: Items) -> list[float]:
    """Parameters fitted to every item (what is adopted once the held-out check approves)."""
    from fsrs_rs_python import FSRS

    return list(FSRS([]).compute_parameters(items.items))


def evaluate(parameters: list[float], items: list) -> Evaluation:
    from fsrs_rs_python import FSRS

    result = FSRS(parameters).evaluate(items)
    return Evaluation(result.log_loss, result.rmse_bins)


class Workload(NamedTuple):
    retention: float
    reviews_per_day: float
    minutes_per_day: float
    memorized: float  # expected cards known at the end of the simulation
    memorized_per_minute: float


def workloads(parameters: list[float], deck_size: int, new_per_day: int, review_limit: int, days: int = 365,
              retentions: Iterable[float] = RETENTIONS, seed: int = 42) -> list[Workload]:
    """Simulate a year of study at each desired retention with the learner's parameters: the daily
    workload and the knowledge it buys (Anki's "help me decide")."""
    from fsrs_rs_python import default_simulator_config, simulate

    out = []
    for retention in retentions:
        config = default_simulator_config()
        config.deck_size = deck_size
        config.learn_span = days
        config.learn_limit = new_per_day
        config.review_limit = review_limit
        config.max_cost_perday = 86_400.0  # limited by the review limit, not by a time budget
        result = simulate(parameters, retention, config, seed)
        reviews = sum(result.review_cnt_per_day) / days
        minutes = sum(result.cost_per_day) / days / 60
        memorized = result.memorized_cnt_per_day[-1]
        out.append(Workload(retention, reviews, minutes, memorized, memorized / max(1e-9, minutes * days)))
    return out


def suggest(rows: list[Workload]) -> Workload:
    """The retention that buys the most knowledge per minute of study."""
    return max(rows, key=lambda w: w.memorized_per_minute)
