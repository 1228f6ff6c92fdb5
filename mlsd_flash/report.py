"""`mlsd-flash report`: the figures of `stats.Stats` as one self-contained HTML page.

Inline CSS and inline SVG only: no scripts, fonts, images or anything fetched from the network, so
the page opens the same offline, from an e-mail attachment or a CI artifact.
"""

from __future__ import annotations

from datetime import date, timedelta
from html import escape

from .stats import Stats
from .stats_view import duration, heat_levels, pct

HEAT = ("#ebedf0", "#9be9a8", "#40c463", "#30a14e", "#216e39")

CSS = """
:root { --fg: #1f2328; --muted: #656d76; --line: #d0d7de; --accent: #0969da; --bg: #ffffff; --card: #f6f8fa; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--fg);
       font: 15px/1.5 -apple-system, BlinkMacSystemFont, "Segoe UI", Helvetica, Arial, sans-serif; }
main { max-width: 980px; margin: 0 auto; padding: 32px 24px 64px; }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 18px; margin: 36px 0 10px; padding-bottom: 6px; border-bottom: 1px solid var(--line); }
.sub, .note { color: var(--muted); font-size: 13px; }
.tiles { display: grid; grid-template-columns: repeat(auto-fit, minmax(150px, 1fr)); gap: 12px; margin-top: 20px; }
.tile { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 12px 14px; }
.tile .v { font-size: 24px; font-weight: 600; }
.tile .k { color: var(--muted); font-size: 13px; }
svg { display: block; max-width: 100%; height: auto; }
svg text { font: 11px -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; fill: var(--muted); }
table { border-collapse: collapse; width: 100%; font-size: 14px; }
th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid var(--line); vertical-align: middle; }
th { font-weight: 600; color: var(--muted); font-size: 13px; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr.total td { font-weight: 600; border-top: 2px solid var(--line); }
.bar { position: relative; height: 10px; width: 120px; background: #eaeef2; border-radius: 5px; overflow: hidden; }
.bar span { position: absolute; left: 0; top: 0; bottom: 0; background: var(--accent); border-radius: 5px; }
.good { color: #1a7f37; } .warn { color: #9a6700; }
code { font-size: 12px; color: var(--muted); }
.pred { display: inline-block; font-size: 11px; font-weight: 600; letter-spacing: .04em; text-transform: uppercase;
        color: #8250df; border: 1px solid #d8b9ff; border-radius: 999px; padding: 1px 8px; margin-left: 8px;
        vertical-align: middle; }
"""


def render_html(stats: Stats) -> str:
    t = stats.today
    scope = f" · {escape(stats.deck_filter)}" if stats.deck_filter else ""
    tiles = [
        (str(t.reviewed), f"reviewed today ({t.date})"),
        (duration(t.seconds), "time spent today"),
        (pct(t.again_rate), "Again today"),
        (f"{stats.streak_current} d", f"streak (longest {stats.streak_longest} d)"),
        (f"{stats.cards_seen}/{stats.cards_total}", "cards seen"),
        (str(stats.forecast[0]["due"]), "due today" + (f" ({stats.overdue} overdue)" if stats.overdue else "")),
    ]
    parts = [
        "<!doctype html>", '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>mlsd-flash report {escape(t.date)}</title><style>{CSS}</style></head><body><main>",
        f"<h1>mlsd-flash progress{scope}</h1>",
        f'<div class="sub">Generated {escape(stats.now[:16].replace("T", " "))} UTC</div>',
        '<section class="tiles">' + "".join(
            f'<div class="tile"><div class="v">{escape(v)}</div><div class="k">{escape(k)}</div></div>'
            for v, k in tiles) + "</section>",
        f"<h2>Reviews per day</h2>{heatmap_svg(stats)}",
        f"<h2>Due in the next 30 days</h2>{forecast_svg(stats)}"
        '<p class="note">The first bar (today) includes overdue cards; new cards are not counted.</p>',
        "<h2>True retention</h2>" + retention_table(stats),
        "<h2>Decks</h2>" + decks_table(stats),
    ]
    if stats.weakest:
        parts.append("<h2>Weakest cards</h2>" + weakest_table(stats))
    if stats.readiness:
        parts.append(readiness_section(stats))
    if stats.cases:
        parts.append(cases_section(stats))
    if stats.plan:
        from .plan import Plan, describe

        text = describe(Plan(**stats.plan))
        parts.append('<h2>Plan<span class="pred">Prediction</span></h2>' +
                     "".join(f'<p class="note">{escape(line)}</p>' for line in text.splitlines()))
    parts.append('<p class="note">Recall probabilities are FSRS retrievabilities computed from your review '
                 "history. Made by mlsd-flash.</p></main></body></html>")
    return "\n".join(parts) + "\n"


