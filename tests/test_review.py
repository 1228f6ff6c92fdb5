"""The daily review: the session state machine, the real command (scripted and through a pseudo-terminal),
and the history's reliability (kill -9, concurrent sessions, damaged or foreign databases)."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import datetime, timedelta

import pytest

from mlsd_flash.cards import Cards
from mlsd_flash.config import Settings
from mlsd_flash.history import HistoryError, open_history
from mlsd_flash.scheduler import AGAIN, EASY, GOOD, to_ms
from mlsd_flash.session import Session
from conftest import NOW, SAMPLE, ended, run, spawn, write
from test_scheduler import card

T0 = datetime.fromisoformat(NOW)


class Clock:
    def __init__(self, start=T0):
        self.t = start

    def __call__(self):
        return self.t

    def advance(self, **kw):
        self.t += timedelta(**kw)


def test_session_answers_undo_and_bury(tmp_path):
    history = open_history(tmp_path / "h.sqlite3")
    cards = [card("a", "definition"), card("a", "why"), card("b", "definition"), card("c", "definition")]
    clock = Clock()
    s = Session(Cards.of(cards), history, Settings(fuzz=False), clock)
    assert s.remaining() == (3, 0, 0)  # one card per note today
    assert s.next_card().id == "a/definition"
    s.answer(GOOD, 4.0)
    assert history.state("a/definition").state == 1  # learning
    assert s.next_card().id == "b/definition"
    s.bury()
    assert s.next_card().id == "c/definition"
    # Undo the bury: b comes back and is no longer buried.
    assert s.undo().id == "b/definition"
    assert history.buried(to_ms(clock())) == set()
    s.answer(AGAIN, 2.0)
    assert s.summary.reviewed == 2 and s.summary.again == 1
    undone = s.undo()
    assert undone.id == "b/definition"
    assert history.state("b/definition") is None and history.reviews("b/definition") == []
    assert s.summary.reviewed == 1
    s.answer(GOOD)
    # The learning card comes back once its step is due (10 minutes), before the remaining new card.
    clock.advance(minutes=11)
    assert s.next_card().id == "a/definition"


def test_cards_held_back_by_the_daily_limit_come_up_tomorrow_not_in_the_past(tmp_path):
    history = open_history(tmp_path / "h.sqlite3")
    cards = Cards.of([card("a", "definition"), card("b", "definition")])
    clock = Clock()
    first = Session(cards, history, Settings(fuzz=False), clock)
    first.next_card()
    first.answer(EASY)  # straight to review
    first.next_card()
    first.answer(EASY)
    clock.advance(days=30)  # both long overdue, but only one review a day is allowed
    limited = Session(cards, history, Settings(fuzz=False, reviews_per_day=1), clock)
    limited.next_card()
    limited.answer(GOOD)
    assert limited.next_card() is None
    assert limited.next_due_after_today() == limited.day.end  # tomorrow, when the limit resets


def test_nothing_due_says_when_and_exits_zero(private_home):
    write(private_home / "cards" / "mine.yaml", SAMPLE)
    first = run("review", "--deck", "Toy::Sampling", input="\n4\n")
    assert first.returncode == 0
    again = run("review", "--deck", "Toy::Sampling", "--new", "0")
    assert again.returncode == 0
    assert "Nothing is due now. The next card is due" in again.stdout


def test_scripted_review_records_answers_and_summary(private_home):
    write(private_home / "cards" / "mine.yaml", SAMPLE)
    result = run("review", "--deck", "Toy::Sampling", input="\n3\nx\n\n1\nq\n")
    assert result.returncode == 0, result.stderr
    assert "'x' is not a key here." in result.stdout
    assert "Reviewed 2 cards, 50% Again" in result.stdout
    history = open_history(private_home / "history.sqlite3")
    rows = history.reviews()
    assert [r.rating for r in rows] == [GOOD, AGAIN]
    assert all(r.reviewed_at == to_ms(T0) or abs(r.reviewed_at - to_ms(T0)) < 60_000 for r in rows)


def test_pty_session_reveal_rate_undo_bury_quit_and_resume(private_home):
    write(private_home / "cards" / "mine.yaml", SAMPLE)
    child = spawn("review", "--deck", "Toy")
    child.expect("Reservoir sampling: what is it\\?")
    first = "toy-reservoir/definition"
    child.send(" ")
    child.expect("1 Again \\(1m\\)\\s+2 Hard \\(6m\\)\\s+3 Good \\(10m\\)\\s+4 Easy")
    child.send("3")
    child.expect("Case: Feed ranking for Instagram")  # the sibling of the answered card waits for tomorrow
    child.send("s")
    child.expect("Buried until tomorrow")
    child.send("u")
    child.expect("Undone")
    child.expect("Case: Feed ranking")
    child.send("\r")
    child.send("4")
    child.expect("Done for now|new 0")
    child.send("q")
    assert ended(child).exitstatus == 0
    history = open_history(private_home / "history.sqlite3")
    assert [(r.card_id, r.rating) for r in history.reviews()] == [(first, 3), ("toy-feed/framing", 4)]
    assert history.buried(to_ms(T0)) == set()
    history.close()
    # Resume: the learning card comes back after its 10 minute step.
    later = (T0 + timedelta(minutes=11)).isoformat()
    child = spawn("review", "--deck", "Toy", env={"MLSD_FLASH_NOW": later})
    child.expect("Reservoir sampling: what is it\\?")
    child.sendintr()  # Ctrl-C behaves like q
    child.expect("Every answer so far is saved")
    assert ended(child).exitstatus == 0


def test_kill_9_at_random_points_loses_no_accepted_answer(private_home):
    write(private_home / "cards" / "mine.yaml", SAMPLE)
    db = private_home / "history.sqlite3"
    rng = random.Random(7)
    accepted_total = 0
    for attempt in range(12):
        proc = subprocess.Popen([sys.executable, "-m", "mlsd_flash", "review", "--new", "100"],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                env={**os.environ, "MLSD_FLASH_NOW": (T0 + timedelta(days=attempt)).isoformat()})
        proc.stdin.write(b"\n1\n" * 50)
        proc.stdin.flush()
        # Kill once the learner has seen a random number of answer screens, however slow the machine is;
        # the small jitter only moves the kill between screens, nothing waits on it.
        out = read_until(proc, b"1 Again", rng.randint(1, 8))
        time.sleep(rng.uniform(0, 0.02))
        proc.send_signal(signal.SIGKILL)
        out += proc.communicate()[0]
        # Every screen after an answer proves that answer was accepted (committed first).
        accepted_total += max(0, out.count(b"1 Again") - 1)
        conn = sqlite3.connect(db) if db.exists() else None
        if conn:
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            # Killed while the file was being created: no schema yet, so nothing was accepted either.
            has_log = conn.execute("SELECT COUNT(*) FROM sqlite_master WHERE name = 'reviews'").fetchone()[0]
            logged = conn.execute("SELECT COUNT(*) FROM reviews").fetchone()[0] if has_log else 0
            conn.close()
            assert logged >= accepted_total
    assert accepted_total > 0


def read_until(proc, marker: bytes, count: int, timeout: float = 60) -> bytes:
    """Read a child's output until `marker` has appeared `count` times or the child ends."""
    import select

    out = b""
    deadline = time.monotonic() + timeout
    fd = proc.stdout.fileno()
    while out.count(marker) < count and time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], deadline - time.monotonic())
        chunk = os.read(fd, 65536) if ready else b""
        if not chunk:
            break
        out += chunk
    return out


