"""Benchmark the Anki export on a generated 30,000-card deck.

Prints the median time and peak memory (max RSS of a fresh process) of `mlsd_flash.export.export_deck`
(rendering, stamps, genanki, zip), and the time genanki alone takes to write the same notes with
their fields already rendered, with the ratio. Targets: under 10 s, under 300 MB, ratio under 1.3.

genanki's own `Package` rewrites the collection's deck and note-type JSON once per deck, which
dominates with hundreds of decks; the exporter writes them once. So a third figure times genanki
with the exporter's writer: its ratio is the cost of rendering and stamps alone.

    python benchmarks/export.py [--cards 30000] [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

WORDS = ("model data feature label metric latency throughput user item query rank score train serve "
         "cache shard replica drift sample batch stream embedding retrieval candidate click signal "
         "loss gradient window offline online experiment baseline cost budget memory index").split()


def synthetic_cards(count: int, seed: int = 7):
    """Cards shaped like the built-in deck: notes of about six cards, some cloze, a few with Markdown."""
    from mlsd_flash.cards import Card

    rng = random.Random(seed)

    def sentence(n: int) -> str:
        words = [rng.choice(WORDS) for _ in range(n)]
        return " ".join(words).capitalize() + "."

    def answer() -> str:
        text = " ".join(sentence(rng.randint(8, 14)) for _ in range(rng.randint(1, 3)))
        roll = rng.random()
        if roll < 0.05:
            text += r" The loss is $-\sum_i y_i \log p_i$ per *batch*."
        elif roll < 0.08:
            text += " Use `top_k` on the **candidate** list."
        elif roll < 0.09:
            text += "\n\n```python\nfor item in stream:\n    keep(item, k)\n```"
        return text

    cards: list[Card] = []
    note = 0
    while len(cards) < count:
        note += 1
        note_id = f"note-{note:05d}"
        deck = f"Area {note % 9}::Topic {note % 53}"
        common = dict(note_id=note_id, title=f"Concept {note}", deck=deck, tags=("synthetic", f"t{note % 17}"),
                      source="ML Design Primer: Synthetic; Huyen, Designing ML Systems", path="bench.yaml", line=note)
        for facet in ("definition", "why", "when", "pros", "cons"):
            cid = f"{note_id}/{facet}"
            cards.append(Card(id=cid, anki_id=cid, kind="basic", facet=facet,
                              question=f"What about {facet} of concept {note}?", answer=answer(),
                              extra=sentence(10) if rng.random() < 0.4 else "", **common))
        if note % 3 == 0:
            text = f"Concept {note} keeps {{{{c1::k}}}} items and replaces one when {{{{c2::i <= k}}}}."
            for n in (1, 2):
                cards.append(Card(id=f"{note_id}/steps/c{n}", anki_id=f"{note_id}/steps", kind="cloze",
                                  facet="cloze", question=text, answer="", extra="", ordinal=n, **common))
    return cards[:count]


def child(mode: str, count: int, out: Path) -> None:
    import genanki

    from mlsd_flash import export as ex

    cards = synthetic_cards(count)
    builtin = Path("bench.yaml").resolve().parent
    if mode == "export":
        start, cpu_start = time.perf_counter(), time.process_time()
        result = ex.export_deck(cards, out, builtin, epoch=1_767_225_600)
        seconds = time.perf_counter() - start
        notes = result.notes
    else:  # genanki alone, fields rendered beforehand (stock Package, or the exporter's one-pass writer)
        specs = ex.build_notes(cards, builtin)
        basic, cloze = ex.note_types()
        start, cpu_start = time.perf_counter(), time.process_time()
        decks: dict[str, genanki.Deck] = {}
        for spec in specs:
            deck = decks.get(spec.deck) or decks.setdefault(spec.deck, genanki.Deck(ex._deck_id(spec.deck), spec.deck))
            deck.add_note(genanki.Note(model=cloze if spec.kind == "cloze" else basic, fields=spec.fields,
                                       tags=spec.tags, guid=genanki.guid_for(spec.anki_id), due=spec.position + 1))
        package_class = genanki.Package if mode == "genanki" else ex._Package
        package_class(list(decks.values())).write_to_file(str(out), timestamp=1_767_225_600)
        seconds = time.perf_counter() - start
        notes = len(specs)
    cpu = time.process_time() - cpu_start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    if sys.platform == "darwin":
        peak_mb /= 1024  # bytes on macOS
    print(json.dumps({"seconds": seconds, "cpu": cpu, "peak_mb": peak_mb, "notes": notes, "bytes": out.stat().st_size}))


def measure(mode: str, count: int) -> dict:
    """One run in a fresh process, so that its peak memory is its own."""
    with tempfile.TemporaryDirectory() as tmp:
        proc = subprocess.run([sys.executable, __file__, "--child", mode, "--cards", str(count),
                               "--out", str(Path(tmp) / "bench.apkg")],
                              capture_output=True, text=True, check=True)
        return json.loads(proc.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cards", type=int, default=30_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--child", choices=["export", "genanki", "writer"], help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.cards, args.out)
        return
    ours, alone, writer = [], [], []
    for _ in range(args.runs):  # interleaved, so that a busy machine slows all alike
        ours.append(measure("export", args.cards))
        alone.append(measure("genanki", args.cards))
        writer.append(measure("writer", args.cards))
    t_ours = statistics.median(r["seconds"] for r in ours)
    t_alone = statistics.median(r["seconds"] for r in alone)
    mem = statistics.median(r["peak_mb"] for r in ours)
    print(f"cards: {args.cards}, notes: {ours[0]['notes']}, package: {ours[0]['bytes'] / 1e6:.1f} MB, "
          f"median of {args.runs} runs")
    print(f"mlsd-flash export: {t_ours:6.2f} s   peak memory {mem:6.1f} MB   (targets: < 10 s, < 300 MB)")
    print(f"genanki alone:     {t_alone:6.2f} s   peak memory {statistics.median(r['peak_mb'] for r in alone):6.1f} MB")
    t_writer = statistics.median(r["seconds"] for r in writer)
    print(f"genanki notes, the exporter's one-pass writer: {t_writer:6.2f} s  (ratio {t_ours / t_writer:.2f}: "
          "the cost of rendering and stamps alone)")
    cpu = {name: statistics.median(r["cpu"] for r in rs) for name, rs in
           (("export", ours), ("genanki", alone), ("writer", writer))}
    print(f"CPU time (s):      export {cpu['export']:.2f}, genanki {cpu['genanki']:.2f} "
          f"(ratio {cpu['export'] / cpu['genanki']:.2f}), one-pass writer {cpu['writer']:.2f} "
          f"(ratio {cpu['export'] / cpu['writer']:.2f})")
    print("runs (s):          export " + " ".join(f"{r['seconds']:.2f}" for r in ours)
          + " | genanki " + " ".join(f"{r['seconds']:.2f}" for r in alone))
    print(f"ratio:             {t_ours / t_alone:6.2f}     (target: < 1.3)")


if __name__ == "__main__":
    main()
