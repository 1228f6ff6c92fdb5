"""The deck: check the card files, list cards and cases, show one card."""

from __future__ import annotations

from pathlib import Path

import click

from ..problems import display_path
from .app import App, echo_json, fail, open_history, orphan_rows, pass_app


@click.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--strict", is_flag=True, help="Also apply the deck's style rules (answer length, lists, sources).")
@click.option("--db", "database", is_flag=True, help="Check your review history instead: integrity and schedules.")
@click.option("--repair", is_flag=True, help="With --db: recompute schedules that disagree with the log.")
@pass_app
def check(app: App, paths: tuple[Path, ...], strict: bool, database: bool = False, repair: bool = False) -> None:
    """Validate card files (default: the built-in deck and your own cards), or your history (--db).

    Prints every problem as path:line:column: message and exits 1 if there is any.
    """
    if database or repair:
        from .maintenance import check_database

        check_database(app, repair)
        return
    deck = app.deck(list(paths) or None)
    problems = list(deck.problems)
    if strict:
        from ..notes import parse_file
        from ..style import case_problems, strict_problems

        problems += strict_problems(deck.cards)
        from ..skeleton import case_ids

        cases = set(case_ids(deck.cards))
        for path in dict.fromkeys(card.path for card in deck.cards if card.note_id in cases):
            problems += case_problems(parse_file(path)[0])
    for problem in problems:
        click.echo(str(problem), err=True)
    counts: dict[str, int] = {}
    for card in deck.cards:
        counts[card.deck] = counts.get(card.deck, 0) + 1
    click.echo(f"{deck.note_count} notes, {len(deck.cards)} cards in {len(deck.files)} files")
    for name, count in counts.items():
        click.echo(f"  {count:5d}  {name}")
    if not paths:
        _orphan_note(app, deck)
    if problems:
        fail(f"{len(problems)} problem{'s' if len(problems) != 1 else ''} found")


@click.command("list")
@click.option("--deck", "deck_name", help="Only cards under this deck path, e.g. 'Data::Sampling'.")
@click.option("--tag", help="Only cards with this tag.")
@click.option("--changed", is_flag=True, help="Only cards whose text changed since you last answered them.")
@click.option("--cases", is_flag=True, help="List the interview cases (for `review --case`) instead of cards.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
@pass_app
def list_cards(app: App, deck_name: str | None, tag: str | None, as_json: bool, changed: bool = False,
               cases: bool = False) -> None:
    """List cards: id, deck and question (or, with --cases, the interview cases)."""
    deck = app.deck()
    cards = deck.select(deck_name, tag)
    if cases:
        from ..skeleton import case_ids

        found: dict[str, dict] = {}
        case_set = set(case_ids(cards))
        for card in cards:
            if card.note_id in case_set:
                found.setdefault(card.note_id, {"id": card.note_id, "case": card.title, "deck": card.deck,
                                                "cards": 0})
        for card in cards:
            if card.note_id in found:
                found[card.note_id]["cards"] += 1
        if as_json:
            echo_json(list(found.values()))
        for case in [] if as_json else found.values():
            click.echo(f"{case['id']}\t{case['cards']} cards\t{case['case']}")
        return
    if deck_name and not cards and not deck.select(deck_name):
        fail(f"no deck named '{deck_name}'")
    if changed:
        cards = _changed_cards(app, cards)
    if as_json:
        echo_json([c.to_dict() for c in cards])
        return
    for card in cards:
        question = " ".join(card.front().split())
        click.echo(f"{card.id}\t{card.deck}\t{question}")


@click.command()
@click.argument("card_id")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
@pass_app
def show(app: App, card_id: str, as_json: bool) -> None:
    """Show a card's question, answer and source (or all cards of a note)."""
    deck = app.deck()
    card = deck.get(card_id)
    cards = [card] if card else deck.note_cards(card_id)
    if not cards:
        import difflib

        ids = deck.cards.ids
        close = difflib.get_close_matches(card_id, ids, n=3, cutoff=0.6)
        close += [i for i in ids if i.startswith(card_id) and i not in close][: 3 - len(close)]
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        fail(f"unknown card id '{card_id}'{hint}")
    if as_json:
        echo_json([c.to_dict() for c in cards])
        return
    for i, card in enumerate(cards):
        if i:
            click.echo()
        click.echo(click.style(card.id, bold=True) + f"  ({card.deck})")
        click.echo(f"Q: {card.front()}")
        click.echo(f"A: {card.back()}")
        if card.extra:
            click.echo(f"Extra: {card.extra}")
        click.echo(f"Source: {card.source or '(none)'}")
        click.echo(f"At: {display_path(card.path)}:{card.line}")


def _changed_cards(app: App, cards: list) -> list:
    """Cards whose text changed since they were last answered."""
    if not app.paths.history_db.exists():
        return []
    history = open_history(app, create=False)
    try:
        states = history.states()
    finally:
        history.close()
    return [c for c in cards
            if c.id in states and states[c.id].content_hash and states[c.id].content_hash != c.content_hash]


def _orphan_note(app: App, deck) -> None:
    """`check`'s note about cards with history but no source (never an error)."""
    try:
        rows = orphan_rows(app, deck)
    except click.ClickException:
        return
    if rows:
        click.echo(f"note: {len(rows)} card{'s' if len(rows) != 1 else ''} in your review history "
                   f"{'have' if len(rows) != 1 else 'has'} no source any more (see `mlsd-flash orphans`)")
