"""The deck cache after edits: an edit patched into the cached deck gives exactly the deck a full
compile gives (cards, order, problems, counts), whatever the edit, and an edit that makes a note id
meet another file's falls back to merging every file."""

from __future__ import annotations

import pytest

from mlsd_flash import deck as deck_module
from mlsd_flash.deck import load
from conftest import write


def notes(*ids: str, deck: str = "Toy::Cache") -> str:
    body = "".join(f"  - id: {i}\n    concept: {i} concept\n    definition: Defines {i} in one plain sentence.\n"
                   f"    why: It matters for {i}.\n" for i in ids)
    return f"deck: {deck}\nsource: s\nnotes:\n{body}"


def same_as_a_full_compile(roots, cache):
    cached = load(roots, cache)
    full = load(roots)
    assert [cached.cards.get(cid) for cid in full.cards.ids] == list(full.cards)  # each card found by its id
    assert list(cached.cards) == list(full.cards)
    assert cached.cards.segments == full.cards.segments
    assert [tuple(p) for p in cached.problems] == [tuple(p) for p in full.problems]
    assert (cached.note_count, cached.files) == (full.note_count, full.files)
    again = load(roots, cache)  # and the cache written from it serves the same deck
    assert list(again.cards) == list(full.cards) and again.cards.get(full.cards.ids[-1]) == full.cards[-1]
    return cached


EDITS = {
    "answer changed": lambda d: write(d / "b.yaml", notes("b1", "b2").replace("It matters for b2", "It counts for b2")),
    "note added": lambda d: write(d / "b.yaml", notes("b1", "b2", "b3")),
    "note removed": lambda d: write(d / "b.yaml", notes("b2")),
    "file added between": lambda d: write(d / "ba.yaml", notes("x1")),
    "file deleted": lambda d: (d / "b.yaml").unlink(),
    "file broken": lambda d: write(d / "b.yaml", "deck: [unclosed\n"),
    "two files edited": lambda d: (write(d / "a.yaml", notes("a1", "a9")), write(d / "c.yaml", notes("c0"))),
}


@pytest.mark.parametrize("edit", EDITS, ids=list(EDITS))
def test_an_edit_is_patched_into_the_cached_deck_without_reading_every_file(tmp_path, monkeypatch, edit):
    cards, cache = tmp_path / "cards", tmp_path / "cache"
    write(cards / "a.yaml", notes("a1", "a2"))
    write(cards / "b.yaml", notes("b1", "b2"))
    write(cards / "c.yaml", notes("c1"))
    before = set(load([cards], cache).cards.ids)
    EDITS[edit](cards)

    def every_file(units_file):
        raise AssertionError("an edit of a deck with no shared note ids read every file's compiled notes")

    monkeypatch.setattr(deck_module, "_read_units", every_file)
    patched = same_as_a_full_compile([cards], cache)
    assert all(patched.cards.get(cid) is None for cid in before - set(patched.cards.ids))  # gone for good


def test_a_shared_note_id_falls_back_to_merging_every_file_and_back(tmp_path):
    cards, personal, cache = tmp_path / "cards", tmp_path / "personal", tmp_path / "cache"
    write(cards / "a.yaml", notes("a1", "a2"))
    write(cards / "b.yaml", notes("b1"))
    write(personal / "mine.yaml", notes("p1"))
    roots = [cards, personal]
    load(roots, cache)
    write(cards / "b.yaml", notes("b1", "a2"))  # a duplicate of a's note: a problem naming both
    dup = same_as_a_full_compile(roots, cache)
    assert any("duplicate note id 'a2'" in p.message for p in dup.problems)
    write(cards / "b.yaml", notes("b1"))  # fixed again
    assert same_as_a_full_compile(roots, cache).problems == []
    # A personal copy of a built-in note (override) replaces it where the copy stands.
    write(personal / "mine.yaml", notes("p1") + "  - id: a1\n    override: true\n    concept: Mine\n"
                                                "    definition: My own words.\n")
    overridden = same_as_a_full_compile(roots, cache)
    assert overridden.cards.get("a1/definition").answer == "My own words."
    write(personal / "mine.yaml", notes("p1", "p2"))  # the override dropped: a1 comes back from the cache
    assert same_as_a_full_compile(roots, cache).cards.get("a1/definition").answer == "Defines a1 in one plain sentence."


def test_a_damaged_card_in_a_patched_deck_is_served_from_a_recompile(tmp_path):
    cards, cache = tmp_path / "cards", tmp_path / "cache"
    write(cards / "a.yaml", notes("a1", "a2"))
    write(cards / "b.yaml", notes("b1"))
    load([cards], cache)
    (cache_file,) = cache.glob("deck-*")
    data = bytearray(cache_file.read_bytes())
    data[-30] ^= 0x55  # inside the last card (b's), which the patch below keeps from the cache
    cache_file.write_bytes(bytes(data))
    write(cards / "a.yaml", notes("a1", "a2").replace("It matters for a2", "It counts for a2"))
    patched = load([cards], cache, defer=True)
    assert patched.cards[-1] == load([cards]).cards[-1]
    assert list(patched.cards) == list(load([cards]).cards)
