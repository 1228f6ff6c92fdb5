"""The `mlsd-flash` command: parse the arguments, call the core, render the result.

Heavy modules (rich, fsrs, genanki, sqlite) are imported inside the commands that need them, so
every command starts fast.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from . import __version__
from .config import ConfigError, Paths, Settings, load_settings, resolve_paths


CASE_STEPS = ("framing", "data", "labels", "features", "model", "offline_metrics", "online_metrics", "serving")


class App:
    """What every command shares: the paths, the settings and the deck, each loaded when first used."""

    def __init__(self, data_dir: str | None):
        self.paths: Paths = resolve_paths(data_dir)
        self._settings: Settings | None = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            try:
                self._settings = load_settings(self.paths.config_file)
            except ConfigError as exc:
                raise click.ClickException(str(exc)) from None
        return self._settings

    def card_paths(self, personal: bool = True) -> list[Path]:
        from .deck import builtin_cards_dir

        paths = [builtin_cards_dir()]
        if personal:
            if self.paths.personal_dir.is_dir():
                paths.append(self.paths.personal_dir)
            paths.extend(Path(d) for d in self.settings.card_dirs)
        return paths

    def deck(self, paths: list[Path] | None = None, personal: bool = True):
        from .deck import load

        cache = self.paths.cache_dir if paths is None else None
        return load(paths or self.card_paths(personal), cache)


pass_app = click.make_pass_decorator(App)


def fail(message: str) -> None:
    raise click.ClickException(message)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="mlsd-flash")
@click.option("--data-dir", type=click.Path(file_okay=False), envvar="MLSD_FLASH_HOME",
              help="Folder for your history, settings and cards (default: the platform's user folders).")
@click.pass_context
def main(ctx: click.Context, data_dir: str | None) -> None:
    """Spaced-repetition flashcards for machine-learning system design interviews."""
    ctx.obj = App(data_dir)


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--strict", is_flag=True, help="Also apply the deck's style rules (answer length, lists, sources).")
@pass_app
def check(app: App, paths: tuple[Path, ...], strict: bool) -> None:
    """Validate card files (default: the built-in deck and your own cards).

    Prints every problem as path:line:column: message and exits 1 if there is any.
    """
    deck = app.deck(list(paths) or None)
    problems = list(deck.problems)
    if strict:
        from .style import strict_problems

        problems += strict_problems(deck.cards)
    for problem in problems:
        click.echo(str(problem), err=True)
    counts: dict[str, int] = {}
    for card in deck.cards:
        counts[card.deck] = counts.get(card.deck, 0) + 1
    click.echo(f"{deck.note_count} notes, {len(deck.cards)} cards in {len(deck.files)} files")
    for name, count in counts.items():
        click.echo(f"  {count:5d}  {name}")
    if problems:
        fail(f"{len(problems)} problem{'s' if len(problems) != 1 else ''} found")


@main.command("list")
@click.option("--deck", "deck_name", help="Only cards under this deck path, e.g. 'Data::Sampling'.")
@click.option("--tag", help="Only cards with this tag.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
@pass_app
def list_cards(app: App, deck_name: str | None, tag: str | None, as_json: bool) -> None:
    """List cards: id, deck and question."""
    deck = app.deck()
    cards = deck.select(deck_name, tag)
    if deck_name and not cards and not deck.select(deck_name):
        fail(f"no deck named '{deck_name}'")
    if as_json:
        click.echo(json.dumps([c.to_dict() for c in cards], indent=2, ensure_ascii=False))
        return
    for card in cards:
        question = " ".join(card.front().split())
        click.echo(f"{card.id}\t{card.deck}\t{question}")


@main.command()
@click.argument("card_id")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
@pass_app
def show(app: App, card_id: str, as_json: bool) -> None:
    """Show a card's question, answer and source (or all cards of a note)."""
    deck = app.deck()
    cards = [deck.get(card_id)] if deck.get(card_id) else [c for c in deck.cards if c.note_id == card_id]
    if not cards:
        import difflib

        ids = list(deck.by_id())
        close = difflib.get_close_matches(card_id, ids, n=3, cutoff=0.6)
        close += [i for i in ids if i.startswith(card_id) and i not in close][: 3 - len(close)]
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        fail(f"unknown card id '{card_id}'{hint}")
    if as_json:
        click.echo(json.dumps([c.to_dict() for c in cards], indent=2, ensure_ascii=False))
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
        click.echo(f"At: {card.path}:{card.line}")


