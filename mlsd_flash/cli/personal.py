"""Your own cards: add them (flags, prompts or $EDITOR) and edit any card at its source line."""

from __future__ import annotations

import os
from pathlib import Path

import click

from ..problems import display_path
from ..editor import EditorError, open_editor
from .app import App, fail, pass_app


def history_card_ids(app: App) -> list[str]:
    """Card ids with a review history, or none when there is no history yet (never creates one)."""
    from ..history import HistoryError, open_history as open_db

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
    from ..cards import note_of
    from ..notes import parse_file
    from ..personal import note_ids_with_history

    taken = {note_of(card_id) for card_id in deck.cards.ids}  # without unpacking every card
    if target.exists():
        taken |= {n.id for n in parse_file(target)[0]}
    return taken | note_ids_with_history(history_card_ids(app))


def _in_card_folders(app: App, target: Path) -> bool:
    real = Path(os.path.realpath(target))
    for folder in app.card_paths():
        folder = Path(os.path.realpath(folder))
        if real == folder or folder in real.parents:
            return True
    return False


def _report_added(app: App, plan, target: Path) -> None:
    from ..cards import compile_note

    for note in plan.notes:
        cards = compile_note(note)
        ids = ", ".join(c.id for c in cards)
        click.echo(f"Added {'card' if len(cards) == 1 else f'{len(cards)} cards'} {ids} "
                   f"(deck {note.deck}) to {display_path(target)}:{note.line}")
    if not _in_card_folders(app, target):
        click.echo(f"note: {display_path(target)} is not in your card folders, so review will not show it; "
                   f"add its folder with `mlsd-flash config card_dirs FOLDER`.", err=True)


def _add_problems(exc, draft_display: str | None = None, line_map: list[int] | None = None) -> list:
    from ..personal import draft_problems

    if draft_display and line_map is not None and exc.first_line:
        return draft_problems(exc.problems, exc.first_line, line_map, draft_display, exc.indent)
    return list(exc.problems)


@click.command()
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
    from ..personal import (DEFAULT_DECK, AddError, basic_note, cloze_note, commit, deck_problem, deck_suggestions,
                           known_deck, locked, new_note_id, note_text, parse_tags, plan_append)

    target = Path(target).expanduser() if target else app.paths.personal_file
    given = {"the question (-q)": question, "the answer (-a)": answer, "the cloze text (--cloze)": cloze_text}
    if deck_name is not None and deck_problem(deck_name):
        fail(f"{deck_problem(deck_name)}; nothing added")
    if use_editor:
        if any(v is not None for v in given.values()):
            fail("--edit writes the whole note in the editor; leave out -q, -a and --cloze")
        _add_with_editor(app, target, deck_name)
        return
    if cloze_text is not None and (question is not None or answer is not None):
        fail("--cloze makes its own card; leave out -q and -a")
    if cloze_text is None and (question is None) != (answer is None):
        fail("-q and -a go together (or give neither to be asked)")
    for what, text in given.items():  # None: not given; "" or spaces: given empty
        if text is not None and not text.strip():
            fail(f"{what} is empty; nothing added")
    try:
        tag_list = parse_tags(tags)
    except AddError as exc:
        fail(f"{exc}; nothing added")
    deck = app.deck()
    if cloze_text is None and question is None:
        question = _ask("Question")
        answer = _ask("Answer")
        if not deck_name:
            click.echo(deck_suggestions(deck.cards))
            deck_name = _ask("Deck", DEFAULT_DECK, deck_problem)
        if not tags:
            tag_list = parse_tags(click.prompt("Tags (space-separated, optional)", default="", show_default=False))
    deck_name = known_deck(deck.cards, deck_name or DEFAULT_DECK)
    if target == app.paths.personal_file:
        app.ensure_data_dir(target.parent)
    try:
        with locked(target):  # read, check and write as one step: a concurrent add waits
            taken = _taken_note_ids(app, deck, target)
            if cloze_text:
                note = cloze_note(new_note_id(cloze_text, taken), cloze_text.strip(), deck_name, tag_list,
                                  extra or "", source or "")
            else:
                note = basic_note(new_note_id(question, taken), question.strip(), answer.strip(), deck_name,
                                  tag_list, extra or "", source or "")
            plan = plan_append(target, [note_text(note)])
            commit(plan)
    except AddError as exc:
        for problem in _add_problems(exc):
            click.echo(str(problem), err=True)
        fail(f"nothing added: {exc}")
    except OSError as exc:
        fail(f"nothing added: cannot write {target}: {exc.strerror or exc}")
    _report_added(app, plan, target)


