"""Personal cards end to end: `add` (prompts in a pseudo-terminal, flags, cloze, `--edit` with a
scripted editor), card folders, `edit` keeping history, `list --changed`, `orphans`, overrides of the
installed deck, and interruptions that leave the personal file byte for byte as it was."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from conftest import ROOT, ended, run, script, spawn, write

from mlsd_flash import personal
from mlsd_flash.deck import load
from mlsd_flash.history import open_history
from mlsd_flash.notes import SLUG

COMMENTED = """\
# My interview notes. This comment, the odd quoting and the order below must survive every add.
deck: 'Mine'          # a trailing comment
source: "mock interviews"
notes:
  # first note
  - id: old-note
    concept: Old note
    definition: >-
      Folded text
      over two lines.
"""


def personal_file(home: Path) -> Path:
    return home / "cards" / "personal.yaml"


def history_of(home: Path, card_id: str):
    history = open_history(home / "history.sqlite3", create=False)
    try:
        return history.reviews(card_id), history.state(card_id)
    finally:
        history.close()


def added(result) -> str:
    """The first card id an `add` printed."""
    assert result.returncode == 0, result.stderr
    return re.search(r"Added (?:card|\d+ cards) ([^ ,]+)", result.stdout).group(1)


def review_one(deck: str = "Personal", rating: str = "3") -> str:
    result = run("review", "--deck", deck, input=f"\n{rating}\nq\n")
    assert result.returncode == 0, result.stderr
    return result.stdout


# ---------------------------------------------------------------------------------------------
# Ids and appending (the library)


def test_ids_are_readable_slugs_made_unique_with_a_short_suffix():
    assert personal.slugify("What is the KV cache in LLM serving?") == "kv-cache-in-llm-serving"
    assert personal.slugify("Recall@k counts {{c1::relevant items}} in the top {{c2::k}}.").startswith(
        "recall-k-counts-relevant-items")
    assert personal.new_note_id("Why use a feature store?", {"use-a-feature-store"}) == "use-a-feature-store-2"
    assert personal.new_note_id("Why use a feature store?", {"use-a-feature-store", "use-a-feature-store-2"}) == \
        "use-a-feature-store-3"
    odd = personal.new_note_id("¿¿??", set())
    assert SLUG.fullmatch(odd) and odd.startswith("card-")


def test_append_keeps_the_rest_of_the_file_byte_for_byte(tmp_path):
    target = tmp_path / "mine.yaml"
    target.write_text(COMMENTED, encoding="utf-8")
    note = personal.basic_note("new-one", "Q?", "A.", "Mine", ["x"])
    plan = personal.plan_append(target, [personal.note_text(note)])
    personal.commit(plan)
    data = target.read_bytes()
    assert data.startswith(COMMENTED.encode())
    notes, problems = load([target]).cards, load([target]).problems
    assert not problems and {c.note_id for c in notes} == {"old-note", "new-one"}

    # `notes` not the last key: the note goes into the list, everything else stays as it was
    middle = tmp_path / "middle.yaml"
    head = "notes:\n- id: a\n  concept: A\n  why: because\n# about the tags\n"
    tail = "tags: [t]   # kept\ndeck: D\n"
    middle.write_text(head + tail, encoding="utf-8")
    personal.commit(personal.plan_append(middle, [personal.note_text(personal.basic_note("b", "Q?", "A.", "D", []))]))
    text = middle.read_text(encoding="utf-8")
    assert text.startswith(head) and text.endswith(tail)
    deck = load([middle])
    assert not deck.problems and [c.id for c in deck.cards] == ["a/why", "b/card"]


def test_an_invalid_note_is_refused_before_anything_is_written(private_home):
    write(personal_file(private_home), COMMENTED)
    before = personal_file(private_home).read_bytes()
    result = run("add", "--cloze", "A broken {{c1::deletion} here")
    assert result.returncode == 1
    assert "personal.yaml:" in result.stderr and "malformed deletion" in result.stderr
    assert "Error: nothing added" in result.stderr
    assert personal_file(private_home).read_bytes() == before
    assert not list(personal_file(private_home).parent.glob(".*.tmp"))


# ---------------------------------------------------------------------------------------------
# `add` end to end


def test_add_by_prompts_in_a_terminal_then_review_and_export_to_anki(private_home, tmp_path):
    anki_collection = pytest.importorskip("anki.collection")
    child = spawn("add")
    child.expect_exact("Question: ")
    child.sendline("What does a two-tower model retrieve?")
    child.expect_exact("Answer: ")
    child.sendline("Candidates, by nearest neighbours between user and item embeddings.")
    child.expect_exact("Built-in decks: ")
    child.expect_exact("Deck [Personal]: ")
    child.sendline("Interview::Ideas")
    child.expect_exact("Tags (space-separated, optional): ")
    child.sendline("retrieval recsys")
    assert ended(child).exitstatus == 0, child.before
    card_id = "two-tower-model-retrieve/card"
    assert f"Added card {card_id} (deck Interview::Ideas) to " in child.before
    assert "personal.yaml:6" in child.before

    shown = json.loads(run("show", card_id, "--json").stdout)[0]
    assert shown["deck"] == "Interview::Ideas" and shown["tags"] == ["retrieval", "recsys"]

    out = review_one("Interview::Ideas")
    assert "What does a two-tower model retrieve?" in out and "Reviewed 1 card" in out
    reviews, state = history_of(private_home, card_id)
    assert [r.rating for r in reviews] == [3] and state.content_hash == shown["content_hash"]

    work = tmp_path / "work"
    work.mkdir()
    result = run("export", "-o", work / "deck.apkg", cwd=work)
    assert result.returncode == 0, result.stderr
    col = anki_collection.Collection(str(tmp_path / "collection.anki2"))
    try:
        options = anki_collection.ImportAnkiPackageOptions(with_scheduling=False, update_notes=0,
                                                           update_notetypes=0)
        col.import_anki_package(anki_collection.ImportAnkiPackageRequest(
            package_path=str(work / "deck.apkg"), options=options))
        nids = col.find_notes(f'"Id:{card_id}"')
        assert len(nids) == 1
        note = col.get_note(nids[0])
        assert "nearest neighbours" in note["Answer"]
        card = col.get_card(note.card_ids()[0])
        assert col.decks.name(card.did) == "MLSD::Personal::Interview::Ideas"
    finally:
        col.close()


def test_add_with_flags_and_cloze_keeps_comments(private_home):
    write(personal_file(private_home), COMMENTED)
    before = personal_file(private_home).read_bytes()
    result = run("add", "-q", "What is the KV cache in LLM serving?", "-a", "Keys and values of past tokens.",
                 "--deck", "mine", "--tag", "llm", "--tag", "serving", "--extra", "Saves recomputing attention.")
    assert result.returncode == 0, result.stderr
    # an existing deck is matched whatever its case; the file's bytes before the new note are untouched
    assert result.stdout.startswith("Added card kv-cache-in-llm-serving/card (deck Mine) to ")
    assert personal_file(private_home).read_bytes().startswith(before)

    again = run("add", "-q", "What is the KV cache in LLM serving?", "-a", "Same question again.")
    assert "Added card kv-cache-in-llm-serving-2/card (deck Personal)" in again.stdout

    cloze = run("add", "--cloze", "Recall@k counts {{c1::relevant items}} among the top {{c2::k}}.",
                "--tag", "metrics")
    assert cloze.returncode == 0, cloze.stderr
    assert "Added 2 cards recall-k-counts-relevant-items-among/cloze/c1, " \
           "recall-k-counts-relevant-items-among/cloze/c2" in cloze.stdout

    listed = {c["id"]: c for c in json.loads(run("list", "--json").stdout)}
    assert listed["kv-cache-in-llm-serving/card"]["extra"] == "Saves recomputing attention."
    assert listed["kv-cache-in-llm-serving/card"]["tags"] == ["llm", "serving"]
    assert listed["recall-k-counts-relevant-items-among/cloze/c2"]["question"].endswith("the top [...].")
    assert "old-note/definition" in listed
    assert run("check").returncode == 0

    bad = run("add", "-q", "Only a question")
    assert bad.returncode == 2 or bad.returncode == 1
    assert "-q and -a go together" in bad.stderr


def test_add_to_another_file(private_home, tmp_path):
    other = tmp_path / "elsewhere" / "notes.yaml"
    result = run("add", "-q", "Q one?", "-a", "A one.", "--file", other)
    assert result.returncode == 0, result.stderr
    assert other.is_file() and not personal_file(private_home).exists()
    assert "is not in your card folders" in result.stderr
    assert [c.id for c in load([other]).cards] == ["q-one/card"]


def test_add_edit_with_a_scripted_editor_shows_errors_and_never_loses_the_text(private_home, tmp_path):
    write(personal_file(private_home), COMMENTED)
    before = personal_file(private_home).read_bytes()
    typo = script(tmp_path / "typo-editor", """
        import sys, pathlib
        p = pathlib.Path(sys.argv[-1])
        t = p.read_text()
        assert "# why: Why it matters." in t and "# cloze:" in t   # the commented template of all facets
        t = t.replace("concept:\\n", "concept: Training-serving skew\\n")
        t = t.replace("definition:\\n", "defintion: Features computed differently offline and online.\\n")
        t = t.replace("# why: Why it matters.", "why: It silently lowers online accuracy.")
        p.write_text(t)
    """)
    result = run("add", "--edit", input="n\n", env={"EDITOR": str(typo)})
    assert result.returncode == 1
    draft = private_home / "add-draft.yaml"
    lines = draft.read_text().splitlines()
    # the error names the draft file and the line of the typo, counted in the draft as it is now
    message = [line for line in result.stderr.splitlines() if "unknown key 'defintion'" in line][0]
    where = int(message.split("add-draft.yaml:")[1].split(":")[0])
    assert lines[where - 1].startswith("defintion: Features computed")
    assert lines[0].startswith("# error: ")
    assert "Your note is kept in" in result.stderr
    assert personal_file(private_home).read_bytes() == before

    fix = script(tmp_path / "fix-editor", """
        import sys, pathlib
        p = pathlib.Path(sys.argv[-1])
        t = p.read_text()
        assert "Training-serving skew" in t    # what the user typed came back
        p.write_text(t.replace("defintion:", "definition:"))
    """)
    result = run("add", "--edit", env={"EDITOR": str(fix)})
    assert result.returncode == 0, result.stderr
    note_id = added(result).split("/")[0]
    assert note_id.startswith("training-serving-skew")  # with a suffix if the built-in deck has the id
    assert f"Added 2 cards {note_id}/definition, {note_id}/why (deck Personal)" in result.stdout
    assert not draft.exists()
    text = personal_file(private_home).read_text()
    assert text.startswith(COMMENTED) and "# error:" not in text and "# why: Why it matters" not in text
    assert run("check").returncode == 0

    out = review_one()
    assert "Training-serving skew" in out
    reviews, _ = history_of(private_home, f"{note_id}/definition")
    assert [r.rating for r in reviews] == [3]


def test_add_edit_offers_to_reopen_the_editor_until_the_note_is_valid(private_home, tmp_path):
    counter = tmp_path / "count"
    editor = script(tmp_path / "two-pass-editor", f"""
        import sys, pathlib
        c = pathlib.Path({str(counter)!r})
        n = int(c.read_text()) if c.exists() else 0
        c.write_text(str(n + 1))
        p = pathlib.Path(sys.argv[-1])
        t = p.read_text()
        if n == 0:
            t = t.replace("concept:\\n", "concept: Shadow deployment\\n")   # definition left empty
        else:
            assert t.startswith("# error: ")
            t = t.replace("definition:\\n", "definition: Serve a new model beside the old one, unseen.\\n")
        p.write_text(t)
    """)
    result = run("add", "--edit", input="y\n", env={"EDITOR": str(editor)})
    assert result.returncode == 0, result.stderr
    assert "'definition' in note" in result.stderr and "is empty" in result.stderr
    assert counter.read_text() == "2"
    assert added(result).startswith("shadow-deployment") and added(result).endswith("/definition")


# ---------------------------------------------------------------------------------------------
# Interruptions leave the file as it was


def test_editor_failure_and_ctrl_c_leave_the_personal_file_byte_identical(private_home, tmp_path):
    write(personal_file(private_home), COMMENTED)
    before = personal_file(private_home).read_bytes()

    failing = script(tmp_path / "failing-editor", """
        import sys, pathlib
        p = pathlib.Path(sys.argv[-1])
        p.write_text(p.read_text().replace("concept:\\n", "concept: Half-typed\\n"))
        sys.exit(3)
    """)
    result = run("add", "--edit", env={"EDITOR": str(failing)})
    assert result.returncode == 1
    assert "exited with status" in result.stderr and "nothing was added" in result.stderr
    assert personal_file(private_home).read_bytes() == before
    assert "concept: Half-typed" in (private_home / "add-draft.yaml").read_text()  # kept for next time

    for prompt in ("Question: ", "Answer: ", "Deck [Personal]: ", "Tags (space-separated, optional): "):
        child = spawn("add")
        for step in ("Question: ", "Answer: ", "Deck [Personal]: ", "Tags (space-separated, optional): "):
            child.expect_exact(step)
            if step == prompt:
                child.sendintr()
                break
            child.sendline("Some text")
        assert ended(child).exitstatus != 0 or child.signalstatus, prompt
        assert personal_file(private_home).read_bytes() == before, prompt
    assert not list(personal_file(private_home).parent.glob(".*.tmp"))


# ---------------------------------------------------------------------------------------------
# Edits keep history; deleted cards become orphans


def test_editing_a_reviewed_answer_keeps_its_history_and_due_date(private_home, tmp_path):
    card_id = added(run("add", "-q", "What is a canary release?", "-a", "Send a little traffic to the new model first."))
    review_one()
    reviews_before, state_before = history_of(private_home, card_id)
    assert run("list", "--changed").stdout == ""

    bindir = tmp_path / "bin"
    script(bindir / "vi", f"""
        import sys, pathlib
        pathlib.Path({str(tmp_path / "argv.json")!r}).write_text(__import__("json").dumps(sys.argv[1:]))
        p = pathlib.Path(sys.argv[-1])
        p.write_text(p.read_text().replace("a little traffic", "1-5% of the traffic"))
    """)
    result = run("edit", card_id, env={"EDITOR": str(bindir / "vi")})
    assert result.returncode == 0, result.stderr
    argv = json.loads((tmp_path / "argv.json").read_text())
    shown = json.loads(run("show", card_id, "--json").stdout)[0]
    assert argv == [f"+{shown['line']}", argv[1]]  # vi-style editors open at the card's line
    assert Path(argv[1]).resolve() == personal_file(private_home).resolve()
    assert "1-5% of the traffic" in shown["answer"]
    reviews_after, state_after = history_of(private_home, card_id)
    assert reviews_after == reviews_before
    assert state_after == state_before and state_after.content_hash != shown["content_hash"]
    assert run("list", "--changed").stdout.startswith(f"{card_id}\tPersonal\t")
    assert [c["id"] for c in json.loads(run("list", "--changed", "--json").stdout)] == [card_id]

    later = run("review", "--deck", "Personal", input="\nq\n", env={"MLSD_FLASH_NOW": "2026-11-23T10:30:00+00:00"})
    assert "(edited since your last review)" in later.stdout


def test_a_deleted_card_is_an_orphan_until_purged(private_home):
    write(personal_file(private_home), COMMENTED)
    card_id = added(run("add", "-q", "What is a canary release?", "-a", "A small share of traffic first."))
    review_one()
    assert run("orphans", "--json").stdout.strip() == "[]"

    personal_file(private_home).write_text(COMMENTED, encoding="utf-8")  # the note is deleted
    listed = run("orphans")
    assert listed.returncode == 0 and listed.stdout.startswith(f"{card_id}\t1 review\tlast 2026-11-23 10:00")
    rows = json.loads(run("orphans", "--json").stdout)
    assert [(r["id"], r["reviews"]) for r in rows] == [(card_id, 1)]
    check = run("check")
    assert check.returncode == 0
    assert "note: 1 card in your review history has no source any more (see `mlsd-flash orphans`)" in check.stdout

    refused = run("orphans", "--purge", input="n\n")
    assert refused.returncode == 1 and history_of(private_home, card_id)[0]
    purged = run("orphans", "--purge", "--yes")
    assert purged.returncode == 0 and "Purged the history of 1 card." in purged.stdout
    assert history_of(private_home, card_id) == ([], None)
    assert "no source" not in run("check").stdout


def test_purge_refuses_while_a_card_file_is_broken(private_home):
    card_id = added(run("add", "-q", "What is a canary release?", "-a", "A small share of traffic first."))
    review_one()
    text = personal_file(private_home).read_text()
    personal_file(private_home).write_text(text.replace("    concept:", "    concpet:"))
    listed = run("orphans")
    assert listed.stdout.startswith(card_id)  # listed, with a warning that it may only be broken
    assert "problem(s) in the card files: cards of broken notes are listed as orphans" in listed.stderr
    result = run("orphans", "--purge", "--yes")
    assert result.returncode == 1 and "nothing purged" in result.stderr
    assert history_of(private_home, card_id)[0]


# ---------------------------------------------------------------------------------------------
# Card folders, clashes with the built-in deck, overrides


def test_card_dirs_appear_in_list_check_review_and_export(private_home, tmp_path):
    folder = tmp_path / "my-repo" / "cards"
    write(folder / "a.yaml", """
        deck: Notebook::Ideas
        source: Me
        notes:
          - id: my-idea
            concept: My idea
            definition: Something I came up with.
    """)
    assert run("config", "card_dirs", folder).returncode == 0
    assert run("list", "--deck", "Notebook").stdout.startswith("my-idea/definition\tNotebook::Ideas\t")
    check = run("check")
    assert check.returncode == 0 and "Notebook::Ideas" in check.stdout
    assert "My idea" in review_one("Notebook")
    out = tmp_path / "x.apkg"
    assert run("export", "-o", out, "--deck", "Notebook", cwd=tmp_path).returncode == 0
    assert out.is_file()


def test_a_personal_id_equal_to_a_builtin_id_names_both_files(private_home):
    builtin = load([ROOT / "cards"]).cards[0]
    write(personal_file(private_home), f"""
        deck: Personal
        notes:
          - id: {builtin.note_id}
            concept: Mine
            definition: Mine.
    """)
    check = run("check")
    assert check.returncode == 1
    clash = [line for line in check.stderr.splitlines() if "duplicate note id" in line][0]
    assert "personal.yaml:3:" in clash and Path(builtin.path).name in clash
    # review still works and warns once
    assert "reviewing the valid cards" in run("review", input="q\n").stderr

    result = run("add", "--edit", input="n\n", env={"EDITOR": str(script(
        private_home.parent / "ed", f"""
        import sys, pathlib
        p = pathlib.Path(sys.argv[-1])
        p.write_text(p.read_text().replace("id:\\n", "id: {builtin.note_id}\\n")
                     .replace("concept:\\n", "concept: X\\n").replace("definition:\\n", "definition: Y\\n"))
    """))})
    assert result.returncode == 1 and f"note id '{builtin.note_id}' is already used at" in result.stderr


def test_an_override_replaces_the_note_with_the_same_id(tmp_path):
    builtin = write(tmp_path / "builtin" / "x.yaml", """
        deck: Data
        notes:
          - id: shared
            concept: Shared
            definition: Built-in text.
            why: Built-in why.
          - id: other
            concept: Other
            why: Other why.
    """)
    mine = write(tmp_path / "mine" / "p.yaml", """
        deck: Personal
        notes:
          - id: shared
            concept: Shared
            deck: Data
            definition: My text.
            override: true
    """)
    deck = load([builtin.parent, mine.parent])
    assert not deck.problems
    assert sorted(c.id for c in deck.cards) == ["other/why", "shared/definition"]
    assert deck.get("shared/definition").answer == "My text."
    mine.write_text(mine.read_text().replace("override: true", "override: maybe"))
    assert "'override' in note 'shared' must be true or false" in str(load([builtin.parent, mine.parent]).problems)


def test_edit_of_an_installed_builtin_card_copies_it_as_an_override(private_home, tmp_path):
    site = tmp_path / "site-packages"
    shutil.copytree(ROOT / "mlsd_flash", site / "mlsd_flash", ignore=shutil.ignore_patterns("__pycache__"))
    write(site / "mlsd_flash" / "builtin_cards" / "a.yaml", """
        deck: Data::Sampling
        tags: [data]
        source: "ML Design Primer: Sampling"
        notes:
          - id: reservoir
            concept: Reservoir sampling
            definition: >-
              Keeps a uniform sample of k items
              from a stream.
            why: One pass, O(k) memory.  # a comment
          # between notes
          - id: stratified
            concept: Stratified sampling
            definition: Sampling each group separately.
    """)
    env = {"PYTHONPATH": str(site), "EDITOR": str(script(tmp_path / "ed", """
        import sys, pathlib
        p = pathlib.Path(sys.argv[-1])
        p.write_text(p.read_text().replace("One pass, O(k) memory.", "One pass and O(k) memory."))
    """))}
    away = tmp_path / "away"
    away.mkdir()

    def run(*args, **kw):
        return globals()["run"](*args, cwd=away, env=env, **kw)

    assert run("list").stdout.count("\n") == 3
    run("review", input="\n3\nq\n")
    reviews_before, state_before = history_of(private_home, "reservoir/definition")
    assert reviews_before

    refused = run("edit", "reservoir/why", input="n\n")
    assert refused.returncode == 1 and not personal_file(private_home).exists()
    result = run("edit", "reservoir/why", input="y\n")
    assert result.returncode == 0, result.stderr
    assert "Copied note reservoir to " in result.stdout
    text = personal_file(private_home).read_text()
    assert "override: true" in text and "between notes" not in text and "stratified" not in text
    check = run("check")
    assert check.returncode == 0, check.stderr
    cards = {c["id"]: c for c in json.loads(run("list", "--json").stdout)}
    assert cards["reservoir/why"]["answer"] == "One pass and O(k) memory."
    assert cards["reservoir/why"]["path"].endswith("personal.yaml")
    assert cards["reservoir/definition"]["deck"] == "Data::Sampling" and cards["reservoir/definition"]["tags"] == ["data"]
    assert cards["reservoir/definition"]["source"] == "ML Design Primer: Sampling"
    assert history_of(private_home, "reservoir/definition") == (reviews_before, state_before)
    # a second edit opens the personal copy directly
    again = run("edit", "reservoir/why")
    assert again.returncode == 0 and "Copied" not in again.stdout
