"""The loaded deck: which files make it up, their compiled cards in deck order, and a cache.

Loading every YAML file on each command would slow every command down, so the compiled cards of an
unchanged set of files (same paths, sizes and modification times) are read back from a cache file,
in place and only as far as a command needs; after an edit, only the edited files are parsed and
patched in (see docs/performance.md).
"""

from __future__ import annotations

import array
import bisect
import errno
import itertools
import marshal
import mmap
import os
import re
import sys
import zlib
from collections.abc import Callable, Container, Iterable, Iterator, Sequence
from pathlib import Path
from typing import NamedTuple

from .cards import Card, Cards, no_gc, note_of, segment
from .problems import Problem

CACHE_VERSION = 12
BUILTIN_IN_WHEEL = Path(__file__).parent / "builtin_cards"
BUILTIN_IN_CHECKOUT = Path(__file__).parent.parent / "cards"


def builtin_cards_dir() -> Path:
    """The built-in deck: inside a checkout, its `cards/` (an edit shows in every command, however the
    package was installed); elsewhere the installed wheel's copy, or the source tree's."""
    checkout = find_checkout(Path.cwd())
    if checkout is not None:
        return checkout / "cards"
    return BUILTIN_IN_WHEEL if BUILTIN_IN_WHEEL.is_dir() else BUILTIN_IN_CHECKOUT


def builtin_stamps_file() -> Path:
    """The modification times the published deck was exported with (see export.py), shipped with
    the built-in cards: the baseline that keeps an export to any path from touching unchanged notes."""
    wheel = Path(__file__).parent / "builtin_stamps.json"
    return wheel if wheel.is_file() else BUILTIN_IN_CHECKOUT.parent / "decks" / "mlsd-flash.stamps.json"


def find_checkout(start: Path) -> Path | None:
    """The mlsd-flash checkout holding `start` (a folder with our pyproject.toml and cards/), if any."""
    for folder in [start, *start.parents]:
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file() and (folder / "cards").is_dir():
            try:
                text = pyproject.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                continue
            if re.search(r'(?m)^name\s*=\s*"mlsd-flash"', text):
                return folder
    return None



class Deck:
    """Compiled cards in deck order, the problems found, and the files read."""

    def __init__(self, cards: Cards, problems: list[Problem], note_count: int, files: list[str], plain: bool = True):
        self.cards = cards
        self.problems = problems
        self.note_count = note_count
        self.files = files
        self.plain = plain  # no note id met twice (no override, no duplicate): an edit can be patched in
        self.save = None  # with `load(..., defer=True)`: writes the caches when called

    def get(self, card_id: str) -> Card | None:
        return self.cards.get(card_id)

    def note_cards(self, note_id: str) -> list[Card]:
        cards = self.cards
        return list(cards.subset(i for i, card_id in enumerate(cards.ids) if note_of(card_id) == note_id))

    def select(self, deck: str | None = None, tag: str | None = None) -> Cards:
        """Cards under a deck path (prefix at `::` boundaries, case-insensitive) and with a tag.

        Each distinct deck and tag set is tested once; cards are then kept by a set lookup."""
        cards = self.cards
        if deck:
            decks = {d for d in set(cards.decks) if in_deck(d, deck)}
            cards = cards.subset(i for i, d in enumerate(cards.decks) if d in decks)
        if tag:
            want = tag.lower()
            tag_sets = {ts for ts in set(cards.tags)
                        if any(t.lower() == want or t.lower().startswith(want + "::") for t in ts)}
            cards = cards.subset(i for i, ts in enumerate(cards.tags) if ts in tag_sets)
        return cards


def in_deck(card_deck: str, wanted: str) -> bool:
    a, b = card_deck.lower(), wanted.lower().strip(":")
    return a == b or a.startswith(b + "::")


