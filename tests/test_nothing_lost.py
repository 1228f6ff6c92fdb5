"""Nothing lost: each route by which a learner's data could silently go missing, reproduced with real
processes or real SQLite connections, and shown to lose nothing."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from datetime import datetime, timedelta

from mlsd_flash.config import Settings
from mlsd_flash.history import open_history
from mlsd_flash.scheduler import AGAIN, GOOD, Scheduler, to_ms
from conftest import NOW, SAMPLE, run, write

T0 = datetime.fromisoformat(NOW)


def mlsd(*args, stdout=subprocess.PIPE, **kw) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "mlsd_flash", *args], stdin=subprocess.PIPE,
                            stdout=stdout, stderr=subprocess.PIPE, text=True, **kw)


def replayed(history, scheduler, card_id):
    rows = history.conn.execute("SELECT rating, reviewed_at, duration_ms FROM reviews WHERE card_id = ? ORDER BY id",
                                (card_id,)).fetchall()
    return scheduler.replay(card_id, rows)


def test_rebuild_while_a_review_runs_keeps_every_answered_card(private_home):
    write(private_home / "cards" / "mine.yaml", SAMPLE)
    run("due")
    review = mlsd("review", "--new", "1000", stdout=subprocess.DEVNULL)
    rebuilds = 0
    review.stdin.write("\n3\n" * 200)
    review.stdin.close()
    while review.poll() is None and rebuilds < 200:
        result = run("rebuild")
        assert result.returncode == 0, result.stderr
        rebuilds += 1
    err = review.stderr.read()
    assert review.wait(timeout=120) == 0, err
    history = open_history(private_home / "history.sqlite3")
    logged = {r.card_id for r in history.reviews()}
    assert logged and set(history.states()) == logged


def test_undo_after_another_process_answered_the_same_card_recomputes_it_from_the_log(tmp_path):
    path = tmp_path / "h.sqlite3"
    scheduler = Scheduler(Settings(fuzz=False))
    mine, theirs = open_history(path), open_history(path)  # two processes' connections to one file

    def answer(history, rating, at):
        return history.record("c/1", rating, to_ms(at), None, None,
                              lambda before: scheduler.next_state("c/1", before, rating, at))

    answer(mine, GOOD, T0)
    my_review = answer(mine, GOOD, T0 + timedelta(days=1))
    answer(theirs, AGAIN, T0 + timedelta(days=2))
    mine.undo(my_review, scheduler.replay_steps)
    assert [r.rating for r in mine.reviews()] == [GOOD, AGAIN]
    state = theirs.state("c/1")
    expected = replayed(theirs, scheduler, "c/1")
    assert state is not None and (state.due, state.stability, state.reps) == (expected.due, expected.stability, 2)


def test_first_run_of_several_processes_at_once_all_succeed(private_home):
    env = {**os.environ}
    for attempt in range(5):
        home = private_home.parent / f"fresh{attempt}"
        procs = [mlsd("due", env={**env, "MLSD_FLASH_HOME": str(home)}) for _ in range(8)]
        results = [p.communicate(timeout=120) for p in procs]
        for p, (out, err) in zip(procs, results):
            assert p.returncode == 0, err
        history = open_history(home / "history.sqlite3")
        assert history.reviews() == []


def test_a_foreign_database_with_our_table_names_is_refused_before_anything_changes(private_home):
    private_home.mkdir(parents=True, exist_ok=True)
    db = private_home / "history.sqlite3"
    conn = sqlite3.connect(db)
    conn.executescript("CREATE TABLE reviews (x); CREATE TABLE cards (y); INSERT INTO reviews VALUES (1);"
                       "PRAGMA user_version = 1;")
    conn.close()
    before = db.read_bytes()
    result = run("review", input="q\n")
    assert result.returncode == 1
    assert "not an mlsd-flash history database" in result.stderr and "Traceback" not in result.stderr
    assert db.read_bytes() == before  # not switched to WAL: header bytes 18-19 still say rollback journal
    assert not (private_home / "history.sqlite3-wal").exists()


def test_adds_at_once_all_land_in_the_card_file(private_home):
    procs = [mlsd("add", "-q", f"Question number {i}?", "-a", f"Answer {i}.", "--deck", "Personal")
             for i in range(8)]
    results = [p.communicate(timeout=120) for p in procs]
    for p, (out, err) in zip(procs, results):
        assert p.returncode == 0, err
        assert out.startswith("Added card")
    listed = run("list", "--deck", "Personal").stdout
    assert sorted(line.split("\t")[2] for line in listed.splitlines()) == sorted(
        f"Question number {i}?" for i in range(8))


def test_add_file_refuses_a_yaml_file_that_is_not_a_card_file(private_home):
    from pathlib import Path

    run("config", "new_per_day", "30")
    config = Path(run("config").stdout.rsplit("# file: ", 1)[1].strip())
    before = config.read_bytes()
    result = run("add", "-q", "Q?", "-a", "A.", "--file", config)
    assert result.returncode == 1 and "is not a card file" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert config.read_bytes() == before
