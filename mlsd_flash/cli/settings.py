"""Settings: show and change them."""

from __future__ import annotations

import click

from ..config import ConfigError
from .app import App, echo_json, fail, pass_app


@click.command()
@click.argument("name", required=False)
@click.argument("value", required=False, nargs=-1)
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
@pass_app
def config(app: App, name: str | None, value: tuple[str, ...], as_json: bool) -> None:
    """Show the settings, or change one: `mlsd-flash config new_per_day 30`."""
    from ..config import DESCRIPTIONS, save_settings, with_setting

    settings = app.settings
    if name and value:
        try:
            settings = with_setting(settings, name, " ".join(value))
        except ConfigError as exc:
            fail(str(exc))
        if name == "interview_date" and settings.interview_date:
            _refuse_past(settings.interview_date)
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


def _format_setting(value) -> str:
    if isinstance(value, list):
        return " ".join(map(str, value)) if value else "(none)"
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
