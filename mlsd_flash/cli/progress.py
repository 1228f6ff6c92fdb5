"""Progress: stats in the terminal and the HTML report."""

from __future__ import annotations

import click

from .app import App, echo_json, fail, output_file, pass_app, review_cards


def _stats_figures(app: App, deck_name: str | None, days: int, on_date: str | None):
    """The figures shared by `stats` and `report` (see mlsd_flash/stats.py)."""
    from datetime import date

    from ..history import HistoryError, open_history as open_db
    from ..stats import gather
    from ..terminal import wall_clock

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
        from ..mock import Transcripts

        figures = gather(history, cards, app.settings, now, days=days, on=on, only_selected=bool(deck_name),
                         deck_filter=deck_name, mock_scores=Transcripts(app.paths.data_dir).last_scores())
    except HistoryError as exc:
        fail(str(exc))
    finally:
        history.close()
    if figures.readiness and figures.readiness.days_left < 0:
        if on_date is not None:
            fail(f"the date {figures.readiness.date} is in the past; pass a later one with --on")
        figures.readiness = None  # an interview_date that has passed: readiness is left out
        for case in figures.cases:
            case.recall_on = None
    return figures


@click.command()
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

    from ..stats_view import render

    render(figures, Console(highlight=False))


@click.command()
@click.option("-o", "--output", default="report.html", show_default=True,
              help="Where to write the HTML page ('-' for standard output).")
@click.option("--deck", "deck_name", help="Only cards under this deck path.")
@click.option("--days", type=click.IntRange(7, 3660), default=365, show_default=True,
              help="Days of history in the heatmap.")
@click.option("--on", "on_date", metavar="DATE",
              help="Predict readiness for this date (YYYY-MM-DD); default: the interview_date setting.")
@pass_app
def report(app: App, output: str, deck_name, days, on_date) -> None:
    """Write the stats as one self-contained HTML page (inline SVG charts, no network needed)."""
    from ..report import render_html

    path = None if output == "-" else output_file(output)  # before the figures: a bad path fails fast
    figures = _stats_figures(app, deck_name, days, on_date)
    html = render_html(figures)
    if path is None:  # the page itself is the output, so no "Wrote" line
        click.echo(html, nl=not html.endswith("\n"))
        return
    output = path
    try:
        tmp = output.with_name(output.name + ".tmp")
        tmp.write_text(html, encoding="utf-8")
        tmp.replace(output)
    except OSError as exc:
        fail(f"cannot write {output}: {exc.strerror or exc}")
    click.echo(f"Wrote {output}")
