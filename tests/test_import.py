"""One history from every place: reviews made in Anki (the real engine answers the cards, exports
the collection) and another device's history come into the local log once, with their real times
and ratings, and every card's state is what a replay of the whole log gives."""

from __future__ import annotations

import shutil
from datetime import timedelta

import pytest
from anki.collection import Collection, ExportAnkiPackageOptions

from mlsd_flash.config import Settings
from mlsd_flash.history import open_history
from mlsd_flash.scheduler import GOOD, Scheduler, to_ms
from conftest import SAMPLE, run, write
from test_export import import_package
from test_review import T0


def replayed_states_match(history) -> None:
    scheduler = Scheduler(Settings())
    for card_id, state in history.states().items():
        answers = history.conn.execute("SELECT rating, reviewed_at, duration_ms FROM reviews WHERE card_id = ? "
                                       "ORDER BY reviewed_at, id", (card_id,)).fetchall()
        want = scheduler.replay(card_id, answers)
        assert (state.state, state.stability, state.difficulty, state.due, state.reps) == \
               (want.state, want.stability, want.difficulty, want.due, want.reps), card_id


def answer_in_anki(col, note_id_field: str, ease: int, ordinal: int = 0) -> int:
    cid = next(c for c in col.find_cards(f'"Id:{note_id_field}"') if col.get_card(c).ord == ordinal)
    card = col.get_card(cid)
    card.start_timer()
    col.sched.answerCard(card, ease)
    return cid


@pytest.fixture()
def anki_collection(private_home, tmp_path):
    """A collection into which the learner imported our deck (their own cards), then answered in Anki."""
    write(private_home / "cards" / "mine.yaml", SAMPLE)
    package = tmp_path / "deck.apkg"
    assert run("export", "-o", package, "--deck", "Toy").returncode == 0
    (tmp_path / "anki").mkdir()
    col = Collection(str(tmp_path / "anki" / "collection.anki2"))
    import_package(col, package)
    answer_in_anki(col, "toy-reservoir/definition", 3)
    answer_in_anki(col, "toy-reservoir/steps", 1, ordinal=1)  # the second deletion of the cloze
    answer_in_anki(col, "toy-reservoir/steps", 3, ordinal=1)
    col.sched.set_due_date([answer_in_anki(col, "toy-feed/framing", 4)], "5")  # a manual reschedule
    yield col
    col.close()


def revlog(col) -> list[tuple[int, int]]:
    return [tuple(r) for r in col.db.all("select id, ease from revlog where type < 4 order by id")]


@pytest.mark.parametrize("kind", ["colpkg", "legacy-colpkg", "apkg", "collection-copy"])
def test_anki_reviews_come_back_once_with_their_times_and_ratings(anki_collection, private_home, tmp_path, kind):
    col = anki_collection
    expected = revlog(col)
    target = tmp_path / f"export.{'apkg' if kind == 'apkg' else 'colpkg'}"
    if kind == "apkg":
        col.export_anki_package(out_path=str(target), limit=None, options=ExportAnkiPackageOptions(
            with_scheduling=True, with_deck_configs=False, with_media=False, legacy=False))
    elif kind == "collection-copy":
        target = tmp_path / "copy.anki2"
        col.close(downgrade=False)
        shutil.copyfile(tmp_path / "anki" / "collection.anki2", target)
        col.reopen()
    else:
        col.export_collection_package(str(target), include_media=False, legacy=kind == "legacy-colpkg")
    result = run("import", target)
    assert result.returncode == 0, result.stderr
    assert f"Imported {len(expected)} reviews of 3 cards from Anki" in result.stdout
    assert "skipped 1 manual reschedules" in result.stdout
    history = open_history(private_home / "history.sqlite3")
    got = [(r.reviewed_at, r.rating, r.card_id, r.origin) for r in history.reviews()]
    assert [(at, ease) for at, ease, _, _ in sorted(got)] == expected
    assert {cid for _, _, cid, _ in got} == {"toy-reservoir/definition", "toy-reservoir/steps/c2", "toy-feed/framing"}
    assert {o for *_, o in got} == {"anki"}
    replayed_states_match(history)
    history.close()
    again = run("import", target)
    assert again.returncode == 0 and "Imported 0 reviews" in again.stdout and f"{len(expected)} already present" in again.stdout


