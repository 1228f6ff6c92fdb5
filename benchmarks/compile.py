"""Compile speed: 10,000 generated concept notes vs parsing the same files with PyYAML's C loader alone,
and loading the unchanged set from the cache.

    python benchmarks/compile.py [--notes 10000] [--runs 7]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import yaml

from mlsd_flash.deck import compile_files, find_files, load

NOTE = """  - id: concept-{i}
    concept: Concept number {i}
    definition: >-
      A made-up concept used to measure how fast notes compile; it has a few words of text, {i}.
    reverse: true
    why:
      a: It keeps the benchmark honest with realistic field sizes and *Markdown* in `code`.
      extra: Extra text shown after the answer, for concept {i}.
    pitfalls: Measuring on tiny inputs hides per-note overhead.
    vs:
      - id: other
        other: Concept {j}
        a: This one is {i}, the other is {j}.
"""


def generate(folder: Path, notes: int, per_file: int = 100) -> None:
    for start in range(0, notes, per_file):
        body = "".join(NOTE.format(i=i, j=i + 1) for i in range(start, min(notes, start + per_file)))
        (folder / f"topic-{start // per_file:04d}.yaml").write_text(
            f"deck: Bench::Topic {start // per_file}\ntags: [bench]\nsource: generated\nnotes:\n{body}",
            encoding="utf-8")


def median_times(fns, runs: int) -> list[float]:
    """The median time of each function, run in turn `runs` times: alternated, so that the machine's
    load weighs on each alike."""
    times: list[list[float]] = [[] for _ in fns]
    for _ in range(runs):
        for fn, spent in zip(fns, times):
            t = time.perf_counter()
            fn()
            spent.append(time.perf_counter() - t)
    return [statistics.median(spent) for spent in times]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notes", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "cards"
        folder.mkdir()
        generate(folder, args.notes)
        files = [path for path, _, _ in find_files([folder])[0]]
        loader = getattr(yaml, "CSafeLoader", None)
        if loader is None:
            sys.exit("PyYAML was built without libyaml: the C-loader baseline cannot be measured")

        def parse_only():
            for f in files:
                with open(f, "rb") as fh:
                    yaml.load(fh, Loader=loader)

        deck = compile_files(files)
        assert not deck.problems, deck.problems[:3]
        cache = Path(tmp) / "cache"
        load([folder], cache)  # fill the cache
        parse, compile_, cached = median_times([parse_only, lambda: compile_files(files),
                                                lambda: load([folder], cache)], args.runs)
        print(f"{args.notes} notes, {len(deck.cards)} cards in {len(files)} files (median of {args.runs} runs)")
        print(f"  PyYAML C loader, parse only : {parse * 1000:8.1f} ms")
        print(f"  mlsd-flash compile          : {compile_ * 1000:8.1f} ms   ratio {compile_ / parse:.2f} (target < 1.5)")
        print(f"  load from cache (unchanged) : {cached * 1000:8.1f} ms   (target < 50 ms)")


if __name__ == "__main__":
    main()
