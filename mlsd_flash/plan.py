"""The plan to an interview date: how many new cards a day it takes to see every core card (and the
target cases) before the date, and whether the reviews that follow fit the daily review limit.

The reviews new cards cause are simulated with fsrs-rs-python's simulator and the learner's FSRS
parameters; the reviews already scheduled for seen cards are added day by day.
"""

from __future__ import annotations

import math
from typing import NamedTuple


class Plan(NamedTuple):
    date: str
    days_left: int
    unseen_core: int  # core cards not seen yet (target cases' cards included)
    unseen_target: int  # cards of the target cases not seen yet
    new_per_day: int  # needed to see every unseen core card by the day before the date
    peak_reviews: int  # the busiest day's predicted reviews, seen cards' due reviews included
    review_limit: int
    fits: bool
    advice: str
    note: str = "prediction: reviews of new cards simulated with your FSRS parameters at your desired retention"


def make_plan(date: str, days_left: int, unseen_core: int, unseen_target: int, scheduled: list[int],
              review_limit: int, desired_retention: float, parameters: list[float] | None) -> Plan:
    """`scheduled[d]`: reviews of seen cards due on day d from today (day 0 includes the overdue)."""
    study_days = max(1, days_left - 1)  # new cards end the day before: the last day is for reviews
    needed = math.ceil(unseen_core / study_days) if unseen_core else 0
    peak = _peak(needed, unseen_core, study_days, days_left, scheduled, desired_retention, parameters)
    fits = peak <= review_limit
    if fits:
        advice = ""
    else:
        low, high = 0, needed  # the most new cards a day whose reviews still fit the limit
        while low < high:
            mid = (low + high + 1) // 2
            if _peak(mid, unseen_core, study_days, days_left, scheduled, desired_retention, parameters) <= review_limit:
                low = mid
            else:
                high = mid - 1
        advice = (f"it needs about {peak} reviews a day against a limit of {review_limit}. At most {low} new "
                  f"a day fit, which sees {min(unseen_core, low * study_days)} of the {unseen_core} core cards: "
                  "name the cases you need (`mlsd-flash config target_cases ...`), or raise reviews_per_day")
        if unseen_target and unseen_target < unseen_core:
            target_needed = math.ceil(unseen_target / study_days)
            target_peak = _peak(target_needed, unseen_target, study_days, days_left, scheduled, desired_retention,
                                parameters)
            if target_peak <= review_limit:
                advice = (f"it needs about {peak} reviews a day against a limit of {review_limit}; the target cases "
                          f"alone fit: {target_needed} new a day (peak about {target_peak} reviews)")
    return Plan(date, days_left, unseen_core, unseen_target, needed, peak, review_limit, fits, advice)


def _peak(new_per_day: int, deck_size: int, study_days: int, days_left: int, scheduled: list[int],
          desired_retention: float, parameters: list[float] | None) -> int:
    base = scheduled[:days_left] + [0] * max(0, days_left - len(scheduled))
    if not new_per_day or not deck_size:
        return max(base, default=0)
    from fsrs_rs_python import DEFAULT_PARAMETERS, default_simulator_config, simulate

    config = default_simulator_config()
    config.deck_size = deck_size
    config.learn_span = days_left
    config.learn_limit = new_per_day
    config.review_limit = 1_000_000  # see what the new cards would ask for
    config.max_cost_perday = 1e9
    result = simulate(list(parameters or DEFAULT_PARAMETERS), desired_retention, config, 7)
    reviews = list(result.review_cnt_per_day)[:days_left]
    return max(round(a + b) for a, b in zip(base, reviews + [0] * (days_left - len(reviews))))


def plan_for(cards, states: dict, settings, now_ms: int, today_end_ms: int) -> Plan | None:
    """The plan for the selected `cards` (a `Cards`) and the history's `states`, when an interview
    date is set and still ahead; None otherwise."""
    from datetime import date, datetime, timezone

    from .cards import note_of
    from .history import NEW
    from .scheduler import interview_start

    if not settings.interview_date:
        return None
    start = interview_start(settings)
    if start <= now_ms:
        return None
    today = datetime.fromtimestamp(now_ms / 1000, timezone.utc).astimezone()
    days_left = (date.fromisoformat(settings.interview_date) - today.date()).days
    targets = frozenset(settings.target_cases)
    unseen_core = unseen_target = 0
    scheduled = [0] * max(1, days_left)
    for card_id, priority in zip(cards.ids, cards.priorities):
        state = states.get(card_id)
        if state is None or state.state == NEW:
            target = bool(targets) and note_of(card_id) in targets
            unseen_target += target
            unseen_core += target or priority == "c"
        elif state.due < start:
            day = 0 if state.due < today_end_ms else 1 + (state.due - today_end_ms) // 86_400_000
            if day < len(scheduled):
                scheduled[day] += 1
    return make_plan(settings.interview_date, days_left, unseen_core, unseen_target, scheduled,
                     settings.reviews_per_day, settings.desired_retention, list(settings.fsrs_parameters) or None)


def describe(plan: Plan) -> str:
    """The plan in one or two lines, for `due` and `stats`."""
    if not plan.unseen_core:
        return (f"Interview on {plan.date} ({plan.days_left} days): every core card is seen; keep reviewing "
                f"(busiest day about {plan.peak_reviews} reviews).")
    line = (f"Interview on {plan.date} ({plan.days_left} days): {plan.new_per_day} new cards a day see the "
            f"{plan.unseen_core} unseen core cards by the day before (busiest day about {plan.peak_reviews} "
            f"reviews, limit {plan.review_limit}; a prediction).")
    return line if plan.fits else line + f"\nwarning: the plan does not fit: {plan.advice}."