def find_files(paths: list[Path]) -> tuple[list[tuple[str, int, int]], list[Problem]]:
    """YAML files under the given files and folders as (absolute path, modification time, size),
    folders walked in sorted (deck) order. The stats tell the cache whether anything changed."""
    found: list[tuple[str, int, int]] = []
    problems: list[Problem] = []
    for path in map(os.path.abspath, paths):
        if os.path.isdir(path):
            found.extend(sorted(_yaml_files(path, problems, set()), key=lambda f: f[0].split(os.sep)))
        elif os.path.isfile(path):
            st = os.stat(path)
            found.append((path, st.st_mtime_ns, st.st_size))
        else:
            problems.append(Problem(path, 1, 1, "no such file or folder"))
    return found, problems


def _yaml_files(folder: str, problems: list[Problem], seen: set) -> Iterator[tuple[str, int, int]]:
    """The YAML files under `folder`. An unreadable folder is a problem (its cards are not "gone"),
    and a folder reached again through a symbolic link is reported once and not walked again."""
    try:
        st = os.stat(folder)
        if (st.st_dev, st.st_ino) in seen:
            problems.append(Problem(folder, 1, 1, "symbolic link loop: this folder was already read; skipped"))
            return
        seen.add((st.st_dev, st.st_ino))
        with os.scandir(folder) as entries:
            listed = list(entries)
    except OSError as exc:
        problems.append(Problem(folder, 1, 1, f"cannot read this folder: {exc.strerror or exc}"))
        return
    for entry in listed:
        try:
            if entry.is_dir():
                yield from _yaml_files(entry.path, problems, seen)
            elif entry.name.endswith((".yaml", ".yml")) and entry.is_file():
                st = entry.stat()
                yield entry.path, st.st_mtime_ns, st.st_size
        except OSError as exc:
            problems.append(Problem(entry.path, 1, 1, f"cannot read: {exc.strerror or exc}"))


def load(paths: list[Path], cache_dir: Path | None = None, defer: bool = False) -> Deck:
    """Compile every note under `paths` into one deck, reporting every problem at once.

    Two caches: the whole deck, read back when no file changed, and each file's compiled notes.
    After an edit, only the edited files are parsed again and patched into the cached deck (or,
    when a note id is met twice, merged with every file's cached notes). With `defer`, a rebuilt
    deck's caches are written when `deck.save()` is called (a command calls it once its work is
    shown)."""
    files, missing = find_files(paths)
    fingerprint = (CACHE_VERSION, tuple(files))
    roots = "\n".join(os.path.abspath(p) for p in paths)
    # Named by the folders (a clash only costs a rebuild) and the Python version (`marshal`'s format).
    stem = f"{sys.implementation.cache_tag}-{zlib.crc32(roots.encode()):08x}"
    cache_file = cache_dir / f"deck-{stem}.marshal" if cache_dir else None
    units_file = cache_dir / f"files-{stem}.marshal" if cache_dir else None

    def recompile() -> Cards:  # the cache proved damaged after all: forget it, compile again
        cache_file.unlink(missing_ok=True)
        return _compile(files, _read_units(units_file))[0].cards

    deck = units = None
    if cache_file and not missing:
        cached = _open_cache(cache_file)
        if cached is not None and cached.fingerprint == fingerprint:
            return cached.deck(recompile)
        if cached is not None and cached.fingerprint[0] == CACHE_VERSION and cached.plain:
            deck = _patch(cached, files, recompile)
    if deck is None:
        deck, units = _compile(files, _read_units(units_file) if units_file else {})
    deck.problems[:0] = missing
    if cache_file and not missing:
        def save() -> None:
            _write_cache(cache_file, fingerprint, deck)
            if units is not None:  # a patched deck leaves the edited files' old units: compiled again if needed
                _write_units(units_file, units)

        if defer:
            deck.save = save
        else:
            save()
    return deck


