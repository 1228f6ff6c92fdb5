"""`mlsd-flash stats` in the terminal: the figures of `stats.Stats` drawn with rich (a calendar
heatmap, a due-forecast bar chart and tables), fitted to the terminal's width."""

from __future__ import annotations

from datetime import date, timedelta

from rich.console import Console
from rich.table import Table
from rich.text import Text

from .stats import Stats

HEAT_COLORS = ("grey30", "green4", "green3", "green1", "bright_green")
BLOCKS = " ▁▂▃▄▅▆▇█"


def pct(x: float | None, digits: int = 0) -> str:
    return "–" if x is None else f"{100 * x:.{digits}f}%"


def duration(seconds: float) -> str:
    minutes, secs = divmod(int(round(seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def heat_levels(counts: list[int]) -> list[int]:
    """0 for no reviews, else 1-4 by quartile among the days with reviews (4: the busiest quarter)."""
    from bisect import bisect_right
    from math import ceil

    active = sorted(c for c in counts if c > 0)
    return [0 if c <= 0 else max(1, ceil(4 * bisect_right(active, c) / len(active))) for c in counts]


def heatmap(stats: Stats, width: int) -> Text:
    """Weeks as columns (Monday on top), one cell per day, as many weeks as fit."""
    days = [(date.fromisoformat(d["date"]), d["count"]) for d in stats.per_day]
    weeks_fit = max(4, (width - 6) // 2)
    last = days[-1][0]
    first_monday = last - timedelta(days=last.weekday()) - timedelta(weeks=weeks_fit - 1)
    days = [(d, n) for d, n in days if d >= first_monday]
    start = days[0][0] - timedelta(days=days[0][0].weekday())
    n_weeks = (last - start).days // 7 + 1
    levels = dict(zip((d for d, _ in days), heat_levels([n for _, n in days])))
    out = Text()
    months = [" "] * (n_weeks * 2)
    for w in range(n_weeks):
        monday = start + timedelta(weeks=w)
        if monday.day <= 7 and 2 * w + 3 <= len(months):
            months[2 * w: 2 * w + 3] = monday.strftime("%b")
    out.append("    " + "".join(months).rstrip() + "\n", style="dim")
    for wd, name in enumerate(("Mon", "", "Wed", "", "Fri", "", "Sun")):
        out.append(f"{name:<4}", style="dim")
        for w in range(n_weeks):
            d = start + timedelta(weeks=w, days=wd)
            if d not in levels:
                out.append("  ")
            else:
                out.append("■ " if levels[d] else "· ", style=HEAT_COLORS[levels[d]])
        out.append("\n")
    total = sum(n for _, n in days)
    active = sum(1 for _, n in days if n)
    out.append(f"{total} reviews on {active} of {len(days)} days   less ", style="dim")
    for color in HEAT_COLORS:
        out.append("■", style=color)
    out.append(" more", style="dim")
    return out


def forecast_chart(stats: Stats, width: int, height: int = 6) -> Text:
    """Cards due per day for the next 30 days as vertical bars (today includes overdue cards)."""
    counts = [d["due"] for d in stats.forecast]
    top = max(counts) or 1
    label_w = len(str(top)) + 1
    cell = 3 if label_w + 1 + 3 * len(counts) <= width else 2
    out = Text()
    for row in range(height, 0, -1):
        out.append(f"{top if row == height else '':>{label_w}}│", style="dim")
        for i, c in enumerate(counts):
            eighths = round(c / top * height * 8) - (row - 1) * 8
            ch = BLOCKS[max(0, min(8, eighths))] if c else " "
            out.append(ch * (cell - 1) + " ", style="red" if i == 0 else "cyan")
        out.append("\n")
    out.append(" " * label_w + "└" + "─" * (cell * len(counts)) + "\n", style="dim")
    axis = [" "] * (cell * len(counts) + 4)
    for i in range(0, len(counts), 7):
        label = "today" if i == 0 else f"+{i}d"
        axis[cell * i: cell * i + len(label)] = label
    out.append(" " * (label_w + 1) + "".join(axis).rstrip(), style="dim")
    return out


def render(stats: Stats, console: Console) -> None:
    width = console.width
    t = stats.today
    title = "mlsd-flash stats" + (f" · {stats.deck_filter}" if stats.deck_filter else "")
    console.print(Text(title, style="bold"))
    head = Text()
    head.append(f"Today ({t.date}): ", style="bold")
    head.append(f"{t.reviewed} reviewed · {duration(t.seconds)} spent · Again {pct(t.again_rate)}\n")
    head.append("Streak: ", style="bold")
    head.append(f"{stats.streak_current} day{'s' if stats.streak_current != 1 else ''} "
                f"(longest {stats.streak_longest})   ")
    head.append("Cards: ", style="bold")
    head.append(f"{stats.cards_seen} of {stats.cards_total} seen"
                + (f", {stats.cards_suspended} suspended" if stats.cards_suspended else ""))
    console.print(head)

    console.print()
    console.print(Text(f"Reviews per day (last {len(stats.per_day)} days)", style="bold"))
    console.print(heatmap(stats, width))

    console.print()
    overdue = f", {stats.overdue} overdue" if stats.overdue else ""
    console.print(Text(f"Due in the next 30 days (today: {stats.forecast[0]['due']}{overdue})", style="bold"))
    console.print(forecast_chart(stats, width))

    console.print()
    rt = Table(title="True retention (answers not Again, review cards)", title_justify="left",
               title_style="bold", show_edge=False, pad_edge=False)
    rt.add_column("Cards")
    for w in sorted({r.days for r in stats.retention}):
        rt.add_column(f"Last {w} days", justify="right")
    rt.add_column("Desired", justify="right")
    for kind, label in (("young", "Young (<21d)"), ("mature", "Mature (≥21d)")):
        cells = []
        for r in sorted((r for r in stats.retention if r.kind == kind), key=lambda r: r.days):
            style = "" if r.rate is None else "green" if r.rate >= stats.desired_retention - 0.02 else "yellow"
            cells.append(Text(f"{pct(r.rate, 1)} of {r.reviews}", style=style))
        rt.add_row(label, *cells, pct(stats.desired_retention))
    console.print(rt)

    console.print()
    console.print(Text("Decks", style="bold"))
    rows = [(d.deck, f"{d.seen}/{d.total}", pct(d.retrievability),
             f"{d.weakest[0].id} ({pct(d.weakest[0].retrievability)})" if d.weakest else "") for d in stats.decks]
    console.print(columns(("Deck", "Seen", "Recall now", "Weakest card"), rows, width, (False, True, True, False)))

    if stats.weakest:
        console.print()
        console.print(Text("Weakest cards (lowest recall probability now)", style="bold"))
        rows = [(pct(w.retrievability), str(w.lapses), w.id, w.question) for w in stats.weakest]
        console.print(columns(("Recall", "Lapses", "Card", "Question"), rows, width, (True, True, False, False),
                              flex=3, drop_last=False))

    if stats.readiness:
        render_readiness(stats, console)
    if stats.cases:
        render_cases(stats, console)
    if stats.plan:
        from .plan import Plan, describe

        console.print()
        console.print(Text("Plan", style="bold"))
        console.print(Text(describe(Plan(**stats.plan))))


def render_cases(stats: Stats, console: Console) -> None:
    on = stats.readiness.date if stats.readiness else None
    console.print()
    console.print(Text("Interview cases — predictions", style="bold"))
    console.print(Text("Predicted mean recall of each case's points (unseen points count as 0)"
                       + (f", now and on {on} if you stopped reviewing" if on else "") + "; last mock: share of "
                       "points covered.", style="dim"))
    head = ("Case", "Points seen", "Recall now") + ((f"On {on}",) if on else ()) + ("Last mock",)
    rows = [(c.case_id, f"{c.seen}/{c.points}", pct(c.recall_now)) + ((pct(c.recall_on),) if on else ())
            + ("–" if c.last_mock is None else pct(c.last_mock),) for c in stats.cases]
    console.print(columns(head, rows, console.width, (False,) + (True,) * (len(head) - 1)))


def render_readiness(stats: Stats, console: Console) -> None:
    r = stats.readiness
    width = console.width
    console.print()
    when = "today" if r.days_left == 0 else f"in {r.days_left} day{'s' if r.days_left != 1 else ''}"
    console.print(Text(f"Readiness on {r.date} ({when}) — predictions", style="bold"))
    console.print(Text(f"Predicted share of cards recalled on that day. 'If you continue': reviews on schedule "
                       f"at {pct(r.desired_retention)} desired retention and {r.new_per_day} new cards a day.",
                       style="dim"))
    rows = [(d.deck, f"{d.seen}/{d.total}", pct(d.if_stop), pct(d.if_continue),
             "–" if d.new_per_day_needed is None else str(d.new_per_day_needed)) for d in r.decks + [r.total]]
    console.print(columns(("Deck", "Seen", "If you stop", "If you continue", "New/day"), rows, width,
                          (False, True, True, True, True), total=True))


def columns(head: tuple[str, ...], rows: list[tuple[str, ...]], width: int, right: tuple[bool, ...],
            total: bool = False, flex: int = 0, drop_last: bool = True) -> Text:
    """A plain aligned table (rich's Table is too slow for hundreds of decks). Column `flex` is
    cut (with …) to fit the width; with `drop_last`, a last text column that would not fit is left out."""
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(head)]
    if drop_last and sum(widths) + 2 * (len(widths) - 1) > width and not right[-1]:
        head, rows, right, widths = head[:-1], [r[:-1] for r in rows], right[:-1], widths[:-1]
    spare = width - (sum(w for i, w in enumerate(widths) if i != flex) + 2 * (len(widths) - 1))
    widths[flex] = max(12, min(widths[flex], spare))

    def line(cells) -> str:
        out = []
        for i, (c, w) in enumerate(zip(cells, widths)):
            c = c if len(c) <= w else c[: w - 1] + "…"
            out.append(c.rjust(w) if right[i] else c.ljust(w))
        return "  ".join(out).rstrip()

    text = Text(line(head) + "\n", style="dim")
    for i, row in enumerate(rows):
        is_total = total and i == len(rows) - 1
        text.append(line(row) + ("\n" if i < len(rows) - 1 else ""), style="bold" if is_total else "")
    return text



