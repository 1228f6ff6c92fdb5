"""The review in a terminal: one clean screen per card, single keys, and a summary at the end.

Keys are read one at a time from a terminal, or one per line when standard input is not a terminal
(so a session can be scripted). Ctrl-C, a closed terminal and end of input all mean "quit": every
answer was already committed when it was accepted.
"""

from __future__ import annotations

import os
import signal
import sys
import textwrap
import time
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone

from .render import BOLD, DIM, RESET, render
from .scheduler import AGAIN, EASY, GOOD, HARD, RATING_NAMES, format_interval, to_ms

HELP_FRONT = "space/enter: show answer   s: bury   u: undo   q: quit"
HELP_BACK = "1 Again   2 Hard   3 Good (or space/enter)   4 Easy   u: undo   s: bury   q: quit"


class Quit(Exception):
    """The learner is done (q, Ctrl-C, a closed terminal or the end of input)."""


class Keys:
    """Reads single keys from a terminal, or one key per line from a pipe or file."""

    def __init__(self, stream=None):
        self.stream = stream or sys.stdin
        self.tty = self.stream.isatty()

    @contextmanager
    def active(self):
        """Put the terminal in cbreak mode (keys without Enter, Ctrl-C still a signal) meanwhile."""
        previous = signal.getsignal(signal.SIGHUP) if hasattr(signal, "SIGHUP") else None
        if previous is not None:
            signal.signal(signal.SIGHUP, _hangup)
        if not self.tty:
            try:
                yield self
            finally:
                if previous is not None:
                    signal.signal(signal.SIGHUP, previous)
            return
        import termios
        import tty

        fd = self.stream.fileno()
        saved = termios.tcgetattr(fd)
        try:
            tty.setcbreak(fd)
            yield self
        finally:
            termios.tcsetattr(fd, termios.TCSADRAIN, saved)
            if previous is not None:
                signal.signal(signal.SIGHUP, previous)

    def read(self) -> str:
        try:
            if self.tty:
                ch = os.read(self.stream.fileno(), 8).decode("utf-8", "replace")
                if not ch:
                    raise Quit
                return "\n" if ch in ("\r", "\n") else ch[:1] if not ch.startswith("\x1b") else ch
            line = self.stream.readline()
        except KeyboardInterrupt:
            raise Quit from None
        except OSError:
            raise Quit from None
        if line == "":
            raise Quit
        key = line.rstrip("\r\n")
        return key[:1] if key else "\n"


def _hangup(signum, frame):
    raise KeyboardInterrupt


class Screen:
    """Writes the review to the terminal (clearing between cards) or as plain text to a pipe."""

    def __init__(self, out=None):
        self.out = out or sys.stdout
        self.tty = self.out.isatty()
        self.color = self.tty and os.environ.get("NO_COLOR") is None and os.environ.get("TERM") != "dumb"

    @property
    def width(self) -> int:
        try:
            return max(30, min(os.get_terminal_size(self.out.fileno()).columns, 100))
        except (OSError, ValueError, AttributeError):
            return 80

    def style(self, text: str, code: str) -> str:
        return f"{code}{text}{RESET}" if self.color else text

    def clear(self) -> None:
        if self.tty:
            self.out.write("\x1b[H\x1b[2J")

    def write(self, text: str = "") -> None:
        self.out.write(text + "\n")
        self.out.flush()

    @property
    def height(self) -> int:
        try:
            return max(10, os.get_terminal_size(self.out.fileno()).lines)
        except (OSError, ValueError, AttributeError):
            return 10_000  # not a terminal: never page

    def rendered(self, text: str) -> str:
        return render(text, self.width, self.color)

    def markdown(self, text: str) -> None:
        self.write(self.rendered(text))

    def hint(self, text: str) -> None:
        """One hint line at the bottom, replaced by the next hint instead of piling up."""
        if self.tty:
            self.out.write("\r\x1b[2K" + text)
            self.out.flush()
        else:
            self.write(text)