def test_terminal_and_anki_answers_on_the_same_day_replay_as_if_made_in_one_place(tmp_path):
    scheduler = Scheduler(Settings())
    here, there = open_history(tmp_path / "here.sqlite3"), tmp_path / "there.sqlite3"
    at = T0
    for hours, rating in ((0, GOOD), (5, GOOD)):  # answered in the terminal in the morning and the evening
        when = at + timedelta(hours=hours)
        here.record("c/1", rating, to_ms(when), None, None, lambda b, w=when, r=rating: scheduler.next_state("c/1", b, r, w))
    anki = [("c/1", 1, to_ms(at + timedelta(hours=2)), 3000, "anki")]  # forgotten in Anki at noon, in between
    here.add_reviews(anki, scheduler.replay_steps)
    one_place = open_history(there)
    for hours, rating in ((0, GOOD), (2, 1), (5, GOOD)):
        when = at + timedelta(hours=hours)
        one_place.record("c/1", rating, to_ms(when), None, None, lambda b, w=when, r=rating: scheduler.next_state("c/1", b, r, w))
    mine, theirs = here.state("c/1"), one_place.state("c/1")
    assert (mine.state, mine.stability, mine.difficulty, mine.due, mine.reps, mine.lapses) == \
           (theirs.state, theirs.stability, theirs.difficulty, theirs.due, theirs.reps, theirs.lapses)
    rows = here.conn.execute("SELECT rating, state_before, state_after FROM reviews ORDER BY reviewed_at").fetchall()
    assert rows == one_place.conn.execute("SELECT rating, state_before, state_after FROM reviews ORDER BY reviewed_at").fetchall()


def test_another_devices_history_merges_once_with_overlapping_reviews(private_home, tmp_path):
    write(private_home / "cards" / "mine.yaml", SAMPLE)
    laptop = tmp_path / "laptop"
    write(laptop / "cards" / "mine.yaml", SAMPLE)
    answers = "\n3\n" * 3 + "q\n"
    assert run("review", "--deck", "Toy", "--limit", "3", input=answers).returncode == 0
    shutil.copyfile(private_home / "history.sqlite3", laptop / "history.sqlite3")  # synced, then both go on
    later = (T0 + timedelta(days=3)).isoformat()
    env = {"MLSD_FLASH_HOME": str(laptop), "MLSD_FLASH_NOW": later}
    assert run("review", "--deck", "Toy", "--limit", "2", input="\n3\n" * 2 + "q\n", env=env).returncode == 0
    result = run("import", laptop / "history.sqlite3")
    assert result.returncode == 0, result.stderr
    assert "Imported 2 reviews of 2 cards from another mlsd-flash history" in result.stdout
    assert "3 already present" in result.stdout
    history = open_history(private_home / "history.sqlite3")
    assert len(history.reviews()) == 5
    replayed_states_match(history)
    history.close()
    assert "Imported 0 reviews" in run("import", laptop / "history.sqlite3").stdout


def test_a_file_that_is_neither_is_one_line(private_home, tmp_path):
    junk = tmp_path / "notes.txt"
    junk.write_text("hello", encoding="utf-8")
    result = run("import", junk)
    assert result.returncode == 1 and len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr


def test_anki_takes_no_progress_into_notes_it_already_has(anki_collection, tmp_path):
    """Why `export` carries no scheduling (docs/anki.md): Anki ignores progress for existing notes."""
    from anki.import_export_pb2 import ImportAnkiPackageUpdateCondition as Update

    from test_export import ImportAnkiPackageRequest, ImportAnkiPackageOptions

    answered = tmp_path / "answered.apkg"
    anki_collection.export_anki_package(out_path=str(answered), limit=None, options=ExportAnkiPackageOptions(
        with_scheduling=True, with_deck_configs=False, with_media=False, legacy=False))
    (tmp_path / "other").mkdir()
    other = Collection(str(tmp_path / "other" / "collection.anki2"))
    try:
        import_package(other, tmp_path / "deck.apkg")  # the same notes, never answered
        for update in (Update.IMPORT_ANKI_PACKAGE_UPDATE_CONDITION_IF_NEWER,
                       Update.IMPORT_ANKI_PACKAGE_UPDATE_CONDITION_ALWAYS):
            options = ImportAnkiPackageOptions(with_scheduling=True, update_notes=update,
                                               update_notetypes=Update.IMPORT_ANKI_PACKAGE_UPDATE_CONDITION_IF_NEWER)
            other.import_anki_package(ImportAnkiPackageRequest(package_path=str(answered), options=options))
            assert other.db.scalar("select count() from revlog") == 0
            assert other.db.scalar("select count() from cards where type != 0") == 0
    finally:
        other.close()
