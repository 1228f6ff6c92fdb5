"""Fit time and held-out quality of `mlsd-flash optimize` (issue 17).

    python benchmarks/optimize.py              # the real log, and a synthetic 1,000,000-review user built in a temp folder
    python benchmarks/optimize.py /tmp/user    # reuses (or first builds) the synthetic user in that folder

For each history it prints: reviews, FSRS items, the time to read the log into items, the fit time
(median of 5), and the log loss and RMSE(bins) of the default and the fitted parameters on the most
recent 20% of items (fitted on the older 80%), as `optimize` judges them. The real log is
tests/data/review_logs_josh.csv (py-fsrs test data, MIT).
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "benchmarks"))

from mlsd_flash.history import open_history  # noqa: E402
from mlsd_flash.optimizer import items_from, judge  # noqa: E402
from synthetic_user import build  # noqa: E402
from test_optimize import josh_history  # noqa: E402


def report(name: str, db: Path) -> None:
    from fsrs_rs_python import FSRS

    history = open_history(db, create=False)
    t0 = time.perf_counter()
    items = items_from(history.answers())
    read = time.perf_counter() - t0
    history.close()
    fits = []
    for _ in range(5):
        t0 = time.perf_counter()
        FSRS([]).compute_parameters(items.items)
        fits.append(time.perf_counter() - t0)
    verdict = judge(items, None)
    print(f"{name}: {items.reviews:,} reviews, {len(items.items):,} FSRS items")
    print(f"  log to items {read * 1000:.0f} ms; fit on all items, median of 5: {statistics.median(fits) * 1000:.0f} ms")
    print(f"  held-out (latest 20%, {verdict.test_items:,} items):")
    for label, e in (("default", verdict.current), ("fitted", verdict.candidate)):
        print(f"    {label:<8} log loss {e.log_loss:.4f}   RMSE(bins) {e.rmse_bins:.4f}")
    ratio = verdict.candidate.rmse_bins / verdict.current.rmse_bins
    print(f"    fitted/default RMSE(bins) {ratio:.3f}; log loss {verdict.candidate.log_loss - verdict.current.log_loss:+.4f}")


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "josh" / "history.sqlite3"
        db.parent.mkdir()
        t0 = time.perf_counter()
        josh_history(db)
        print(f"real log into a history (append and replay): {time.perf_counter() - t0:.2f} s")
        report("real log (review_logs_josh.csv)", db)
        user = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tmp) / "synthetic"
        if not (user / "history.sqlite3").exists():
            print("building the synthetic user (30,000 cards, 1,000,000 reviews)...", flush=True)
            build(user)
        report("synthetic heavy user", user / "history.sqlite3")


if __name__ == "__main__":
    main()
