"""The `mlsd-flash` command: parse the arguments, call the core, render the result.

Heavy modules (rich, fsrs, genanki, sqlite) are imported inside the commands that need them, so
every command starts fast.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from . import __version__
from .config import ConfigError, Paths, Settings, load_settings, resolve_paths
from .problems import display_path


CASE_STEPS = ("framing", "data", "labels", "features", "model", "offline_metrics", "online_metrics", "serving")
"""Facets only case notes have (`pitfalls` is shared with concept notes)."""


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


def echo_json(value) -> None:
    import json  # only for --json: a review's start does not pay for it

    click.echo(json.dumps(value, indent=2, ensure_ascii=False))


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
        from .notes import parse_file
        from .style import case_problems, strict_problems

        problems += strict_problems(deck.cards)
        for path in dict.fromkeys(card.path for card in deck.cards if card.facet in CASE_STEPS):
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


@main.command("list")
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
        found: dict[str, dict] = {}
        for card in cards:
            if card.facet in CASE_STEPS:
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


@main.command()
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
        echo_json(values)
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
        files = sorted({display_path(p.path) for p in deck.problems})
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
            case_cards = deck.note_cards(case_id)
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
        per_deck: dict[str, dict[str, int]] = {}
        kinds = [(cid, "learning") for cid in session.queue.learning]
        kinds += [(cid, "new" if session.is_new(cid) else "review") for cid in session.queue.main]
        for card_id, kind in kinds:
            per_deck.setdefault(cards.get(card_id).deck, {"new": 0, "learning": 0, "review": 0})[kind] += 1
        next_due = session.next_due_after_today()
    finally:
        history.close()
    totals = {k: sum(d[k] for d in per_deck.values()) for k in ("new", "learning", "review")}
    from .scheduler import from_ms

    next_text = from_ms(next_due).isoformat() if next_due else None
    if as_json:
        echo_json({"decks": per_deck, "total": totals, "next_due": next_text})
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

    from .deck import builtin_cards_dir
    from .export import DEFAULT_NAME, ExportError, export_deck, find_checkout, prepare_output, progress_steps

    checkout = find_checkout(Path.cwd()) if output is None else None
    if checkout is not None:
        output, builtin = checkout / "decks" / DEFAULT_NAME, checkout / "cards"
    else:
        builtin = builtin_cards_dir()
        if output is None:
            output = Path(DEFAULT_NAME)
        elif output.endswith(("/", os.sep)) or Path(output).is_dir():
            output = Path(output) / DEFAULT_NAME
        else:
            output = Path(output)
    try:
        prepare_output(output)  # before loading the cards: a bad path fails fast
    except ExportError as exc:
        fail(str(exc))
    deck = app.deck([builtin]) if checkout is not None else app.deck(personal=not no_personal)
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


# -- your own cards: add, edit, orphans -------------------------------------------------------

_LINE_EDITORS = frozenset({"vi", "vim", "nvim", "view", "gvim", "mvim", "nano", "pico", "emacs", "emacsclient",
                           "micro", "kak", "joe", "mg", "ne", "gedit"})


def _history_card_ids(app: App) -> list[str]:
    """Card ids with a review history, or none when there is no history yet (never creates one)."""
    from .history import HistoryError, open_history as open_db

    if not app.paths.history_db.exists():
        return []
    try:
        history = open_db(app.paths.history_db, create=False)
    except HistoryError:
        return []
    try:
        return history.reviewed_card_ids()
    finally:
        history.close()


def _taken_note_ids(app: App, deck, target: Path) -> set[str]:
    from .cards import note_of
    from .notes import parse_file
    from .personal import note_ids_with_history

    taken = {note_of(card_id) for card_id in deck.cards.ids}  # without unpacking every card
    if target.exists():
        taken |= {n.id for n in parse_file(target)[0]}
    return taken | note_ids_with_history(_history_card_ids(app))


def _in_card_folders(app: App, target: Path) -> bool:
    real = Path(os.path.realpath(target))
    for folder in app.card_paths():
        folder = Path(os.path.realpath(folder))
        if real == folder or folder in real.parents:
            return True
    return False


def _report_added(app: App, plan, target: Path) -> None:
    from .cards import compile_note

    for note in plan.notes:
        cards = compile_note(note)
        ids = ", ".join(c.id for c in cards)
        click.echo(f"Added {'card' if len(cards) == 1 else f'{len(cards)} cards'} {ids} "
                   f"(deck {note.deck}) to {display_path(target)}:{note.line}")
    if not _in_card_folders(app, target):
        click.echo(f"note: {display_path(target)} is not in your card folders, so review will not show it; "
                   f"add its folder with `mlsd-flash config card_dirs FOLDER`.", err=True)


def _add_problems(exc, draft_display: str | None = None, line_map: list[int] | None = None) -> list:
    from .personal import draft_problems

    if draft_display and line_map is not None and exc.first_line:
        return draft_problems(exc.problems, exc.first_line, line_map, draft_display, exc.indent)
    return list(exc.problems)


@main.command()
@click.option("-q", "--question", help="The question (with -a: add without prompts).")
@click.option("-a", "--answer", help="The answer (Markdown).")
@click.option("--cloze", "cloze_text", metavar="TEXT", help="Add a cloze card: 'Text with {{c1::hidden}} parts'.")
@click.option("--deck", "deck_name", help="Deck path, e.g. 'Personal' or 'Data::Sampling' (default: Personal).")
@click.option("--tag", "tags", multiple=True, help="A tag (repeat for more).")
@click.option("--extra", help="Extra text shown after the answer.")
@click.option("--source", help="Where the fact comes from.")
@click.option("--edit", "use_editor", is_flag=True, help="Write a full concept note in $EDITOR from a template.")
@click.option("--file", "target", type=click.Path(dir_okay=False, path_type=Path),
              help="Append to this YAML file instead of your personal card file.")
@pass_app
def add(app: App, question, answer, cloze_text, deck_name, tags, extra, source, use_editor, target) -> None:
    """Add your own card to your personal card file (prompts when given no options).

    The note is validated before anything is written, and the file is replaced atomically: the rest
    of it, comments included, stays exactly as it was. Prints the new card ids and where they went.
    """
    from .personal import (DEFAULT_DECK, AddError, basic_note, cloze_note, commit, deck_suggestions, known_deck,
                           new_note_id, note_text, parse_tags, plan_append)

    target = Path(target).expanduser() if target else app.paths.personal_file
    if use_editor:
        if question or answer or cloze_text:
            fail("--edit writes the whole note in the editor; leave out -q, -a and --cloze")
        _add_with_editor(app, target, deck_name)
        return
    if cloze_text and (question or answer):
        fail("--cloze makes its own card; leave out -q and -a")
    if not cloze_text and bool(question) != bool(answer):
        fail("-q and -a go together (or give neither to be asked)")
    deck = app.deck()
    if not cloze_text and not question:
        question = click.prompt("Question").strip()
        answer = click.prompt("Answer").strip()
        if not deck_name:
            click.echo(deck_suggestions(deck.cards))
            deck_name = click.prompt("Deck", default=DEFAULT_DECK)
        if not tags:
            tags = (click.prompt("Tags (space-separated, optional)", default="", show_default=False),)
    deck_name = known_deck(deck.cards, deck_name or DEFAULT_DECK)
    tag_list = parse_tags(tags)
    taken = _taken_note_ids(app, deck, target)
    if cloze_text:
        note = cloze_note(new_note_id(cloze_text, taken), cloze_text.strip(), deck_name, tag_list, extra or "",
                          source or "")
    else:
        note = basic_note(new_note_id(question, taken), question.strip(), answer.strip(), deck_name, tag_list,
                          extra or "", source or "")
    try:
        plan = plan_append(target, [note_text(note)])
        commit(plan)
    except AddError as exc:
        for problem in _add_problems(exc):
            click.echo(str(problem), err=True)
        fail(f"nothing added: {exc}")
    except OSError as exc:
        fail(f"nothing added: cannot write {target}: {exc.strerror or exc}")
    _report_added(app, plan, target)


def _add_with_editor(app: App, target: Path, deck_name: str | None) -> None:
    """`add --edit`: a template in the editor, validated on return; the draft file keeps what the
    user typed until the note is added."""
    from .personal import (DEFAULT_DECK, ERROR_PREFIX, AddError, clean_draft, commit, fill_missing_id, id_clashes,
                           known_deck, plan_append, template, write_atomic)
    from .problems import Problem

    deck = app.deck()
    default_deck = known_deck(deck.cards, deck_name) if deck_name else DEFAULT_DECK
    draft = app.paths.data_dir / "add-draft.yaml"
    shown = display_path(draft)
    if draft.exists():
        click.echo(f"Opening your unsaved draft {shown} (delete it to start afresh).", err=True)
    else:
        write_atomic(draft, template(default_deck).encode("utf-8"))
    while True:
        try:
            click.edit(filename=str(draft))
        except click.ClickException:
            fail(f"the editor failed; nothing was added. Your draft is kept in {shown}: "
                 "`mlsd-flash add --edit` opens it again")
        text = draft.read_text(encoding="utf-8", errors="replace")
        user_text = "".join(line for line in text.splitlines(keepends=True) if not line.startswith(ERROR_PREFIX))
        snippet, line_map = clean_draft(user_text, default_deck)
        if not snippet.strip() or user_text == template(default_deck):
            draft.unlink()
            click.echo("Nothing added (the note was left empty).")
            return
        snippet = fill_missing_id(snippet, _taken_note_ids(app, deck, target))
        problems, plan = [], None
        try:
            plan = plan_append(target, [snippet])
        except AddError as exc:
            problems = _add_problems(exc, shown, line_map) or [Problem(shown, 1, 1, str(exc))]
        if plan is not None:
            problems = id_clashes(deck, plan, shown, line_map)
        if not problems:
            try:
                commit(plan)
            except (AddError, OSError) as exc:
                fail(f"nothing added: {getattr(exc, 'strerror', None) or exc}; your draft is kept in {shown}")
            draft.unlink()
            _report_added(app, plan, target)
            return
        shift = len(problems)  # the error lines written at the top of the draft move the rest down
        lines = [f"{p.path}:{p.line + shift if p.path == shown else p.line}: {p.message}" for p in problems]
        for line in lines:
            click.echo(line, err=True)
        write_atomic(draft, ("".join(f"{ERROR_PREFIX}{line}\n" for line in lines) + user_text).encode("utf-8"))
        try:
            again = click.confirm("Open the editor again to fix it?", default=True)
        except click.Abort:
            again = False
        if not again:
            fail(f"nothing added. Your note is kept in {shown}: `mlsd-flash add --edit` opens it again")


def _open_in_editor(path: Path, line: int) -> None:
    """Open `path` in $VISUAL or $EDITOR at `line` when the editor takes `+LINE`, else with click."""
    import shlex
    import subprocess

    editor = os.environ.get("VISUAL") or os.environ.get("EDITOR")
    argv = shlex.split(editor) if editor else []
    name = Path(argv[0]).name.lower() if argv else ""
    if name in _LINE_EDITORS:
        argv += [f"+{line}", str(path)]
    elif name in ("code", "codium", "code-insiders", "cursor"):
        argv += ["--goto", f"{path}:{line}"]
    elif name in ("subl", "zed"):
        argv += [f"{path}:{line}"]
    else:
        try:
            click.edit(filename=str(path))
        except click.ClickException:
            fail(f"the editor failed on {path}")
        return
    try:
        status = subprocess.call(argv)
    except OSError as exc:
        fail(f"cannot run the editor '{editor}': {exc.strerror or exc}")
    if status != 0:
        fail(f"the editor exited with status {status}")


@main.command()
@click.argument("card_id")
@click.option("-y", "--yes", is_flag=True, help="Copy an installed built-in note to your file without asking.")
@pass_app
def edit(app: App, card_id: str, yes: bool) -> None:
    """Open a card's source file in $EDITOR at its line (a card id or a note id).

    Its review history is kept: a card's identity is its id, not its text. A card of the installed
    built-in deck is first copied into your personal file with `override: true`, and that copy wins.
    """
    from .cards import compile_note
    from .notes import parse_file
    from .personal import AddError, commit, is_installed_builtin, override_snippet, plan_append

    deck = app.deck()
    card = deck.get(card_id) or next(iter(deck.note_cards(card_id)), None)
    if card is None:
        import difflib

        close = difflib.get_close_matches(card_id, deck.cards.ids, n=3, cutoff=0.6)
        fail(f"unknown card id '{card_id}'" + (f"; did you mean {', '.join(close)}?" if close else ""))
    path, line = Path(card.path), card.line
    if is_installed_builtin(path) or not os.access(path, os.W_OK):
        target = app.paths.personal_file
        question = (f"{card.id} is in the installed deck ({display_path(path)}), which an upgrade replaces. "
                    f"Copy its note to {display_path(target)} as your own version (it then replaces the built-in one)?")
        if not yes and not click.confirm(question, default=True):
            fail("nothing changed")
        try:
            plan = plan_append(target, [override_snippet(path, card.note_id)])
            commit(plan)
        except AddError as exc:
            for problem in exc.problems:
                click.echo(str(problem), err=True)
            fail(f"cannot copy the note: {exc}")
        copied = {c.id: c.line for c in compile_note(plan.notes[0])}
        path, line = target, copied.get(card.id, plan.notes[0].line)
        click.echo(f"Copied note {card.note_id} to {display_path(target)}:{plan.notes[0].line} (override: true).")
    _open_in_editor(path, line)
    problems = parse_file(path, display_path(path))[1]
    for problem in problems:
        click.echo(str(problem), err=True)
    if problems:
        click.echo(f"{display_path(path)} has {len(problems)} problem(s): review skips the broken notes until "
                   "they are fixed (`mlsd-flash check`).", err=True)


def _orphans(app: App, deck) -> list[dict]:
    """Cards with a review history but no source any more, with their review counts."""
    from datetime import datetime, timezone

    if not app.paths.history_db.exists():
        return []
    history = open_history(app, create=False)
    try:
        orphans = history.orphans(deck.cards.positions())
    finally:
        history.close()
    return [{"id": card_id, "reviews": reviews,
             "last_review": datetime.fromtimestamp(last / 1000, timezone.utc).isoformat() if last else None}
            for card_id, reviews, last in orphans]


@main.command()
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
    rows = _orphans(app, deck)
    if purge:
        if not rows:
            click.echo("No orphans: nothing to purge.")
            return
        if not yes:
            click.confirm(f"Delete the review history of {len(rows)} card{'s' if len(rows) != 1 else ''}? "
                          "This cannot be undone", default=False, abort=True)
        from .history import HistoryError

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
        rows = _orphans(app, deck)
    except click.ClickException:
        return
    if rows:
        click.echo(f"note: {len(rows)} card{'s' if len(rows) != 1 else ''} in your review history "
                   f"{'have' if len(rows) != 1 else 'has'} no source any more (see `mlsd-flash orphans`)")


def _stats_figures(app: App, deck_name: str | None, days: int, on_date: str | None):
    """The figures shared by `stats` and `report` (see mlsd_flash/stats.py)."""
    from datetime import date

    from .history import HistoryError, open_history as open_db
    from .stats import gather
    from .terminal import wall_clock

    now = wall_clock()()
    text = on_date if on_date is not None else app.settings.interview_date
    on = None
    if text:
        try:
            on = date.fromisoformat(text.strip())
        except ValueError:
            fail(f"--on: '{text}' is not a date such as 2026-12-15")
    _, cards = review_cards(app, deck_name, None)
    path = app.paths.history_db
    try:  # no history yet: empty figures, and no file created by a read-only command
        history = open_db(path if path.exists() else ":memory:", create=False)
    except HistoryError as exc:
        fail(str(exc))
    try:
        figures = gather(history, cards, app.settings, now, days=days, on=on, only_selected=bool(deck_name),
                         deck_filter=deck_name)
    except HistoryError as exc:
        fail(str(exc))
    finally:
        history.close()
    if figures.readiness and figures.readiness.days_left < 0:
        fail(f"the date {figures.readiness.date} is in the past; pass a later one with --on")
    return figures


@main.command()
@click.option("--deck", "deck_name", help="Only cards under this deck path, e.g. 'Data::Sampling'.")
@click.option("--days", type=click.IntRange(7, 3660), default=182, show_default=True,
              help="Days of history in the heatmap.")
@click.option("--on", "on_date", metavar="DATE",
              help="Predict readiness for this date (YYYY-MM-DD); default: the interview_date setting.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
@pass_app
def stats(app: App, deck_name, days, on_date, as_json) -> None:
    """Your progress: today, streaks, reviews per day, due forecast, retention, decks, readiness."""
    figures = _stats_figures(app, deck_name, days, on_date)
    if as_json:
        echo_json(figures.to_dict())
        return
    from rich.console import Console

    from .stats_view import render

    render(figures, Console(highlight=False))


@main.command()
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=Path("report.html"),
              show_default=True, help="Where to write the HTML page.")
@click.option("--deck", "deck_name", help="Only cards under this deck path.")
@click.option("--days", type=click.IntRange(7, 3660), default=365, show_default=True,
              help="Days of history in the heatmap.")
@click.option("--on", "on_date", metavar="DATE",
              help="Predict readiness for this date (YYYY-MM-DD); default: the interview_date setting.")
@pass_app
def report(app: App, output: Path, deck_name, days, on_date) -> None:
    """Write the stats as one self-contained HTML page (inline SVG charts, no network needed)."""
    from .report import render_html

    figures = _stats_figures(app, deck_name, days, on_date)
    html = render_html(figures)
    try:
        tmp = output.with_name(output.name + ".tmp")
        tmp.write_text(html, encoding="utf-8")
        tmp.replace(output)
    except OSError as exc:
        fail(f"cannot write {output}: {exc.strerror or exc}")
    click.echo(f"Wrote {output}")

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
