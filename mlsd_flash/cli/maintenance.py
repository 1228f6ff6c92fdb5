"""History maintenance: replay the log, back up and restore, find and purge orphaned history."""

from __future__ import annotations

from pathlib import Path

import click

from .app import App, echo_json, fail, open_history, orphan_rows, pass_app


@click.command()
@pass_app
def rebuild(app: App) -> None:
    """Recompute every card's schedule by replaying the review log (after changing settings)."""
    from ..history import HistoryError
    from ..scheduler import Scheduler

    backed_up(app, "rebuild")
    history = open_history(app)
    try:
        count = history.rebuild(Scheduler(app.settings).replay)
    except HistoryError as exc:
        fail(str(exc))
    finally:
        history.close()
    click.echo(f"Rebuilt the schedule of {count} cards from the review log.")


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
@click.option("--purge", is_flag=True, help="Delete the review history of these cards (asks first).")
@click.option("-y", "--yes", is_flag=True, help="With --purge: don't ask.")
@pass_app
def orphans(app: App, as_json: bool, purge: bool, yes: bool) -> None:
    """Cards with a review history but no source (deleted or renamed): list them, or purge them."""
    deck = app.deck()
    if deck.problems:
        message = (f"{len(deck.problems)} problem(s) in the card files: cards of broken notes are listed as "
                   "orphans until they are fixed (`mlsd-flash check`)")
        if purge:
            fail(message.replace("are listed as orphans", "would be purged") + "; nothing purged")
        click.echo(click.style(f"warning: {message}", fg="yellow"), err=True)
    rows = orphan_rows(app, deck)
    if purge:
        if not rows:
            click.echo("No orphans: nothing to purge.")
            return
        if not yes:
            click.confirm(f"Delete the review history of {len(rows)} card{'s' if len(rows) != 1 else ''}? "
                          "This cannot be undone", default=False, abort=True)
        from ..history import HistoryError

        saved = backed_up(app, "purge")
        history = open_history(app, create=False)
        try:
            count = history.purge(r["id"] for r in rows)
        except HistoryError as exc:
            fail(str(exc))
        finally:
            history.close()
        undo = f" To undo: `mlsd-flash restore {saved.name}`." if saved else ""
        click.echo(f"Purged the history of {count} card{'s' if count != 1 else ''}.{undo}")
        return
    if as_json:
        echo_json(rows)
        return
    from datetime import datetime

    for row in rows:  # local time for people; --json keeps ISO with its offset for scripts
        last = row["last_review"] and datetime.fromisoformat(row["last_review"]).astimezone().strftime("%Y-%m-%d %H:%M")
        click.echo(f"{row['id']}\t{row['reviews']} review{'s' if row['reviews'] != 1 else ''}\t"
                   f"last {last or 'never'}")
    if not rows:
        click.echo("No orphans: every card in your history has a source.", err=True)


def backed_up(app: App, reason: str):
    """Back up the history before a change that rewrites many rows; a failed backup stops the change."""
    from ..backups import BackupError, backup_before
    from ..terminal import wall_clock

    try:
        return backup_before(app.paths.history_db, reason, wall_clock()())
    except BackupError as exc:
        fail(f"{exc}; nothing was changed")


@click.command()
@click.argument("path", required=False, type=click.Path(dir_okay=False, path_type=Path))
@pass_app
def backup(app: App, path: Path | None) -> None:
    """Back up your review history now (to PATH, or to the backups folder beside it)."""
    from ..backups import BackupError, copy_database

    if not app.paths.history_db.is_file():
        fail(f"{app.paths.history_db}: no review history yet, nothing to back up")
    if path is None:
        saved = backed_up(app, "manual")
    else:
        if path.exists() and not path.is_file():
            fail(f"{path}: not a regular file")
        try:
            copy_database(app.paths.history_db, path)
        except BackupError as exc:
            fail(str(exc))
        saved = path
    click.echo(f"Backed up {app.paths.history_db} to {saved}")


@click.command()
@click.argument("backup", required=False)
@click.option("-y", "--yes", is_flag=True, help="Restore without asking.")
@click.option("--json", "as_json", is_flag=True, help="With no BACKUP: list the backups as JSON.")
@pass_app
def restore(app: App, backup: str | None, yes: bool, as_json: bool) -> None:
    """List the backups of your history, or restore one (by number, name or path).

    The current history is backed up first, so a restore can itself be undone.
    """
    from ..backups import BackupError, backups, folder_of, restore as restore_file
    from ..terminal import wall_clock

    found = backups(folder_of(app.paths.history_db))
    if backup is None:
        if as_json:
            echo_json([{"number": i, "name": b.path.name, "made": b.made.isoformat(), "reason": b.reason,
                        "bytes": b.size} for i, b in enumerate(found, 1)])
            return
        if not found:
            click.echo(f"No backups yet in {folder_of(app.paths.history_db)}.")
            return
        for i, b in enumerate(found, 1):
            made = b.made.astimezone().strftime("%Y-%m-%d %H:%M")
            click.echo(f"{i:3d}  {made}  {b.reason:<22} {b.size / 1e6:7.1f} MB  {b.path.name}")
        click.echo("Restore one with `mlsd-flash restore N`.")
        return
    by_name = {b.path.name: b.path for b in found}
    if backup.isdigit() and 1 <= int(backup) <= len(found):
        source = found[int(backup) - 1].path
    elif backup in by_name:
        source = by_name[backup]
    elif Path(backup).is_file():
        source = Path(backup)
    else:
        fail(f"no backup '{backup}': give a number from `mlsd-flash restore`, a backup's name or a file")
    if not yes:
        click.confirm(f"Replace your history with {source.name}? (the current one is backed up first)",
                      default=False, abort=True)
    try:
        saved = restore_file(app.paths.history_db, source, wall_clock()())
    except BackupError as exc:
        fail(str(exc))
    click.echo(f"Restored {app.paths.history_db} from {source}." +
               (f" The history before it is in {saved.name}." if saved else ""))


def check_database(app: App, repair: bool) -> None:
    """`check --db`: SQLite's integrity check and the cache against a replay of the log; with
    --repair, the safe repair (a backup, then the cache rebuilt from the log)."""
    from ..history import HistoryError
    from ..scheduler import Scheduler

    path = app.paths.history_db
    if not path.is_file():
        click.echo(f"{path}: no review history yet.")
        return
    history = open_history(app, create=False)
    try:
        replay = Scheduler(app.settings).replay
        integrity, wrong = history.verify(replay)
        if integrity != "ok":
            fail(f"{path}: the database is damaged ({integrity}); `mlsd-flash restore` lists your backups")
        if not wrong:
            click.echo(f"{path}: integrity ok; the schedule of every card matches its review log.")
            return
        click.echo(f"{path}: integrity ok; {len(wrong)} card{'s' if len(wrong) != 1 else ''} disagree with the "
                   f"review log (first: {wrong[0]}).")
        if not repair:
            fail("run `mlsd-flash check --db --repair` to recompute them from the log")
        history.close()
        backed_up(app, "repair")
        history = open_history(app, create=False)
        history.rebuild(replay)
        click.echo("Repaired: every card's schedule was recomputed from the review log.")
    except HistoryError as exc:
        fail(str(exc))
    finally:
        history.close()
