"""What every command shares: the app object (paths, settings, deck), errors and JSON output."""

from __future__ import annotations

import os
from pathlib import Path

import click
from click.core import ParameterSource

from ..config import ConfigError, Paths, Settings, load_settings, named_by, resolve_paths
from ..problems import display_path


class App:
    """What every command shares: the paths, the settings and the deck, each loaded when first used."""

    opened: App | None = None  # the command's app, for the one-line error of a history damaged mid-command

    def __init__(self, data_dir: str | None):
        self.source = _data_dir_source(data_dir)  # where the data folder was named, if anywhere
        try:
            self.paths: Paths = resolve_paths(data_dir, self.source)
        except ConfigError as exc:
            fail(str(exc))
        self._settings: Settings | None = None
        self.backup_scheduled = False
        self._decks: dict = {}
        App.opened = self

    def ensure_data_dir(self, folder: Path | None = None) -> None:
        """Make the data folder (or `folder`) before the first write, failing in one line that names
        MLSD_FLASH_HOME or --data-dir when they chose a place that cannot hold it."""
        folder = folder or self.paths.data_dir
        hint = (f"; it comes from {named_by(self.source, self.paths.data_dir)}: point it at a folder you can write"
                if self.source else "")
        what = f"the data folder {folder}" if folder == self.paths.data_dir else str(folder)
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            fail(f"cannot create {what} ({exc.strerror or exc}){hint}")
        if not os.access(folder, os.W_OK):
            fail(f"cannot write in {what}{hint}")

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            try:
                self._settings = load_settings(self.paths.config_file)
            except ConfigError as exc:
                raise click.ClickException(str(exc)) from None
        return self._settings

    def card_paths(self, personal: bool = True) -> list[Path]:
        from ..deck import builtin_cards_dir

        paths = [builtin_cards_dir()]
        if personal:
            if self.paths.personal_dir.is_dir():
                paths.append(self.paths.personal_dir)
            paths.extend(Path(d) for d in self.settings.card_dirs)
        return paths

    def deck(self, paths: list[Path] | None = None, personal: bool = True):
        from ..deck import load

        key = (tuple(paths or ()), personal)
        if key not in self._decks:  # one load per command, whatever asks for the deck again
            cache = self.paths.cache_dir if paths is None else None
            deck = load(paths or self.card_paths(personal), cache, defer=True)
            if deck.save is not None:  # a rebuilt deck's caches are written once the command's work is shown
                click.get_current_context().call_on_close(deck.save)
            self._decks[key] = deck
        return self._decks[key]


pass_app = click.make_pass_decorator(App)


def _data_dir_source(data_dir: str | None) -> str | None:
    """'--data-dir' or 'MLSD_FLASH_HOME' when one of them named the data folder, else None."""
    from ..config import HOME_ENV

    if not data_dir:
        return HOME_ENV if os.environ.get(HOME_ENV) else None
    ctx = click.get_current_context(silent=True)
    if ctx is not None and ctx.get_parameter_source("data_dir") is ParameterSource.COMMANDLINE:
        return "--data-dir"
    return HOME_ENV if os.environ.get(HOME_ENV) == data_dir else "--data-dir"


def fail(message: str) -> None:
    raise click.ClickException(message)


def output_file(value: str, option: str = "-o") -> Path:
    """The file an output option names, or a one-line error when it cannot be a regular file that
    we replace: an empty name, a folder, or a device such as /dev/null or /dev/stdout (replacing a
    device would put a file in its place, and its temporary file would land in /dev)."""
    if not value.strip():
        fail(f"{option}: give the name of a file to write")
    path = Path(value).expanduser()
    under_dev = any(p == "/dev" or p.startswith("/dev/") for p in (os.path.abspath(path), os.path.realpath(path)))
    if under_dev or (path.exists() and not path.is_file()):
        what = ("is a folder" if path.is_dir() else "is not a regular file" if path.exists()
                else "is in /dev, the folder of devices")
        fail(f"{option} {value} {what}; give the name of a file to write")
    return path


def echo_json(value) -> None:
    import json  # only for --json: a review's start does not pay for it

    click.echo(json.dumps(value, indent=2, ensure_ascii=False))


