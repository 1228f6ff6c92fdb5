"""History maintenance: replay the log, find and purge orphaned history."""

from __future__ import annotations

import click

from .app import App, echo_json, fail, open_history, orphan_rows, pass_app


@click.command()
@pass_app
def rebuild(app: App) -> None:
    """Recompute every card's schedule by replaying the review log (after changing settings)."""
    from ..history import HistoryError
    from ..scheduler import Scheduler

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

        history = open_history(app, create=False)
        try:
            count = history.purge(r["id"] for r in rows)
        except HistoryError as exc:
            fail(str(exc))
        finally:
            history.close()
        click.echo(f"Purged the history of {count} card{'s' if count != 1 else ''}.")
        return
    if as_json:
        echo_json(rows)
        return
    for row in rows:
        click.echo(f"{row['id']}\t{row['reviews']} review{'s' if row['reviews'] != 1 else ''}\t"
                   f"last {row['last_review'] or 'never'}")
    if not rows:
        click.echo("No orphans: every card in your history has a source.", err=True)