def _ask(label: str, default: str | None = None, problem=None) -> str:
    """Prompt until the answer is not blank and has no `problem` (Enter takes the default)."""
    while True:
        text = click.prompt(label, default=default).strip()
        why = problem(text) if problem else None if text else f"{label} is empty"
        if not why:
            return text
        click.echo(why, err=True)


def _add_with_editor(app: App, target: Path, deck_name: str | None) -> None:
    """`add --edit`: a template in the editor, validated on return; the draft file keeps what the
    user typed until the note is added."""
    from ..personal import (DEFAULT_DECK, ERROR_PREFIX, AddError, clean_draft, commit, fill_missing_id, id_clashes,
                           known_deck, locked, plan_append, template, write_atomic)
    from ..problems import Problem

    deck = app.deck()
    default_deck = known_deck(deck.cards, deck_name) if deck_name else DEFAULT_DECK
    draft = app.paths.data_dir / "add-draft.yaml"
    app.ensure_data_dir()
    shown = display_path(draft)
    if draft.exists():
        click.echo(f"Opening your unsaved draft {shown} (delete it to start afresh).", err=True)
    else:
        write_atomic(draft, template(default_deck).encode("utf-8"))
    while True:
        try:
            open_editor(draft)
        except EditorError as exc:
            fail(f"{exc}; nothing was added. Your draft is kept in {shown}: `mlsd-flash add --edit` opens it again")
        text = draft.read_text(encoding="utf-8", errors="replace")
        user_text = "".join(line for line in text.splitlines(keepends=True) if not line.startswith(ERROR_PREFIX))
        snippet, line_map = clean_draft(user_text, default_deck)
        if not snippet.strip() or user_text == template(default_deck):
            draft.unlink()
            click.echo("Nothing added (the note was left empty).")
            return
        problems, plan = [], None
        with locked(target):
            snippet = fill_missing_id(snippet, _taken_note_ids(app, deck, target))
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
        if not problems:
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


@click.command()
@click.argument("card_id")
@click.option("-y", "--yes", is_flag=True, help="Copy an installed built-in note to your file without asking.")
@pass_app
def edit(app: App, card_id: str, yes: bool) -> None:
    """Open a card's source file in $EDITOR at its line (a card id or a note id).

    Its review history is kept: a card's identity is its id, not its text. A card of the installed
    built-in deck is first copied into your personal file with `override: true`, and that copy wins.
    """
    from ..cards import compile_note
    from ..notes import parse_file
    from ..personal import AddError, commit, is_installed_builtin, locked, override_snippet, plan_append

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
            with locked(target):
                plan = plan_append(target, [override_snippet(path, card.note_id)])
                commit(plan)
        except AddError as exc:
            for problem in exc.problems:
                click.echo(str(problem), err=True)
            fail(f"cannot copy the note: {exc}")
        copied = {c.id: c.line for c in compile_note(plan.notes[0])}
        path, line = target, copied.get(card.id, plan.notes[0].line)
        click.echo(f"Copied note {card.note_id} to {display_path(target)}:{plan.notes[0].line} (override: true).")
    while True:  # as `add --edit`: a file left broken is offered back, at its first problem
        try:
            open_editor(path, line)
        except EditorError as exc:
            fail(str(exc))
        problems = parse_file(path, display_path(path))[1]
        for problem in problems:
            click.echo(str(problem), err=True)
        if not problems:
            return
        try:
            again = click.confirm("Open the editor again to fix it?", default=True)
        except click.Abort:
            again = False
        if not again:
            break
        line = problems[0].line
    click.echo(f"{display_path(path)} has {len(problems)} problem(s): review skips the broken notes until "
               "they are fixed (`mlsd-flash check`).", err=True)
