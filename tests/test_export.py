"""Anki export, checked with Anki's own engine (the `anki` package): import, update, cloze, escaping,
byte-identical rebuilds, the committed deck, and the real `mlsd-flash export` command."""

from __future__ import annotations

import json
import shutil
import time
import zipfile
from pathlib import Path

import pytest

from conftest import ROOT, run, write

from mlsd_flash import export as ex
from mlsd_flash.deck import load

anki_collection = pytest.importorskip("anki.collection")
Collection = anki_collection.Collection
ImportAnkiPackageRequest = anki_collection.ImportAnkiPackageRequest
ImportAnkiPackageOptions = anki_collection.ImportAnkiPackageOptions

IF_NEWER, ALWAYS = 0, 1  # ImportAnkiPackageUpdateCondition: IF_NEWER, ALWAYS, NEVER
EPOCH = 1_767_225_600  # 2026-01-01

BUILTIN = """
deck: Data::Sampling
tags: [data, sampling]
source: "ML Design Primer: Sampling"
notes:
  - id: res
    concept: Reservoir sampling
    definition: A *one-pass* algorithm that keeps $k$ items with $O(k)$ memory.
    why: It works on streams too big to store.
    pitfalls: Drawing i from 1..k over-samples late items.
    cards:
      - id: code
        q: "Write the replacement step."
        a: |-
          ```python
          if i < k:
              slots[i] = item
          ```
      - id: xss
        q: Is <script>alert(1)</script> run?
        a: No, <img src=x onerror=alert(1)> shows as text.
    cloze:
      - id: steps
        text: "Keep {{c1::k}} slots, draw i from {{c2::1..n}} and replace when {{c3::$i \\\\le k$::condition}}."
  - id: other
    concept: Stratified sampling
    definition: Sampling each group separately.
"""

CASE = """
deck: Cases::Recommendation
tags: [cases]
source: "ML Design Primer: Cases; Huyen, Designing ML Systems"
notes:
  - id: feed
    case: Feed ranking
    framing: Rank posts by predicted engagement.
    pitfalls: Feedback loops.
"""

PERSONAL = """
deck: Mine::Stuff
tags: [mine]
source: Me
notes:
  - id: my-note
    concept: My concept
    definition: Something I wrote.
"""


@pytest.fixture()
def sources(tmp_path):
    builtin = tmp_path / "cards"
    write(builtin / "02-data" / "sampling.yaml", BUILTIN)
    write(builtin / "10-cases" / "feed.yaml", CASE)
    personal = tmp_path / "personal"
    write(personal / "mine.yaml", PERSONAL)
    return builtin, personal


def cards_of(*paths: Path):
    deck = load(list(paths))
    assert not deck.problems, deck.problems
    return deck.cards


def new_collection(path: Path):
    return Collection(str(path))


def import_package(col, apkg: Path, update: int = IF_NEWER):
    """Import as Anki's default options do (update notes and note types if newer, no scheduling)."""
    options = ImportAnkiPackageOptions(with_scheduling=False, update_notes=update, update_notetypes=IF_NEWER)
    log = col.import_anki_package(ImportAnkiPackageRequest(package_path=str(apkg), options=options)).log
    col.models._clear_cache()  # col.models caches note types in Python: re-read them after an import
    return log


def notes_by_id(col) -> dict:
    notes = [col.get_note(nid) for nid in col.find_notes("")]
    return {n["Id"]: n for n in notes}


def answer(col, card_id: str) -> int:
    """Answer the card of note `card_id` through Anki's scheduler; returns the Anki card id."""
    cid = col.find_cards(f'"Id:{card_id}"')[0]
    card = col.get_card(cid)
    card.start_timer()
    col.sched.answerCard(card, 3)
    assert col.db.scalar("select count() from revlog where cid = ?", cid) == 1
    return cid


# ---------------------------------------------------------------------------------------------
# Rendering


