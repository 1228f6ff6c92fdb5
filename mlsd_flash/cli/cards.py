"""The deck: check the card files, list cards and cases, show one card."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from ..problems import display_path
from .app import App, cards_named, echo_json, fail, open_history, orphan_rows, pass_app, select_cards


@click.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--strict", is_flag=True, help="Also apply the deck's style rules (answer length, lists, sources).")
@click.option("--db", "database", is_flag=True, help="Check your review history instead: integrity and schedules.")
@click.option("--repair", is_flag=True, help="With --db: recompute schedules that disagree with the log.")
@click.option("--json", "as_json", is_flag=True, help="Print the counts and problems as JSON (exit 1 if any).")
@pass_app
def check(app: App, paths: tuple[Path, ...], strict: bool, database: bool = False, repair: bool = False,
          as_json: bool = False) -> None:
    """Validate card files (default: the built-in deck and your own cards), or your history (--db).

    Prints every problem as path:line:column: message and exits 1 if there is any.
    """
    if database or repair:
        from .maintenance import check_database

        check_database(app, repair)
        return
    deck = app.deck(list(paths) or None)
    problems = list(deck.problems)
    if strict:
        from ..notes import parse_file
        from ..skeleton import case_ids
        from ..style import case_problems, strict_problems

        problems += strict_problems(deck.cards)
        cases = set(case_ids(deck.cards))
        for path in dict.fromkeys(card.path for card in deck.cards if card.note_id in cases):
            problems += case_problems(parse_file(path)[0])
    counts: dict[str, int] = {}
    for name in deck.cards.decks:
        counts[name] = counts.get(name, 0) + 1
    if as_json:
        echo_json({"notes": deck.note_count, "cards": len(deck.cards), "files": len(deck.files), "decks": counts,
                   "problems": [{"path": p.path, "line": p.line, "column": p.column, "message": p.message}
                                for p in problems]})
        if problems:
            raise SystemExit(1)
        return
    for problem in problems:
        click.echo(str(problem), err=True)
    files = len(deck.files)
    click.echo(f"{deck.note_count} note{'s' if deck.note_count != 1 else ''}, {len(deck.cards)} "
               f"card{'s' if len(deck.cards) != 1 else ''} in {files} file{'s' if files != 1 else ''}")
    for name, count in counts.items():
        click.echo(f"  {count:5d}  {name}")
    if not paths:
        _orphan_note(app, deck)
    if problems:
        fail(f"{len(problems)} problem{'s' if len(problems) != 1 else ''} found")


@click.command("list")
@click.option("--deck", "deck_name", help="Only cards under this deck path, e.g. 'Data::Sampling'.")
@click.option("--tag", help="Only cards with this tag.")
@click.option("--changed", is_flag=True, help="Only cards whose text changed since you last answered them.")
@click.option("--cases", is_flag=True, help="List the interview cases (for `review --case`) instead of cards.")
@click.option("--grep", metavar="TEXT", help="Only cards whose question or answer contains TEXT (any case).")
@click.option("--leeches", is_flag=True, help="Only leeches (cards that lapsed leech_threshold times).")
@click.option("--suspended", is_flag=True, help="Only suspended cards.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
@pass_app
def list_cards(app: App, deck_name: str | None, tag: str | None, as_json: bool, changed: bool = False,
               cases: bool = False, grep: str | None = None, leeches: bool = False, suspended: bool = False) -> None:
    """List cards: id, deck and question (or, with --cases, the interview cases). Suspended cards are
    marked [suspended], leeches [leech]."""
    deck = app.deck()
    cards = select_cards(app, deck, deck_name, tag)
    if cases:
        from ..skeleton import case_ids

        found: dict[str, dict] = {}
        case_set = set(case_ids(cards))
        for card in cards:
            if card.note_id in case_set:
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
    if changed:
        cards = _changed_cards(app, cards)
    if grep:
        needle = grep.lower()
        cards = [c for c in cards if needle in c.front().lower() or needle in c.back().lower()]
    marks = _marks(app)
    if leeches or suspended:
        cards = [c for c in cards if (leeches and "leech" in marks.get(c.id, ())) or
                 (suspended and "suspended" in marks.get(c.id, ()))]
    if as_json:
        _stream_json({**c.to_dict(), "suspended": "suspended" in marks.get(c.id, ()),
                      "leech": "leech" in marks.get(c.id, ())} for c in _one_by_one(cards))
        return
    for card in _one_by_one(cards):
        question = " ".join(card.front().split())
        flags = "".join(f" [{m}]" for m in marks.get(card.id, ()))
        click.echo(f"{card.id}\t{card.deck}\t{question}{flags}")


def _one_by_one(cards):
    """Each card unpacked as it is written, never all of them at once (a heavy deck stays small)."""
    return (cards[i] for i in range(len(cards))) if hasattr(cards, "ids") else iter(cards)


def _stream_json(items) -> None:
    """A JSON array written item by item, as `echo_json` would print the whole list."""
    import json
    import textwrap

    out = click.get_text_stream("stdout")
    first = True
    out.write("[")
    for item in items:
        out.write(("\n" if first else ",\n") + textwrap.indent(json.dumps(item, indent=2, ensure_ascii=False), "  "))
        first = False
    out.write("\n]\n" if not first else "]\n")


def _marks(app: App) -> dict[str, tuple[str, ...]]:
    """Each suspended or leech card's marks, from the history (none before there is one)."""
    if not app.paths.history_db.is_file():
        return {}
    history = open_history(app, create=False)
    try:
        suspended, leeches = set(history.suspended()), history.leeches()
    finally:
        history.close()
    return {cid: tuple(m for m, on in (("suspended", cid in suspended), ("leech", cid in leeches)) if on)
            for cid in suspended | leeches}


