"""Backups of the review history: consistent copies made through SQLite's backup API (safe while
another process writes), kept in a bounded set beside the history.

A backup is made once a day on first use and before every change that rewrites many rows at once
(a purge, a rebuild, a migration, an import, new parameters). The set keeps the newest backup of
each of the last 7 days, of each of the 4 weeks before, and the 5 most recent in any case.
"""

from __future__ import annotations

import os
import re
import sqlite3
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import NamedTuple

KEEP_DAYS, KEEP_WEEKS, KEEP_RECENT = 7, 4, 5
BACKUP_STEP_PAGES = 2048
_NAME = re.compile(r"^history-(\d{8}T\d{6}(?:\d{6})?)-([a-z0-9-]+)\.sqlite3$")


class BackupError(Exception):
    """A backup or restore could not be made; the message says why and which file."""


class Backup(NamedTuple):
    path: Path
    made: datetime  # UTC, by the clock of the command that made it (its name)
    reason: str
    size: int
    written: int  # when the file was written (ns): the order backups were really made in


def folder_of(db_path: Path) -> Path:
    return Path(db_path).parent / "backups"


def copy_database(source: Path, target: Path) -> None:
    """A consistent copy of `source` at `target`, written to a temporary file and renamed into place."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(target.name + ".tmp")
    try:
        src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        try:
            dst = sqlite3.connect(tmp)
            try:
                src.backup(dst, pages=BACKUP_STEP_PAGES)  # in steps: memory stays small for a large history
                dst.execute("PRAGMA journal_mode=DELETE")  # a backup is one self-contained file
            finally:
                dst.close()
        finally:
            src.close()
        os.replace(tmp, target)
    except (sqlite3.Error, OSError) as exc:
        tmp.unlink(missing_ok=True)
        if isinstance(exc, OSError) and exc.errno == 28:
            raise BackupError(f"{target}: disk full; no backup was made") from None
        raise BackupError(f"cannot back up {source} to {target}: {exc}") from None


def backup_before(db_path: Path, reason: str, now: datetime | None = None) -> Path | None:
    """Back up the history before a change; None when there is no history yet."""
    db_path = Path(db_path)
    if not db_path.is_file() or db_path.stat().st_size == 0:
        return None
    now = (now or datetime.now(timezone.utc)).astimezone(timezone.utc)
    target = folder_of(db_path) / f"history-{now:%Y%m%dT%H%M%S%f}-{reason}.sqlite3"
    while target.exists():  # never overwrite a backup, even one named by the same clock reading
        now += timedelta(microseconds=1)
        target = folder_of(db_path) / f"history-{now:%Y%m%dT%H%M%S%f}-{reason}.sqlite3"
    copy_database(db_path, target)
    prune(folder_of(db_path), now)
    return target


def daily(db_path: Path, now: datetime) -> Path | None:
    """The day's automatic backup, made on the first use of the day (UTC day)."""
    day = now.astimezone(timezone.utc).strftime("%Y%m%d")
    folder = folder_of(db_path)
    if folder.is_dir() and any(e.name.startswith(f"history-{day}") for e in os.scandir(folder)):
        return None
    return backup_before(db_path, "daily", now)


def backups(folder: Path) -> list[Backup]:
    """The backups in `folder`, newest first."""
    if not folder.is_dir():
        return []
    found = []
    for entry in os.scandir(folder):
        m = _NAME.match(entry.name)
        if m:
            stamp = m.group(1)
            made = datetime.strptime(stamp[:15], "%Y%m%dT%H%M%S").replace(tzinfo=timezone.utc)
            if len(stamp) > 15:
                made = made.replace(microsecond=int(stamp[15:]))
            st = entry.stat()
            found.append(Backup(Path(entry.path), made, m.group(2), st.st_size, st.st_mtime_ns))
    return sorted(found, key=lambda b: (b.written, b.made), reverse=True)


def prune(folder: Path, now: datetime) -> list[Path]:
    """Delete the backups the bounded set no longer keeps. Returns what was deleted."""
    all_backups = backups(folder)
    keep = {b.path for b in all_backups[:KEEP_RECENT]}
    days: dict = {}
    weeks: dict = {}
    for b in all_backups:  # newest first: the first seen of each day or week is its newest
        day = b.made.date()
        age = (now.date() - day).days
        if age < KEEP_DAYS:
            days.setdefault(day, b.path)
        elif age < KEEP_DAYS + 7 * KEEP_WEEKS:
            weeks.setdefault(day.isocalendar()[:2], b.path)
    keep |= set(days.values()) | set(weeks.values())
    deleted = []
    for b in all_backups:
        if b.path not in keep:
            b.path.unlink(missing_ok=True)
            deleted.append(b.path)
    import time

    for tmp in folder.glob("*.sqlite3.tmp"):  # a copy cut short by a killed process
        try:
            if time.time() - tmp.stat().st_mtime > 600:
                tmp.unlink()
        except OSError:
            pass
    return deleted


def restore(db_path: Path, source: Path, now: datetime | None = None) -> Path | None:
    """Replace the history's content with a backup's, after backing up the current file. The copy
    goes through SQLite, under its lock, so a process that has the history open sees either the old
    or the new content. Returns the backup of the current file."""
    from .history import HistoryError, check_file

    try:
        check_file(source)  # a backup must be an undamaged mlsd-flash history itself
    except HistoryError as exc:
        raise BackupError(f"cannot restore from {exc}") from None
    saved = backup_before(db_path, "before-restore", now)
    try:
        src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        try:
            dst = sqlite3.connect(db_path, timeout=10.0)
            try:
                src.backup(dst)
            finally:
                dst.close()
        finally:
            src.close()
    except sqlite3.Error as exc:
        raise BackupError(f"cannot restore {db_path} from {source}: {exc}") from None
    return saved
