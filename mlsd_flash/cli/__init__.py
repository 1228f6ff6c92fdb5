"""The `mlsd-flash` command: parse the arguments, call the core, render the result.

One module per group of commands, imported only when one of its commands runs: `mlsd-flash review`
loads the review module alone, and `--help` still lists every command. Heavy libraries (rich, fsrs,
genanki, sqlite) are imported inside the commands that need them.
"""

from __future__ import annotations

import importlib
import sys

import click

from .. import __version__
from .app import App

COMMANDS = {
    # name: (module, function)
    "review": ("review", "review"),
    "due": ("review", "due"),
    "check": ("cards", "check"),
    "list": ("cards", "list_cards"),
    "show": ("cards", "show"),
    "mock": ("mock", "mock"),
    "suspend": ("controls", "suspend"),
    "unsuspend": ("controls", "unsuspend"),
    "forget": ("controls", "forget"),
    "add": ("personal", "add"),
    "edit": ("personal", "edit"),
    "export": ("exchange", "export"),
    "import": ("exchange", "import_reviews"),
    "stats": ("progress", "stats"),
    "report": ("progress", "report"),
    "config": ("settings", "config"),
    "optimize": ("schedule", "optimize"),
    "rebuild": ("maintenance", "rebuild"),
    "backup": ("maintenance", "backup"),
    "restore": ("maintenance", "restore"),
    "orphans": ("maintenance", "orphans"),
}


class LazyGroup(click.Group):
    """A group whose commands are imported from their module when first asked for."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in COMMANDS:
            return None
        module, function = COMMANDS[name]
        return getattr(importlib.import_module(f"{__name__}.{module}"), function)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="mlsd-flash")
@click.option("--data-dir", envvar="MLSD_FLASH_HOME",
              help="Folder for your history, settings and cards (default: the platform's user folders).")
@click.pass_context
def main(ctx: click.Context, data_dir: str | None) -> None:
    """Spaced-repetition flashcards for machine-learning system design interviews."""
    ctx.obj = App(data_dir)


def run() -> None:
    """Entry point: no traceback for a closed pipe or Ctrl-C outside the review."""
    import sqlite3

    try:
        main()
    except BrokenPipeError:
        sys.stderr.close()
        sys.exit(1)
    except sqlite3.DatabaseError as exc:  # damage found after the history was opened, wherever it is
        where = f"{App.opened.paths.history_db}: " if App.opened else ""
        click.echo(f"Error: {where}the review history is damaged ({exc}); `mlsd-flash check --db` checks it "
                   "and `mlsd-flash restore` lists your backups", err=True)
        sys.exit(1)