def run_review(session, screen: Screen, keys: Keys, clock, practice: bool = False) -> None:
    """Drive a session until it is done or the learner quits, then print the summary."""
    notice = ""
    recording = getattr(session, "record", True)
    try:
        with keys.active():
            card = session.next_card()
            while card is not None:
                shown_at = clock()
                draw = lambda: _front(session, card, screen, notice)  # noqa: E731
                draw()
                notice = ""
                key = _wait(keys, {" ", "\n", "s", "u", "q"}, screen, HELP_FRONT, draw)
                if key in ("s", "u"):
                    notice, card = _side_action(session, key)
                    continue
                intervals = session.intervals() if recording else None
                page = _Pager(session, card, screen, intervals)
                key = _wait(keys, {"1", "2", "3", "4", " ", "\n", "s", "u", "q"}, screen, HELP_BACK, page.draw,
                            page.next)
                if key in ("s", "u"):
                    notice, card = _side_action(session, key)
                    continue
                seconds = max(0.0, (clock() - shown_at).total_seconds())
                session.answer(GOOD if key in (" ", "\n") else int(key), seconds)
                if getattr(session, "leech", None):
                    notice = session.leech
                card = session.next_card()
    except Quit:
        screen.clear()
        screen.write("Stopped. " + ("Every answer so far is saved." if recording else NOT_RECORDED))
    else:
        screen.clear()
        if session.summary.reviewed == 0 and not practice:
            screen.write(_nothing_due(session, clock()))
            return
        screen.write("Done for now." if not practice else "Practice finished. " +
                     ("Your answers are scheduled." if recording else NOT_RECORDED))
    _summary(session, screen, clock, practice)


NOT_RECORDED = "Nothing was recorded: this rehearsal leaves your schedule as it was."
KEY_NAMES = {" ": "space", "\n": "enter", "\t": "Tab", "\x1b": "Esc", "\x7f": "Backspace", "\x1b[A": "Up",
             "\x1b[B": "Down", "\x1b[C": "Right", "\x1b[D": "Left", "\x1b[H": "Home", "\x1b[F": "End",
             "\x1b[5~": "Page Up", "\x1b[6~": "Page Down", "\x1b[3~": "Delete"}
RATING_COLOURS = {AGAIN: "\x1b[31m", HARD: "\x1b[33m", GOOD: "\x1b[32m", EASY: "\x1b[34m"}


def key_name(key: str) -> str:
    """A key as a person would name it: 'Up', 'Esc', 'Ctrl-X', never an escape sequence."""
    if key in KEY_NAMES:
        return KEY_NAMES[key]
    if len(key) == 1 and ord(key) < 32:
        return f"Ctrl-{chr(ord(key) + 64)}"
    if key.startswith("\x1b"):
        return "that key"
    return f"'{key}'" if key.isprintable() else "that key"


def _side_action(session, key: str):
    """Bury or undo; returns the notice to show and the card to show next."""
    if key == "s":
        session.bury()
        return "Buried until tomorrow.", session.next_card()
    card = session.undo()
    if card is None:
        return "Nothing to undo.", session.current or session.next_card()
    return "Undone: the last answer was taken back.", card


class _Resized(Exception):
    """The terminal changed size: the screen is drawn again."""


def _on_resize(signum, frame):
    raise _Resized


def _wait(keys: Keys, allowed: set[str], screen: Screen, help_line: str, redraw=None, more=None) -> str:
    """The next allowed key; q and Ctrl-C quit. Anything else replaces one hint line that names the
    key. A resized terminal is drawn again; with `more`, space and enter first page the card."""
    resizable = screen.tty and keys.tty and redraw is not None and hasattr(signal, "SIGWINCH")
    previous = signal.signal(signal.SIGWINCH, _on_resize) if resizable else None
    try:
        while True:
            try:
                key = keys.read()
            except _Resized:
                redraw()
                continue
            if key in ("q", "\x03"):
                raise Quit
            if key in (" ", "\n") and more is not None and more():
                continue
            if key in allowed:
                return key
            screen.hint(screen.style(f"{key_name(key)} is not a key here. {help_line}", DIM))
    finally:
        if resizable:
            signal.signal(signal.SIGWINCH, previous)


def _header(session, card, screen: Screen, notice: str) -> None:
    if hasattr(session, "position"):  # a rehearsal of one case: its cards in order, due or not
        counts = f"card {session.position + 1} of {len(session.cards)} · " + (
            "answers are scheduled" if session.record else "rehearsal: nothing is recorded")
    else:
        new, learning, review = session.remaining()
        counts = f"new {new} · learning {learning} · review {review}"
    left = card.deck
    gap = max(2, screen.width - len(left) - len(counts))
    screen.clear()
    screen.write(screen.style(left, BOLD) + " " * gap + screen.style(counts, DIM))
    if getattr(session, "is_edited", None) and session.is_edited(card):
        screen.write(screen.style("(edited since your last review)", DIM))
    if notice:
        screen.write(screen.style(notice, DIM))
    screen.write(screen.style("─" * screen.width, DIM))