@main.command()
@click.argument("name", required=False)
@click.argument("value", required=False, nargs=-1)
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
@pass_app
def config(app: App, name: str | None, value: tuple[str, ...], as_json: bool) -> None:
    """Show the settings, or change one: `mlsd-flash config new_per_day 30`."""
    from .config import DESCRIPTIONS, save_settings, with_setting

    settings = app.settings
    if name and value:
        try:
            settings = with_setting(settings, name, " ".join(value))
        except ConfigError as exc:
            fail(str(exc))
        try:
            save_settings(app.paths.config_file, settings)
        except OSError as exc:
            fail(f"cannot write {app.paths.config_file}: {exc.strerror or exc}")
        click.echo(f"{name} = {_format_setting(settings.to_dict()[name])}  (saved to {app.paths.config_file})")
        return
    values = settings.to_dict()
    if name:
        if name not in values:
            fail(f"unknown setting '{name}' (known: {', '.join(values)})")
        values = {name: values[name]}
    if as_json:
        click.echo(json.dumps(values, indent=2))
        return
    for key, val in values.items():
        click.echo(f"{key} = {_format_setting(val)}" + click.style(f"    # {DESCRIPTIONS[key]}", dim=True))
    if not name:
        click.echo(click.style(f"# file: {app.paths.config_file}", dim=True))


def open_history(app: App, create: bool = True):
    from .history import HistoryError, open_history as open_db

    try:
        return open_db(app.paths.history_db, create=create)
    except HistoryError as exc:
        fail(str(exc))


def review_cards(app: App, deck_name: str | None, tag: str | None):
    """The cards to review: valid ones only, with one warning per broken file (never blocking)."""
    deck = app.deck()
    if deck.problems:
        files = sorted({p.path for p in deck.problems})
        first = deck.problems[0]
        click.echo(click.style(f"warning: {len(deck.problems)} problem(s) in {', '.join(files)} "
                               f"(first: {first}); reviewing the valid cards. Run `mlsd-flash check`.",
                               fg="yellow"), err=True)
    cards = deck.select(deck_name, tag)
    if deck_name and not cards:
        fail(f"no cards in deck '{deck_name}'")
    if tag and not cards:
        fail(f"no cards with tag '{tag}'")
    return deck, cards


@main.command()
@click.option("--deck", "deck_name", help="Only cards under this deck path, e.g. 'Data::Sampling'.")
@click.option("--tag", help="Only cards with this tag.")
@click.option("--new", "new_limit", type=click.IntRange(0), help="New cards today (instead of the setting).")
@click.option("--limit", type=click.IntRange(1), help="Stop after this many answers.")
@click.option("--case", "case_id", help="Rehearse one interview case's cards in framework order, due or not.")
@click.option("--record", is_flag=True, help="With --case: record the answers in your history.")
@pass_app
def review(app: App, deck_name, tag, new_limit, limit, case_id, record) -> None:
    """Review today's cards in the terminal.

    Keys: space or enter shows the answer; 1 Again, 2 Hard, 3 Good, 4 Easy; u undoes the last answer;
    s buries the card until tomorrow; q quits (everything answered is saved).
    """
    from .history import HistoryError
    from .session import Practice, Session
    from .terminal import Keys, Screen, run_review, wall_clock

    clock = wall_clock()
    deck, cards = review_cards(app, deck_name, tag)
    history = open_history(app)
    try:
        if case_id:
            case_cards = [c for c in deck.cards if c.note_id == case_id]
            if not case_cards:
                cases = sorted({c.note_id for c in deck.cards if c.facet in CASE_STEPS})
                import difflib

                close = difflib.get_close_matches(case_id, cases, n=3)
                fail(f"unknown case '{case_id}'" + (f"; did you mean {', '.join(close)}?" if close else
                                                    "; see `mlsd-flash list --cases`"))
            session = Practice(case_cards, history, app.settings, clock, record=record)
        else:
            if record:
                fail("--record goes with --case")
            session = Session(cards, history, app.settings, clock, new_limit=new_limit, limit=limit)
        run_review(session, Screen(), Keys(), clock, practice=bool(case_id))
    except HistoryError as exc:
        fail(str(exc))
    finally:
        history.close()


