"""Today's review in the terminal, and the counts of what is due."""

from __future__ import annotations

import click

from .app import App, echo_json, fail, open_history, pass_app, review_cards, unknown_case


@click.command()
@click.option("--deck", "deck_name", help="Only cards under this deck path, e.g. 'Data::Sampling'.")
@click.option("--tag", help="Only cards with this tag.")
@click.option("--new", "new_limit", type=click.IntRange(0), help="New cards today (instead of the setting).")
@click.option("--limit", type=click.IntRange(1), help="Stop after this many answers.")
@click.option("--case", "case_id", help="Rehearse one interview case's cards in framework order, due or not.")
@click.option("--cram", is_flag=True, help="Custom study: the chosen cards (--deck, --tag, --leeches or --weakest), "
                                         "due or not, without changing their schedule (unless --record).")
@click.option("--leeches", is_flag=True, help="With --cram: your leeches.")
@click.option("--weakest", type=click.IntRange(1), metavar="N", help="With --cram: the N cards you are most likely "
                                                                     "to have forgotten now.")
@click.option("--record", is_flag=True, help="With --case or --cram: record the answers in your history.")
@pass_app
def review(app: App, deck_name, tag, new_limit, limit, case_id, record, cram=False, leeches=False,
           weakest=None) -> None:
    """Review today's cards in the terminal.

    Keys: space or enter shows the answer; 1 Again, 2 Hard, 3 Good, 4 Easy; u undoes the last answer;
    s buries the card until tomorrow; q quits (everything answered is saved).
    """
    from ..history import HistoryError
    from ..session import Practice, Session
    from ..terminal import Keys, Screen, run_review, wall_clock

    clock = wall_clock()
    deck, cards = review_cards(app, deck_name, tag)
    history = open_history(app)
    try:
        if case_id:
            from ..skeleton import case_ids

            case_cards = deck.note_cards(case_id)
            if not case_cards:
                unknown_case(case_id, case_ids(deck.cards))
            session = Practice(case_cards, history, app.settings, clock, record=record)
        elif cram or leeches or weakest:
            if not cram:
                fail("--leeches and --weakest go with --cram")
            chosen = _cram_cards(app, history, cards, leeches, weakest, clock)
            if not chosen:
                fail("nothing to cram: " + ("you have no leeches" if leeches else "no cards in that selection"))
            session = Practice(chosen[:limit] if limit else chosen, history, app.settings, clock, record=record)
        else:
            if record:
                fail("--record goes with --case or --cram")
            session = Session(cards, history, app.settings, clock, new_limit=new_limit, limit=limit)
        run_review(session, Screen(), Keys(), clock, practice=bool(case_id or cram))
    except HistoryError as exc:
        fail(str(exc))
    finally:
        history.close()


def _cram_cards(app: App, history, cards, leeches: bool, weakest: int | None, clock) -> list:
    """The cards of a custom study session, in deck order (the weakest first with --weakest)."""
    if leeches:
        marked = history.leeches()
        return list(cards.subset(i for i, cid in enumerate(cards.ids) if cid in marked))  # only these unpacked
    if weakest:
        from ..history import NEW
        from ..scheduler import decay_of, to_ms, weakest_on

        positions = cards.positions()
        states = {cid: s for cid, s in history.states().items() if cid in positions and s.state != NEW}
        return [cards.get(cid) for cid in weakest_on(states, to_ms(clock()), weakest, decay_of(app.settings))]
    return list(cards)


@click.command()
@click.option("--deck", "deck_name", help="Only cards under this deck path.")
@click.option("--tag", help="Only cards with this tag.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
@pass_app
def due(app: App, deck_name, tag, as_json) -> None:
    """Today's counts of new, learning and review cards per deck, and the next due time."""
    from ..session import Session
    from ..terminal import wall_clock

    clock = wall_clock()
    _, cards = review_cards(app, deck_name, tag)
    history = open_history(app)
    try:
        session = Session(cards, history, app.settings, clock)
        per_deck: dict[str, dict[str, int]] = {}
        kinds = [(cid, "learning") for _, cid in session.today.learning(session.hidden)]
        kinds += [(cid, "new" if session.is_new(cid) else "review") for cid in session.queue.main]
        for card_id, kind in kinds:
            per_deck.setdefault(cards.get(card_id).deck, {"new": 0, "learning": 0, "review": 0})[kind] += 1
        next_due = session.next_due_after_today()
        plan = None
        if app.settings.interview_date:
            from ..plan import plan_for
            from ..scheduler import to_ms

            plan = plan_for(cards, history.states(), app.settings, to_ms(clock()), session.day.end)
    finally:
        history.close()
    totals = {k: sum(d[k] for d in per_deck.values()) for k in ("new", "learning", "review")}
    from ..scheduler import from_ms

    next_text = from_ms(next_due).isoformat() if next_due else None
    if as_json:
        echo_json({"decks": per_deck, "total": totals, "due_now": bool(sum(totals.values())), "next_due": next_text,
                   "plan": plan._asdict() if plan else None})
        return
    for name, c in per_deck.items():
        click.echo(f"{name}: new {c['new']}, learning {c['learning']}, review {c['review']}")
    click.echo(f"Total: new {totals['new']}, learning {totals['learning']}, review {totals['review']}")
    if sum(totals.values()):
        click.echo("Next due: now")
    elif next_due:
        from datetime import datetime

        click.echo(f"Next due: {datetime.fromtimestamp(next_due / 1000).astimezone():%Y-%m-%d %H:%M}")
    if plan:
        from ..plan import describe

        click.echo(describe(plan))