def heatmap_svg(stats: Stats) -> str:
    cell, gap, left, top = 12, 3, 30, 18
    days = [(date.fromisoformat(d["date"]), d["count"]) for d in stats.per_day]
    start = days[0][0] - timedelta(days=days[0][0].weekday())
    n_weeks = (days[-1][0] - start).days // 7 + 1
    width, height = left + n_weeks * (cell + gap), top + 7 * (cell + gap) + 24
    levels = heat_levels([n for _, n in days])
    out = [f'<svg class="chart heatmap" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
           'role="img" aria-label="Reviews per day">']
    for wd, name in ((0, "Mon"), (2, "Wed"), (4, "Fri"), (6, "Sun")):
        out.append(f'<text x="0" y="{top + wd * (cell + gap) + cell - 2}">{name}</text>')
    for w in range(n_weeks):
        monday = start + timedelta(weeks=w)
        if monday.day <= 7:
            out.append(f'<text x="{left + w * (cell + gap)}" y="11">{monday:%b}</text>')
    for (d, n), level in zip(days, levels):
        w, wd = (d - start).days // 7, d.weekday()
        out.append(f'<rect x="{left + w * (cell + gap)}" y="{top + wd * (cell + gap)}" width="{cell}" '
                   f'height="{cell}" rx="2" fill="{HEAT[level]}"><title>{d.isoformat()}: {n} '
                   f'review{"s" if n != 1 else ""}</title></rect>')
    total = sum(n for _, n in days)
    active = sum(1 for _, n in days if n)
    out.append(f'<text x="{left}" y="{height - 4}">{total} reviews on {active} of {len(days)} days</text>')
    out.append("</svg>")
    return "".join(out)


def forecast_svg(stats: Stats) -> str:
    counts = [d["due"] for d in stats.forecast]
    top = max(counts) or 1
    bar, gap, left, chart_h, bottom = 20, 6, 40, 160, 22
    width, height = left + len(counts) * (bar + gap), chart_h + bottom + 10
    out = [f'<svg class="chart forecast" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
           'role="img" aria-label="Cards due per day">']
    for frac in (0, 0.5, 1):
        y = 10 + chart_h * (1 - frac)
        out.append(f'<line x1="{left - 4}" x2="{width}" y1="{y:.1f}" y2="{y:.1f}" stroke="#d0d7de" />'
                   f'<text x="{left - 8}" y="{y + 4:.1f}" text-anchor="end">{round(top * frac)}</text>')
    for i, (d, c) in enumerate(zip(stats.forecast, counts)):
        h = chart_h * c / top
        x = left + i * (bar + gap)
        out.append(f'<rect x="{x}" y="{10 + chart_h - h:.1f}" width="{bar}" height="{h:.1f}" rx="2" '
                   f'fill="{"#0969da" if i else "#cf222e"}"><title>{d["date"]}: {c} due</title></rect>')
        if i % 7 == 0:
            label = "today" if i == 0 else f"+{i}d"
            out.append(f'<text x="{x + bar / 2}" y="{height - 6}" text-anchor="middle">{label}</text>')
    out.append("</svg>")
    return "".join(out)


def _bar(x: float | None) -> str:
    w = 0 if x is None else max(0.0, min(1.0, x)) * 100
    return f'<div class="bar"><span style="width:{w:.1f}%"></span></div>'


def retention_table(stats: Stats) -> str:
    windows = sorted({r.days for r in stats.retention})
    head = "".join(f'<th class="n">Last {w} days</th>' for w in windows)
    rows = []
    for kind, label in (("young", "Young (interval &lt; 21 days)"), ("mature", "Mature (≥ 21 days)")):
        cells = []
        for r in sorted((r for r in stats.retention if r.kind == kind), key=lambda r: r.days):
            cls = "" if r.rate is None else "good" if r.rate >= stats.desired_retention - 0.02 else "warn"
            cells.append(f'<td class="n {cls}">{pct(r.rate, 1)} <span class="note">of {r.reviews}</span></td>')
        rows.append(f"<tr><td>{label}</td>{''.join(cells)}<td class='n'>{pct(stats.desired_retention)}</td></tr>")
    return (f'<table class="retention"><tr><th>Review cards</th>{head}<th class="n">Desired</th></tr>'
            + "".join(rows) + "</table>"
            '<p class="note">Share of answers to review cards that were not Again. Well below the desired '
            "retention: intervals are too long for you; well above: you could review less.</p>")