def test_two_sessions_at_once_lose_nothing(private_home):
    write(private_home / "cards" / "mine.yaml", SAMPLE)
    run("due")  # create the database first
    procs = [subprocess.Popen([sys.executable, "-m", "mlsd_flash", "review", "--deck", "Toy", "--new", "100"], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outs = [p.communicate("\n3\n" * 30, timeout=60) for p in procs]
    for p, (out, err) in zip(procs, outs):
        assert p.returncode == 0, err
        assert "Traceback" not in err
    import re

    # A session that starts after the other finished the deck has nothing due and says so.
    answered = sum(int(m.group(1)) if (m := re.search(r"Reviewed (\d+) card", out)) else 0 for out, _ in outs)
    assert answered > 0
    history = open_history(private_home / "history.sqlite3")
    assert len(history.reviews()) == answered


@pytest.mark.parametrize("content, message", [
    (b"this is not a database at all, just text" * 100, "damaged or not a database"),
    (b"", None),
])
def test_damaged_database_is_reported_and_left_untouched(private_home, content, message):
    private_home.mkdir(parents=True, exist_ok=True)
    db = private_home / "history.sqlite3"
    db.write_bytes(content)
    result = run("review", input="q\n")
    if message is None:  # an empty file is a new, empty SQLite database
        assert result.returncode == 0
        return
    assert result.returncode == 1
    assert message in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert db.read_bytes() == content


def test_newer_database_and_foreign_database_are_refused(private_home, tmp_path):
    private_home.mkdir(parents=True, exist_ok=True)
    db = private_home / "history.sqlite3"
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA user_version = 99")
    conn.close()
    before = db.read_bytes()
    result = run("review", input="q\n")
    assert result.returncode == 1
    assert "written by a newer mlsd-flash (schema 99" in result.stderr
    assert db.read_bytes() == before
    other = tmp_path / "other.sqlite3"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE x (y)")
    conn.close()
    with pytest.raises(HistoryError, match="not an mlsd-flash history database"):
        open_history(other)


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores folder permissions")
def test_read_only_data_folder_is_a_clear_error(private_home):
    private_home.mkdir(parents=True)
    private_home.chmod(0o500)
    try:
        result = run("review", input="q\n")
    finally:
        private_home.chmod(0o700)
    assert result.returncode == 1 and "Traceback" not in result.stderr


def test_clock_crossing_rollover_and_zone_change_never_breaks(private_home):
    write(private_home / "cards" / "mine.yaml", SAMPLE)
    for tz, now in [("America/New_York", "2026-03-08T06:30:00+00:00"), ("Asia/Tokyo", "2026-03-08T06:31:00+00:00"),
                    ("Pacific/Kiritimati", "2026-03-07T20:00:00+00:00"), ("UTC", "2026-03-08T03:59:00+00:00")]:
        result = run("review", "--deck", "Toy", input="\n1\n\n3\nq\n", env={"TZ": tz, "MLSD_FLASH_NOW": now})
        assert result.returncode == 0, result.stderr
    history = open_history(private_home / "history.sqlite3")
    assert all(r.interval_ms > 0 for r in history.reviews())


def test_rebuild_replays_the_log(private_home):
    write(private_home / "cards" / "mine.yaml", SAMPLE)
    run("review", "--deck", "Toy", input="\n3\n\n4\nq\n")
    history = open_history(private_home / "history.sqlite3")
    before = history.states()
    history.conn.execute("UPDATE cards SET due = 0")
    history.close()
    result = run("rebuild")
    assert result.returncode == 0 and "Rebuilt the schedule of 2 cards" in result.stdout
    assert open_history(private_home / "history.sqlite3").states() == before


def test_due_counts_per_deck_json(private_home):
    import json

    write(private_home / "cards" / "mine.yaml", SAMPLE)
    result = run("due", "--deck", "Toy::Cases", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["decks"] == {"Toy::Cases": {"new": 1, "learning": 0, "review": 0}}
    assert data["next_due"] is None and data["due_now"] is True
    assert run("due", "--deck", "Toy::Cases").stdout.splitlines()[-1] == "Next due: now"
