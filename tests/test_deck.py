"""The built-in deck: every coverage term has a card, every case is complete, and the style gate holds."""

from __future__ import annotations

from pathlib import Path

from mlsd_flash.deck import builtin_cards_dir, load
from mlsd_flash.style import case_problems, enumerated_items, strict_problems

DATA = Path(__file__).parent / "data"
TERM_FILES = [DATA / "coverage_terms.txt", *sorted((DATA / "coverage").glob("*.txt"))]
"""The seeds' terms, then one file of key techniques per area or group of cases written beyond them."""


def deck():
    return load([builtin_cards_dir()])


def test_every_coverage_term_appears_in_some_card():
    cards = deck().cards
    text = "\n".join(f"{c.title}\n{c.question}\n{c.answer}\n{c.extra}" for c in cards).lower()
    terms = [t.strip() for f in TERM_FILES for t in f.read_text(encoding="utf-8").splitlines()
             if t.strip() and not t.startswith("#")]
    assert len(terms) >= 80
    missing = [t for t in terms if t.lower() not in text]
    assert missing == []


def test_every_case_is_a_skeleton_with_its_points_in_framework_order():
    from mlsd_flash.notes import parse_file
    from mlsd_flash.skeleton import case_ids, skeleton_of

    d = deck()
    cases = case_ids(d.cards)
    assert len(cases) >= 38  # the primer's 23 and the 15 canonical and GenAI designs it lacks
    order = ["framing", "data", "labels", "features", "model", "offline_metrics", "online_metrics", "serving",
             "pitfalls"]
    for case in cases:
        cards = d.note_cards(case)
        note = next(n for n in parse_file(cards[0].path)[0] if n.id == case)
        skeleton = skeleton_of(note)
        assert note.prompt, case
        assert [s.key for s in skeleton.steps] == order, case
        assert all(2 <= len(s.points) <= 6 for s in skeleton.steps), case
        assert len(cards) >= 20, case
        points = [c.id for c in cards if c.facet in order]
        assert points == [p.card_id for _, p in skeleton.points()], case  # cards come in skeleton order


def test_strict_gate_passes_on_the_builtin_deck():
    d = deck()
    assert d.problems == []
    assert [str(p) for p in strict_problems(d.cards)] == []


def test_strict_case_rules_report_each_broken_rule_at_its_line(tmp_path):
    from mlsd_flash.notes import parse_file

    f = tmp_path / "case.yaml"
    f.write_text(
        "deck: x\nsource: s\nnotes:\n  - id: case-x\n    case: X\n"
        "    framing: One checklist answer.\n"
        "    data:\n      - id: only\n        label: Only one\n        q: Q?\n"
        "        a: " + "word " * 36 + "\n",
        encoding="utf-8")
    messages = [f"{p.line}: {p.message}" for p in case_problems(parse_file(f)[0])]
    assert any("case 'case-x' has no 'prompt'" in m for m in messages)
    assert "6: case 'case-x': step 'framing' is one checklist card; write it as a list of 2 to 6 points" in messages
    assert any(m.startswith("8: case-x/only: point answer has 36 words") for m in messages)
    assert any("step 'data' has 1 points" in m for m in messages)
    assert any("step 'model' has 0 points" in m for m in messages)
    assert any("has 0 deep dives" in m for m in messages) and any("has 2 cards (at least 20)" in m for m in messages)


def test_strict_gate_catches_each_rule(tmp_path):
    f = tmp_path / "bad.yaml"
    f.write_text(
        "deck: x\nnotes:\n"
        "  - id: a\n    concept: A\n    definition: " + "word " * 51 + "\n"
        "  - id: b\n    concept: B\n    source: s\n    definition: One, two, three, four, five.\n    why: w\n"
        "  - id: c\n    concept: A\n    source: s\n    definition: d\n    why: y\n",
        encoding="utf-8")
    messages = [p.message for p in strict_problems(load([f]).cards)]
    assert any("a/definition: answer has 51 words" in m for m in messages)
    assert any("a/definition: card has no source" in m for m in messages)
    assert any("a: a definition alone" in m for m in messages)
    assert any("b/definition: answer enumerates 5 items" in m for m in messages)
    assert any("c/definition: question is (nearly) the same as a/definition's" in m for m in messages)


def test_enumeration_counts_lists_and_sentences_but_not_numbers():
    assert enumerated_items("- a\n- b\n- c\n- d\n- e") == 5
    assert enumerated_items("About 1,000,000 rows, give or take.") == 2
    assert enumerated_items("Latency, throughput, cost, and accuracy.") == 4
