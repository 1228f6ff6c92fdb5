"""Card controls an Anki user expects: suspend and unsuspend, forget, leeches, searching, custom
study and card info, through the real command."""

from __future__ import annotations

import json
from datetime import timedelta

from mlsd_flash.history import open_history
from mlsd_flash.scheduler import AGAIN, GOOD, Scheduler, from_ms, to_ms
from mlsd_flash.config import Settings
from conftest import SAMPLE, ended, run, spawn, write
from test_review import T0

DEF = "toy-reservoir/definition"


def new_count() -> int:
    return json.loads(run("due", "--deck", "Toy", "--json").stdout)["total"]["new"]


def test_suspended_cards_never_come_up_and_unsuspend_brings_them_back(private_home):
    write(private_home / "cards" / "mine.yaml", SAMPLE)
    run("config", "new_per_day", "100")
    before = new_count()
    result = run("suspend", "--deck", "Toy::Cases")
    assert result.returncode == 0 and result.stdout.startswith("Suspended 2 cards")
    assert new_count() == before - 1  # one card of the case note a day: one fewer new card today
    listed = run("list", "--suspended").stdout.splitlines()
    assert len(listed) == 2 and all(line.endswith("[suspended]") for line in listed)
    assert "1 suspended" not in run("stats").stdout and "2 suspended" in run("stats").stdout
    review = run("review", "--deck", "Toy::Cases", input="q\n")
    assert "Feed ranking" not in review.stdout
    assert run("unsuspend", "toy-feed").stdout.startswith("Unsuspended 2 cards")
    assert new_count() == before


def test_forget_puts_a_card_back_to_new_and_keeps_its_log(private_home):
    write(private_home / "cards" / "mine.yaml", SAMPLE)
    run("review", "--deck", "Toy", "--limit", "2", input="\n3\n\n3\nq\n")
    history = open_history(private_home / "history.sqlite3")
    answered = [r.card_id for r in history.reviews()]
    history.close()
    result = run("forget", answered[0], "-y")
    assert result.returncode == 0 and "Reset 1 card to new; their reviews stay in the log" in result.stdout
    history = open_history(private_home / "history.sqlite3")
    assert len(history.reviews()) == 2 and history.state(answered[0]) is None
    history.close()
    assert "matches its review log" in run("check", "--db").stdout
    run("rebuild")
    history = open_history(private_home / "history.sqlite3")
    assert history.state(answered[0]) is None and history.state(answered[1]) is not None  # a replay keeps the reset
    info = json.loads(run("show", answered[0], "--json").stdout)[0]["info"]
    assert info["state"] == "new" and info["reviews"] == 1


def lapse(history, card_id: str, times: int):
    """Answer a card so that it lapses `times` times (Good to reach review, then Again, Good, ...)."""
    scheduler = Scheduler(Settings(fuzz=False))
    at = T0 - timedelta(days=400)
    for rating in [GOOD, GOOD] + [AGAIN, GOOD, GOOD] * times:
        state = history.state(card_id)
        when = at if state is None else max(at, from_ms(state.due))
        history.record(card_id, rating, to_ms(when), None, None,
                       lambda b, w=when, r=rating: scheduler.next_state(card_id, b, r, w))
        at = when + timedelta(minutes=1)


def test_a_card_that_lapses_too_often_becomes_a_leech_and_is_suspended(private_home):
    write(private_home / "cards" / "mine.yaml", SAMPLE)
    run("config", "leech_threshold", "3")
    history = open_history(private_home / "history.sqlite3")
    lapse(history, DEF, 2)  # two lapses: the next Again is the third
    state = history.state(DEF)
    history.close()
    assert state.lapses == 2
    later = (T0 + timedelta(days=400)).isoformat()
    child = spawn("review", "--deck", "Toy", env={"MLSD_FLASH_NOW": later})
    child.expect("Reservoir sampling: what is it")
    child.send(" ")
    child.expect("1 Again")
    child.send("1")
    child.expect("is a leech \\(3 lapses\\): suspended")
    child.expect("mlsd-flash edit toy-reservoir/definition")
    child.send("q")
    ended(child)
    leeches = run("list", "--leeches").stdout.splitlines()
    assert leeches == [line for line in leeches if line.startswith(DEF) and "[suspended] [leech]" in line] and leeches
    cram = run("review", "--cram", "--leeches", input="\n3\nq\n")
    assert "Reservoir sampling: what is it" in cram.stdout and "Nothing was recorded" in cram.stdout
    assert run("unsuspend", "--leeches").stdout.startswith("Unsuspended 1 card")


def test_grep_finds_questions_and_answers(private_home):
    write(private_home / "cards" / "mine.yaml", SAMPLE)
    found = run("list", "--grep", "STREAMS TOO BIG").stdout.splitlines()
    assert [line.split("\t")[0] for line in found] == ["toy-reservoir/why"]


def test_cram_the_weakest_changes_no_schedule_unless_recorded(private_home):
    write(private_home / "cards" / "mine.yaml", SAMPLE)
    run("review", "--deck", "Toy", "--limit", "3", input="\n3\n" * 3 + "q\n")
    history = open_history(private_home / "history.sqlite3")
    before = (len(history.reviews()), history.states())
    history.close()
    result = run("review", "--cram", "--weakest", "2", input="\n1\n\n1\n")
    assert result.returncode == 0 and "Reviewed 2 cards" in result.stdout and "Nothing was recorded" in result.stdout
    history = open_history(private_home / "history.sqlite3")
    assert (len(history.reviews()), history.states()) == before
    history.close()
    assert run("review", "--cram", "--weakest", "1", "--record", input="\n3\n").returncode == 0
    history = open_history(private_home / "history.sqlite3")
    assert len(history.reviews()) == before[0] + 1


def test_show_adds_the_card_info(private_home):
    write(private_home / "cards" / "mine.yaml", SAMPLE)
    run("review", "--deck", "Toy", "--limit", "1", input="\n3\nq\n")
    out = run("show", DEF).stdout
    assert "Card info: learning, due " in out
    assert "stability " in out and "predicted recall now" in out and "1 review, 0 lapses" in out
    assert "Good   review" in out  # the last reviews, with where they were made
