"""Stats, readiness and the HTML report: each figure against hand-computed values with a fixed clock
(UTC, day rollover at 04:00), then the real `stats` and `report` commands end to end."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from datetime import date, datetime, timedelta, timezone

import pytest

from conftest import SAMPLE, run, write
from mlsd_flash.cards import Card
from mlsd_flash.config import ConfigError, Settings, with_setting
from mlsd_flash.history import LEARNING, NEW, REVIEW, CardState, open_history
from mlsd_flash.scheduler import Scheduler
from mlsd_flash.stats import compute, gather, retrievability
from mlsd_flash.stats_view import columns, heat_levels

UTC = timezone.utc
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)  # learner's day 2026-11-23 runs 11-23 04:00 to 11-24 04:00
DAY = 86_400_000
SETTINGS = Settings(fuzz=False)


def ms(*args) -> int:
    return int(datetime(*args, tzinfo=UTC).timestamp() * 1000)


def card(card_id: str, deck: str = "Data::Sampling") -> Card:
    return Card(id=card_id, note_id=card_id.split("/")[0], anki_id=card_id, kind="basic", facet="definition",
                title=card_id, question=f"What is {card_id}?", answer="a", extra="", deck=deck, tags=(),
                source="s", path="x.yaml", line=1)


def review_state(due: int, last: int, stability: float = 10.0, lapses: int = 0) -> CardState:
    return CardState(REVIEW, None, stability, 5.0, due, last, 3, lapses)


@pytest.fixture
def history():
    h = open_history(":memory:")
    yield h
    h.close()


def add(h, card_id: str, at: int, rating: int = 3, state_before: int = REVIEW, interval_days: float = 5,
        duration_ms: int = 10_000) -> None:
    """One review row with a chosen time, state before and interval before (due - last review)."""
    last = at - int(interval_days * DAY)
    h.conn.execute(
        "INSERT INTO reviews (card_id, rating, reviewed_at, duration_ms, state_before, due_before,"
        " last_review_before, state_after, stability_after, due_after, interval_ms) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
        (card_id, rating, at, duration_ms, state_before, at if state_before != NEW else None,
         last if state_before != NEW else None, REVIEW, 10.0, at + DAY, DAY))


# -- today and streaks ---------------------------------------------------------------------

def test_streaks_follow_the_rollover_hour(history):
    for at in (ms(2026, 10, 1, 12), ms(2026, 10, 2, 12), ms(2026, 10, 3, 12), ms(2026, 10, 4, 12),
               ms(2026, 10, 5, 12),                       # 5 days in a row: the longest streak
               ms(2026, 11, 20, 3, 30),                   # before 04:00: still the learner's 11-19
               ms(2026, 11, 20, 5), ms(2026, 11, 21, 12),
               ms(2026, 11, 23, 3, 59)):                  # the learner's 11-22
        add(history, "a/definition", at)
    s = gather(history, [card("a/definition")], SETTINGS, NOW, tz=UTC, days=7)
    assert s.streak_current == 4  # 11-19..11-22; today has no review yet and does not break it
    assert s.streak_longest == 5
    assert s.days_reviewed == 9
    assert s.today.reviewed == 0 and s.today.again_rate is None
    assert s.per_day == [{"date": "2026-11-17", "count": 0}, {"date": "2026-11-18", "count": 0},
                         {"date": "2026-11-19", "count": 1}, {"date": "2026-11-20", "count": 1},
                         {"date": "2026-11-21", "count": 1}, {"date": "2026-11-22", "count": 1},
                         {"date": "2026-11-23", "count": 0}]

    add(history, "a/definition", ms(2026, 11, 23, 4, 0), rating=1, duration_ms=30_000)  # today from 04:00
    add(history, "a/definition", ms(2026, 11, 23, 9), rating=3, duration_ms=15_000)
    s = gather(history, [card("a/definition")], SETTINGS, NOW, tz=UTC, days=7)
    assert s.streak_current == 5 and s.streak_longest == 5
    assert (s.today.reviewed, s.today.seconds, s.today.again, s.today.again_rate) == (2, 45.0, 1, 0.5)
    assert s.per_day[-1] == {"date": "2026-11-23", "count": 2}


def test_a_missed_day_breaks_the_current_streak(history):
    add(history, "a/definition", ms(2026, 11, 20, 12))
    add(history, "a/definition", ms(2026, 11, 21, 12))
    s = gather(history, [], SETTINGS, NOW, tz=UTC)
    assert (s.streak_current, s.streak_longest) == (0, 2)  # 11-22 and 11-23 without a review


def test_deck_filter_counts_only_its_cards(history):
    add(history, "a/definition", ms(2026, 11, 23, 5))
    add(history, "b/definition", ms(2026, 11, 23, 6))
    add(history, "b/definition", ms(2026, 11, 22, 6))
    s = gather(history, [card("b/definition")], SETTINGS, NOW, tz=UTC, days=7, only_selected=True)
    assert s.today.reviewed == 1
    assert [d["count"] for d in s.per_day[-2:]] == [1, 1]
    assert s.streak_current == 2


# -- retention -----------------------------------------------------------------------------

def test_true_retention_per_window_young_and_mature(history):
    seven_start = ms(2026, 11, 17, 4)  # the 7-day window: learner days 11-17..11-23
    add(history, "y/1", ms(2026, 11, 22, 12), rating=3, interval_days=5)      # young, passed
    add(history, "y/2", ms(2026, 11, 22, 12), rating=1, interval_days=20.9)   # young, Again
    add(history, "m/1", seven_start, rating=2, interval_days=21)              # mature (21 d), Hard passes
    add(history, "m/2", ms(2026, 11, 20, 12), rating=4, interval_days=40)
    add(history, "m/3", ms(2026, 11, 21, 12), rating=3, interval_days=60)
    add(history, "m/4", seven_start - 1, rating=1, interval_days=30)          # just outside 7 days
    add(history, "y/3", ms(2026, 11, 1, 12), rating=3, interval_days=2)
    add(history, "m/5", ms(2026, 10, 25, 3, 59), rating=3, interval_days=30)  # learner's 10-24: outside 30 days
    add(history, "m/6", ms(2026, 10, 25, 4, 0), rating=1, interval_days=30)   # first minute of the 30 days
    add(history, "n/1", ms(2026, 11, 22, 12), rating=1, state_before=LEARNING)  # not a review card
    add(history, "n/2", ms(2026, 11, 22, 12), rating=1, state_before=NEW)
    s = gather(history, [], SETTINGS, NOW, tz=UTC)
    got = {(r.days, r.kind): (r.reviews, r.passed) for r in s.retention}
    assert got == {(7, "young"): (2, 1), (7, "mature"): (3, 3), (30, "young"): (3, 2), (30, "mature"): (5, 3)}
    rates = {(r.days, r.kind): r.rate for r in s.retention}
    assert rates[(7, "young")] == 0.5 and rates[(30, "mature")] == 0.6
    assert s.desired_retention == 0.9


def test_retention_without_reviews_is_none(history):
    s = gather(history, [], SETTINGS, NOW, tz=UTC)
    assert all(r.reviews == 0 and r.rate is None for r in s.retention)


# -- forecast ------------------------------------------------------------------------------

def test_forecast_counts_cards_by_the_learner_day_they_fall_due():
    cards = [card(f"c{i}/definition") for i in range(8)]
    now_ms = ms(2026, 11, 23, 10)
    states = {
        "c0/definition": review_state(ms(2026, 11, 20, 12), ms(2026, 11, 10)),   # overdue -> today
        "c1/definition": review_state(ms(2026, 11, 24, 3), now_ms),              # before tomorrow's 04:00 -> today
        "c2/definition": review_state(ms(2026, 11, 24, 5), now_ms),              # tomorrow
        "c3/definition": review_state(ms(2026, 12, 22, 12), now_ms),             # today + 29
        "c4/definition": review_state(ms(2026, 12, 23, 12), now_ms),             # today + 30: outside
        "c5/definition": CardState(LEARNING, 1, 1.0, 5.0, now_ms + 600_000, now_ms, 1, 0),  # today
        "c6/definition": CardState(NEW, None, None, None, now_ms, None),       # never counted
    }
    s = compute(cards, states, {}, [], [], SETTINGS, NOW, tz=UTC)
    due = [d["due"] for d in s.forecast]
    assert len(due) == 30 and s.forecast[0]["date"] == "2026-11-23" and s.forecast[29]["date"] == "2026-12-22"
    assert due[0] == 3 and due[1] == 1 and due[29] == 1 and sum(due) == 5
    assert s.overdue == 1


# -- recall per deck -----------------------------------------------------------------------

def test_retrievability_matches_fsrs():
    sched = Scheduler(SETTINGS)
    for stability, days_since, hours in ((10.0, 0, 5), (10.0, 9, 18), (2.5, 30, 1), (150.0, 400, 0)):
        last = NOW - timedelta(days=days_since, hours=hours)
        state = review_state(0, int(last.timestamp() * 1000), stability)
        assert retrievability(state, int(NOW.timestamp() * 1000)) == pytest.approx(
            sched.retrievability(state, NOW), abs=1e-12)
    assert retrievability(None, 0) == 0.0


def test_decks_seen_mean_recall_and_weakest():
    now_ms = ms(2026, 11, 23, 10)
    cards = [card("a/1", "Data::Sampling::Reservoir"), card("a/2", "Data::Sampling"), card("a/3", "Data::Sampling"),
             card("b/1", "Cases::Feed")]
    states = {"a/1": review_state(now_ms, now_ms - 10 * DAY, 10.0, lapses=2),  # R at 10 days, S 10 = 0.9
              "a/2": review_state(now_ms, now_ms, 10.0)}                      # just reviewed: 1.0
    s = compute(cards, states, {}, [], [], SETTINGS, NOW, tz=UTC)
    by = {d.deck: d for d in s.decks}
    assert list(by) == ["Data::Sampling", "Cases::Feed"]  # top two levels, in deck order
    a = by["Data::Sampling"]
    assert (a.total, a.seen) == (3, 2)
    assert a.retrievability == pytest.approx((0.9 + 1.0) / 2, abs=1e-4)
    assert [w.id for w in a.weakest] == ["a/1", "a/2"] and a.weakest[0].lapses == 2
    assert by["Cases::Feed"].seen == 0 and by["Cases::Feed"].retrievability is None
    assert [w.id for w in s.weakest] == ["a/1", "a/2"]
    assert (s.cards_seen, s.cards_total) == (2, 4)


# -- readiness -----------------------------------------------------------------------------

def test_readiness_if_stop_if_continue_and_new_cards_needed():
    now_ms = ms(2026, 11, 23, 10)
    cards = [card("a/1", "Data::A"), card("a/2", "Data::A"), card("a/3", "Data::A"), card("a/4", "Data::A"),
             card("b/1", "Data::B"), card("b/2", "Data::B"), card("b/3", "Data::B")]
    states = {"a/1": review_state(now_ms, now_ms, 10.0), "a/2": review_state(now_ms, now_ms - 30 * DAY, 5.0)}
    settings = Settings(fuzz=False, new_per_day=1, desired_retention=0.9)
    on = date(2026, 11, 25)  # two days left: 11-23 and 11-24; evaluated at 11-25 04:00
    s = compute(cards, states, {}, [], [], settings, NOW, tz=UTC, on=on)
    r = s.readiness
    assert (r.date, r.days_left, r.new_per_day) == ("2026-11-25", 2, 1)
    sched = Scheduler(settings)
    at = datetime(2026, 11, 25, 4, tzinfo=UTC)
    r1, r2 = (sched.retrievability(states[k], at) for k in ("a/1", "a/2"))
    assert r1 > 0.9 > r2  # a fresh card beats the target, an old one falls below it
    a, b = r.decks
    assert a.if_stop == pytest.approx((r1 + r2) / 4)
    # continuing keeps seen cards at least at 0.9; the 2 new cards (1 a day, deck order) go to deck A
    assert a.if_continue == pytest.approx((r1 + 0.9 + 0.9 + 0.9) / 4)
    assert (b.if_stop, b.if_continue) == (0.0, 0.0)
    assert (a.new_per_day_needed, b.new_per_day_needed, r.total.new_per_day_needed) == (1, 2, 3)
    assert r.total.if_stop == pytest.approx((r1 + r2) / 7)
    assert r.total.if_continue == pytest.approx((r1 + 2.7) / 7)
    assert "prediction" in r.note

    today = compute(cards, states, {}, [], [], settings, NOW, tz=UTC, on=date(2026, 11, 23)).readiness
    assert today.days_left == 0 and today.total.new_per_day_needed is None
    assert today.total.if_continue == pytest.approx((1.0 + max(0.9, retrievability(states["a/2"], ms(2026, 11, 23, 4))))
                                                    / 7)


def test_readiness_needs_nothing_when_every_card_is_seen():
    now_ms = ms(2026, 11, 23, 10)
    s = compute([card("a/1")], {"a/1": review_state(now_ms, now_ms)}, {}, [], [], SETTINGS, NOW, tz=UTC,
                on=date(2027, 1, 1))
    assert s.readiness.total.new_per_day_needed == 0 and s.readiness.days_left == 39


# -- small pieces --------------------------------------------------------------------------

def test_interview_date_setting():
    assert with_setting(Settings(), "interview_date", "2026-12-15").interview_date == "2026-12-15"
    assert with_setting(Settings(), "interview_date", date(2026, 12, 15)).interview_date == "2026-12-15"
    assert with_setting(Settings(), "interview_date", "").interview_date == ""
    with pytest.raises(ConfigError, match="interview_date must be a date"):
        with_setting(Settings(), "interview_date", "next week")


def test_heat_levels_and_columns():
    assert heat_levels([0, 1, 2, 3, 4, 0]) == [0, 1, 2, 3, 4, 0]
    text = columns(("Deck", "Seen"), [("A very long deck name indeed", "1/2")], 20, (False, True)).plain
    assert all(len(line) <= 20 for line in text.splitlines()) and "…" in text


# -- the real commands ---------------------------------------------------------------------

def _user_with_history(home) -> None:
    write(home / "cards" / "mine.yaml", SAMPLE)
    h = open_history(home / "history.sqlite3")
    sched = Scheduler(SETTINGS)
    for day in (3, 2, 1, 0):
        at = datetime(2026, 11, 23 - day, 9, tzinfo=UTC)
        for card_id, rating in (("reservoir-sampling/definition", 3), ("reservoir-sampling/why", 1 if day else 3)):
            h.record(card_id, rating, int(at.timestamp() * 1000), 12_000, None,
                     lambda before, c=card_id, r=rating, t=at: sched.next_state(c, before, r, t))
    h.close()


def test_stats_command_json_and_terminal(private_home):
    _user_with_history(private_home)
    out = run("stats", "--json", "--on", "2026-12-15", "--deck", "Data::Sampling")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["today"] == {"date": "2026-11-23", "reviewed": 2, "seconds": 24.0, "again": 0, "again_rate": 0.0}
    assert data["streak_current"] == 4 and data["streak_longest"] == 4
    assert len(data["forecast"]) == 30 and len(data["per_day"]) == 182
    assert data["deck_filter"] == "Data::Sampling"
    assert [d["deck"] for d in data["decks"]] == ["Data::Sampling"]
    assert data["readiness"]["date"] == "2026-12-15" and data["readiness"]["days_left"] == 22

    out = run("stats", "--on", "2026-12-15", env={"COLUMNS": "80"})
    assert out.returncode == 0, out.stderr
    for heading in ("Today (2026-11-23)", "Streak: 4 days", "Reviews per day", "Due in the next 30 days",
                    "True retention", "Decks", "Weakest cards", "Readiness on 2026-12-15", "predictions"):
        assert heading in out.stdout
    assert max(len(line) for line in out.stdout.splitlines()) <= 80

    assert "in the past" in run("stats", "--on", "2026-01-01").stderr
    assert "not a date" in run("stats", "--on", "soon").stderr


def test_stats_without_history_creates_nothing(private_home):
    out = run("stats", "--json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["today"]["reviewed"] == 0 and data["readiness"] is None and data["cards_seen"] == 0
    assert not (private_home / "history.sqlite3").exists()


def test_report_is_self_contained_html(private_home, tmp_path):
    _user_with_history(private_home)
    run("config", "interview_date", "2026-12-15")
    target = tmp_path / "report.html"
    out = run("report", "-o", target)
    assert out.returncode == 0, out.stderr
    html = target.read_text(encoding="utf-8")
    assert '<svg class="chart heatmap"' in html and '<svg class="chart forecast"' in html
    assert "Readiness on 2026-12-15" in html and "Prediction" in html
    for remote in ("<script", "http://", "https://", "<link", "@import", "url("):
        assert remote not in html


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


@pytest.mark.skipif(not CHROMIUM and not os.environ.get("CI"), reason="chromium is not installed (required in CI)")
def test_report_renders_in_headless_chromium(private_home, tmp_path):
    assert CHROMIUM, "CI must install chromium (apt-get install -y chromium)"
    _user_with_history(private_home)
    target = tmp_path / "report.html"
    assert run("report", "-o", target, "--on", "2026-12-15").returncode == 0
    base = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={tmp_path / 'chr'}"]
    dom = subprocess.run(base + ["--dump-dom", target.as_uri()], capture_output=True, text=True, timeout=120)
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert 'class="chart heatmap"' in dom.stdout and 'class="chart forecast"' in dom.stdout
    assert dom.stdout.count("<rect") >= 365 + 30  # a cell per day and a bar per forecast day
    shot = tmp_path / "shot.png"
    subprocess.run(base + ["--hide-scrollbars", "--window-size=1000,1400", f"--screenshot={shot}", target.as_uri()],
                   capture_output=True, timeout=120)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 10_000
