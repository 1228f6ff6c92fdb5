"""Shared fixtures: a private data folder per test (never the real home) and the real command."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOW = "2026-11-23T10:00:00+00:00"


@pytest.fixture(autouse=True)
def private_home(tmp_path, monkeypatch):
    """Every test gets its own data folder and a fixed clock; HOME points away from the real one."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("MLSD_FLASH_HOME", str(home / "data"))
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("MLSD_FLASH_NOW", NOW)
    monkeypatch.setenv("TZ", "UTC")
    monkeypatch.delenv("NO_COLOR", raising=False)
    return home / "data"


def run(*args, input: str | None = None, cwd=None, env=None, timeout=60) -> subprocess.CompletedProcess:
    """Run the real `mlsd-flash` command (as `python -m mlsd_flash`) and capture its output."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run([sys.executable, "-m", "mlsd_flash", *map(str, args)], input=input, text=True,
                          capture_output=True, cwd=cwd, env=full_env, timeout=timeout)


def spawn(*args, env=None, timeout=30, dimensions=(40, 120), color=False):
    """Start the real command in a pseudo-terminal (pexpect), as a learner would in theirs (without
    colour unless asked, so that tests read the text)."""
    import pexpect

    plain = {} if color else {"NO_COLOR": "1"}
    return pexpect.spawn(sys.executable, ["-m", "mlsd_flash", *map(str, args)], encoding="utf-8", timeout=timeout,
                         env={**os.environ, "TERM": "xterm-256color", **plain, **(env or {})}, dimensions=dimensions)


def ended(child):
    """Wait for a spawned command to end and close it; the child then holds its exit status."""
    import pexpect

    child.expect(pexpect.EOF)
    child.close()
    return child


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return path


def script(path: Path, body: str) -> Path:
    """An executable Python script (a scripted $EDITOR)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"#!{sys.executable}\n" + textwrap.dedent(body).lstrip(), encoding="utf-8")
    path.chmod(0o755)
    return path


SAMPLE = """
deck: Toy::Sampling
tags: [data]
source: "ML Design Primer: Sampling"
notes:
  - id: toy-reservoir
    concept: Reservoir sampling
    definition: A one-pass way to keep a uniform sample of k items from a stream.
    reverse: true
    why:
      a: It needs O(k) memory, so it works on streams too big to store.
      extra: Each item is kept with probability k/n.
    vs:
      - id: stratified
        other: Stratified sampling
        a: Reservoir works on a stream of unknown size; stratified needs the groups first.
    cards:
      - id: why-uniform
        q: In reservoir sampling, why is every item kept with probability k/n?
        a: Item n enters with probability k/n and later draws evict every slot equally.
    cloze:
      - id: steps
        text: Reservoir sampling draws i from {{c1::1..n}} and replaces slot i when {{c2::i <= k}}.
  - id: toy-feed
    case: Feed ranking for Instagram
    deck: Toy::Cases
    framing: Rank candidate posts by predicted engagement to maximise long-term time well spent.
    model: Baseline by recency; then two-tower retrieval and a multi-task ranker.
"""