def test_markdown_rendering():
    assert ex.markdown("What is *k*?") == "What is <em>k</em>?"
    assert ex.markdown("Plain text, no markup.") == "Plain text, no markup."
    assert ex.markdown('Say "hi" & <b>bye</b>') == "Say &quot;hi&quot; &amp; &lt;b&gt;bye&lt;/b&gt;"
    assert ex.markdown(r"Loss $-\sum_i y_i \log p_i$ and $$a<b$$") == r"Loss \(-\sum_i y_i \log p_i\) and \[a&lt;b\]"
    assert ex.markdown("Costs $20 and $30 a day") == "Costs $20 and $30 a day"
    assert ex.markdown("`$x$` stays code") == "<code>$x$</code> stays code"
    assert ex.markdown("a\n\n- x\n- y") == "<p>a</p>\n<ul>\n<li>x</li>\n<li>y</li>\n</ul>"
    code = ex.markdown("```python\ndef f(x):\n    return x\n```")
    assert code.startswith('<pre class="highlight"><code><span class="k">def</span>')
    assert ex.markdown("[x](javascript:alert(1))") == "[x](javascript:alert(1))"


@pytest.mark.parametrize("text", [
    "What is X?", 'A "quoted" word', "Ünïcödé — dash", "It's 5 o'clock", "x = y + 1", "1 thing",
    "Ends with space ", "Two  spaces", "{{curly}} and (parens); colon: yes", "100% / 50%",
])
def test_fast_path_matches_the_markdown_parser(text):
    full = ex._make_markdown().render(text)
    if full.startswith("<p>") and full.endswith("</p>\n") and full.count("<p>") == 1:
        full = full[3:-5]
    assert ex.markdown(text) == full.rstrip("\n")


