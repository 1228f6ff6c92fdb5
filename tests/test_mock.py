"""The mock interview: the skeleton it grades against, the grading as reviews, and the real command
through a pseudo-terminal with a scripted editor (marks, undo, quit, a killed mock's draft)."""

from __future__ import annotations

import json
import signal
import sys
import textwrap

import pexpect

from mlsd_flash.deck import load
from mlsd_flash.history import open_history
from mlsd_flash.mock import Draft, Grading, split_answer, template, weakest_case
from mlsd_flash.config import Settings
from mlsd_flash.scheduler import AGAIN, GOOD, HARD
from mlsd_flash.skeleton import load_skeleton
from conftest import ended, run, spawn, write
from test_review import Clock

CASE = """
deck: Toy::Cases
source: "Test data"
notes:
  - id: case-toy
    case: Toy feed ranking
    prompt: Rank a feed for 10 million users in under 200 ms.
    framing:
      - id: goal
        label: "Goal: long-term engagement"
        q: What is the goal?
        a: Long-term engagement, not clicks.
      - id: task
        label: "Task: value model"
        q: What does the ranker score by?
        a: A weighted sum of predicted actions.
    model:
      - id: two-tower
        label: "Retrieval: two-tower"
        q: How are candidates retrieved?
        a: Two towers and an ANN index.
      - id: ranker
        label: "Ranker: multi-task DNN"
        q: What ranks the candidates?
        a: A multi-task network with one head per action.
    deep_dives:
      - id: logq
        q: Why a logQ correction?
        a: In-batch negatives over-sample popular items.
"""

EDITOR = """
import sys
path = sys.argv[1]
text = open(path, encoding="utf-8").read()
text = text.replace("## Framing and requirements (5 min)\\n", "## Framing and requirements (5 min)\\nMaximise engagement.\\n")
text = text.replace("## Model (8 min)\\n", "## Model (8 min)\\nTwo towers, then a ranker.\\n")
open(path, "w", encoding="utf-8").write(text)
"""


def toy_deck(private_home):
    return load([write(private_home / "cards" / "case.yaml", CASE)])


def test_skeleton_keeps_step_order_labels_and_prompt(private_home):
    skeleton = load_skeleton(toy_deck(private_home), "case-toy")
    assert skeleton.prompt.startswith("Rank a feed")
    assert [s.key for s in skeleton.steps] == ["framing", "model"]
    assert [p.label for _, p in skeleton.points()] == ["Goal: long-term engagement", "Task: value model",
                                                       "Retrieval: two-tower", "Ranker: multi-task DNN"]
    assert [p.card_id for _, p in skeleton.points()][0] == "case-toy/goal"


def test_answer_is_split_by_the_template_headings(private_home):
    skeleton = load_skeleton(toy_deck(private_home), "case-toy")
    text = template(skeleton, {"framing": 5, "model": 8}).replace("(8 min)\n", "(8 min)\nTwo towers.\n")
    assert split_answer(text, skeleton) == {"framing": "", "model": "Two towers."}


def test_grading_records_each_mark_as_a_mock_review_and_undo_takes_it_back(private_home, tmp_path):
    skeleton = load_skeleton(toy_deck(private_home), "case-toy")
    history = open_history(tmp_path / "h.sqlite3")
    grading = Grading(skeleton, history, Settings(fuzz=False), Clock(), {})
    for key in "cpm":
        grading.mark(key)
    assert grading.undo()
    grading.mark("c")
    assert [(r.card_id, r.rating, r.origin) for r in history.reviews()] == [
        ("case-toy/goal", GOOD, "mock"), ("case-toy/task", HARD, "mock"), ("case-toy/two-tower", GOOD, "mock")]
    assert grading.scores() == {"framing": 0.75, "model": 1.0}


def test_weakest_case_is_an_unseen_one_first_then_the_lowest_recall():
    recalls = {"a/1": 0.9, "a/2": 0.8, "b/1": 0.5, "b/2": None, "c/1": None}
    cases = {"a": ["a/1", "a/2"], "b": ["b/1", "b/2"]}
    assert weakest_case(cases, recalls.get) == "b"
    assert weakest_case({**cases, "c": ["c/1"]}, recalls.get) == "c"