def _patch(cached: "_CacheFile", files: list[tuple[str, int, int]], recompile: Callable[[], Cards]) -> Deck | None:
    """The deck after an edit, from the cached deck and the edited files compiled again: the
    unchanged files' cards and columns are the cache's (read only when asked for), the edited
    ones' are new. None when an edited file shares a note id with another file (an override or a
    duplicate): then every file's notes must be merged again."""
    stats = {path: (mtime, size) for path, mtime, size in cached.fingerprint[1]}
    changed = [f for f in files if stats.get(f[0]) != (f[1], f[2])]
    current = {f[0] for f in files}
    gone = {path for path in stats if path not in current} | {f[0] for f in changed}
    fresh, units = _compile(changed, {})
    try:
        if not fresh.plain or any(cached.note_outside(note[0], gone) for unit in units.values() for note in unit.notes):
            return None
        old_notes = len({marshal.loads(cached.row(i))[1] for path, start, end, _ in cached.segments if path in gone
                         for i in range(start, end)})
    except _Damaged:
        return None
    old = {seg[0]: seg for seg in cached.segments}
    new = {seg[0]: seg for seg in fresh.cards.segments}
    runs = []  # (source, first, end, position in the new deck) of each file's cards, in deck order
    segments = []
    for path, _, _ in files:
        if path in old and path not in gone:
            source, (_, start, end, stamp) = None, old[path]
        elif path in new:
            source, (_, start, end, stamp) = fresh.cards, new[path]
        else:
            continue
        at = segments[-1][2] if segments else 0
        runs.append((source, start, end, at))
        segments.append((path, at, at + end - start, stamp))
    size = segments[-1][2] if segments else 0
    rows = _Served(_PatchedRows([(at, cached.rows if source is None else source.packed(), start)
                                 for source, start, _, at in runs], size), recompile)

    def columns() -> tuple:
        """The columns of the new deck: slices of the cache's and of the edited files'."""
        old_columns = cached.columns()
        out: tuple[list, list, list, list] = ([], [], [], [])
        for source, start, end, _ in runs:
            cols = old_columns if source is None else (source.ids, source.decks, source.tags, source.priorities)
            for column, values in zip(out, cols):
                column.extend(values[start:end])
        return out[0], out[1], out[2], "".join(out[3])

    placed = {seg[0]: seg[1] for seg in segments}  # each file's first position in the new deck

    def find(card_id: str) -> int | None:
        """A card's position: an edited file's from its compile, another's from the cache's index."""
        i = fresh.cards.positions().get(card_id)
        if i is not None:
            path, start = next((p, st) for p, st, end, _ in fresh.cards.segments if st <= i < end)
            return placed[path] + i - start
        row = cached.find(card_id)
        if row is None:
            return None
        path, start, _, _ = cached.segment_of(row)
        return None if path in gone else placed[path] + row - start

    order = {path: i for i, (path, _, _) in enumerate(files)}
    problems = sorted([p for p in cached.problems if p.path not in gone] + fresh.problems,
                      key=lambda p: order.get(p.path, -1))
    cards = Cards(None, None, None, None, rows, packed=True, segments=segments,
                  columns=rows.guard(columns, lambda f: (f.ids, f.decks, f.tags, f.priorities)),
                  find=rows.guard(find, lambda f, card_id: f.positions().get(card_id)))
    return Deck(cards, problems, cached.note_count - old_notes + fresh.note_count, [f[0] for f in files])


def compile_files(files: list[str]) -> Deck:
    """Compile these files, with no cache."""
    return _compile([(path, None, None) for path in files], {})[0]


class _Unit(NamedTuple):
    """One file compiled: its notes (id, override, line, column, number of cards), their cards packed
    as in the deck cache with the columns that select them, its problems, and the stats it was
    compiled at. Merging units moves bytes: no card is unpacked or packed again."""

    mtime: int | None
    size: int | None
    notes: list
    rows: list  # each card's fields as marshal bytes
    ids: list
    decks: list
    tags: list
    priorities: str
    problems: list


