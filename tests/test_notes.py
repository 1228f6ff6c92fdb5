"""The note compiler: every kind of error is reported at its file, line and column, and ids are stable."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlsd_flash.deck import load
from mlsd_flash.notes import parse_bytes
from conftest import SAMPLE, run, write


def problems_of(text: str) -> list[str]:
    _, problems = parse_bytes(text.encode(), "f.yaml")
    return [str(p) for p in problems]


def test_sample_compiles_every_facet_kind(tmp_path):
    deck = load([write(tmp_path / "s.yaml", SAMPLE)])
    assert deck.problems == []
    ids = [c.id for c in deck.cards]
    assert ids == [
        "toy-reservoir/definition", "toy-reservoir/reverse", "toy-reservoir/why",
        "toy-reservoir/vs-stratified", "toy-reservoir/why-uniform",
        "toy-reservoir/steps/c1", "toy-reservoir/steps/c2",
        "toy-feed/framing", "toy-feed/model",
    ]
    by_id = {c.id: c for c in deck.cards}
    assert by_id["toy-reservoir/definition"].question == "Reservoir sampling: what is it?"
    assert by_id["toy-reservoir/reverse"].answer == "Reservoir sampling"
    assert by_id["toy-reservoir/vs-stratified"].question == "Reservoir sampling vs Stratified sampling: what is the difference?"
    assert by_id["toy-feed/framing"].question.startswith("Case: Feed ranking for Instagram.")
    assert by_id["toy-feed/framing"].deck == "Toy::Cases"
    c1 = by_id["toy-reservoir/steps/c1"]
    assert c1.front() == "Reservoir sampling draws i from [...] and replaces slot i when i <= k."
    assert "**1..n**" in c1.back()
    assert c1.anki_id == by_id["toy-reservoir/steps/c2"].anki_id == "toy-reservoir/steps"


@pytest.mark.parametrize("text, expected", [
    ("deck: x\nnotes:\n  - id: a\n    concept: [b\n", "f.yaml:5:1: YAML syntax error"),
    ("deck: x\nsource: s\nnotes:\n  - id: a\n    concept: A\n    defintion: d\n",
     "f.yaml:6:5: unknown key 'defintion' in a concept note (did you mean 'definition'?)"),
    ("deck: x\nsource: s\nnotes:\n  - id: a\n    concept: A\n    why: \"\"\n", "f.yaml:6:10: 'why' in note 'a' is empty"),
    ("deck: x\nsource: s\nnotes:\n  - id: a\n    why: w\n", "f.yaml:4:5: note 'a' is missing 'concept'"),
    ("deck: x\nsource: s\nnotes:\n  - concept: A\n    why: w\n", "f.yaml:4:5: a concept note is missing 'id'"),
    ("deck: x\nsource: s\nnotes:\n  - id: a\n    concept: A\n    why: [1, 2]\n",
     "f.yaml:6:10: 'why' in note 'a' must be text, not a list"),
    ("deck: x\nsource: s\nnotes:\n  - id: a\n    concept: A\n    reverse: maybe\n    definition: d\n",
     "f.yaml:6:14: 'reverse' in note 'a' must be true or false"),
    ("deck: x\nsource: s\nnotes:\n  - id: Bad_Id\n    concept: A\n    why: w\n",
     "f.yaml:4:9: id 'Bad_Id' in a concept note is not a slug"),
    ("deck: x\nsource: s\nnotes:\n  - id: a\n    concept: A\n    cloze:\n      - id: c\n        text: no deletion here\n",
     "f.yaml:8:15: cloze 'c' of note 'a' has no deletion"),
    ("deck: x\nsource: s\nnotes:\n  - id: a\n    concept: A\n    cloze:\n      - id: c\n        text: \"{{c1:broken}}\"\n",
     "f.yaml:8:15: cloze 'c' of note 'a' has a malformed deletion"),
    ("deck: x\nsource: s\nnotes:\n  - id: a\n    concept: A\n    when: !!python/object:os.system ls\n",
     "f.yaml:6:11: unsupported YAML tag !!python/object:os.system"),
    ("deck: x\nnotes: {}\n", "f.yaml:2:8: 'notes' in the file must be a list, not a mapping"),
    ("", "f.yaml:1:1: file is empty"),
    ("source: s\nnotes:\n  - id: a\n    concept: A\n    why: w\n", "f.yaml:3:5: note 'a' has no 'deck'"),
    ("deck: x\nnotes:\n  - id: a\n    concept: A\n    cards:\n      - id: q\n        q: Q?\n      - id: q\n        q: Q?\n        a: A\n",
     "f.yaml:6:9: card 'q' of note 'a' is missing 'a'"),
])
def test_each_kind_of_error_is_located(text, expected):
    found = problems_of(text)
    assert any(p.startswith(expected) for p in found), found


def test_local_duplicate_ids_name_the_first_line():
    text = "deck: x\nnotes:\n  - id: a\n    concept: A\n    cards:\n      - id: q\n        q: Q?\n        a: A\n      - id: q\n        q: R?\n        a: B\n"
    assert "f.yaml:9:13: duplicate id 'q' in note 'a' (first at line 6)" in problems_of(text)


def test_not_utf8_is_located():
    _, problems = parse_bytes(b"deck: x\nnotes:\n  - id: a\n    concept: caf\xe9\n", "f.yaml")
    assert [str(p) for p in problems] == ["f.yaml:4:17: file is not UTF-8 (byte 0xe9)"]


def test_duplicate_note_ids_across_files_name_both_places(tmp_path):
    write(tmp_path / "a.yaml", "deck: x\nnotes:\n  - id: same\n    concept: A\n    why: w\n")
    write(tmp_path / "b.yaml", "deck: y\nnotes:\n  - id: other\n    concept: O\n    why: w\n  - id: same\n    concept: B\n    why: w\n")
    deck = load([tmp_path])
    messages = [str(p) for p in deck.problems]
    assert len(messages) == 1
    assert messages[0].endswith("b.yaml:6:5: duplicate note id 'same' (also at " + str(Path(deck.files[0])) + ":3)")


def test_all_errors_of_a_run_are_reported_at_once(tmp_path):
    write(tmp_path / "one.yaml", "deck: x\nnotes:\n  - id: a\n    concept: A\n    whyy: w\n    when: w\n")
    write(tmp_path / "two.yaml", "deck: x\nnotes:\n  - id: b\n    concept: [oops\n")
    result = run("check", tmp_path)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert any("one.yaml:5:5: unknown key 'whyy'" in line for line in lines)
    assert any("two.yaml:" in line and "YAML syntax error" in line for line in lines)
    assert lines[-1] == "Error: 2 problems found"
    assert "Traceback" not in result.stderr


def test_editing_text_keeps_ids_and_changes_hash(tmp_path):
    f = write(tmp_path / "s.yaml", SAMPLE)
    before = {c.id: c.content_hash for c in load([f]).cards}
    f.write_text(f.read_text().replace("O(k) memory", "only O(k) memory"))
    after = {c.id: c.content_hash for c in load([f]).cards}
    assert list(before) == list(after)
    changed = [cid for cid in before if before[cid] != after[cid]]
    assert changed == ["toy-reservoir/why"]


def test_reordering_and_moving_notes_keeps_ids(tmp_path):
    one = tmp_path / "one"
    write(one / "all.yaml", SAMPLE)
    ids = {c.id for c in load([one]).cards}
    # Move the case note to a file of its own and put it first.
    head, case = SAMPLE.split("  - id: toy-feed")
    two = tmp_path / "two"
    write(two / "b.yaml", head)
    write(two / "a.yaml", "deck: Toy::Cases\nsource: s\nnotes:\n  - id: toy-feed" + case)
    moved = load([two])
    assert moved.problems == []
    assert {c.id for c in moved.cards} == ids
    assert moved.cards[0].id.startswith("toy-feed/")


@pytest.mark.parametrize("damage", [lambda b: b[: len(b) // 2], lambda b: b[:-1], lambda b: b"junk" + b[4:],
                                    lambda b: b"", lambda b: b[:-20] + bytes([b[-20] ^ 0x55]) + b[-19:]])
def test_a_damaged_deck_cache_is_rebuilt_not_trusted(tmp_path, damage):
    f = write(tmp_path / "cards" / "s.yaml", SAMPLE)
    cache = tmp_path / "cache"
    expected = list(load([f.parent], cache).cards)
    (cache_file,) = cache.glob("deck-*")
    cache_file.write_bytes(damage(cache_file.read_bytes()))
    assert list(load([f.parent], cache).cards) == expected
    assert list(load([f.parent], cache).cards) == expected  # and the rebuilt cache serves again


def test_a_full_disk_leaves_no_partial_cache_and_says_so(tmp_path, monkeypatch, capsys):
    import errno
    import os

    from mlsd_flash import deck as deck_module

    f = write(tmp_path / "cards" / "s.yaml", SAMPLE)
    cache = tmp_path / "cache"

    def full(*args):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(deck_module.os, "replace", full)
    assert len(load([f.parent], cache).cards) > 0  # the command goes on without a cache
    assert "disk full" in capsys.readouterr().err
    assert os.listdir(cache) == []


def test_cache_returns_same_cards_and_notices_changes(tmp_path):
    f = write(tmp_path / "cards" / "s.yaml", SAMPLE)
    cache = tmp_path / "cache"
    first = load([f.parent], cache)
    assert len(list(cache.glob("deck-*"))) == 1
    again = load([f.parent], cache)
    assert again.cards[3] == first.cards[3] and again.get("toy-feed/model") == first.get("toy-feed/model")
    assert list(again.select("toy::cases")) == list(first.select("Toy::Cases")) == first.note_cards("toy-feed")
    assert list(again.cards) == list(first.cards)  # every field of every card comes back
    f.write_text(f.read_text().replace("  - id: toy-feed", "  - id: toy-feed-2"))
    changed = load([f.parent], cache)
    assert changed.get("toy-feed-2/framing") and not changed.get("toy-feed/framing")


def test_editing_one_file_compiles_that_file_only(tmp_path, monkeypatch):
    from mlsd_flash import notes

    folder = tmp_path / "cards"
    for i in range(5):
        write(folder / f"f{i}.yaml", SAMPLE.replace("toy-", f"t{i}-"))
    cache = tmp_path / "cache"
    first = list(load([folder], cache).cards)
    parsed = []
    real = notes.parse_file
    monkeypatch.setattr(notes, "parse_file", lambda path, shown=None: parsed.append(path) or real(path, shown))
    edited = folder / "f3.yaml"
    edited.write_text(edited.read_text().replace("keep a uniform sample", "keep an even sample"))
    again = load([folder], cache)
    assert [str(p) for p in parsed] == [str(edited)]
    assert [c.id for c in again.cards] == [c.id for c in first]
    assert again.get("t3-reservoir/definition").answer.startswith("A one-pass way to keep an even sample")
    assert list(load([folder], cache).cards) == list(again.cards) and len(parsed) == 1  # then the deck cache
