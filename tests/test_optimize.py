"""Personal FSRS parameters fitted to a real review log (py-fsrs's test data, see tests/data/README.md),
judged on the most recent reviews, adopted or kept, and every card rescheduled with them."""

from __future__ import annotations

import csv
from datetime import datetime
from pathlib import Path

import pytest

from mlsd_flash.config import Settings, load_settings
from mlsd_flash.history import open_history
from mlsd_flash.scheduler import Scheduler
from conftest import run

JOSH = Path(__file__).parent / "data" / "review_logs_josh.csv"


def josh_history(db: Path, limit: int | None = None) -> int:
    """The real log as a history: each of its cards is one card of ours. Returns the reviews added."""
    rows = []
    with open(JOSH) as fh:
        for row in csv.DictReader(fh):
            at = int(datetime.fromisoformat(row["review_time"]).timestamp() * 1000)
            rows.append((f"josh-{row['card_id']}/definition", int(row["review_rating"]), at,
                         int(row["review_duration"]), "josh"))
    rows.sort(key=lambda r: r[2])
    history = open_history(db)
    try:
        return history.add_reviews(rows[:limit], Scheduler(Settings()).replay_steps)[0]
    finally:
        history.close()


@pytest.fixture()
def josh(private_home):
    private_home.mkdir(parents=True, exist_ok=True)
    josh_history(private_home / "history.sqlite3")
    return private_home


def test_optimize_adopts_parameters_that_predict_recent_reviews_better_and_replays_with_them(josh):
    result = run("optimize", timeout=300)
    assert result.returncode == 0, result.stderr
    assert "Adopted parameters fitted to all 12580 reviews" in result.stdout
    settings = load_settings(josh / "config.yaml")
    assert len(settings.fsrs_parameters) == 21
    history = open_history(josh / "history.sqlite3")
    scheduler = Scheduler(settings)
    for card_id in list(history.states())[:40]:
        answers = history.conn.execute("SELECT rating, reviewed_at, duration_ms FROM reviews WHERE card_id = ? "
                                       "ORDER BY reviewed_at", (card_id,)).fetchall()
        want = scheduler.replay(card_id, answers)
        have = history.state(card_id)
        assert (have.stability, have.difficulty, have.due) == (want.stability, want.difficulty, want.due)
    assert "Suggested desired retention" in result.stdout
    # Fitted again on the same log, the new fit does not beat the adopted one: nothing changes.
    again = run("optimize", timeout=300)
    assert again.returncode == 0 and "Kept yours" in again.stdout
    assert load_settings(josh / "config.yaml").fsrs_parameters == settings.fsrs_parameters


def test_optimize_with_too_few_reviews_says_how_many_more_and_changes_nothing(private_home):
    private_home.mkdir(parents=True, exist_ok=True)
    josh_history(private_home / "history.sqlite3", limit=150)
    result = run("optimize")
    assert result.returncode == 0 and "250 more" in result.stdout and "Nothing was changed" in result.stdout
    assert not (private_home / "config.yaml").exists()


def test_imported_answers_are_added_once_and_replayed_in_time_order(private_home, tmp_path):
    db = tmp_path / "h.sqlite3"
    assert josh_history(db, limit=500) == 500
    assert josh_history(db, limit=500) == 0  # the same answers again add nothing
    history = open_history(db)
    for card_id in list(history.states())[:20]:
        rows = history.conn.execute("SELECT reviewed_at, state_after, due_after FROM reviews WHERE card_id = ? "
                                    "ORDER BY reviewed_at", (card_id,)).fetchall()
        assert history.state(card_id).due == rows[-1][2]