def test_raw_html_is_escaped_never_passed_through():
    for text in ["<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "a <iframe src=x></iframe> b"]:
        out = ex.markdown(text)
        assert "<script" not in out and "<img" not in out and "<iframe" not in out
        assert "&lt;" in out
    cloze = ex.cloze_html("{{c1::<script>x</script>}} and <img onerror=y>")
    assert cloze == "{{c1::&lt;script&gt;x&lt;/script&gt;}} and &lt;img onerror=y&gt;"


def test_cloze_markers_survive_markdown():
    text = r"Keep {{c1::**k**}} slots, replace when {{c2::$i \le k$::condition}} (*always*)."
    assert ex.cloze_html(text) == (
        r"Keep {{c1::<strong>k</strong>}} slots, replace when {{c2::\(i \le k\)::condition}} (<em>always</em>).")


def test_tags_and_slugs():
    assert ex.slug("Manning, Raghavan & Schütze") == "manning-raghavan-schutze"
    assert ex.source_tags("ML Design Primer: Cases; Huyen, Designing ML Systems") == [
        "source::ml-design-primer::cases", "source::huyen-designing-ml-systems"]
    assert all(" " not in t for t in ex.source_tags("A very long source: " + "word " * 40))


# ---------------------------------------------------------------------------------------------
# Anki: fresh import, update, cloze


def test_fresh_collection_imports_the_deck(tmp_path, sources):
    builtin, personal = sources
    cards = cards_of(builtin, personal)
    out = tmp_path / "out" / "deck.apkg"
    result = ex.export_deck(cards, out, builtin, epoch=EPOCH)
    assert result.notes == len({c.anki_id for c in cards}) and result.cards == len(cards)

    col = new_collection(tmp_path / "c.anki2")
    try:
        log = import_package(col, out)
        assert len(log.new) == result.notes
        assert col.note_count() == result.notes and col.card_count() == len(cards)
        notes = notes_by_id(col)
        assert set(notes) == {c.anki_id for c in cards}

        decks = {col.decks.name(card.did) for n in notes.values() for card in n.cards()}
        assert decks == {"MLSD::01 Data::01 Sampling", "MLSD::02 Cases::01 Recommendation", "MLSD::Personal::Mine::Stuff"}

        definition = notes["res/definition"]
        assert definition.note_type()["name"] == "MLSD Flash: basic"
        assert [f["name"] for f in definition.note_type()["flds"]] == ["Id", "Question", "Answer", "Extra", "Source"]
        assert definition.note_type()["sortf"] == 0
        assert definition["Question"] == "Reservoir sampling: what is it?"
        assert definition["Answer"] == r"A <em>one-pass</em> algorithm that keeps \(k\) items with \(O(k)\) memory."
        assert definition["Source"] == "ML Design Primer: Sampling"
        assert {"data", "sampling", "area::data", "source::ml-design-primer::sampling"} <= set(definition.tags)
        assert '<pre class="highlight"><code>' in notes["res/code"]["Answer"]
        assert col.find_notes('"Id:res/*"') and len(col.find_notes('"Id:res/*"')) == 6

        framing = notes["feed/framing"]
        assert {"cases", "area::cases", "step::framing", "source::ml-design-primer::cases",
                "source::huyen-designing-ml-systems"} <= set(framing.tags)
        assert "step::pitfalls" in notes["feed/pitfalls"].tags
        assert not any(t.startswith("step::") for t in notes["res/pitfalls"].tags)  # a concept's pitfalls
        assert "mine" in notes["my-note/definition"].tags

        css = definition.note_type()["css"]
        assert ".nightMode" in css and ".night_mode" in css and ".highlight .k" in css
    finally:
        col.close()


def test_raw_html_shows_as_text_in_anki(tmp_path, sources):
    builtin, _ = sources
    out = tmp_path / "deck.apkg"
    ex.export_deck(cards_of(builtin), out, builtin, epoch=EPOCH)
    col = new_collection(tmp_path / "c.anki2")
    try:
        import_package(col, out)
        note = notes_by_id(col)["res/xss"]
        assert note["Question"] == "Is &lt;script&gt;alert(1)&lt;/script&gt; run?"
        assert note["Answer"] == "No, &lt;img src=x onerror=alert(1)&gt; shows as text."
        card = note.cards()[0]
        rendered = card.question() + card.answer()
        assert "<script>alert" not in rendered and "<img src=x" not in rendered
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in rendered
    finally:
        col.close()


def test_cloze_notes_make_one_anki_card_per_deletion(tmp_path, sources):
    builtin, _ = sources
    cards = cards_of(builtin)
    ours = [c for c in cards if c.anki_id == "res/steps"]
    assert len(ours) == 3
    out = tmp_path / "deck.apkg"
    ex.export_deck(cards, out, builtin, epoch=EPOCH)
    col = new_collection(tmp_path / "c.anki2")
    try:
        import_package(col, out)
        note = notes_by_id(col)["res/steps"]
        assert note.note_type()["name"] == "MLSD Flash: cloze"
        assert note["Text"] == r"Keep {{c1::k}} slots, draw i from {{c2::1..n}} and replace when {{c3::\(i \le k\)::condition}}."
        anki_cards = sorted(note.cards(), key=lambda c: c.ord)
        assert [c.ord for c in anki_cards] == [0, 1, 2]
        assert "[condition]" in anki_cards[2].question()
        assert col.card_count() == len(cards)
    finally:
        col.close()


def test_updated_export_updates_in_place_and_keeps_history(tmp_path, sources):
    builtin, _ = sources
    out = tmp_path / "out" / "deck.apkg"
    first = ex.export_deck(cards_of(builtin), out, builtin, epoch=EPOCH)
    col = new_collection(tmp_path / "c.anki2")
    try:
        import_package(col, out)
        untouched = answer(col, "res/definition")
        edited = answer(col, "res/why")

        # One answer changed, one card removed (res/pitfalls), one added (other/why).
        text = (BUILTIN
                .replace("why: It works on streams too big to store.", "why: It needs one pass and O(k) memory.")
                .replace("    pitfalls: Drawing i from 1..k over-samples late items.\n", "")
                .replace("definition: Sampling each group separately.",
                         "definition: Sampling each group separately.\n    why: Rare groups are kept."))
        write(builtin / "02-data" / "sampling.yaml", text)
        second = ex.export_deck(cards_of(builtin), out, builtin, epoch=EPOCH + 3600)
        assert second.changed == 2 and second.notes == first.notes

        log = import_package(col, out)
        assert [n.fields[0] for n in log.updated] == ["res/why"]
        assert [n.fields[0] for n in log.new] == ["other/why"]
        assert len(log.duplicate) == second.notes - 2 and not log.conflicting
        notes = notes_by_id(col)
        assert col.note_count() == first.notes + 1 == len(notes)  # no duplicates; the removed note stays
        assert "res/pitfalls" in notes
        assert notes["res/why"]["Answer"] == "It needs one pass and O(k) memory."
        for cid in (untouched, edited):
            assert col.db.scalar("select count() from revlog where cid = ?", cid) == 1
            assert col.get_card(cid).reps == 1

        # Importing the same package again changes nothing.
        again = import_package(col, out)
        assert not again.updated and not again.new

        # docs/anki.md: how to find the notes removed upstream.
        col.tags.bulk_add(col.find_notes("deck:MLSD"), "mlsd-flash::check")
        import_package(col, out, update=ALWAYS)
        left = [col.get_note(n)["Id"] for n in col.find_notes("tag:mlsd-flash::check")]
        assert left == ["res/pitfalls"]
    finally:
        col.close()


# ---------------------------------------------------------------------------------------------
# Reproducible bytes, the committed deck


def test_same_sources_and_epoch_give_identical_bytes(tmp_path, sources, monkeypatch):
    builtin, personal = sources
    cards = cards_of(builtin, personal)
    a, b = tmp_path / "a" / "deck.apkg", tmp_path / "b" / "deck.apkg"
    ex.export_deck(cards, a, builtin, epoch=EPOCH)
    real_time = time.time
    monkeypatch.setattr(time, "time", lambda: real_time() + 86_400 * 3)  # any wall clock must not leak in
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(EPOCH))
    ex.export_deck(cards, b, builtin)  # the epoch from SOURCE_DATE_EPOCH
    assert a.read_bytes() == b.read_bytes()
    assert ex.stamps_path(a).read_bytes() == ex.stamps_path(b).read_bytes()
    ex.export_deck(cards, a, builtin, epoch=EPOCH)  # again over its own stamps
    assert a.read_bytes() == b.read_bytes()
    with zipfile.ZipFile(a) as zf:
        assert zf.namelist() == ["collection.anki2", "media"]
        assert {i.date_time for i in zf.infolist()} == {(1980, 1, 1, 0, 0, 0)}


