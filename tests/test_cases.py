"""Rehearsing an interview case: `list --cases` and `review --case`, through a real pseudo-terminal."""

from __future__ import annotations

import json


from mlsd_flash.history import open_history
from conftest import ended, run, spawn, write
from test_mock import CASE as TOY_CASE

CASE = "case-toy"


def test_list_cases_lists_the_builtin_cases_and_your_own(private_home):
    builtin = json.loads(run("list", "--cases", "--json").stdout)
    assert len(builtin) >= 23
    assert all(c["cards"] >= 7 for c in builtin)
    write(private_home / "cards" / "case.yaml", TOY_CASE)
    cases = json.loads(run("list", "--cases", "--json").stdout)
    toy = next(c for c in cases if c["id"] == CASE)
    assert toy == {"id": CASE, "case": "Toy feed ranking", "deck": "Toy::Cases", "cards": 5}
    assert len(cases) == len(builtin) + 1


def test_case_rehearsal_walks_skeleton_order_without_recording(private_home):
    write(private_home / "cards" / "case.yaml", TOY_CASE)
    child = spawn("review", "--case", CASE)
    steps = ["What is the goal", "What does the ranker score by", "How are candidates retrieved",
             "What ranks the candidates"]
    for i, step in enumerate(steps):
        child.expect(step)
        child.send(" ")
        child.expect("1 Again   2 Hard   3 Good   4 Easy")  # practice: no intervals, nothing scheduled
        child.send("3" if i != 1 else "1")
    child.expect("Why a logQ correction")  # the deep dive follows the points
    child.send("u")  # back to the last point
    child.expect("card 4 of 5 · rehearsal: nothing is recorded")  # said on screen while rehearsing
    child.expect("What ranks the candidates")
    child.send("q")
    child.expect("Nothing was recorded")
    assert ended(child).exitstatus == 0
    history = open_history(private_home / "history.sqlite3")
    assert history.reviews() == []


def test_case_rehearsal_with_record_schedules_the_answers(private_home):
    write(private_home / "cards" / "case.yaml", TOY_CASE)
    child = spawn("review", "--case", CASE, "--record")
    child.expect("What is the goal")
    child.send("\r")
    child.expect("3 Good \\(10m\\)")
    child.send("3")
    child.expect("What does the ranker score by")
    child.send("q")
    ended(child)
    history = open_history(private_home / "history.sqlite3")
    assert [(r.card_id, r.rating) for r in history.reviews()] == [(f"{CASE}/goal", 3)]


def test_unknown_case_is_one_clear_line():
    result = run("review", "--case", "case-instagram-fed")
    assert result.returncode == 1
    assert result.stderr.strip() == "Error: unknown case 'case-instagram-fed'; did you mean case-instagram-feed?"