def open_history(app: App, create: bool = True):
    from ..history import HistoryError, open_history as open_db

    if create:
        app.ensure_data_dir(app.paths.history_db.parent)
    try:
        history = open_db(app.paths.history_db, create=create)
    except HistoryError as exc:
        fail(str(exc))
    if not app.backup_scheduled:  # the day's backup, once the command's work is done and shown
        app.backup_scheduled = True
        click.get_current_context().call_on_close(lambda: daily_backup(app))
    return history


def daily_backup(app: App) -> None:
    """The day's automatic backup of the history, on its first use of the day, made when the command
    has finished (a heavy history takes a moment to copy; the first question must not wait). A backup
    that cannot be made (a full disk) is a warning: it never stops a review."""
    from ..backups import BackupError, daily
    from ..terminal import wall_clock

    try:
        daily(app.paths.history_db, wall_clock()())
    except BackupError as exc:
        click.echo(click.style(f"warning: {exc}", fg="yellow"), err=True)


def review_cards(app: App, deck_name: str | None, tag: str | None):
    """The cards to review: valid ones only, with one warning per broken file (never blocking)."""
    deck = app.deck()
    if deck.problems:
        files = sorted({display_path(p.path) for p in deck.problems})
        first = deck.problems[0]
        click.echo(click.style(f"warning: {len(deck.problems)} problem(s) in {', '.join(files)} "
                               f"(first: {first}); reviewing the valid cards. Run `mlsd-flash check`.",
                               fg="yellow"), err=True)
    return deck, select_cards(app, deck, deck_name, tag)


def select_cards(app: App, deck, deck_name: str | None, tag: str | None):
    """The cards under `deck_name` with `tag`. A deck or tag that matches nothing is an error naming
    the closest decks or tags, worded the same by every command that selects cards."""
    deck = deck if deck is not None else app.deck()
    cards = deck.select(deck_name, tag)
    if cards or not (deck_name or tag):
        return cards
    if deck_name and not deck.select(deck_name):
        fail(f"no deck named '{deck_name}'" + _did_you_mean(deck_name, _levels(deck.cards.decks)))
    if tag and not deck.select(None, tag):
        fail(f"no cards with tag '{tag}'" + _did_you_mean(tag, _levels(t for ts in set(deck.cards.tags) for t in ts)))
    in_deck = deck.select(deck_name).tags
    fail(f"no cards with tag '{tag}' under deck '{deck_name}'"
         + _did_you_mean(tag, _levels(t for ts in set(in_deck) for t in ts)))


def _levels(names) -> list[str]:
    """Every name and each of its '::' parents, as `--deck` and `--tag` match them."""
    found: dict[str, None] = {}
    for name in set(names):
        parts = name.split("::")
        for i in range(1, len(parts) + 1):
            found["::".join(parts[:i])] = None
    return sorted(found)


def _did_you_mean(wanted: str, names: list[str]) -> str:
    import difflib

    by_lower: dict[str, str] = {}
    for name in names:
        by_lower.setdefault(name.lower(), name)
    close = difflib.get_close_matches(wanted.lower().strip(), list(by_lower), n=3)
    return f"; did you mean {', '.join(by_lower[c] for c in close)}?" if close else ""


def orphan_rows(app: App, deck) -> list[dict]:
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


def cards_named(deck, name: str) -> list:
    """The card with this id, or every card of the note with this id; an unknown id fails in one
    line with the closest ids (and ids that start with it)."""
    card = deck.get(name)
    cards = [card] if card else deck.note_cards(name)
    if not cards:
        import difflib

        ids = deck.cards.ids
        close = difflib.get_close_matches(name, ids, n=3, cutoff=0.6)
        close += [i for i in ids if i.startswith(name) and i not in close][: 3 - len(close)]
        fail(f"unknown card id '{name}'" + (f"; did you mean {', '.join(close)}?" if close else ""))
    return cards


def unknown_case(case_id: str, cases: list[str]) -> None:
    """Fail with the case ids closest to a mistyped one."""
    import difflib

    close = difflib.get_close_matches(case_id, cases, n=3)
    fail(f"unknown case '{case_id}'" + (f"; did you mean {', '.join(close)}?" if close
                                        else "; see `mlsd-flash list --cases`"))