def _compile_file(path: str, mtime, size) -> _Unit:
    from .cards import compile_note
    from .notes import parse_file

    notes, problems = parse_file(path, os.path.abspath(path))
    meta, cards = [], []
    for note in notes:
        compiled = compile_note(note)
        meta.append((note.id, note.override, note.line, note.column, len(compiled)))
        cards.extend(compiled)
    return _Unit(mtime, size, meta, [marshal.dumps(tuple(c)) for c in cards], [c.id for c in cards],
                 [c.deck for c in cards], [c.tags for c in cards], "".join(c.priority[0] for c in cards),
                 [tuple(p) for p in problems])


def _compile(files: list[tuple[str, int | None, int | None]], old: dict) -> tuple[Deck, dict]:
    """Merge the files' units in deck order (compiling the files that changed): duplicate ids are
    problems naming both places, and a note marked `override` replaces the one it copies."""
    units: dict[str, _Unit] = {}
    kept: dict[str, tuple] = {}  # note id -> (unit, first card, count), in the order notes were kept
    first: dict[str, tuple] = {}  # note id -> (override, path, line)
    problems: list[Problem] = []
    shown = []
    plain = True
    for path, mtime, size in files:
        absolute = os.path.abspath(path)
        shown.append(absolute)
        unit = old.get(absolute)
        if unit is None or mtime is None or (unit.mtime, unit.size) != (mtime, size):
            unit = _compile_file(path, mtime, size)
        units[absolute] = unit
        problems.extend(Problem(*p) for p in unit.problems)
        at = 0
        for note_id, override, line, column, count in unit.notes:
            span = (unit, at, count)
            at += count
            if note_id in first:
                plain = False
                was_override, first_path, first_line = first[note_id]
                if override != was_override:  # `override: true` (a personal copy) wins
                    if override:
                        del kept[note_id]
                        kept[note_id] = span
                        first[note_id] = (override, absolute, line)
                    continue
                problems.append(Problem(absolute, line, column,
                                        f"duplicate note id '{note_id}' (also at {first_path}:{first_line})"))
                continue
            first[note_id] = (override, absolute, line)
            kept[note_id] = span
    ids, decks, tags, priorities, rows = [], [], [], [], []
    runs = []  # (file, start, end) of each run of one file's cards
    path_of = {id(unit): path for path, unit in units.items()}
    for unit, at, end in _runs(kept.values()):
        start = len(ids)
        ids += unit.ids[at:end]
        decks += unit.decks[at:end]
        tags += unit.tags[at:end]
        priorities.append(unit.priorities[at:end])
        rows += unit.rows[at:end]
        runs.append((path_of[id(unit)], start, len(ids)))
    priorities = "".join(priorities)
    cards = Cards(ids, decks, tags, priorities, rows, packed=True, segments=_segments(runs, ids, priorities))
    return Deck(cards, problems, len(kept), shown, plain), units


def _segments(runs: list[tuple[str, int, int]], ids: list[str], priorities: str) -> list[tuple[str, int, int, int]]:
    """The deck's segments (see `Cards.segments`): neighbouring runs of a file joined, and a file
    whose cards are split by another's (an override) named once per part."""
    joined: list[list] = []
    for path, start, end in runs:
        if joined and joined[-1][0] == path and joined[-1][2] == start:
            joined[-1][2] = end
        else:
            joined.append([path, start, end])
    parts: dict[str, int] = {}
    out = []
    for path, start, end in joined:
        parts[path] = parts.get(path, 0) + 1
        name = path if parts[path] == 1 else f"{path}#{parts[path]}"
        out.append(segment(name, ids, priorities, start, end))
    return out


def _runs(spans) -> Iterator[tuple[_Unit, int, int]]:
    """(unit, start, end) of the kept notes' cards, neighbouring notes of a file joined into one run."""
    current = None
    for unit, at, count in spans:
        if current and current[0] is unit and current[2] == at:
            current[2] = at + count
        else:
            if current:
                yield tuple(current)
            current = [unit, at, at + count]
    if current:
        yield tuple(current)