def decks_table(stats: Stats) -> str:
    rows = []
    for d in stats.decks:
        weak = d.weakest[0] if d.weakest else None
        weak_cell = (f"<code>{escape(weak.id)}</code> {pct(weak.retrievability)}" if weak else "")
        rows.append(f"<tr><td>{escape(d.deck)}</td><td class='n'>{d.seen}/{d.total}</td><td>{_bar(d.seen / d.total if d.total else 0)}</td>"
                    f"<td class='n'>{pct(d.retrievability)}</td><td>{_bar(d.retrievability)}</td><td>{weak_cell}</td></tr>")
    return ('<table class="decks"><tr><th>Deck</th><th class="n">Seen</th><th></th><th class="n">Recall now</th>'
            "<th></th><th>Weakest card</th></tr>" + "".join(rows) + "</table>")


def weakest_table(stats: Stats) -> str:
    rows = "".join(f"<tr><td class='n'>{pct(w.retrievability)}</td><td class='n'>{w.lapses}</td>"
                   f"<td><code>{escape(w.id)}</code></td><td>{escape(w.question)}</td></tr>" for w in stats.weakest)
    return ('<table class="weakest"><tr><th class="n">Recall</th><th class="n">Lapses</th><th>Card</th>'
            "<th>Question</th></tr>" + rows + "</table>")


def readiness_section(stats: Stats) -> str:
    r = stats.readiness
    when = "today" if r.days_left == 0 else f"in {r.days_left} day{'s' if r.days_left != 1 else ''}"
    rows = []
    for d in r.decks + [r.total]:
        needed = "–" if d.new_per_day_needed is None else str(d.new_per_day_needed)
        cls = ' class="total"' if d is r.total else ""
        rows.append(f"<tr{cls}><td>{escape(d.deck)}</td><td class='n'>{d.seen}/{d.total}</td>"
                    f"<td class='n'>{pct(d.if_stop)}</td><td>{_bar(d.if_stop)}</td>"
                    f"<td class='n'>{pct(d.if_continue)}</td><td>{_bar(d.if_continue)}</td>"
                    f"<td class='n'>{needed}</td></tr>")
    return (f'<h2>Readiness on {escape(r.date)} ({when})<span class="pred">Prediction</span></h2>'
            f'<p class="note">Predicted share of each deck you would recall on that day. <b>If you stop</b>: the '
            f"mean FSRS recall probability on that day with no more reviews (unseen cards count as 0). "
            f"<b>If you continue</b>: reviews on schedule keep seen cards at {pct(r.desired_retention)} or "
            f"better, and {r.new_per_day} new cards a day arrive in deck order. <b>New/day</b>: new cards a day "
            "needed to have seen every card before the day.</p>"
            '<table class="readiness"><tr><th>Deck</th><th class="n">Seen</th><th class="n">If you stop</th><th></th>'
            '<th class="n">If you continue</th><th></th><th class="n">New/day to see all</th></tr>'
            + "".join(rows) + "</table>")


def cases_section(stats: Stats) -> str:
    on = stats.readiness.date if stats.readiness else None
    rows = []
    for c in stats.cases:
        on_cells = f"<td class='n'>{pct(c.recall_on)}</td><td>{_bar(c.recall_on)}</td>" if on else ""
        mock = "–" if c.last_mock is None else pct(c.last_mock)
        rows.append(f"<tr><td>{escape(c.title)}</td><td class='n'>{c.seen}/{c.points}</td>"
                    f"<td class='n'>{pct(c.recall_now)}</td><td>{_bar(c.recall_now)}</td>{on_cells}"
                    f"<td class='n'>{mock}</td></tr>")
    on_head = f'<th class="n">On {escape(on)}</th><th></th>' if on else ""
    return ('<h2>Interview cases<span class="pred">Prediction</span></h2>'
            '<p class="note">Predicted mean recall of each case\'s points (unseen points count as 0)'
            + (f", now and on {escape(on)} if you stopped reviewing" if on else "")
            + "; last mock: share of points covered in your latest complete mock interview.</p>"
            '<table class="cases"><tr><th>Case</th><th class="n">Points seen</th><th class="n">Recall now</th><th></th>'
            + on_head + '<th class="n">Last mock</th></tr>' + "".join(rows) + "</table>")
