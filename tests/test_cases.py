"""Rehearsing an interview case: `list --cases` and `review --case`, through a real pseudo-terminal."""

from __future__ import annotations

import json


from mlsd_flash.history import open_history
from conftest import ended, run, spawn

CASE = "case-instagram-feed"


def test_list_cases_lists_all_23():
    cases = json.loads(run("list", "--cases", "--json").stdout)
    assert len(cases) == 23
    feed = next(c for c in cases if c["id"] == CASE)
    assert feed["cards"] >= 7 and "Instagram" in feed["case"]


def test_case_rehearsal_walks_framework_order_without_recording(private_home):
    child = spawn("review", "--case", CASE)
    steps = ["How do you frame the ML problem", "What data do you use", "Where do the labels come from",
             "What are the key features", "What is the baseline"]
    for i, step in enumerate(steps):
        child.expect(step)
        child.send(" ")
        child.expect("1 Again   2 Hard   3 Good   4 Easy")  # practice: no intervals, nothing scheduled
        child.send("3" if i != 1 else "1")
    child.send("u")  # back to the model step
    child.expect("What is the baseline")
    child.send("q")
    child.expect("Every answer so far is saved")
    assert ended(child).exitstatus == 0
    history = open_history(private_home / "history.sqlite3")
    assert history.reviews() == []


def test_case_rehearsal_with_record_schedules_the_answers(private_home):
    child = spawn("review", "--case", CASE, "--record")
    child.expect("How do you frame the ML problem")
    child.send("\r")
    child.expect("3 Good \\(10m\\)")
    child.send("3")
    child.expect("What data do you use")
    child.send("q")
    ended(child)
    history = open_history(private_home / "history.sqlite3")
    assert [(r.card_id, r.rating) for r in history.reviews()] == [(f"{CASE}/framing", 3)]


def test_unknown_case_is_one_clear_line():
    result = run("review", "--case", "case-instagram-fed")
    assert result.returncode == 1
    assert result.stderr.strip() == "Error: unknown case 'case-instagram-fed'; did you mean case-instagram-feed?"
