"""The first card against Anki's own engine on the same scale (issue 20).

    python benchmarks/anki_compare.py [--user DIR] [--runs 9]

Builds (once, beside the synthetic user) an Anki collection with the user's cards, their states and
their review log: our export imported into Anki's engine (the `anki` test extra), then each card's
queue, due and interval and the revlog written from our history. Then it times, alternately, a
fresh process opening the collection and fetching its first queued card, and a fresh process of
`mlsd-flash review` showing its first question, and prints both medians and their ratio.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from review import first_question_ms, prepared  # noqa: E402

FETCH = """
import sys, time
t = time.perf_counter()
from anki.collection import Collection
col = Collection(sys.argv[1])
col.decks.select(col.decks.id_for_name("MLSD"))
queued = col.sched.get_queued_cards(fetch_limit=1)
card = col.get_card(queued.cards[0].card.id)
card.question()
print((time.perf_counter() - t) * 1000)
col.close()
"""


def build_collection(data_dir: Path, target: Path) -> None:
    """An Anki collection holding the user's cards, states and review log."""
    from anki.collection import Collection, ImportAnkiPackageOptions, ImportAnkiPackageRequest

    package = target.with_suffix(".apkg")
    env = {**os.environ, "MLSD_FLASH_HOME": str(data_dir)}
    subprocess.run([sys.executable, "-m", "mlsd_flash", "export", "-o", str(package)], check=True, env=env,
                   capture_output=True)
    col = Collection(str(target))
    col.import_anki_package(ImportAnkiPackageRequest(package_path=str(package),
                                                     options=ImportAnkiPackageOptions(with_scheduling=False)))
    ids = {flds.split("\x1f", 1)[0]: cid
           for flds, cid in col.db.all("select n.flds, c.id from cards c join notes n on n.id = c.nid")}
    crt = col.crt
    history = sqlite3.connect(data_dir / "history.sqlite3")
    updates = []
    for card_id, state, due, stability, reps, lapses in history.execute(
            "SELECT card_id, state, due, stability, reps, lapses FROM cards"):
        cid = ids.get(card_id)
        if cid is None:
            continue
        if state == 2:  # review: due is a day number counted from the collection's creation
            updates.append((2, 2, (due // 1000 - crt) // 86400, max(1, int(stability or 1)), reps, lapses, cid))
        else:  # learning or relearning: due is a timestamp in seconds
            updates.append((1 if state == 1 else 3, 1, due // 1000, 0, reps, lapses, cid))
    col.db.executemany("update cards set type = ?, queue = ?, due = ?, ivl = ?, reps = ?, lapses = ? where id = ?",
                       updates)
    rows = ((at, ids[card_id], -1, rating, 1, 0, 2500, duration or 0, 1)
            for at, card_id, rating, duration in history.execute(
                "SELECT reviewed_at, card_id, rating, duration_ms FROM reviews") if card_id in ids)
    seen: set[int] = set()
    unique = []
    for row in rows:  # revlog ids are answer times in ms and must be unique
        at = row[0]
        while at in seen:
            at += 1
        seen.add(at)
        unique.append((at, *row[1:]))
    col.db.executemany("insert into revlog (id, cid, usn, ease, ivl, lastIvl, factor, time, type) "
                       "values (?, ?, ?, ?, ?, ?, ?, ?, ?)", unique)
    col.close()
    history.close()
    print(f"built the Anki collection: {len(updates)} scheduled cards, {len(unique)} revlog rows", flush=True)


def anki_first_card_ms(collection: Path) -> float:
    t = time.perf_counter()
    subprocess.run([sys.executable, "-c", FETCH, str(collection)], check=True, capture_output=True)
    return (time.perf_counter() - t) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--user", type=Path, help="reuse a synthetic user built earlier in this folder")
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        data_dir, env = prepared(args.user or tmp / "user", tmp, "copy", 1)
        collection = tmp / "anki" / "collection.anki2"
        collection.parent.mkdir()
        build_collection(data_dir, collection)
        ours, anki = [], []
        for _ in range(args.runs):  # alternated, so that the machine's load weighs on both alike
            ours.append(first_question_ms(env)[0])
            copy = tmp / "anki-run.anki2"
            shutil.copyfile(collection, copy)  # Anki writes on open; every run starts from the same file
            anki.append(anki_first_card_ms(copy))
        mine, theirs = statistics.median(ours), statistics.median(anki)
        print(f"mlsd-flash, process start to first question: median {mine:.0f} ms")
        print(f"Anki's engine, process start to first card:   median {theirs:.0f} ms")
        print(f"ratio {mine / theirs:.2f} (target <= 0.3)")


if __name__ == "__main__":
    main()