def _read_units(units_file: Path) -> dict:
    try:
        data = units_file.read_bytes()
        if int.from_bytes(data[:4], "little") != zlib.crc32(data[4:]):
            return {}
        with no_gc():
            return {path: _Unit(*unit) for path, unit in marshal.loads(data[4:]).items()}
    except Exception:  # missing, damaged or from another version: every file is compiled again
        return {}


def _write_units(units_file: Path, units: dict) -> None:
    tmp = units_file.with_name(units_file.name + ".tmp")
    try:
        payload = marshal.dumps({path: tuple(unit) for path, unit in units.items()})
        tmp.write_bytes(zlib.crc32(payload).to_bytes(4, "little") + payload)
        os.replace(tmp, units_file)
    except (OSError, ValueError):
        tmp.unlink(missing_ok=True)  # the cache only saves time


def _hash_index(keys: Iterable[str], rows: Iterable[int]) -> tuple[bytes, bytes]:
    """The CRC-32s of `keys` in sorted order, and beside each the row it leads to: sorted as single
    integers (hash above row), far faster than pairs."""
    pairs = sorted(zlib.crc32(key.encode()) << 32 | row for key, row in zip(keys, rows))
    return array.array("I", [p >> 32 for p in pairs]).tobytes(), array.array("I", [p & 0xFFFFFFFF for p in pairs]).tobytes()


class _Damaged(Exception):
    """A part of a cache file does not match its CRC-32."""


class _CacheFile:
    """A deck cache file in memory: its header read, its index checked and read in place, its
    columns and cards read and checked only when asked for (a part that does not match its CRC-32
    raises `_Damaged`)."""

    def __init__(self, buffer: mmap.mmap, header: tuple):
        self.fingerprint, self.segments, self.sections, problems, self.note_count, self.files, self.plain = header
        self.segment_starts = [seg[1] for seg in self.segments]
        self.problems = [Problem(*p) for p in problems]
        sections, n = self.sections, self.sections["cards"]
        if len(buffer) != sections["end"]:
            raise _Damaged
        index = memoryview(buffer)[sections["index"]:sections["columns"]]
        if zlib.crc32(index) != sections["index_crc"]:
            raise _Damaged
        self.offsets = index[:8 * (n + 1)].cast("Q")
        words = index[8 * (n + 1):].cast("I")  # after the offsets: 4-byte words
        self.crcs, self.hashes, self.order = words[:n], words[n:2 * n], words[2 * n:3 * n]
        notes = sections["notes"]
        self.note_hashes, self.note_rows = words[3 * n:3 * n + notes], words[3 * n + notes:3 * n + 2 * notes]
        self.buffer = buffer
        self.rows = _CachedRows(self)

    def deck(self, recompile: Callable[[], Cards]) -> Deck:
        """The cached deck, served from `recompile` once any part proves damaged."""
        served = _Served(self.rows, recompile)
        cards = Cards(None, None, None, None, served, packed=True, segments=self.segments,
                      columns=served.guard(self.columns, lambda fresh: (fresh.ids, fresh.decks, fresh.tags,
                                                                        fresh.priorities)),
                      find=served.guard(self.find, lambda fresh, card_id: fresh.positions().get(card_id)))
        return Deck(cards, list(self.problems), self.note_count, self.files, self.plain)

    def columns(self) -> tuple:
        blob = memoryview(self.buffer)[self.sections["columns"]:self.sections["rows"]]
        if zlib.crc32(blob) != self.sections["columns_crc"]:
            raise _Damaged
        with no_gc():
            return marshal.loads(blob)

    def row(self, i: int) -> bytes:
        start = self.sections["rows"]
        packed = self.buffer[start + self.offsets[i]:start + self.offsets[i + 1]]
        if zlib.crc32(packed) != self.crcs[i]:
            raise _Damaged
        return packed

    def note_outside(self, note_id: str, files: Container[str]) -> bool:
        """Whether the deck has a note with this id in a file not among `files` (each note's first
        card is indexed by the note id's hash, as cards are by theirs)."""
        h = zlib.crc32(note_id.encode())
        i = bisect.bisect_left(self.note_hashes, h)
        while i < len(self.note_hashes) and self.note_hashes[i] == h:
            row = self.note_rows[i]
            if marshal.loads(self.row(row))[1] == note_id:
                return self.segment_of(row)[0] not in files
            i += 1
        return False

    def segment_of(self, row: int) -> tuple[str, int, int, int]:
        """The segment (file, start, end, stamp) holding a row."""
        return self.segments[bisect.bisect_right(self.segment_starts, row) - 1]

    def rows_between(self, start: int, end: int) -> list[bytes]:
        """Rows `start` to `end`, checked against their CRC-32s in one pass."""
        base, offsets = self.sections["rows"], self.offsets
        rows = [self.buffer[base + offsets[i]:base + offsets[i + 1]] for i in range(start, end)]
        if list(map(zlib.crc32, rows)) != self.crcs[start:end].tolist():
            raise _Damaged
        return rows

    def find(self, card_id: str) -> int | None:
        """The row of a card id: its hash looked up in the sorted hashes, the card's id compared."""
        h = zlib.crc32(card_id.encode())
        i = bisect.bisect_left(self.hashes, h)
        while i < len(self.hashes) and self.hashes[i] == h:
            row = self.order[i]
            if marshal.loads(self.row(row))[0] == card_id:
                return row
            i += 1
        return None


