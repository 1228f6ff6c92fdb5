"""Reviews made in Anki, read from what Anki exports: a collection package (`.colpkg`, the current
zstd-compressed format or the legacy one), a deck package exported with scheduling (`.apkg`), or a
copy of `collection.anki2`. The file is copied and read; a live collection is never written.

Each Anki card maps to our card id through its note's first field, `Id` (for cloze notes, the note's
id and the deletion number: `c<ord + 1>`). Answers are kept: learning, review and relearning
entries, and answers in filtered decks (Anki's FSRS counts those as reviews too). Manual
reschedules, "set due date" entries and anything without a rating are skipped and counted.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import tempfile
import zipfile
from collections import Counter
from pathlib import Path
from typing import NamedTuple

ORIGIN = "anki"
OUR_NOTE_TYPES = ("MLSD Flash: basic", "MLSD Flash: cloze")
_ANSWER_TYPES = {0: "learn", 1: "review", 2: "relearn", 3: "filtered"}


class AnkiError(Exception):
    """The file is not something Anki wrote, or cannot be read; the message says which and why."""


class AnkiReviews(NamedTuple):
    rows: list[tuple[str, int, int, int | None, str]]  # (card id, rating, time ms, duration ms, origin)
    skipped: Counter  # reason -> entries


def read_reviews(path: Path, known: set[str]) -> AnkiReviews:
    """The answers of our cards in an Anki export, and what was skipped and why."""
    with tempfile.TemporaryDirectory(prefix="mlsd-flash-anki-") as tmp:
        conn = sqlite3.connect(f"file:{_collection_copy(Path(path), Path(tmp))}?mode=ro", uri=True)
        try:
            return _reviews(conn, known)
        except sqlite3.Error as exc:
            raise AnkiError(f"{path}: not an Anki collection ({exc})") from None
        finally:
            conn.close()


def _collection_copy(path: Path, tmp: Path) -> Path:
    """A private copy of the collection database inside `path` (a package or a collection file)."""
    target = tmp / "collection.sqlite"
    try:
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as package:
                names = set(package.namelist())
                if "collection.anki21b" in names:
                    import zstandard

                    with package.open("collection.anki21b") as src, open(target, "wb") as dst:
                        zstandard.ZstdDecompressor().copy_stream(src, dst)
                elif names & {"collection.anki21", "collection.anki2"}:
                    name = "collection.anki21" if "collection.anki21" in names else "collection.anki2"
                    with package.open(name) as src, open(target, "wb") as dst:
                        shutil.copyfileobj(src, dst)
                else:
                    raise AnkiError(f"{path}: a zip file without an Anki collection inside")
        else:
            shutil.copyfile(path, target)
            for suffix in ("-wal",):  # a copied live collection: its recent changes may sit in the WAL
                if Path(str(path) + suffix).exists():
                    shutil.copyfile(str(path) + suffix, str(target) + suffix)
    except (OSError, zipfile.BadZipFile) as exc:
        raise AnkiError(f"{path}: cannot read: {getattr(exc, 'strerror', None) or exc}") from None
    except ImportError:  # pragma: no cover - zstandard is a dependency
        raise AnkiError(f"{path}: a compressed collection needs the zstandard package") from None
    return target


def _note_types(conn: sqlite3.Connection) -> dict[int, str]:
    """Note type id -> name, from the current schema's table or the legacy JSON."""
    try:
        return dict(conn.execute("SELECT id, name FROM notetypes"))
    except sqlite3.OperationalError:
        models = json.loads(conn.execute("SELECT models FROM col").fetchone()[0] or "{}")
        return {int(k): v.get("name", "") for k, v in models.items()}


def _reviews(conn: sqlite3.Connection, known: set[str]) -> AnkiReviews:
    types = _note_types(conn)
    ours = {mid: name.endswith("cloze") for mid, name in types.items() if name in OUR_NOTE_TYPES}
    cards: dict[int, str | None] = {}  # Anki card id -> our card id (None: not one of ours)
    foreign: set[int] = set()
    for cid, ord_, mid, fields in conn.execute("SELECT c.id, c.ord, n.mid, n.flds FROM cards c JOIN notes n ON n.id = c.nid"):
        if mid not in ours:
            foreign.add(cid)
            continue
        note_key = fields.split("\x1f", 1)[0].strip()
        cards[cid] = f"{note_key}/c{ord_ + 1}" if ours[mid] else note_key
    rows, skipped = [], Counter()
    for at, cid, ease, duration, kind in conn.execute("SELECT id, cid, ease, time, type FROM revlog ORDER BY id"):
        if kind not in _ANSWER_TYPES:
            skipped["manual reschedules"] += 1
        elif not 1 <= ease <= 4:
            skipped["entries that are not answers"] += 1
        elif cid in foreign:
            skipped["answers to notes from other decks"] += 1
        elif cid not in cards:
            skipped["answers to cards no longer in the collection"] += 1
        elif cards[cid] not in known:
            skipped["answers to notes this deck does not have"] += 1
        else:
            rows.append((cards[cid], ease, at, max(0, duration) or None, ORIGIN))
    return AnkiReviews(rows, skipped)
