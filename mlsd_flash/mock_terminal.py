"""The mock interview in a terminal: the prompt, the answer written against a visible per-stage
timer (typed here or in $EDITOR), then point-by-point grading against the case's skeleton.

Typed lines go to the draft file as they are entered, so a Ctrl-C or a closed terminal loses
nothing; grading marks are durable reviews the moment a key is pressed.
"""

from __future__ import annotations

import os
import sys
import textwrap
import threading

from .editor import open_editor
from .mock import MARKS, RUBRIC, Draft, Grading
from .render import BOLD, DIM
from .skeleton import Skeleton
from .terminal import Keys, Quit, Screen

SYMBOLS = {"covered": "✓", "partly": "~", "missed": "✗"}
GRADE_HELP = "c covered   p partly   m missed   u undo   q quit (marks so far are saved)"


def clock_text(seconds: float) -> str:
    seconds = max(0, int(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}"


class Timer:
    """A status line kept at the top of the terminal while the learner types below it, redrawn every
    second from a thread (the terminal scrolls only the lines under it)."""

    def __init__(self, screen: Screen, clock, total_minutes: int):
        self.screen, self.clock, self.total = screen, clock, total_minutes * 60
        self.started = clock()
        self.stage_name, self.stage_budget, self.stage_started = "", 0, self.started
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def stage(self, name: str, minutes: int) -> None:
        self.stage_name, self.stage_budget, self.stage_started = name, minutes * 60, self.clock()
        self.draw()

    def line(self) -> str:
        now = self.clock()
        spent = (now - self.stage_started).total_seconds()
        total = (now - self.started).total_seconds()
        text = (f"{self.stage_name}: {clock_text(spent)} of {clock_text(self.stage_budget)}   "
                f"total {clock_text(total)} of {clock_text(self.total)}")
        if spent > self.stage_budget:
            text += "   over time: move on"
        return text

    def draw(self) -> None:
        if not self.screen.tty:
            return
        text = self.line()
        colour = "\x1b[33m" if "over time" in text else BOLD
        # Save the cursor, write row 1, restore: the learner's typing is not disturbed.
        self.screen.out.write(f"\x1b7\x1b[1;1H\x1b[2K{self.screen.style(text, colour)}\x1b8")
        self.screen.out.flush()

    def __enter__(self):
        if self.screen.tty:
            rows = os.get_terminal_size(self.screen.out.fileno()).lines
            self.screen.out.write(f"\x1b[H\x1b[2J\x1b[3;{rows}r\x1b[3;1H")  # scroll only rows 3..end
            self._thread = threading.Thread(target=self._tick, daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        if self.screen.tty:
            self.screen.out.write("\x1b[r")  # the whole screen scrolls again
            self.screen.out.flush()
        return False

    def _tick(self):
        while not self._stop.wait(1.0):
            self.draw()


def intro(skeleton: Skeleton, minutes: dict[str, int], screen: Screen, keys: Keys, has_draft: bool) -> str:
    """Show the prompt and the stages; return the learner's choice: e, t, g or q."""
    screen.clear()
    screen.write(screen.style(f"Mock interview: {skeleton.title}", BOLD))
    screen.write()
    screen.markdown(skeleton.prompt or "(This case has no prompt; design the system end to end.)")
    screen.write()
    screen.write(f"{sum(minutes.values())} minutes in {len(skeleton.steps)} stages:")
    for step in skeleton.steps:
        screen.write(f"  {minutes[step.key]:2d} min  {step.name}")
    screen.write()
    if has_draft:
        screen.write("You have an unfinished answer for this case.")
        choices = "e: open it in your editor   t: keep typing it here   g: grade it as it is   q: quit"
        allowed = {"e", "t", "g", "q"}
    else:
        choices = "e: write in your editor ($EDITOR)   t: type here   q: quit"
        allowed = {"e", "t", "q"}
    screen.write(screen.style(choices, DIM))
    with keys.active():
        while True:
            key = keys.read()
            if key in allowed:
                return key


def write_typed(skeleton: Skeleton, minutes: dict[str, int], draft: Draft, screen: Screen, clock, stdin=None) -> None:
    """Type the answer stage by stage; an empty line moves to the next stage. Each line is on disk
    before the next is read."""
    stdin = stdin or sys.stdin
    if not draft.exists():
        draft.start(f"# Mock interview: {skeleton.title}\n")
    with Timer(screen, clock, sum(minutes.values())) as timer:
        for step in skeleton.steps:
            draft.append(f"\n## {step.name} ({minutes[step.key]} min)\n\n")
            timer.stage(step.name, minutes[step.key])
            screen.write()
            screen.write(screen.style(f"## {step.name}", BOLD) +
                         screen.style("   (an empty line moves to the next stage)", DIM))
            while True:
                try:
                    line = stdin.readline()
                except KeyboardInterrupt:
                    raise Quit from None
                if line == "":
                    raise Quit
                line = line.rstrip("\r\n")
                if not line.strip():
                    break
                draft.append(line + "\n")
                timer.draw()


def write_in_editor(draft: Draft, text: str) -> None:
    """Open the draft in the learner's editor. The draft stays on disk whatever the editor does."""
    if not draft.exists():
        draft.start(text)
    open_editor(draft.path)


def grade(skeleton: Skeleton, answer: dict[str, str], grading: Grading, screen: Screen, keys: Keys) -> None:
    """Mark every point, step by step, beside what the learner wrote. Raises Quit on q."""
    notice = ""
    with keys.active():
        while not grading.done:
            step, point = grading.current()
            screen.clear()
            position = len(grading.marks) + 1
            screen.write(screen.style(f"Grading {skeleton.title}: {step.name}", BOLD) +
                         f"   point {position} of {len(grading.order)}")
            screen.write()
            screen.write(screen.style("What you wrote:", DIM))
            for line in (answer.get(step.key) or "(nothing)").splitlines():
                screen.write(textwrap.fill(line, screen.width, initial_indent="  ", subsequent_indent="    "))
            screen.write()
            screen.write(screen.style("The checklist:", DIM))
            marked = {m.card_id: m.mark for m in grading.marks}
            for p in step.points:
                if p.card_id in marked:
                    screen.write(f"  {SYMBOLS[marked[p.card_id]]} {p.label}")
                elif p is point:
                    screen.write(screen.style(f"  > {p.label}", BOLD))
                    screen.write(screen.style(textwrap.fill(p.answer, screen.width, initial_indent="      ",
                                                            subsequent_indent="      "), DIM))
                else:
                    screen.write(f"    {p.label}")
            screen.write()
            if notice:
                screen.write(notice)
            screen.write(screen.style(GRADE_HELP, DIM))
            key = keys.read()
            notice = ""
            if key in MARKS:
                grading.mark(key)
            elif key == "u":
                if not grading.undo():
                    notice = "Nothing to undo."
            elif key == "q":
                raise Quit
            else:
                notice = "Keys: c, p, m, u or q."


def rubric(screen: Screen, keys: Keys) -> dict[str, int]:
    """Score yourself 1 to 4 on each dimension (u goes back one). Raises Quit on q."""
    scores: dict[str, int] = {}
    with keys.active():
        i = 0
        while i < len(RUBRIC):
            key_name, label = RUBRIC[i]
            screen.clear()
            screen.write(screen.style("Score yourself, as an interviewer would (1 weak ... 4 strong):", BOLD))
            for done_key, done_label in RUBRIC[:i]:
                screen.write(f"  {done_label}: {scores[done_key]}")
            screen.write(screen.style(f"  {label}: ?", BOLD))
            screen.write(screen.style("1 2 3 4   u back   q quit", DIM))
            key = keys.read()
            if key in ("1", "2", "3", "4"):
                scores[key_name] = int(key)
                i += 1
            elif key == "u" and i:
                i -= 1
                scores.pop(RUBRIC[i][0], None)
            elif key == "q":
                raise Quit
    return scores


def summary(record: dict, skeleton: Skeleton, screen: Screen, number: int) -> None:
    screen.clear()
    screen.write(screen.style(f"Mock {number}: {skeleton.title}", BOLD))
    for step in skeleton.steps:
        score = record["scores"].get(step.key)
        shown = "not graded" if score is None else f"{round(100 * score)}%"
        screen.write(f"  {step.name:<26} {shown}")
    if record["total"] is not None:
        screen.write(f"  {'Points covered':<26} {round(100 * record['total'])}%")
    if record["rubric"]:
        screen.write(textwrap.fill("Rubric: " + ", ".join(f"{label} {record['rubric'][k]}" for k, label in RUBRIC
                                                          if k in record["rubric"]), screen.width))
    missed = [m["label"] for m in record["marks"] if m["mark"] != "covered"]
    if missed:
        screen.write(textwrap.fill(f"{len(missed)} point(s) to work on come back in your reviews soon: " +
                                   "; ".join(missed[:6]) + ("; ..." if len(missed) > 6 else ""), screen.width))
    screen.write(f"Saved as mock {number} (`mlsd-flash mock --show {number}`).")