def _open_cache(cache_file: Path) -> _CacheFile | None:
    """The cache file, or None when it is missing, foreign or damaged in its header or index."""
    try:
        with open(cache_file, "rb") as fh:
            buffer = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
        header_size = int.from_bytes(buffer[:8], "little")
        if int.from_bytes(buffer[8:12], "little") != zlib.crc32(memoryview(buffer)[12:12 + header_size]):
            return None
        with no_gc():
            header = marshal.loads(buffer[12:12 + header_size])
        return _CacheFile(buffer, header)
    except Exception:  # a missing, partial or foreign cache is simply rebuilt
        return None


class _CachedRows(Sequence):
    """The packed cards of a cache file, read from its memory map only when asked for: a review
    touches the pages of the cards it shows, not the whole deck's text."""

    def __init__(self, cache: _CacheFile):
        self._cache = cache

    def __len__(self) -> int:
        return self._cache.sections["cards"]

    def __getitem__(self, i):
        if isinstance(i, slice):
            return self._cache.rows_between(*i.indices(len(self))[:2])
        return self._cache.row(range(len(self))[i])

    def __iter__(self):  # a full pass (a listing, an export, the next cache): checked in bulk
        return iter(self[:])


class _PatchedRows(Sequence):
    """A deck's packed cards taken from several sources: (first position, source, first row in
    the source) of each run, in order."""

    def __init__(self, parts: list[tuple[int, Sequence, int]], size: int):
        self._starts = [at for at, _, _ in parts]
        self._parts = parts
        self._size = size

    def __len__(self) -> int:
        return self._size

    def __getitem__(self, i: int) -> bytes:
        i = range(self._size)[i]
        at, source, first = self._parts[bisect.bisect_right(self._starts, i) - 1]
        return source[first + i - at]

    def __iter__(self):
        for (at, source, first), end in zip(self._parts, [*self._starts[1:], self._size]):
            yield from source[first:first + end - at]


