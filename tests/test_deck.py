"""The built-in deck: every coverage term has a card, every case is complete, and the style gate holds."""

from __future__ import annotations

from pathlib import Path

from mlsd_flash.deck import builtin_cards_dir, load
from mlsd_flash.style import enumerated_items, strict_problems

DATA = Path(__file__).parent / "data"
TERM_FILES = [DATA / "coverage_terms.txt", *sorted((DATA / "coverage").glob("*.txt"))]
"""The seeds' terms, then one file of key techniques per area or group of cases written beyond them."""
CASE_STEPS = {"framing", "data", "labels", "features", "model", "offline_metrics", "online_metrics", "serving",
              "pitfalls"}


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


def test_all_23_cases_with_at_least_seven_cards_in_framework_order():
    cards = deck().cards
    cases: dict[str, list[str]] = {}
    for c in cards:
        if c.note_id.startswith("case-"):
            cases.setdefault(c.note_id, []).append(c.facet)
    assert len(cases) == 23
    order = ["framing", "data", "labels", "features", "model", "offline_metrics", "online_metrics", "serving",
             "pitfalls"]
    for case, facets in cases.items():
        assert len(facets) >= 7, case
        steps = [f for f in facets if f in CASE_STEPS]
        assert steps == [s for s in order if s in steps], case


def test_strict_gate_passes_on_the_builtin_deck():
    d = deck()
    assert d.problems == []
    assert [str(p) for p in strict_problems(d.cards)] == []


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
