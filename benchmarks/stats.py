"""Time `mlsd-flash stats` and `mlsd-flash report` for a heavy synthetic user (issue 9).

    python benchmarks/stats.py              # builds the user in a temporary folder (about 20 s)
    python benchmarks/stats.py /tmp/user    # reuses (or first builds) the user in that folder

Targets with 30,000 cards and 1,000,000 reviews: `stats` under 1 s and `report` under 3 s, measured
as the median wall time of the real command run as a subprocess, after one untimed run that fills
the deck cache.
"""

from __future__ import annotations

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
TARGETS = {"stats": 1.0, "stats --json": 1.0, "report": 3.0}


def timed(args: list[str], env: dict) -> float:
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, "-m", "mlsd_flash", *args], env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - t0
    if out.returncode != 0:
        sys.exit(f"mlsd-flash {' '.join(args)} failed:\n{out.stderr}")
    return elapsed


def main() -> None:
    tmp = None
    if len(sys.argv) > 1:
        data_dir = Path(sys.argv[1])
    else:
        tmp = tempfile.TemporaryDirectory(prefix="mlsd-flash-bench-")
        data_dir = Path(tmp.name) / "user"
    if not (data_dir / "history.sqlite3").exists():
        t0 = time.perf_counter()
        build(data_dir)
        print(f"built the synthetic user in {data_dir} in {time.perf_counter() - t0:.1f} s")
    env = {**os.environ, "MLSD_FLASH_HOME": str(data_dir), "COLUMNS": "120"}
    report = data_dir / "report.html"
    commands = {"stats": ["stats"], "stats --json": ["stats", "--json"],
                "report": ["report", "-o", str(report)]}
    timed(["stats"], env)  # fills the deck cache (compiling 30,000 cards from YAML)
    ok = True
    for name, args in commands.items():
        times = [timed(args, env) for _ in range(RUNS)]
        median = statistics.median(times)
        passed = median < TARGETS[name]
        ok &= passed
        print(f"mlsd-flash {name:<13} median {median:.2f} s (min {min(times):.2f}, max {max(times):.2f}, "
              f"{RUNS} runs)  target < {TARGETS[name]:.0f} s  {'ok' if passed else 'TOO SLOW'}")
    if tmp:
        tmp.cleanup()
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
