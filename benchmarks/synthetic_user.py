"""A synthetic heavy user for benchmarks: many personal cards and a long review history.

`build(data_dir)` writes into a data folder (what MLSD_FLASH_HOME points at):
- `cards/`: n_cards // 3 concept notes with three facets each (definition, why, pitfalls) in a few
  hundred YAML files, spread over decks `Bench NN::Topic MM` (the personal-cards folder the App
  loads automatically);
- `history.sqlite3`: n_reviews review rows over about two years with plausible FSRS-like states
  (growing intervals, some lapses, a tenth of the cards not started yet), inserted directly with
  the schema of `mlsd_flash.history` in one transaction, and the `cards` state table filled from
  each card's last review.

Deterministic for a given seed (and `now`). Run as a script to build into a folder:
`python benchmarks/synthetic_user.py /tmp/bench-user`.
"""

from __future__ import annotations

import random
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mlsd_flash.history import LEARNING, NEW, REVIEW, RELEARNING, open_history  # noqa: E402

DAY_MS = 86_400_000
FACETS = ("definition", "why", "pitfalls")
NOTES_PER_FILE = 50
HISTORY_DAYS = 730


def write_cards(cards_dir: Path, n_notes: int) -> list[str]:
    """Write the YAML notes; returns the card ids in deck order."""
    cards_dir.mkdir(parents=True, exist_ok=True)
    ids: list[str] = []
    n_files = max(1, -(-n_notes // NOTES_PER_FILE))
    for f in range(n_files):
        area, topic = f // 20, f % 20
        lines = [f"deck: Bench {area:02d}::Topic {topic:02d}", "tags: [bench]",
                 'source: "synthetic benchmark user"', "", "notes:"]
        for i in range(f * NOTES_PER_FILE, min(n_notes, (f + 1) * NOTES_PER_FILE)):
            lines += [
                f"  - id: bench-{i}",
                f"    concept: Benchmark concept {i}",
                f"    definition: The synthetic concept number {i}, defined in one plain sentence.",
                f"    why: It matters because benchmark {i} exercises the statistics over many cards.",
                f"    pitfalls: Confusing concept {i} with concept {i + 1} is the usual mistake.",
            ]
            ids += [f"bench-{i}/{facet}" for facet in FACETS]
        (cards_dir / f"bench-{f:03d}.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return ids


def build(data_dir, n_cards: int = 30000, n_reviews: int = 1_000_000, seed: int = 0,
          now: datetime | None = None) -> Path:
    """Write a synthetic user into `data_dir` (created; an existing history there is an error)."""
    data_dir = Path(data_dir)
    rng = random.Random(seed)
    now_ms = int((now or datetime.now(timezone.utc)).timestamp() * 1000)
    ids = write_cards(data_dir / "cards", max(1, n_cards // len(FACETS)))[:n_cards]
    db = data_dir / "history.sqlite3"
    if db.exists():
        raise FileExistsError(f"{db} already exists")

    started = ids[: int(len(ids) * 0.9)] or ids  # deck order: the last tenth is still new
    # Reviews per card: proportional to how long ago the card was started (earlier cards, more reviews).
    begin = now_ms - HISTORY_DAYS * DAY_MS
    starts = sorted(begin + int(rng.random() ** 1.3 * (HISTORY_DAYS - 2) * DAY_MS) for _ in started)
    weights = [(now_ms - s) / DAY_MS + 5 for s in starts]
    scale = n_reviews / sum(weights)
    counts = [max(1, int(w * scale)) for w in weights]
    drift = n_reviews - sum(counts)
    i = 0
    while drift != 0:  # make the total exact
        j = i % len(counts)
        if drift > 0:
            counts[j] += 1
            drift -= 1
        elif counts[j] > 1:
            counts[j] -= 1
            drift += 1
        i += 1

    rows = []
    states = []
    rnd = rng.random
    for card_id, start, k in zip(started, starts, counts):
        # the last answer falls within the last month or so, not all of them in the same hour
        end = now_ms - int(rnd() * min(30 * DAY_MS, (now_ms - start) / 2)) - 3_600_000
        span = max(end - start, 60_000)
        # k answers in [start, now): gaps grow geometrically, like intervals under spaced repetition
        growth = 1.0 + min(2.0, 6.0 / k)
        gaps = [growth ** j for j in range(k)]
        unit = span / sum(gaps)
        t = float(start)
        state, stability, difficulty, due, last = NEW, None, None, None, None
        reps = lapses = 0
        for j in range(k):
            at = int(t)
            x = rnd()
            rating = 1 if x < 0.1 else 2 if x < 0.15 else 3 if x < 0.9 else 4
            if state == NEW:
                new_state = LEARNING if rating < 3 else REVIEW
                new_stability = (0.4, 1.2, 3.2, 15.7)[rating - 1]
                new_difficulty = round(4 + rnd() * 4, 3)
            elif rating == 1:
                new_state = RELEARNING if state == REVIEW else LEARNING
                new_stability = max(0.1, stability * 0.3)
                new_difficulty = min(10.0, difficulty + 0.5)
                lapses += state == REVIEW
            else:
                new_state = REVIEW
                new_stability = stability * (1.4, 2.5, 3.5)[rating - 2]
                new_difficulty = max(1.0, difficulty - 0.1 * (rating - 2))
            if j + 1 < k:  # the answer was on time: its interval is the gap to the next answer
                gap = unit * gaps[j + 1]
                if new_state == REVIEW:
                    new_stability = max(0.1, gap / DAY_MS * (0.9 + 0.2 * rnd()))
            else:
                new_stability = min(3650.0, new_stability)
                gap = new_stability * DAY_MS * (0.3 + rnd())
            new_due = at + int(gap if new_state == REVIEW or j + 1 < k else 600_000)
            rows.append((card_id, rating, at, 4000 + int(rnd() * 20000), None, state, None, stability, difficulty,
                         due, last, new_state, 0 if new_state in (LEARNING, RELEARNING) else None,
                         new_stability, new_difficulty, new_due, new_due - at))
            state, stability, difficulty, due, last = new_state, new_stability, new_difficulty, new_due, at
            reps += 1
            t += unit * gaps[j + 1] if j + 1 < k else 0
        states.append((card_id, state, 0 if state in (LEARNING, RELEARNING) else None, stability, difficulty, due,
                       last, reps, lapses, None))

    rows.sort(key=lambda r: r[2])  # the log in answer order, as a real session writes it
    history = open_history(db)
    conn = history.conn
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("BEGIN")
    conn.executemany(
        "INSERT INTO reviews (card_id, rating, reviewed_at, duration_ms, content_hash, state_before, step_before,"
        " stability_before, difficulty_before, due_before, last_review_before, state_after, step_after,"
        " stability_after, difficulty_after, due_after, interval_ms) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        rows)
    conn.executemany(
        "INSERT INTO cards (card_id, state, step, stability, difficulty, due, last_review, reps, lapses,"
        " content_hash) VALUES (?,?,?,?,?,?,?,?,?,?)", states)
    conn.execute("COMMIT")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    history.close()
    return data_dir


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python benchmarks/synthetic_user.py DATA_DIR")
    t0 = time.perf_counter()
    build(sys.argv[1])
    print(f"built {sys.argv[1]} in {time.perf_counter() - t0:.1f} s")