@click.command()
@click.argument("card_id")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
@pass_app
def show(app: App, card_id: str, as_json: bool) -> None:
    """Show a card as the review does, with its source and card info (or all cards of a note)."""
    cards = cards_named(app.deck(), card_id)
    from ..render import render

    info = _card_info(app, [c.id for c in cards])
    if as_json:
        echo_json([{**c.to_dict(), "info": info.get(c.id)} for c in cards])
        return
    color = sys.stdout.isatty() and not os.environ.get("NO_COLOR")
    for i, card in enumerate(cards):
        if i:
            click.echo()
        click.echo(click.style(card.id, bold=True) + f"  ({card.deck})")
        click.echo(render(card.front(), 100, color))
        click.echo("─" * 40)
        click.echo(render(card.back(), 100, color))
        if card.extra:
            click.echo(render(card.extra, 100, False))
        click.echo(f"Source: {card.source or '(none)'}")
        click.echo(f"At: {display_path(card.path)}:{card.line}")
        for line in _info_lines(info.get(card.id)):
            click.echo(line)


def _card_info(app: App, card_ids: list[str]) -> dict[str, dict]:
    """Anki's card info from the history: state, due, memory, recall now, counts, last reviews."""
    if not app.paths.history_db.is_file():
        return {}
    from datetime import datetime, timezone

    from ..scheduler import decay_of
    from ..stats import retrievability
    from ..terminal import wall_clock

    now_ms = int(wall_clock()().timestamp() * 1000)
    names = {0: "new", 1: "learning", 2: "review", 3: "relearning"}
    history = open_history(app, create=False)
    try:
        suspended, leeches = history.suspended(), history.leeches()
        out = {}
        for cid in card_ids:
            state = history.state(cid)
            reviews = history.reviews(cid)
            if state is None and not reviews and cid not in suspended:
                continue
            out[cid] = {
                "state": names.get(state.state, "new") if state else "new",
                "due": datetime.fromtimestamp(state.due / 1000, timezone.utc).isoformat() if state else None,
                "stability_days": round(state.stability, 2) if state and state.stability else None,
                "difficulty": round(state.difficulty, 2) if state and state.difficulty else None,
                "recall_now": round(retrievability(state, now_ms, decay_of(app.settings)), 3) if state else None,
                "reviews": len(reviews), "lapses": state.lapses if state else 0,
                "suspended": cid in suspended, "leech": cid in leeches,
                "last_reviews": [{"at": datetime.fromtimestamp(r.reviewed_at / 1000, timezone.utc).isoformat(),
                                  "rating": r.rating, "origin": r.origin or "review"} for r in reviews[-5:]],
            }
        return out
    finally:
        history.close()


def _info_lines(info: dict | None) -> list[str]:
    if not info:
        return ["Card info: new, never reviewed."]
    from datetime import datetime

    from ..scheduler import RATING_NAMES

    def local(iso: str) -> str:
        return datetime.fromisoformat(iso).astimezone().strftime("%Y-%m-%d %H:%M")

    flags = "".join(f", {f}" for f in ("suspended", "leech") if info[f])
    lines = [f"Card info: {info['state']}{flags}" + (f", due {local(info['due'])}" if info["due"] else "")]
    if info["stability_days"] is not None:
        lines.append(f"  stability {info['stability_days']} days, difficulty {info['difficulty']}, "
                     f"predicted recall now {round(100 * info['recall_now'])}% (a prediction)")
    lines.append(f"  {info['reviews']} review{'s' if info['reviews'] != 1 else ''}, {info['lapses']} "
                 f"lapse{'s' if info['lapses'] != 1 else ''}")
    for r in info["last_reviews"]:
        lines.append(f"  {local(r['at'])}  {RATING_NAMES[r['rating']]:<5}  {r['origin']}")
    return lines


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
        rows = orphan_rows(app, deck)
    except click.ClickException:
        return
    if rows:
        click.echo(f"note: {len(rows)} card{'s' if len(rows) != 1 else ''} in your review history "
                   f"{'have' if len(rows) != 1 else 'has'} no source any more (see `mlsd-flash orphans`)")
