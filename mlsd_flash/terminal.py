"""The review in a terminal: one clean screen per card, single keys, and a summary at the end.

Keys are read one at a time from a terminal, or one per line when standard input is not a terminal
(so a session can be scripted). Ctrl-C, a closed terminal and end of input all mean "quit": every
answer was already committed when it was accepted.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone

from .render import BOLD, DIM, RESET, render
from .scheduler import AGAIN, EASY, GOOD, HARD, RATING_NAMES, format_interval, to_ms

HELP_FRONT = "space/enter: show answer   s: bury   u: undo   q: quit"
HELP_BACK = "1 Again   2 Hard   3 Good   4 Easy   u: undo   s: bury   q: quit"


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

    def markdown(self, text: str) -> None:
        self.write(render(text, self.width, self.color))


def run_review(session, screen: Screen, keys: Keys, clock, practice: bool = False) -> None:
    """Drive a session until it is done or the learner quits, then print the summary."""
    notice = ""
    try:
        with keys.active():
            card = session.next_card()
            while card is not None:
                shown_at = clock()
                _front(session, card, screen, notice)
                notice = ""
                key = _wait(keys, {" ", "\n", "s", "u", "q"}, screen, HELP_FRONT)
                if key in ("s", "u"):
                    notice, card = _side_action(session, key)
                    continue
                intervals = session.intervals() if getattr(session, "record", True) else None
                _back(session, card, screen, intervals)
                key = _wait(keys, {"1", "2", "3", "4", "s", "u", "q"}, screen, HELP_BACK)
                if key in ("s", "u"):
                    notice, card = _side_action(session, key)
                    continue
                seconds = max(0.0, (clock() - shown_at).total_seconds())
                session.answer(int(key), seconds)
                card = session.next_card()
    except Quit:
        screen.clear()
        screen.write("Stopped. Every answer so far is saved.")
    else:
        screen.clear()
        if session.summary.reviewed == 0 and not practice:
            screen.write(_nothing_due(session, clock()))
            return
        screen.write("Done for now." if not practice else "Practice finished.")
    _summary(session, screen, clock, practice)


def _side_action(session, key: str):
    """Bury or undo; returns the notice to show and the card to show next."""
    if key == "s":
        session.bury()
        return "Buried until tomorrow.", session.next_card()
    card = session.undo()
    if card is None:
        return "Nothing to undo.", session.current or session.next_card()
    return "Undone: the last answer was taken back.", card


def _wait(keys: Keys, allowed: set[str], screen: Screen, help_line: str) -> str:
    """The next allowed key; q and Ctrl-C quit, anything else gets a one-line hint."""
    while True:
        key = keys.read()
        if key in ("q", "\x03"):
            raise Quit
        if key in allowed:
            return key
        shown = key if key.isprintable() else repr(key)
        screen.write(screen.style(f"'{shown}' is not a key here. {help_line}", DIM))


def _header(session, card, screen: Screen, notice: str) -> None:
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


def _back(session, card, screen: Screen, intervals) -> None:
    _header(session, card, screen, "")
    screen.markdown(card.front() if card.kind == "basic" else card.back())
    screen.write(screen.style("─" * screen.width, DIM))
    if card.kind == "basic":
        screen.markdown(card.answer)
    screen.write()
    if card.extra:
        screen.write(screen.style(render(card.extra, screen.width, False), DIM))
    screen.write(screen.style(f"Source: {card.source}", DIM))
    screen.write()
    if intervals is None:
        buttons = "   ".join(f"{r} {RATING_NAMES[r]}" for r in (AGAIN, HARD, GOOD, EASY))
    else:
        buttons = "   ".join(f"{r} {RATING_NAMES[r]} ({format_interval(intervals[r])})"
                             for r in (AGAIN, HARD, GOOD, EASY))
    screen.write(screen.style(buttons, BOLD))
    screen.write(screen.style("u: undo   s: bury   q: quit", DIM))


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
