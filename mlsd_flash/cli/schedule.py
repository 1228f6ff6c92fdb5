"""The schedule itself: `mlsd-flash optimize` fits FSRS to your history and shows what each desired
retention would cost."""

from __future__ import annotations

import click

from .app import App, fail, open_history, pass_app


@click.command()
@click.option("--force", is_flag=True, help="Adopt the fitted parameters even if the held-out check prefers yours.")
@click.option("--dry-run", is_flag=True, help="Fit and evaluate, but change nothing.")
@pass_app
def optimize(app: App, force: bool, dry_run: bool) -> None:
    """Fit FSRS parameters to your review history (every review: terminal, mock and imported).

    The fit is judged on your most recent 20% of reviews against the parameters in use, and adopted
    only when it predicts them better (log loss and RMSE over bins); every card is then rescheduled
    by replaying the log. Then a year of study is simulated at several desired retentions.
    """
    from ..config import save_settings
    from ..history import HistoryError
    from ..optimizer import MIN_REVIEWS, fit_all, items_from, judge
    from ..scheduler import Scheduler
    from .maintenance import backed_up

    settings = app.settings
    if not app.paths.history_db.is_file():
        fail(f"no review history yet: FSRS needs about {MIN_REVIEWS} reviews to fit your parameters")
    history = open_history(app, create=False)
    try:
        items = items_from(history.answers(), settings.day_starts_at)
    finally:
        history.close()
    if items.reviews < MIN_REVIEWS or len(items.items) < 50:
        click.echo(f"You have {items.reviews} reviews; fitting needs about {MIN_REVIEWS} spread over several "
                   f"days ({max(0, MIN_REVIEWS - items.reviews)} more). Nothing was changed.")
        return
    verdict = judge(items, list(settings.fsrs_parameters) or None)
    which = "yours" if settings.fsrs_parameters else "the defaults"
    click.echo(f"Held-out check on your most recent {verdict.test_items} reviews (fitted on the "
               f"{verdict.train_items} before them):")
    for label, e in ((f"in use ({which})", verdict.current), ("fitted", verdict.candidate)):
        click.echo(f"  {label:<22} log loss {e.log_loss:.4f}   RMSE(bins) {e.rmse_bins:.4f}")
    parameters = list(settings.fsrs_parameters) or None
    if dry_run:
        click.echo("Dry run: nothing was changed.")
    elif verdict.better or force:
        parameters = fit_all(items)
        backed_up(app, "parameters")
        settings = settings._replace(fsrs_parameters=tuple(round(p, 6) for p in parameters))
        save_settings(app.paths.config_file, settings)
        history = open_history(app, create=False)
        try:
            count = history.rebuild(Scheduler(settings).replay)
        except HistoryError as exc:
            fail(str(exc))
        finally:
            history.close()
        reason = "they predict your recent reviews better" if verdict.better else "--force"
        click.echo(f"Adopted parameters fitted to all {items.reviews} reviews ({reason}); rescheduled {count} cards.")
    else:
        click.echo(f"Kept {which}: the fitted parameters do not predict your recent reviews better "
                   "(--force adopts them anyway).")
    _help_me_decide(app, settings, parameters)


def _help_me_decide(app: App, settings, parameters) -> None:
    from fsrs_rs_python import DEFAULT_PARAMETERS

    from ..optimizer import suggest, workloads

    deck_size = len(app.deck().cards)
    rows = workloads(parameters or list(DEFAULT_PARAMETERS), deck_size, settings.new_per_day,
                     settings.reviews_per_day)
    best = suggest(rows)
    click.echo(f"\nA year of study simulated with {'your' if parameters else 'the default'} parameters "
               f"({deck_size} cards, {settings.new_per_day} new a day) — predictions:")
    click.echo("  retention   reviews/day   minutes/day   cards known after a year")
    for w in rows:
        mark = "  <- most knowledge per minute" if w is best else ""
        now = "  (yours)" if abs(w.retention - settings.desired_retention) < 1e-9 else ""
        click.echo(f"  {w.retention:9.2f}   {w.reviews_per_day:11.0f}   {w.minutes_per_day:11.0f}   "
                   f"{w.memorized:24.0f}{now}{mark}")
    click.echo(f"Suggested desired retention: {best.retention:.2f} "
               f"(`mlsd-flash config desired_retention {best.retention:.2f}`, then `mlsd-flash rebuild`).")
