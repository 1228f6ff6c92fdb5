"""The loaded deck: which files make it up, their compiled cards in deck order, and a cache.

Loading every YAML file on each command would slow every command down, so the compiled cards of an
unchanged set of files (same paths, sizes and modification times) are read back from a pickle.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import os
import pickle
from pathlib import Path

from .cards import Card
from .problems import Problem

CACHE_VERSION = 2
BUILTIN_IN_WHEEL = Path(__file__).parent / "builtin_cards"
BUILTIN_IN_CHECKOUT = Path(__file__).parent.parent / "cards"


def builtin_cards_dir() -> Path:
    """The built-in deck: inside the installed wheel, or the checkout's `cards/` when developing."""
    return BUILTIN_IN_WHEEL if BUILTIN_IN_WHEEL.is_dir() else BUILTIN_IN_CHECKOUT


class Deck:
    """Compiled cards in deck order, the problems found, and the files read.

    From the cache, cards arrive as columns and become `Card` tuples only when first asked for."""

    def __init__(self, cards: list[Card] | None, problems: list[Problem], note_count: int, files: list[str],
                 columns: tuple | None = None):
        self._cards = cards
        self._columns = columns
        self.problems = problems
        self.note_count = note_count
        self.files = files
        self._by_id: dict[str, Card] | None = None

    @property
    def cards(self) -> list[Card]:
        if self._cards is None:
            new = tuple.__new__
            with _no_gc():
                self._cards = [new(Card, row) for row in zip(*self._columns)]
            self._columns = None
        return self._cards

    def columns(self) -> tuple:
        return self._columns if self._columns is not None else tuple(map(list, zip(*self._cards))) if self._cards \
            else tuple([] for _ in Card._fields)

    def by_id(self) -> dict[str, Card]:
        if self._by_id is None:
            self._by_id = {c.id: c for c in self.cards}
        return self._by_id

    def get(self, card_id: str) -> Card | None:
        return self.by_id().get(card_id)

    def select(self, deck: str | None = None, tag: str | None = None) -> list[Card]:
        """Cards under a deck path (prefix at `::` boundaries, case-insensitive) and with a tag."""
        cards = self.cards
        if deck:
            cards = [c for c in cards if in_deck(c.deck, deck)]
        if tag:
            want = tag.lower()
            cards = [c for c in cards if any(t.lower() == want or t.lower().startswith(want + "::") for t in c.tags)]
        return cards


def in_deck(card_deck: str, wanted: str) -> bool:
    a, b = card_deck.lower(), wanted.lower().strip(":")
    return a == b or a.startswith(b + "::")


def find_files(paths: list[Path]) -> tuple[list[Path], list[Problem]]:
    """YAML files under the given files and folders, folders walked in sorted (deck) order."""
    files: list[Path] = []
    problems: list[Problem] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(p for p in path.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file()))
        elif path.is_file():
            files.append(path)
        else:
            problems.append(Problem(os.path.abspath(path), 1, 1, "no such file or folder"))
    return files, problems


def load(paths: list[Path], cache_dir: Path | None = None) -> Deck:
    """Compile every note under `paths` into one deck, reporting every problem at once."""
    files, missing = find_files(paths)
    fingerprint = _fingerprint(files)
    roots = "\n".join(os.path.abspath(p) for p in paths)
    cache_file = cache_dir / f"deck-{hashlib.blake2b(roots.encode(), digest_size=6).hexdigest()}.pickle" \
        if cache_dir else None
    if cache_file and not missing:
        cached = _read_cache(cache_file, fingerprint)
        if cached is not None:
            return cached
    deck = compile_files(files)
    deck.problems[:0] = missing
    if cache_file and not missing:
        _write_cache(cache_file, fingerprint, deck)
    return deck


def compile_files(files: list[Path]) -> Deck:
    from .cards import compile_note
    from .notes import Note, parse_file

    cards: list[Card] = []
    problems: list[Problem] = []
    seen: dict[str, Note] = {}
    note_count = 0
    shown = []
    for path in files:
        absolute = os.path.abspath(path)
        shown.append(absolute)
        notes, file_problems = parse_file(path, absolute)
        problems.extend(file_problems)
        for note in notes:
            if note.id in seen:
                first = seen[note.id]
                if note.override != first.override:  # `override: true` (a personal copy) wins
                    if note.override:
                        cards = [c for c in cards if c.note_id != note.id]
                        seen[note.id] = note
                        cards.extend(compile_note(note))
                    continue
                problems.append(Problem(
                    note.path, note.line, note.column,
                    f"duplicate note id '{note.id}' (also at {first.path}:{first.line})",
                ))
                continue
            seen[note.id] = note
            note_count += 1
            cards.extend(compile_note(note))
    return Deck(cards=cards, problems=problems, note_count=note_count, files=shown)


def _fingerprint(files: list[Path]) -> tuple:
    stats = []
    for f in files:
        try:
            st = f.stat()
        except OSError:
            return ()
        stats.append((os.path.abspath(f), st.st_mtime_ns, st.st_size))
    return (CACHE_VERSION, tuple(stats))


def _read_cache(cache_file: Path, fingerprint: tuple) -> Deck | None:
    try:
        with open(cache_file, "rb") as fh, _no_gc():
            stored_fingerprint, columns, problems, note_count, files = pickle.load(fh)
    except Exception:  # a missing, partial or foreign cache is simply rebuilt
        return None
    if stored_fingerprint != fingerprint:
        return None
    return Deck(None, problems, note_count, files, columns=columns)


def _write_cache(cache_file: Path, fingerprint: tuple, deck: Deck) -> None:
    if not fingerprint:
        return
    try:
        cache_file.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache_file.with_suffix(f".{os.getpid()}.tmp")
        with open(tmp, "wb") as fh:
            pickle.dump((fingerprint, deck.columns(), deck.problems, deck.note_count, deck.files), fh,
                        protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, cache_file)
    except OSError:
        pass  # the cache only saves time; a read-only cache folder must not stop a command


@contextlib.contextmanager
def _no_gc():
    """Pause the cycle collector while tens of thousands of acyclic tuples are created at once:
    it would otherwise rescan them again and again (about a third of the cache load time)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