class _Served(Sequence):
    """A deck's packed cards from its cache, and from `recompile` (the same files compiled again,
    in the same order) once any part of the cache proves damaged: a damaged part is never used."""

    def __init__(self, rows: Sequence, recompile: Callable[[], Cards]):
        self._rows, self._recompile = rows, recompile
        self._fresh: Cards | None = None

    def __len__(self) -> int:
        return len(self._rows)

    def __getitem__(self, i: int) -> bytes:
        if self._fresh is None:
            try:
                return self._rows[i]
            except _Damaged:
                self._fall_back()
        return self._fresh.packed()[i]

    def __iter__(self):
        if self._fresh is None:
            try:
                return iter(list(self._rows))  # read whole before any is used: a damaged part never is
            except _Damaged:
                self._fall_back()
        return iter(self._fresh.packed())

    def guard(self, read: Callable, from_fresh: Callable) -> Callable:
        """`read`, answered by `from_fresh(fresh cards, ...)` once the cache proves damaged."""
        def guarded(*args):
            if self._fresh is None:
                try:
                    return read(*args)
                except _Damaged:
                    self._fall_back()
            return from_fresh(self._fresh, *args)
        return guarded

    def _fall_back(self) -> None:
        fresh = self._recompile()
        if len(fresh) != len(self._rows):
            raise SystemExit("error: the card files changed while this command read them; run it again")
        self._fresh = fresh


def _write_cache(cache_file: Path, fingerprint: tuple, deck: Deck) -> None:
    """The cache file: the size and CRC-32 of a marshal header (fingerprint, segments, where each
    section starts, problems, files), the header, then the sections, each with its own CRC-32 in the
    header: the index (where each packed card starts, each card's CRC-32, card id hashes in order
    and the card each belongs to, note id hashes in order and each note's first card), the columns,
    and the packed cards one after another."""
    cards = deck.cards
    packed = list(cards.packed())  # read once: a patched deck's cards come from the previous cache
    ids = cards.ids
    first_cards: dict[str, int] = {}
    for i, card_id in enumerate(ids):
        first_cards.setdefault(card_id.split("/", 1)[0], i)
    index = b"".join([
        array.array("Q", [0, *itertools.accumulate(map(len, packed))]).tobytes(),
        array.array("I", map(zlib.crc32, packed)).tobytes(),
        *_hash_index(ids, range(len(ids))),
        *_hash_index(first_cards, first_cards.values()),
    ])
    columns = marshal.dumps((cards.ids, cards.decks, cards.tags, cards.priorities))
    problems = [(p.path, p.line, p.column, p.message) for p in deck.problems]
    sections = {"cards": len(cards), "notes": len(first_cards), "index_crc": zlib.crc32(index),
                "columns_crc": zlib.crc32(columns)}
    header = b""
    for _ in range(2):  # the header's own size moves the sections: settle it, then write it
        start = 12 + len(header) + (-(12 + len(header)) % 8)  # the index aligned for its 8-byte words
        sections.update(index=start, columns=start + len(index), rows=start + len(index) + len(columns))
        sections["end"] = sections["rows"] + sum(map(len, packed))
        header = marshal.dumps((fingerprint, cards.segments, sections, problems, deck.note_count, deck.files,
                                deck.plain))
    # One temporary name per cache file: a write cut short (killed, disk full) leaves at most one
    # partial file, which the next write replaces instead of adding another.
    tmp = cache_file.with_name(cache_file.name + ".tmp")
    try:
        cache_file.parent.mkdir(parents=True, exist_ok=True)
        with open(tmp, "wb") as fh:
            fh.write(len(header).to_bytes(8, "little"))
            fh.write(zlib.crc32(header).to_bytes(4, "little"))
            fh.write(header)
            fh.write(bytes(sections["index"] - 12 - len(header)))
            fh.write(index)
            fh.write(columns)
            fh.writelines(packed)
        os.replace(tmp, cache_file)
    except OSError as exc:  # the cache only saves time: a read-only or full disk must not stop a command
        try:
            tmp.unlink()
        except OSError:
            pass
        if exc.errno == errno.ENOSPC:
            print(f"warning: disk full: the card cache in {cache_file.parent} was not written", file=sys.stderr)
