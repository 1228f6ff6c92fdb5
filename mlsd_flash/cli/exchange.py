"""Cards and reviews in and out: the Anki export, and reviews imported from Anki or another device."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from ..problems import display_path
from .app import App, fail, output_file, pass_app, select_cards


@click.command("export")
@click.option("-o", "--output", type=click.Path(dir_okay=True),
              help="Where to write the .apkg (default: decks/mlsd-flash.apkg in a checkout, else ./mlsd-flash.apkg).")
@click.option("--deck", "deck_name", help="Only cards under this deck path, e.g. 'Data::Sampling'.")
@click.option("--tag", help="Only cards with this tag.")
@click.option("--no-personal", is_flag=True, help="Leave out your own cards.")
@pass_app
def export(app: App, output: str | None, deck_name: str | None, tag: str | None, no_personal: bool) -> None:
    """Write the cards as an Anki package (.apkg) to import into Anki.

    Re-importing a newer export updates the notes that changed and keeps your Anki history. Inside
    a checkout, the default output is the repository's deck (built-in cards only).
    """
    from ..deck import builtin_cards_dir, builtin_stamps_file, find_checkout
    from ..export import (DEFAULT_NAME, ExportError, anki_search, export_deck, prepare_output, progress_steps,
                          read_stamps)

    if output == "-":
        fail("-o -: an Anki package is a zip file, not text for the terminal; give a file or folder name")
    checkout = find_checkout(Path.cwd()) if output is None else None
    if checkout is not None:
        output, builtin = checkout / "decks" / DEFAULT_NAME, checkout / "cards"
    else:
        builtin = builtin_cards_dir()
        if output is None:
            output = Path(DEFAULT_NAME)
        elif output.strip() and (output.endswith(("/", os.sep)) or Path(output).is_dir()):
            output = output_file(str(Path(output) / DEFAULT_NAME))
        else:
            output = output_file(output)  # not a device such as /dev/null, nor an empty name
    try:
        prepare_output(output)  # before loading the cards: a bad path fails fast
    except ExportError as exc:
        fail(str(exc))
    deck = app.deck([builtin]) if checkout is not None else app.deck(personal=not no_personal)
    if deck.problems:
        count = len(deck.problems)
        fail(f"{count} problem{'s' if count != 1 else ''} in the cards; run 'mlsd-flash check' to see them")
    cards = select_cards(app, deck, deck_name, tag)
    if not cards:
        fail("no cards to export")
    # The repository's deck keeps its stamps beside it; every other export keeps them with your data,
    # starting from the published deck's, so no output path makes Anki rewrite an unchanged note.
    from ..export import numbered_decks

    # Built-in decks are numbered by the whole built-in deck's order, whatever part is exported.
    options = {"whole": not (deck_name or tag), "deck_names": numbered_decks(app.deck([builtin]).cards.decks)}
    if checkout is None:
        try:
            options.update(stamps_file=app.paths.data_dir / "export-stamps.json",
                           baseline=read_stamps(builtin_stamps_file()))
        except ExportError:
            pass  # no published stamps: every note counts as new the first time
    try:
        if sys.stderr.isatty() and len(cards) >= 2000:
            with click.progressbar(length=progress_steps(cards), label="Exporting", file=sys.stderr) as bar:
                result = export_deck(cards, output, builtin, progress=bar.update, **options)
        else:
            result = export_deck(cards, output, builtin, **options)
    except ExportError as exc:
        fail(str(exc))
    click.echo(f"Wrote {display_path(result.path)}: {result.notes} notes, {result.cards} cards, "
               f"{len(result.decks)} decks ({result.changed} new or changed since the last export).")
    if result.removed:
        click.echo(f"{len(result.removed)} note{'s' if len(result.removed) != 1 else ''} of your last export "
                   f"{'are' if len(result.removed) != 1 else 'is'} no longer in the deck; Anki keeps "
                   f"{'them' if len(result.removed) != 1 else 'it'} until you delete {'them' if len(result.removed) != 1 else 'it'}. "
                   f"Find {'them' if len(result.removed) != 1 else 'it'} in Anki's Browser with this search:")
        click.echo(anki_search(result.removed))
    if checkout is not None and not no_personal and app.paths.personal_dir.is_dir():
        click.echo("Your own cards are not part of the repository's deck; use -o PATH to export them too.")


@click.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@pass_app
def import_reviews(app: App, path: Path) -> None:
    """Bring in reviews made elsewhere, once: an Anki export (a .colpkg, an .apkg exported with
    scheduling, or a copy of collection.anki2) or another device's mlsd-flash history file.

    The answers join your review log with their real times and ratings, and every card they touch
    is rescheduled by replaying its log in time order. Importing the same file again adds nothing.
    """
    from ..anki_import import AnkiError, read_reviews
    from ..history import HistoryError, answers_in, check_file
    from ..scheduler import Scheduler
    from .app import open_history
    from .maintenance import backed_up

    try:
        check_file(path)
        source, rows, skipped = "another mlsd-flash history", answers_in(path), {}
    except HistoryError:
        try:
            found = read_reviews(path, set(app.deck().cards.ids))
        except AnkiError as exc:
            fail(f"{exc}; give an Anki export (.colpkg, .apkg with scheduling, collection.anki2) or an "
                 "mlsd-flash history file")
        source, rows, skipped = "Anki", found.rows, found.skipped
    if app.paths.history_db.resolve() == path.resolve():
        fail(f"{path} is your own history")
    if rows:
        backed_up(app, "import")
    history = open_history(app)
    try:
        added, cards = history.add_reviews(rows, Scheduler(app.settings).replay_steps) if rows else (0, 0)
    except HistoryError as exc:
        fail(str(exc))
    finally:
        history.close()
    click.echo(f"Imported {added} review{'s' if added != 1 else ''} of {cards} card{'s' if cards != 1 else ''} "
               f"from {source} ({path.name}); {len(rows) - added} already present.")
    for reason, count in sorted(skipped.items()):
        click.echo(f"  skipped {count} {reason}")