def test_committed_deck_is_up_to_date(tmp_path):
    committed = ROOT / "decks" / "mlsd-flash.apkg"
    stamps = ex.stamps_path(committed)
    assert committed.is_file() and stamps.is_file(), "run 'mlsd-flash export' in the checkout and commit decks/"
    deck = load([ROOT / "cards"])
    assert not deck.problems, "cards/ has problems: run 'mlsd-flash check'"
    rebuilt = tmp_path / committed.name
    shutil.copy(stamps, ex.stamps_path(rebuilt))
    epoch = json.loads(stamps.read_text(encoding="utf-8"))["epoch"]
    ex.export_deck(deck.cards, rebuilt, ROOT / "cards", epoch=epoch)
    message = "decks/mlsd-flash.apkg is out of date with cards/: run 'mlsd-flash export' in the checkout and commit decks/"
    assert ex.stamps_path(rebuilt).read_bytes() == stamps.read_bytes(), message
    assert rebuilt.read_bytes() == committed.read_bytes(), message


def test_builtin_deck_imports_one_note_per_anki_id(tmp_path):
    cards = load([ROOT / "cards"]).cards
    out = tmp_path / "deck.apkg"
    result = ex.export_deck(cards, out, ROOT / "cards", epoch=EPOCH)
    col = new_collection(tmp_path / "c.anki2")
    try:
        log = import_package(col, out)
        assert col.note_count() == len({c.anki_id for c in cards}) == result.notes == len(log.new)
        assert col.card_count() == len(cards)
        names = set(col.decks.all_names())
        numbered = ex.numbered_decks(cards.decks)
        assert {f"MLSD::{numbered[c.deck]}" for c in cards} <= names
        # Anki's default options gather new cards deck by deck in name order: they come in ours.
        position = {cid: i for i, cid in enumerate(c.id for c in cards)}
        col.decks.select(col.decks.id_for_name("MLSD"))
        queued = col.sched.get_queued_cards(fetch_limit=20).cards
        # Anki's default sort shows each note's first card before its siblings (as the terminal holds
        # siblings back): the first cards come in exactly the terminal's deck order.
        firsts = [col.get_card(q.card.id) for q in queued if col.get_card(q.card.id).ord == 0]
        got = [position.get(c.note()["Id"], position.get(c.note()["Id"] + "/c1")) for c in firsts]
        first_of_note: dict[str, int] = {}
        for i, c in enumerate(cards):
            first_of_note.setdefault(c.anki_id, i)
        assert len(got) >= 10 and got == sorted(first_of_note.values())[:len(got)]
    finally:
        col.close()


