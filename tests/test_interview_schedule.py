"""A schedule that knows the learner and the date: new-card priority and target cases, intervals
capped before the interview, the weakest cards brought forward in the last days, and the plan."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

from mlsd_flash.cards import Card, Cards
from mlsd_flash.config import Settings
from mlsd_flash.history import REVIEW, open_history
from mlsd_flash.scheduler import EASY, Scheduler, interview_start, to_ms
from mlsd_flash.session import Session
from conftest import run
from test_review import Clock
from test_scheduler import card

T0 = datetime(2026, 11, 23, 10, 0, tzinfo=timezone.utc)


def with_priority(c: Card, priority: str) -> Card:
    return c._replace(priority=priority)


def test_new_cards_come_target_cases_first_then_core_then_extended_each_in_deck_order():
    cards = Cards.of([with_priority(card("trivia", "definition"), "extended"), card("a", "definition"),
                      card("case-x", "framing"), with_priority(card("niche", "why"), "extended"),
                      card("b", "definition"), card("case-y", "framing")])
    queue = Session(cards, open_history(":memory:"), Settings(new_per_day=10), lambda: T0).queue
    assert queue.new == ["a/definition", "case-x/framing", "b/definition", "case-y/framing",
                         "trivia/definition", "niche/why"]
    targeted = Session(cards, open_history(":memory:"), Settings(new_per_day=10, target_cases=("case-y",)),
                       lambda: T0).queue
    assert targeted.new[0] == "case-y/framing" and targeted.new[-2:] == ["trivia/definition", "niche/why"]


def test_no_seen_card_is_scheduled_past_the_interview_and_the_cap_ends_with_it():
    interview = (T0 + timedelta(days=20)).date().isoformat()
    settings = Settings(fuzz=False, interview_date=interview)
    scheduler = Scheduler(settings)
    start = interview_start(settings)
    state, now = None, T0
    for _ in range(6):  # answered Easy every time it comes due: intervals want to grow far past the date
        state = scheduler.next_state("c/1", state, EASY, now)
        if state.state == REVIEW:
            assert state.due <= start
        now = max(now + timedelta(minutes=10), datetime.fromtimestamp(state.due / 1000, timezone.utc))
        if to_ms(now) >= start - 86_400_000:
            break
    assert Scheduler(Settings(fuzz=False)).next_state("c/1", state, EASY, now).due > start  # without a date
    after = datetime.fromtimestamp(start / 1000, timezone.utc) + timedelta(days=1)
    assert scheduler.next_state("c/1", state, EASY, after).due > to_ms(after) + 86_400_000  # date passed: as before


def test_the_last_days_bring_the_weakest_cards_forward_within_the_review_budget(tmp_path):
    history = open_history(tmp_path / "h.sqlite3")
    scheduler = Scheduler(Settings(fuzz=False))
    cards = Cards.of([card(f"n{i}", "definition") for i in range(6)])
    for i, c in enumerate(cards):  # six cards known well (Easy), the lower the index the longer ago
        at = T0 - timedelta(days=7 - i)
        history.record(c.id, EASY, to_ms(at), None, None,
                       lambda before, at=at, cid=c.id: scheduler.next_state(cid, before, EASY, at))
    interview = (T0 + timedelta(days=2)).date().isoformat()
    clock = Clock(T0)
    plain = Session(cards, history, Settings(fuzz=False, new_per_day=0), clock)
    assert list(plain.queue.main) == []  # nothing is due today without the date
    final = Session(cards, history, Settings(fuzz=False, new_per_day=0, interview_date=interview,
                                             reviews_per_day=3), clock)
    assert list(final.queue.main) == ["n0/definition", "n1/definition", "n2/definition"]  # the three weakest
    early = Session(cards, history, Settings(fuzz=False, new_per_day=0, interview_date=interview,
                                             interview_final_days=1), clock)
    assert list(early.queue.main) == []  # two days left: not yet the final day


def test_a_past_interview_date_is_refused_when_set_and_never_blocks_stats(private_home):
    result = run("config", "interview_date", "2026-11-01")
    assert result.returncode == 1 and "in the past" in result.stderr
    private_home.mkdir(parents=True, exist_ok=True)
    (private_home / "config.yaml").write_text("interview_date: 2026-11-01\n", encoding="utf-8")
    result = run("stats", "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["readiness"] is None
    assert run("report", "-o", private_home / "r.html").returncode == 0


def test_the_plan_gives_the_new_cards_a_day_to_see_every_core_card_and_warns_when_it_does_not_fit(private_home):
    import math

    assert run("config", "interview_date", "2026-12-21").returncode == 0  # 28 days after the test clock's day
    cards = json.loads(run("list", "--json").stdout)
    plan = json.loads(run("due", "--json").stdout)["plan"]
    assert plan["days_left"] == 28
    assert 0 < plan["unseen_core"] < len(cards)  # extended cards are left out
    assert plan["new_per_day"] == math.ceil(plan["unseen_core"] / 27)
    assert not plan["fits"] and "At most" in plan["advice"] and plan["peak_reviews"] > plan["review_limit"]
    assert "warning: the plan does not fit" in run("due").stdout
    run("config", "target_cases", "case-instagram-feed")
    run("config", "reviews_per_day", "100000")
    plan = json.loads(run("due", "--json").stdout)["plan"]
    assert plan["fits"] and plan["unseen_target"] >= 20 and plan["advice"] == ""
    assert "Plan" in run("stats").stdout
