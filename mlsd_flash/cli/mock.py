"""Interview practice: `mlsd-flash mock`, a whole case answered from memory and graded against
its skeleton."""

from __future__ import annotations

import click

from .app import App, echo_json, fail, open_history, pass_app, unknown_case


@click.command()
@click.argument("case_id", required=False)
@click.option("--random", "pick_random", is_flag=True, help="Pick any case at random.")
@click.option("--list", "list_mocks", is_flag=True, help="List your past mocks with their scores.")
@click.option("--show", "show_number", type=int, metavar="N", help="Print mock N: answer, marks and scores.")
@click.option("--json", "as_json", is_flag=True, help="With --list or --show: print JSON for scripts.")
@pass_app
def mock(app: App, case_id, pick_random, list_mocks, show_number, as_json) -> None:
    """A mock interview on one case: the prompt, your answer against a timer, then grading.

    Without CASE_ID it picks the case you are weakest on (unseen cases first). You write the answer
    in $EDITOR or type it here; then each point of the case's checklist appears beside what you
    wrote, and you mark it covered (c), partly (p) or missed (m). Each mark is recorded as a review
    of that point's card, so missed points come back soon.
    """
    from ..mock import Transcripts

    transcripts = Transcripts(app.paths.data_dir)
    if list_mocks or show_number is not None:
        _print_mocks(transcripts, show_number, as_json)
        return
    if as_json:
        fail("--json goes with --list or --show")
    _run(app, case_id, pick_random, transcripts)


def _print_mocks(transcripts, number, as_json) -> None:
    from ..skeleton import STEP_NAMES

    if number is not None:
        record = transcripts.get(number)
        if record is None:
            count = len(transcripts.all())
            fail(f"no mock number {number}" + (f" (you have {count}: see `mlsd-flash mock --list`)" if count
                                               else "; you have no saved mock yet"))
        if as_json:
            echo_json(record)
            return
        click.echo(click.style(f"Mock {record['number']}: {record['title']}", bold=True) +
                   f"  ({record['started_at'][:16].replace('T', ' ')} UTC, {record['mode']})")
        for step, text in record["answer"].items():
            click.echo(f"\n## {STEP_NAMES.get(step, step)}\n{text or '(nothing)'}")
            for m in (m for m in record["marks"] if m["step"] == step):
                click.echo(f"  [{m['mark']}] {m['label']}")
        total = record.get("total")
        click.echo("\nPoints covered: " + ("not graded" if total is None else f"{round(100 * total)}%") +
                   ("" if record.get("complete") else " (stopped before the end)"))
        if record.get("rubric"):
            click.echo("Rubric: " + ", ".join(f"{k} {v}" for k, v in record["rubric"].items()))
        return
    records = transcripts.all()
    if as_json:
        echo_json(records)
        return
    if not records:
        click.echo("No mock yet: `mlsd-flash mock` starts one on your weakest case.")
        return
    for r in records:
        total = "-" if r.get("total") is None else f"{round(100 * r['total'])}%"
        rubric = sum(r["rubric"].values()) if r.get("rubric") else None
        click.echo(f"{r['number']:3d}  {r['started_at'][:10]}  {total:>5}  "
                   f"{'rubric ' + str(rubric) + '/24' if rubric else '':<12}  {r['case_id']}"
                   + ("" if r.get("complete") else "  (stopped)"))


def _run(app: App, case_id, pick_random, transcripts) -> None:
    from ..history import HistoryError
    from ..mock import Draft, Grading, budgets, record_of, split_answer, template
    from ..editor import EditorError
    from ..mock_terminal import grade, intro, rubric, summary, write_in_editor, write_typed
    from ..skeleton import case_ids, load_skeleton
    from ..terminal import Keys, Quit, Screen, wall_clock

    clock = wall_clock()
    deck = app.deck()
    cases = case_ids(deck.cards)
    if not cases:
        fail("no interview case in your cards")
    history = open_history(app)
    try:
        if case_id is None:
            pending = [c for c in Draft.pending(app.paths.data_dir) if c in cases]
            case_id = pending[0] if pending and not pick_random else _pick(deck, cases, history, pick_random, clock)
        elif case_id not in cases:
            unknown_case(case_id, cases)
        skeleton = load_skeleton(deck, case_id)
        if skeleton is None or not skeleton.steps:
            fail(f"case '{case_id}' has no points to grade")
        minutes = budgets(skeleton, app.settings.mock_minutes)
        draft = Draft(app.paths.data_dir, case_id)
        screen, keys = Screen(), Keys()
        started = clock()
        try:
            choice = intro(skeleton, minutes, screen, keys, draft.exists())
            if choice == "q":
                return
            mode = {"e": "editor", "t": "typed", "g": "draft"}[choice]
            if choice == "e":
                write_in_editor(draft, template(skeleton, minutes))
            elif choice == "t":
                write_typed(skeleton, minutes, draft, screen, clock)
        except EditorError as exc:
            fail(f"{exc}; your answer is kept in {draft.path}, and `mlsd-flash mock {case_id}` offers it again")
        except Quit:
            screen.write()
            screen.write(f"Your answer so far is kept in {draft.path}; `mlsd-flash mock {case_id}` offers it again.")
            return
        answer = split_answer(draft.read(), skeleton)
        hashes = {c.id: c.content_hash for c in deck.note_cards(case_id)}
        grading = Grading(skeleton, history, app.settings, clock, hashes)
        scores: dict[str, int] = {}
        try:
            grade(skeleton, answer, grading, screen, keys)
            scores = rubric(screen, keys)
        except Quit:
            pass
        if not grading.marks:
            screen.write(f"Nothing graded; your answer is kept in {draft.path}.")
            return
        record = record_of(skeleton, answer, grading, scores, started, clock(), mode)
        number = transcripts.save(record)
        draft.discard()
        summary(record, skeleton, screen, number)
    except HistoryError as exc:
        fail(str(exc))
    finally:
        history.close()


def _pick(deck, cases, history, pick_random, clock) -> str:
    if pick_random:
        import random

        return random.choice(cases)
    from ..mock import weakest_case
    from ..scheduler import to_ms
    from ..stats import retrievability

    from ..cards import note_of

    states = history.states()
    now_ms = to_ms(clock())
    points: dict[str, list[str]] = {case: [] for case in cases}
    for card_id in deck.cards.ids:
        points.get(note_of(card_id), []).append(card_id)

    def recall(card_id):
        state = states.get(card_id)
        return None if state is None else retrievability(state, now_ms)

    return weakest_case(points, recall)