# ---------------------------------------------------------------------------------------------
# The real command


def test_export_command_end_to_end(tmp_path, private_home):
    write(private_home / "cards" / "mine.yaml", PERSONAL)
    work = tmp_path / "work"
    work.mkdir()
    result = run("export", cwd=work, env={"SOURCE_DATE_EPOCH": str(EPOCH)})
    assert result.returncode == 0, result.stderr
    out = work / "mlsd-flash.apkg"
    assert out.is_file() and not (work / "mlsd-flash.stamps.json").exists()
    assert (private_home / "export-stamps.json").is_file()  # the stamps live with your data, not the package
    assert result.stdout.startswith("Wrote mlsd-flash.apkg: ") and " notes, " in result.stdout
    cards = load([ROOT / "cards", private_home / "cards"]).cards
    assert f"{len({c.anki_id for c in cards})} notes, {len(cards)} cards" in result.stdout

    col = new_collection(tmp_path / "c.anki2")
    try:
        import_package(col, out)
        assert col.note_count() == len({c.anki_id for c in cards})
        assert "MLSD::Personal::Mine::Stuff" in col.decks.all_names()
    finally:
        col.close()

    filtered = run("export", "-o", f"{tmp_path}/x/", "--deck", "Cases", "--no-personal", cwd=work)
    assert filtered.returncode == 0, filtered.stderr
    assert (tmp_path / "x" / "mlsd-flash.apkg").is_file()


def test_export_command_in_a_checkout_writes_decks(tmp_path, sources):
    builtin, _ = sources
    checkout = tmp_path
    write(checkout / "pyproject.toml", '[project]\nname = "mlsd-flash"\n')
    (checkout / "sub").mkdir()
    result = run("export", cwd=checkout / "sub")
    assert result.returncode == 0, result.stderr
    assert (checkout / "decks" / "mlsd-flash.apkg").is_file()
    assert len(cards_of(builtin)) == int(result.stdout.split(" cards,")[0].rsplit(" ", 1)[1])


