"""Settings: show and change them."""

from __future__ import annotations

import click

from ..config import ConfigError
from .app import App, echo_json, fail, pass_app


@click.command(context_settings={"ignore_unknown_options": True})  # `new_per_day -5` is a value, not an option
@click.argument("name", required=False)
@click.argument("value", required=False, nargs=-1)
@click.option("--unset", is_flag=True, help="Restore NAME to its default.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
@pass_app
def config(app: App, name: str | None, value: tuple[str, ...], unset: bool, as_json: bool) -> None:
    """Show the settings, or change one: `mlsd-flash config new_per_day 30`.

    `config card_dirs A B` takes several folders, `config card_dirs ""` clears them, and
    `config --unset NAME` restores a setting's default.
    """
    from ..config import DESCRIPTIONS, save_settings, with_setting, without_setting

    settings = app.settings
    if unset and (not name or value):
        fail("--unset takes one setting name and no value, e.g. `mlsd-flash config --unset new_per_day`")
    if name and (value or unset):
        try:
            if unset:
                settings = without_setting(settings, name)
            elif name == "card_dirs":  # one folder per argument: a folder's name may hold spaces
                settings = with_setting(settings, name, _card_dirs(value))
            else:
                settings = with_setting(settings, name, " ".join(value))
        except ConfigError as exc:
            fail(str(exc))
        if name == "interview_date" and settings.interview_date:
            _refuse_past(settings.interview_date)
        app.ensure_data_dir(app.paths.config_file.parent)
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


def _card_dirs(values: tuple[str, ...]) -> list[str]:
    """Existing folders as absolute paths, so the setting means the same from any working folder.
    Empty arguments are dropped: `config card_dirs ""` clears the list."""
    import os
    from pathlib import Path

    folders = []
    for value in values:
        if not value.strip():
            continue
        path = Path(value.strip()).expanduser()
        if not path.is_dir():
            fail(f"card_dirs: {value}: {'not a folder' if path.exists() else 'no such folder'}; nothing changed")
        folders.append(os.path.abspath(path))
    return list(dict.fromkeys(folders))


def _format_setting(value) -> str:
    if isinstance(value, list):  # quoted as a shell would need them: a folder may have spaces
        import shlex

        return " ".join(shlex.quote(str(v)) for v in value) if value else "(none)"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _refuse_past(interview_date: str) -> None:
    from datetime import date

    from ..terminal import wall_clock

    today = wall_clock()().astimezone().date()
    if date.fromisoformat(interview_date) < today:
        fail(f"interview_date {interview_date} is in the past (today is {today}); give the date of an "
             "interview to come, or `mlsd-flash config interview_date ''` to clear it")
