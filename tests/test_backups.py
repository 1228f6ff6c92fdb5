"""Backups, restore and `check --db`: what a learner uses when something went wrong, end to end."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime, timedelta, timezone

from mlsd_flash.backups import KEEP_DAYS, KEEP_RECENT, KEEP_WEEKS, backup_before, backups, folder_of, prune
from mlsd_flash.history import open_history
from conftest import NOW, SAMPLE, run, write

T0 = datetime.fromisoformat(NOW)


def review(n: int, when: datetime = T0):
    """Answer `n` of the sample's cards Good through the real command at `when`."""
    result = run("review", "--deck", "Toy", "--new", "100", "--limit", str(n), input="\n3\n" * n + "q\n",
                 env={"MLSD_FLASH_NOW": when.isoformat()})
    assert result.returncode == 0, result.stderr
    return result


def logged(private_home) -> int:
    history = open_history(private_home / "history.sqlite3")
    try:
        return len(history.reviews())
    finally:
        history.close()


def test_one_automatic_backup_a_day_on_first_use(private_home):
    write(private_home / "cards" / "mine.yaml", SAMPLE)
    review(1)
    review(1)
    folder = folder_of(private_home / "history.sqlite3")
    assert [b.reason for b in backups(folder)] == ["daily"]
    review(1, T0 + timedelta(days=1))
    assert [b.reason for b in backups(folder)] == ["daily", "daily"]


def test_the_bounded_set_keeps_recent_days_and_weeks(tmp_path):
    db = tmp_path / "history.sqlite3"
    open_history(db).close()
    start = T0 - timedelta(days=90)
    for day in range(91):
        backup_before(db, "daily", start + timedelta(days=day))
    kept = backups(folder_of(db))
    assert len(kept) <= KEEP_RECENT + KEEP_DAYS + KEEP_WEEKS
    assert kept[0].made == T0.astimezone(timezone.utc)
    assert min(b.made for b in kept) >= T0.astimezone(timezone.utc) - timedelta(days=KEEP_DAYS + 7 * KEEP_WEEKS)
    assert prune(folder_of(db), T0) == []  # pruning twice deletes nothing more


def test_restore_brings_back_a_backup_and_keeps_the_replaced_history(private_home):
    write(private_home / "cards" / "mine.yaml", SAMPLE)
    review(2)
    assert run("backup").returncode == 0
    review(2, T0 + timedelta(minutes=5))
    assert logged(private_home) == 4
    listed = json.loads(run("restore", "--json").stdout)
    manual = next(b for b in listed if b["reason"] == "manual")
    result = run("restore", str(manual["number"]), "-y")
    assert result.returncode == 0, result.stderr
    assert logged(private_home) == 2
    replaced = next(b for b in json.loads(run("restore", "--json").stdout) if b["reason"] == "before-restore")
    assert run("restore", replaced["name"], "-y").returncode == 0  # the restore itself can be undone
    assert logged(private_home) == 4


def test_backup_to_a_path_and_restore_from_it(private_home, tmp_path):
    write(private_home / "cards" / "mine.yaml", SAMPLE)
    review(1)
    copy = tmp_path / "copy.sqlite3"
    assert run("backup", copy).returncode == 0
    review(1, T0 + timedelta(minutes=5))
    assert run("restore", copy, "-y").returncode == 0
    assert logged(private_home) == 1


def test_restore_refuses_a_file_that_is_not_a_history(private_home, tmp_path):
    write(private_home / "cards" / "mine.yaml", SAMPLE)
    review(1)
    junk = tmp_path / "junk.sqlite3"
    junk.write_bytes(b"not a database" * 100)
    result = run("restore", junk, "-y")
    assert result.returncode == 1 and len(result.stderr.strip().splitlines()) == 1
    assert logged(private_home) == 1


def test_check_db_finds_a_cache_that_disagrees_with_the_log_and_repairs_it(private_home):
    write(private_home / "cards" / "mine.yaml", SAMPLE)
    review(3)
    assert "matches its review log" in run("check", "--db").stdout
    conn = sqlite3.connect(private_home / "history.sqlite3")
    conn.execute("UPDATE cards SET reps = 42 WHERE card_id = (SELECT MIN(card_id) FROM cards)")
    conn.commit()
    conn.close()
    result = run("check", "--db")
    assert result.returncode == 1 and "1 card disagree" in result.stdout
    assert "check --db --repair" in result.stderr
    result = run("check", "--db", "--repair")
    assert result.returncode == 0 and "Repaired" in result.stdout
    assert "matches its review log" in run("check", "--db").stdout
    assert any(b.reason == "repair" for b in backups(folder_of(private_home / "history.sqlite3")))


def test_a_damaged_history_is_one_line_naming_the_file_and_restore(private_home):
    write(private_home / "cards" / "mine.yaml", SAMPLE)
    review(2)
    db = private_home / "history.sqlite3"
    data = bytearray(db.read_bytes())
    data[100:4096] = b"\xff" * (4096 - 100)  # the schema page is destroyed
    db.write_bytes(bytes(data))
    for args in (("review",), ("stats",), ("check", "--db")):
        result = run(*args, input="q\n")
        assert result.returncode == 1, args
        assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1, result.stderr
        assert str(db) in result.stderr and "restore" in result.stderr


def test_a_purge_is_backed_up_and_refused_while_a_card_folder_is_missing(private_home, tmp_path):
    folder = tmp_path / "my-cards"
    write(folder / "mine.yaml", SAMPLE)
    assert run("config", "card_dirs", folder).returncode == 0
    review(3)
    (folder / "mine.yaml").rename(tmp_path / "elsewhere.yaml")
    folder.rmdir()
    result = run("orphans", "--purge", "-y")
    assert result.returncode == 1 and "nothing purged" in result.stderr
    assert logged(private_home) == 3
    folder.mkdir()  # the folder is back, but empty: its cards really are gone now
    result = run("orphans", "--purge", "-y")
    assert result.returncode == 0 and "To undo: `mlsd-flash restore" in result.stdout
    assert logged(private_home) == 0
    name = result.stdout.split("restore ", 1)[1].split("`")[0]
    assert run("restore", name, "-y").returncode == 0
    assert logged(private_home) == 3
