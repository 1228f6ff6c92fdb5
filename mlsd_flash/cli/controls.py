"""Card controls an Anki user reaches for: suspend, unsuspend and forget, by card, note, deck or tag."""

from __future__ import annotations

import click

from .app import App, cards_named, fail, open_history, pass_app


def _targets(app: App, ids: tuple[str, ...], deck_name: str | None, tag: str | None) -> list[str]:
    """Card ids named directly (a card or a whole note), or selected by deck and tag."""
    if not ids and not deck_name and not tag:
        fail("name the cards: card or note ids, --deck or --tag")
    deck = app.deck()
    chosen: dict[str, None] = {}
    for name in ids:
        chosen.update((c.id, None) for c in cards_named(deck, name))
    if deck_name or tag:
        selected = deck.select(deck_name, tag)
        if not selected:
            what = f"deck '{deck_name}'" + (f" with tag '{tag}'" if tag else "") if deck_name else f"tag '{tag}'"
            fail(f"no cards in {what}")
        chosen.update((cid, None) for cid in selected.ids)
    return list(chosen)


def _plural(n: int, word: str = "card") -> str:
    return f"{n} {word}{'s' if n != 1 else ''}"


@click.command()
@click.argument("ids", nargs=-1)
@click.option("--deck", "deck_name", help="Every card under this deck path.")
@click.option("--tag", help="Every card with this tag.")
@pass_app
def suspend(app: App, ids, deck_name, tag) -> None:
    """Suspend cards: they never come up until unsuspended (their history stays)."""
    from ..scheduler import to_ms
    from ..terminal import wall_clock

    targets = _targets(app, ids, deck_name, tag)
    history = open_history(app)
    try:
        count = history.suspend(targets, to_ms(wall_clock()()))
    finally:
        history.close()
    click.echo(f"Suspended {_plural(count)}" + (f" ({len(targets) - count} already were)" if count < len(targets) else "")
               + ". `mlsd-flash unsuspend` brings them back.")


@click.command()
@click.argument("ids", nargs=-1)
@click.option("--deck", "deck_name", help="Every card under this deck path.")
@click.option("--tag", help="Every card with this tag.")
@click.option("--leeches", is_flag=True, help="Every suspended leech.")
@pass_app
def unsuspend(app: App, ids, deck_name, tag, leeches) -> None:
    """Unsuspend cards: they come up again when due."""
    history = open_history(app)
    try:
        targets = [] if leeches and not (ids or deck_name or tag) else _targets(app, ids, deck_name, tag)
        if leeches:
            targets += [cid for cid, reason in history.suspended().items() if reason == "leech"]
        count = history.unsuspend(targets)
    finally:
        history.close()
    click.echo(f"Unsuspended {_plural(count)}" + (f" ({len(targets) - count} were not suspended)"
                                                   if count < len(targets) else "") + ".")


@click.command()
@click.argument("ids", nargs=-1)
@click.option("--deck", "deck_name", help="Every card under this deck path.")
@click.option("--tag", help="Every card with this tag.")
@click.option("-y", "--yes", is_flag=True, help="Do not ask.")
@pass_app
def forget(app: App, ids, deck_name, tag, yes) -> None:
    """Put cards back to new, as Anki's Forget does. Their reviews stay in the log; the reset is
    recorded there too, and the cards start again as new cards."""
    from ..scheduler import to_ms
    from ..terminal import wall_clock
    from .maintenance import backed_up

    targets = _targets(app, ids, deck_name, tag)
    if not yes:
        click.confirm(f"Reset {_plural(len(targets))} to new?", default=False, abort=True)
    backed_up(app, "forget")
    history = open_history(app)
    try:
        count = history.forget(targets, to_ms(wall_clock()()))
    finally:
        history.close()
    click.echo(f"Reset {_plural(count)} to new" + (f" ({len(targets) - count} had never been reviewed)"
                                                    if count < len(targets) else "")
               + "; their reviews stay in the log, and a backup was made first.")
