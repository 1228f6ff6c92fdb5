"""Review speed on a heavy user (30,000 cards, 1,000,000 review-log rows):

- time from process start to the first question on screen (target < 150 ms), beside a bare Python
  process that opens SQLite; with --scale, alternated with a user that many times larger (target:
  at 3x no more than 1.15x the time at 1x);
- time from an answer key to the next question, durable commit included (target < 3 ms median), and
  what it adds to the durable write itself (target at 3x: no more than 0.5 ms);
- peak memory of a review session (target < 80 MB);
- time to the first question right after one card file was edited (target < 1.5x an unchanged start).

    python benchmarks/review.py [--user DIR] [--scale 3 [--scaled-user DIR]] [--runs 9]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from synthetic_user import build  # noqa: E402

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=timezone.utc)
MARKER = b"space/enter: show answer"
# The installed `mlsd-flash` script, as a learner runs it (`python -m` would add runpy's imports).
SCRIPT = Path(sys.executable).with_name("mlsd-flash")
COMMAND = [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-m", "mlsd_flash"]


def first_question_ms(env: dict, keys: bytes = b"q\n") -> tuple[float, int]:
    """Milliseconds until the first question is printed, and the child's peak RSS in KiB, after it
    reads `keys` (by default it quits at once, leaving the history as it was)."""
    t = time.perf_counter()
    proc = subprocess.Popen([*COMMAND, "review"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
    seen = b""
    while MARKER not in seen:
        chunk = os.read(proc.stdout.fileno(), 65536)
        if not chunk:
            raise SystemExit("review ended before showing a question")
        seen += chunk
    elapsed = (time.perf_counter() - t) * 1000
    proc.stdin.write(keys)
    proc.stdin.close()
    proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    return elapsed, usage.ru_maxrss


def bare_python_ms(db: Path) -> float:
    t = time.perf_counter()
    subprocess.run([sys.executable, "-c", f"import sqlite3; sqlite3.connect({str(db)!r}).execute('select 1')"],
                   check=True)
    return (time.perf_counter() - t) * 1000


def answer_to_next_ms(data_dir: Path, answers: int) -> tuple[list[float], list[float]]:
    """In-process: the work between a rating key and the next question's screen text (durable commit,
    next card, header counts, rendering), and beside it the part spent in the durable write itself
    (`History.record`: the FSRS step and one committed transaction)."""
    from mlsd_flash.config import load_settings, resolve_paths
    from mlsd_flash.deck import load
    from mlsd_flash.history import open_history
    from mlsd_flash.render import render
    from mlsd_flash.session import Session

    paths = resolve_paths(data_dir)
    deck = load([paths.personal_dir], paths.cache_dir)
    history = open_history(paths.history_db)
    clock = [NOW]
    session = Session(deck.cards, history, load_settings(paths.config_file), lambda: clock[0], new_limit=answers)
    writes: list[float] = []
    record = history.record

    def timed_record(*args, **kwargs):
        t = time.perf_counter()
        try:
            return record(*args, **kwargs)
        finally:
            writes.append((time.perf_counter() - t) * 1000)

    history.record = timed_record
    card = session.next_card()
    render(card.front())
    session.intervals()  # the buttons of the first card (imports fsrs, as the real review does on reveal)
    times = []
    for i in range(answers):
        if card is None:
            break
        t = time.perf_counter()
        session.answer(3, 1.0)
        card = session.next_card()
        if card is not None:  # the next screen: its header's counts and the question
            session.remaining()
            render(card.front())
        times.append((time.perf_counter() - t) * 1000)
    history.close()
    return times, writes


def prepared(user: Path, tmp: Path, name: str, scale: int) -> tuple[Path, dict]:
    """A copy of the synthetic user at `scale` (30,000 cards and 1,000,000 reviews times `scale`),
    built first if needed, and the environment that runs the review on it."""
    if not (user / "history.sqlite3").exists():
        t = time.perf_counter()
        build(user, n_cards=30000 * scale, n_reviews=1_000_000 * scale, now=NOW)
        print(f"built the {scale}x synthetic user in {time.perf_counter() - t:.1f} s: {user}")
    data_dir = tmp / name  # answers go to a copy: every run of this script starts alike
    shutil.copytree(user, data_dir)
    env = {**os.environ, "MLSD_FLASH_HOME": str(data_dir), "MLSD_FLASH_NOW": NOW.isoformat(), "TZ": "UTC"}
    # An installed package has its bytecode compiled by pip; let the warm-up write ours too, or
    # every run would recompile our modules from source (about 40 ms here).
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    first_question_ms(env)  # warm-up: fills the deck cache, and makes the day's backup, as any earlier command would
    return data_dir, env


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--user", type=Path, help="reuse a synthetic user built earlier in this folder")
    parser.add_argument("--scale", type=int, default=0, metavar="K",
                        help="also time a user K times larger (90,000 cards, 3,000,000 reviews for 3), alternating")
    parser.add_argument("--scaled-user", type=Path, help="reuse the larger user built earlier in this folder")
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        data_dir, env = prepared(args.user or tmp / "user", tmp, "copy", 1)
        big = prepared(args.scaled_user or tmp / "user-big", tmp, "copy-big", args.scale) if args.scale else None
        starts, bares, edited, big_starts = [], [], [], []
        files = sorted((data_dir / "cards").glob("*.yaml"))
        card_file = files[len(files) // 2]
        for i in range(args.runs):  # alternated, so that the machine's load weighs on all alike
            starts.append(first_question_ms(env)[0])
            if big:
                big_starts.append(first_question_ms(big[1])[0])
            bares.append(bare_python_ms(data_dir / "history.sqlite3"))
            text = card_file.read_text(encoding="utf-8")  # a learner edits one card file
            card_file.write_text(text.replace("one plain sentence", f"one plain sentence {i}", 1), encoding="utf-8")
            edited.append(first_question_ms(env)[0])
        bare = statistics.median(bares)
        start = statistics.median(starts)
        # Peaks first: a child's peak counts the parent's memory at fork on Linux, and the in-process
        # answer timings below grow this process.
        peak_mb = first_question_ms(env, b"\n3\n\n3\n\n3\nq\n")[1] / 1024  # answers a few cards
        big_peak = first_question_ms(big[1], b"\n3\n\n3\n\n3\nq\n")[1] / 1024 if big else None
        answers, writes = answer_to_next_ms(data_dir, 200)
        print(f"process start to first question: median {start:.0f} ms "
              f"(min {min(starts):.0f}, max {max(starts):.0f}; target < 150 ms)")
        if big:
            big_start = statistics.median(big_starts)
            print(f"  at {args.scale}x (same run, alternated): median {big_start:.0f} ms, "
                  f"ratio {big_start / start:.2f} (target <= 1.15)")
        print(f"bare python + sqlite process:     median {bare:.0f} ms  (ratio {start / bare:.1f}x)")
        print(f"first question after editing one card file: median {statistics.median(edited):.0f} ms "
              f"({statistics.median(edited) / start:.2f}x an unchanged start; target < 1.5x)")
        print(f"answer key to next question:      median {statistics.median(answers):.2f} ms, "
              f"p90 {sorted(answers)[int(len(answers) * 0.9)]:.2f} ms over {len(answers)} answers (target < 3 ms)")
        print(f"  of which the durable write:     median {statistics.median(writes):.2f} ms; the rest adds "
              f"{_added(answers, writes):.2f} ms")
        if big:
            big_answers, big_writes = answer_to_next_ms(big[0], 200)
            print(f"  at {args.scale}x: median {statistics.median(big_answers):.2f} ms, "
                  f"p90 {sorted(big_answers)[int(len(big_answers) * 0.9)]:.2f} ms; durable write "
                  f"{statistics.median(big_writes):.2f} ms, the rest adds {_added(big_answers, big_writes):.2f} ms "
                  "(target <= 0.5 ms)")
            print(f"peak memory of a review session:  {peak_mb:.0f} MB, at {args.scale}x {big_peak:.0f} MB "
                  "(target < 80 MB)")
        else:
            print(f"peak memory of a review session:  {peak_mb:.0f} MB (target < 80 MB)")


def _added(answers: list[float], writes: list[float]) -> float:
    """The median, answer by answer, of the time spent outside the durable write."""
    return statistics.median(a - w for a, w in zip(answers, writes))


if __name__ == "__main__":
    main()
