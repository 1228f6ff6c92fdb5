"""Time and peak memory of `mlsd-flash stats`, `report` and `list --json` for a heavy synthetic user
(issues 9 and 20).

    python benchmarks/stats.py                      # builds the user in a temporary folder (about 20 s)
    python benchmarks/stats.py /tmp/user            # reuses (or first builds) the user in that folder
    python benchmarks/stats.py /tmp/user3 --scale 3 # a user three times larger (90,000 cards, 3,000,000 reviews)

Targets with 30,000 cards and 1,000,000 reviews: `stats` under 1 s, `report` under 3 s and
`list --json` under 60 MB; at three times that, `stats` still under 1 s. Each figure is the median
of the real command run as a subprocess, after one untimed run that fills the deck cache; memory is
the child's peak resident set.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from synthetic_user import build  # noqa: E402

RUNS = 7
TARGETS = {"stats": 1.0, "stats --json": 1.0, "report": 3.0, "list --json": None}
MEMORY_TARGETS = {"list --json": 60}


def timed(args: list[str], env: dict) -> tuple[float, float]:
    """Seconds and peak memory (MB) of one run of the command."""
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "mlsd_flash", *args], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - t0
    if status != 0:
        sys.exit(f"mlsd-flash {' '.join(args)} failed:\n{err.decode()}")
    return elapsed, usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("user", nargs="?", type=Path, help="reuse (or first build) the synthetic user in this folder")
    parser.add_argument("--scale", type=int, default=1, metavar="K", help="a user K times larger (when built)")
    args = parser.parse_args()
    tmp = None
    if args.user:
        data_dir = args.user
    else:
        tmp = tempfile.TemporaryDirectory(prefix="mlsd-flash-bench-")
        data_dir = Path(tmp.name) / "user"
    if not (data_dir / "history.sqlite3").exists():
        t0 = time.perf_counter()
        build(data_dir, n_cards=30000 * args.scale, n_reviews=1_000_000 * args.scale)
        print(f"built the synthetic user in {data_dir} in {time.perf_counter() - t0:.1f} s")
    env = {**os.environ, "MLSD_FLASH_HOME": str(data_dir), "COLUMNS": "120"}
    report = data_dir / "report.html"
    commands = {"stats": ["stats"], "stats --json": ["stats", "--json"],
                "report": ["report", "-o", str(report)], "list --json": ["list", "--json"]}
    timed(["stats"], env)  # fills the deck cache (compiling the cards from YAML)
    ok = True
    for name, command in commands.items():
        runs = [timed(command, env) for _ in range(RUNS)]
        times, peaks = [t for t, _ in runs], [m for _, m in runs]
        median, peak = statistics.median(times), max(peaks)
        verdicts = []
        if TARGETS[name] is not None:
            verdicts.append(f"target < {TARGETS[name]:.0f} s {'ok' if median < TARGETS[name] else 'TOO SLOW'}")
            ok &= median < TARGETS[name]
        if name in MEMORY_TARGETS:  # a target for the 1x user
            verdicts.append(f"target at 1x < {MEMORY_TARGETS[name]} MB: {'ok' if peak < MEMORY_TARGETS[name] else 'over'}")
        print(f"mlsd-flash {name:<13} median {median:.2f} s (min {min(times):.2f}, max {max(times):.2f}, "
              f"{RUNS} runs), peak {peak:.0f} MB  {'; '.join(verdicts)}")
    if tmp:
        tmp.cleanup()
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