def _front(session, card, screen: Screen, notice: str) -> None:
    _header(session, card, screen, notice)
    screen.markdown(card.front())
    screen.write()
    screen.write(screen.style(HELP_FRONT, DIM))


class _Pager:
    """The answer side: the question stays at the top, and an answer longer than the screen is shown
    a page at a time (space or enter for the next page, then they answer Good)."""

    def __init__(self, session, card, screen: Screen, intervals):
        self.session, self.card, self.screen, self.intervals = session, card, screen, intervals
        self.page = 0
        self.draw()

    def _body(self) -> list[str]:
        card, screen = self.card, self.screen
        lines = []
        if card.kind == "basic":
            lines += screen.rendered(card.answer).split("\n")
        lines.append("")
        if card.extra:
            lines += screen.style(render(card.extra, screen.width, False), DIM).split("\n")
        lines += [screen.style(x, DIM) for x in textwrap.wrap(f"Source: {card.source}", screen.width)]
        return lines

    def _pages(self) -> tuple[list[str], list[list[str]]]:
        screen = self.screen
        question = screen.rendered(self.card.front() if self.card.kind == "basic" else self.card.back()).split("\n")
        body = self._body()
        room = max(3, screen.height - len(question) - 7)  # header, rules, buttons, help and a more line
        pages = [body[i:i + room] for i in range(0, len(body), room)] or [[]]
        return question, pages

    def draw(self) -> None:
        question, pages = self._pages()
        self.page = min(self.page, len(pages) - 1)
        screen = self.screen
        _header(self.session, self.card, screen, "")
        for line in question:
            screen.write(line)
        screen.write(screen.style("─" * screen.width, DIM))
        for line in pages[self.page]:
            screen.write(line)
        if len(pages) > 1:
            last = self.page == len(pages) - 1
            screen.write(screen.style(f"-- page {self.page + 1} of {len(pages)}" +
                                      ("" if last else ": space or enter for more") + " --", BOLD))
        screen.write(self._buttons())
        screen.write(screen.style("space/enter: Good   u: undo   s: bury   q: quit", DIM))

    def next(self) -> bool:
        """Show the next page; False when the last page is shown (the key then answers)."""
        _, pages = self._pages()
        if self.page >= len(pages) - 1:
            return False
        self.page += 1
        self.draw()
        return True

    def _buttons(self) -> str:
        parts = []
        for r in (AGAIN, HARD, GOOD, EASY):
            label = f"{r} {RATING_NAMES[r]}" + (f" ({format_interval(self.intervals[r])})" if self.intervals else "")
            parts.append(self.screen.style(label, BOLD + RATING_COLOURS[r]))
        return "   ".join(parts)


def _nothing_due(session, now: datetime) -> str:
    later = session.next_due_later()
    if later is None:
        later = session.next_due_after_today()
    if later is None:
        return "Nothing is due. There are no cards scheduled."
    when = datetime.fromtimestamp(later / 1000).astimezone()
    wait = format_interval(later - to_ms(now))
    return f"Nothing is due now. The next card is due {when:%a %d %b %H:%M} (in {wait})."


def _summary(session, screen: Screen, clock, practice: bool) -> None:
    s = session.summary
    minutes, seconds = divmod(int(round(s.seconds)), 60)
    screen.write(f"Reviewed {s.reviewed} card{'s' if s.reviewed != 1 else ''}, "
                 f"{s.again_percent:.0f}% Again, {minutes}:{seconds:02d} spent.")
    if not practice:
        screen.write(f"Due tomorrow: {session.due_tomorrow()}.")
        held = session.queue.held_back
        if held:
            screen.write(f"{held} sibling card{'s' if held != 1 else ''} of today's notes "
                         f"{'wait' if held != 1 else 'waits'} for a later day (one card of a note a day, as in Anki).")
        later = session.next_due_later()
        if later is not None:
            screen.write(f"A learning card is due again in {format_interval(later - to_ms(clock()))}: "
                         "run `mlsd-flash review` again then.")


def wall_clock():
    """The real clock, or one starting at MLSD_FLASH_NOW (ISO 8601) and running from there, for tests."""
    start = os.environ.get("MLSD_FLASH_NOW")
    if not start:
        return lambda: datetime.now(timezone.utc)
    origin = datetime.fromisoformat(start)
    if origin.tzinfo is None:
        origin = origin.astimezone()
    origin = origin.astimezone(timezone.utc)
    t0 = time.monotonic()
    return lambda: origin + timedelta(seconds=time.monotonic() - t0)