@pytest.mark.parametrize("args, message", [
    (["--deck", "No::Such"], "Error: no deck named 'No::Such'"),
    (["--tag", "no-such-tag"], "Error: no cards with tag 'no-such-tag'"),
    (["-o", "a-file/deck.apkg"], "Error: cannot write a-file/deck.apkg: a-file is not a folder"),
    (["-o", "decks/mlsd-flash.apkg/"], "Error: cannot write decks/mlsd-flash.apkg/mlsd-flash.apkg: decks/mlsd-flash.apkg is not a folder"),
])
def test_export_command_errors_are_one_line(tmp_path, sources, args, message):
    # In a checkout of its own (the fixture's cards), so the built-in deck's state does not matter.
    write(tmp_path / "pyproject.toml", '[project]\nname = "mlsd-flash"\n')
    write(tmp_path / "a-file", "x")
    assert run("export", cwd=tmp_path).returncode == 0
    result = run("export", *args, cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.strip() == message
    assert "Traceback" not in result.stderr


def test_case_points_arrive_in_anki_in_the_case_deck_in_skeleton_order(tmp_path):
    from test_mock import CASE as SKELETON

    builtin = tmp_path / "cards"
    write(builtin / "20-cases" / "toy.yaml", SKELETON)
    cards = cards_of(builtin)
    out = tmp_path / "deck.apkg"
    ex.export_deck(cards, out, builtin, epoch=EPOCH)
    col = new_collection(tmp_path / "c.anki2")
    try:
        import_package(col, out)
        anki_cards = sorted((col.get_card(cid) for cid in col.find_cards("")), key=lambda c: c.due)
        assert {col.decks.name(c.did) for c in anki_cards} == {"MLSD::01 Toy::01 Cases"}
        notes = [c.note() for c in anki_cards]
        assert [n["Id"] for n in notes] == ["case-toy/goal", "case-toy/task", "case-toy/two-tower",
                                            "case-toy/ranker", "case-toy/logq"]
        assert "step::framing" in notes[0].tags and "step::model" in notes[3].tags
        assert "step::deep-dive" in notes[4].tags
        assert notes[0]["Question"] == "Case: Toy feed ranking. What is the goal?"
    finally:
        col.close()


def test_an_export_to_a_fresh_path_marks_nothing_unchanged_as_changed(tmp_path, private_home):
    result = run("export", "-o", tmp_path / "fresh.apkg", "--no-personal", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "(0 new or changed since the last export)" in result.stdout  # the published deck's times


def test_a_fresh_export_updates_in_anki_only_what_changed_and_keeps_the_users_edits(tmp_path, sources):
    builtin, _ = sources
    published = tmp_path / "published" / "deck.apkg"
    ex.export_deck(cards_of(builtin), published, builtin, epoch=EPOCH)
    col = new_collection(tmp_path / "c.anki2")
    try:
        import_package(col, published)
        mine = notes_by_id(col)["res/why"]
        mine["Extra"] = "My own mnemonic."  # the learner's edit in Anki
        col.update_note(mine)
        f = builtin / "02-data" / "sampling.yaml"
        f.write_text(f.read_text(encoding="utf-8").replace("A *one-pass*", "A *single-pass*"), encoding="utf-8")
        fresh = tmp_path / "elsewhere" / "new-name.apkg"  # a path never exported to, no stamps beside it
        result = ex.export_deck(cards_of(builtin), fresh, builtin, epoch=EPOCH + 86_400,
                                stamps_file=tmp_path / "data" / "export-stamps.json",
                                baseline=ex.read_stamps(ex.stamps_path(published)))
        assert result.changed == 1
        log = import_package(col, fresh)
        assert [n.fields[0] for n in log.updated] == ["res/definition"]
        assert notes_by_id(col)["res/why"]["Extra"] == "My own mnemonic."
    finally:
        col.close()


def test_anki_media_syntax_in_a_field_is_only_text(tmp_path):
    builtin = tmp_path / "cards"
    write(builtin / "01-x" / "a.yaml", """
        deck: X
        source: s
        notes:
          - id: media
            concept: Media
            definition: "Anki plays [sound:alarm.mp3] when it sees it."
            why: w
    """)
    spec = next(s for s in ex.build_notes(cards_of(builtin), builtin) if s.anki_id == "media/definition")
    assert "[sound:" not in spec.fields[2] and "&#91;sound:alarm.mp3]" in spec.fields[2]


def test_inside_a_checkout_every_command_uses_its_cards(tmp_path, private_home):
    """However mlsd-flash was installed, a learner who edits a built-in card in a checkout sees the edit."""
    checkout = tmp_path / "clone"
    write(checkout / "pyproject.toml", '[project]\nname = "mlsd-flash"\n')
    write(checkout / "cards" / "02-data" / "sampling.yaml", BUILTIN.replace("A *one-pass*", "An *edited*"))
    (checkout / "decks").mkdir()
    inner = checkout / "cards" / "02-data"
    assert "An edited algorithm" in run("show", "res/definition", cwd=inner).stdout
    assert run("list", cwd=inner).stdout.count("\n") == len(load([checkout / "cards"]).cards)
    assert run("export", cwd=checkout).returncode == 0
    col = new_collection(tmp_path / "c.anki2")
    try:
        import_package(col, checkout / "decks" / "mlsd-flash.apkg")
        assert notes_by_id(col)["res/definition"]["Answer"].startswith("An <em>edited</em>")
    finally:
        col.close()