@main.command()
@click.option("--deck", "deck_name", help="Only cards under this deck path.")
@click.option("--tag", help="Only cards with this tag.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
@pass_app
def due(app: App, deck_name, tag, as_json) -> None:
    """Today's counts of new, learning and review cards per deck, and the next due time."""
    from .session import Session
    from .terminal import wall_clock

    clock = wall_clock()
    _, cards = review_cards(app, deck_name, tag)
    history = open_history(app)
    try:
        session = Session(cards, history, app.settings, clock)
        new_ids = {c.id for c in session.queue.main} - {c.id for c in cards if history.state(c.id)}
        per_deck: dict[str, dict[str, int]] = {}
        for card in session.queue.learning + session.queue.main:
            kind = "learning" if card in session.queue.learning else "new" if card.id in new_ids else "review"
            per_deck.setdefault(card.deck, {"new": 0, "learning": 0, "review": 0})[kind] += 1
        next_due = session.next_due_after_today()
    finally:
        history.close()
    totals = {k: sum(d[k] for d in per_deck.values()) for k in ("new", "learning", "review")}
    from .scheduler import from_ms

    next_text = from_ms(next_due).isoformat() if next_due else None
    if as_json:
        click.echo(json.dumps({"decks": per_deck, "total": totals, "next_due": next_text}, indent=2))
        return
    for name, c in per_deck.items():
        click.echo(f"{name}: new {c['new']}, learning {c['learning']}, review {c['review']}")
    click.echo(f"Total: new {totals['new']}, learning {totals['learning']}, review {totals['review']}")
    if next_due:
        from datetime import datetime

        click.echo(f"Next due: {datetime.fromtimestamp(next_due / 1000).astimezone():%Y-%m-%d %H:%M}")


@main.command()
@pass_app
def rebuild(app: App) -> None:
    """Recompute every card's schedule by replaying the review log (after changing settings)."""
    from .history import HistoryError
    from .scheduler import Scheduler

    history = open_history(app)
    try:
        count = history.rebuild(Scheduler(app.settings).replay)
    except HistoryError as exc:
        fail(str(exc))
    finally:
        history.close()
    click.echo(f"Rebuilt the schedule of {count} cards from the review log.")


@main.command("export")
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
    import os

    from .deck import builtin_cards_dir, display_path
    from .export import DEFAULT_NAME, ExportError, export_deck, find_checkout, progress_steps

    checkout = find_checkout(Path.cwd()) if output is None else None
    if checkout is not None:
        output, builtin = checkout / "decks" / DEFAULT_NAME, checkout / "cards"
        deck = app.deck([builtin])
    else:
        builtin = builtin_cards_dir()
        if output is None:
            output = Path(DEFAULT_NAME)
        elif output.endswith(("/", os.sep)) or Path(output).is_dir():
            output = Path(output) / DEFAULT_NAME
        else:
            output = Path(output)
        deck = app.deck(personal=not no_personal)
    if deck.problems:
        count = len(deck.problems)
        fail(f"{count} problem{'s' if count != 1 else ''} in the cards; run 'mlsd-flash check' to see them")
    cards = deck.select(deck_name, tag)
    if deck_name and not deck.select(deck_name):
        fail(f"no deck named '{deck_name}'")
    if not cards:
        fail(f"no cards with tag '{tag}'" + (f" under deck '{deck_name}'" if deck_name else ""))
    try:
        if sys.stderr.isatty() and len(cards) >= 2000:
            with click.progressbar(length=progress_steps(cards), label="Exporting", file=sys.stderr) as bar:
                result = export_deck(cards, output, builtin, progress=bar.update)
        else:
            result = export_deck(cards, output, builtin)
    except ExportError as exc:
        fail(str(exc))
    click.echo(f"Wrote {display_path(result.path)}: {result.notes} notes, {result.cards} cards, "
               f"{len(result.decks)} decks ({result.changed} new or changed since the last export).")
    if checkout is not None and not no_personal and app.paths.personal_dir.is_dir():
        click.echo("Your own cards are not part of the repository's deck; use -o PATH to export them too.")


def _format_setting(value) -> str:
    if isinstance(value, list):
        return " ".join(value) if value else "(none)"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def run() -> None:
    """Entry point: no traceback for a closed pipe or Ctrl-C outside the review."""
    try:
        main()
    except BrokenPipeError:
        sys.stderr.close()
        sys.exit(1)