def test_mock_end_to_end_with_a_scripted_editor_marks_undo_and_quit(private_home, tmp_path):
    write(private_home / "cards" / "case.yaml", CASE)
    editor = tmp_path / "editor.py"
    editor.write_text(textwrap.dedent(EDITOR), encoding="utf-8")
    child = spawn("mock", "case-toy", env={"EDITOR": f"{sys.executable} {editor}", "VISUAL": ""})
    child.expect("Rank a feed for 10 million users")
    child.expect("e: write in your editor")
    child.send("e")
    child.expect("point 1 of 4")
    child.expect("Maximise engagement.")  # what the learner wrote, beside the checklist
    child.send("c")
    child.expect("point 2 of 4")
    child.send("p")
    child.expect("point 3 of 4")
    child.send("u")  # the partly mark on the value model is taken back
    child.expect("point 2 of 4")
    child.send("m")
    child.expect("point 3 of 4")
    child.expect("Two towers, then a ranker.")
    child.send("q")
    child.expect("Saved as mock 1")
    assert ended(child).exitstatus == 0
    history = open_history(private_home / "history.sqlite3")
    assert [(r.card_id, r.rating, r.origin) for r in history.reviews()] == [
        ("case-toy/goal", GOOD, "mock"), ("case-toy/task", AGAIN, "mock")]
    listed = json.loads(run("mock", "--list", "--json").stdout)
    assert [(m["number"], m["case_id"], m["complete"], m["total"]) for m in listed] == [(1, "case-toy", False, 0.5)]
    assert "Maximise engagement." in run("mock", "--show", "1").stdout
    assert not Draft(private_home, "case-toy").exists()  # the saved transcript holds the answer now


def test_a_killed_mock_keeps_its_draft_and_offers_it_again(private_home):
    write(private_home / "cards" / "case.yaml", CASE)
    child = spawn("mock", "case-toy")
    child.expect("t: type here")
    child.send("t")
    child.expect("an empty line moves to the next stage")
    child.sendline("Engagement over clicks")
    child.expect("Engagement over clicks")
    child.sendline("")
    child.expect("## Model")  # the first stage's line was accepted before the kill
    child.kill(signal.SIGKILL)
    child.close()
    assert "Engagement over clicks" in Draft(private_home, "case-toy").read()
    child = spawn("mock")  # no case given: the unfinished one comes back first
    child.expect("You have an unfinished answer")
    child.send("g")
    child.expect("Engagement over clicks")
    child.send("q")
    child.expect(pexpect.EOF)


def test_unknown_case_and_unknown_mock_are_one_line_errors(private_home):
    write(private_home / "cards" / "case.yaml", CASE)
    result = run("mock", "case-toi")
    assert result.returncode == 1
    assert result.stderr.startswith("Error: unknown case 'case-toi'; did you mean case-toy")
    assert len(result.stderr.strip().splitlines()) == 1
    result = run("mock", "--show", "3")
    assert result.returncode == 1 and result.stderr.strip() == "Error: no mock number 3; you have no saved mock yet"


def test_stats_and_report_show_each_case_with_points_seen_recall_and_last_mock(private_home, tmp_path):
    from mlsd_flash.mock import Transcripts

    write(private_home / "cards" / "case.yaml", CASE)
    history = open_history(private_home / "history.sqlite3")
    skeleton = load_skeleton(toy_deck(private_home), "case-toy")
    grading = Grading(skeleton, history, Settings(fuzz=False), Clock(), {})
    grading.mark("c")
    history.close()
    Transcripts(private_home).save({"case_id": "case-toy", "complete": True, "total": 0.75})
    stats = json.loads(run("stats", "--json", "--on", "2026-12-20").stdout)
    toy = next(c for c in stats["cases"] if c["case_id"] == "case-toy")
    assert (toy["points"], toy["seen"], toy["last_mock"]) == (4, 1, 0.75)
    assert 0 < toy["recall_on"] < toy["recall_now"] <= 0.25  # one point of four, fading by the date
    report = tmp_path / "r.html"
    assert run("report", "-o", report).returncode == 0
    assert "Interview cases" in report.read_text(encoding="utf-8")
