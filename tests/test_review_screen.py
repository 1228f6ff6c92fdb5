"""The review screen as a learner sees it: the real command in a pseudo-terminal, its output fed to a
terminal emulator (pyte), so the tests read the screen itself, after keys, resizes and long cards."""

from __future__ import annotations

import json
import re
import time

import pexpect
import pyte

from mlsd_flash.history import open_history
from conftest import SAMPLE, ended, run, spawn, write

LONG = """
deck: Long
source: "A source line that is long enough to need wrapping on a narrow terminal, word by word, never cut"
notes:
  - id: long
    concept: Long answer
    cards:
      - id: essay
        q: What does the long answer say?
        a: |-
{lines}
    math:
"""


class Terminal:
    """A spawned command and the screen it paints, read through pyte."""

    def __init__(self, *args, rows=24, cols=80, color=False, env=None):
        self.rows, self.cols = rows, cols
        self.screen = pyte.Screen(cols, rows)
        self.stream = pyte.Stream(self.screen)
        self.child = spawn(*args, dimensions=(rows, cols), color=color, env=env)

    def pump(self):
        try:
            while True:
                self.stream.feed(self.child.read_nonblocking(65536, timeout=0.05))
        except (pexpect.TIMEOUT, pexpect.EOF):
            pass

    def wait_for(self, text: str, timeout: float = 30) -> list[str]:
        """The screen's lines once `text` is on it (waits for what the learner would see)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.pump()
            lines = [line.rstrip() for line in self.screen.display]
            if any(text in line for line in lines):
                return lines
        raise AssertionError(f"{text!r} never appeared:\n" + "\n".join(self.screen.display))

    def send(self, keys: str):
        self.child.send(keys)

    def resize(self, rows: int, cols: int):
        self.rows, self.cols = rows, cols
        self.screen.resize(rows, cols)
        self.child.setwinsize(rows, cols)


def test_space_or_enter_on_the_answer_side_answers_good(private_home):
    write(private_home / "cards" / "mine.yaml", SAMPLE)
    child = spawn("review", "--deck", "Toy")
    for _ in range(2):
        child.expect("space/enter: show answer")
        child.send(" ")
        child.expect("space/enter: Good")
        child.send("\r")
    child.expect("space/enter: show answer")
    child.send("q")
    ended(child)
    history = open_history(private_home / "history.sqlite3")
    assert [r.rating for r in history.reviews()] == [3, 3]


def test_unknown_keys_replace_one_hint_line_that_names_them(private_home):
    write(private_home / "cards" / "mine.yaml", SAMPLE)
    term = Terminal("review", "--deck", "Toy")
    term.wait_for("space/enter: show answer")
    term.send("\x1b[A")
    term.wait_for("Up is not a key here")
    term.send("x")
    term.send("\x05")
    lines = term.wait_for("Ctrl-E is not a key here")
    assert sum("is not a key here" in line for line in lines) == 1
    assert not any("\\x1b" in line or "'\x1b" in line for line in lines)
    term.send("q")


def test_rating_buttons_in_colour_unless_no_color(private_home):
    write(private_home / "cards" / "mine.yaml", SAMPLE)
    child = spawn("review", "--deck", "Toy", color=True)
    child.expect("show answer")
    child.send(" ")
    child.expect(re.escape("\x1b[1m\x1b[31m1 Again"))
    child.expect(re.escape("\x1b[1m\x1b[32m3 Good"))
    child.send("q")
    ended(child)
    plain = spawn("review", "--deck", "Toy")  # NO_COLOR set
    plain.expect("show answer")
    plain.send(" ")
    plain.expect("1 Again \\(1m\\)")
    assert "\x1b[31m" not in plain.before
    plain.send("q")
    ended(plain)


def test_a_long_card_pages_under_its_question_and_a_resize_redraws(private_home):
    body = "\n".join(f"          Paragraph line {i} of the long answer." + "\n" for i in range(40))
    write(private_home / "cards" / "long.yaml", LONG.format(lines=body).replace("    math:\n", ""))
    term = Terminal("review", "--deck", "Long", "--limit", "1", rows=20, cols=60)
    term.wait_for("What does the long answer say?")
    term.send(" ")
    lines = term.wait_for("space or enter for more")
    assert any("What does the long answer say?" in line for line in lines)
    assert any("Paragraph line 0 of" in line for line in lines)
    assert not any("Paragraph line 39" in line for line in lines)
    term.send(" ")  # the next page, the question still on top
    lines = term.wait_for("-- page 2 of")
    assert any("What does the long answer say?" in line for line in lines)
    assert not any("Paragraph line 0 of" in line for line in lines)
    term.resize(30, 40)  # narrower: redrawn, every line within 40 columns, wrapped at words
    lines = term.wait_for("─" * 40)
    assert all(len(line) <= 40 for line in lines)
    pages = 0
    while "space or enter for more" in "\n".join(term.screen.display) and pages < 20:
        term.send(" ")
        pages += 1
        term.wait_for(f"-- page {pages + 2} of")
    lines = term.wait_for("Source:")
    source = [line for line in lines if "Source:" in line or "word by word" in line or "never cut" in line]
    assert len(source) >= 2 and all(len(line) <= 40 for line in source)
    term.send(" ")  # on the last page space answers Good
    term.wait_for("Reviewed 1 card")
    history = open_history(private_home / "history.sqlite3")
    assert [r.rating for r in history.reviews()] == [3]


def test_math_reads_as_unicode(private_home):
    write(private_home / "cards" / "math.yaml", r'''
        deck: Math
        source: s
        notes:
          - id: focal
            concept: Focal loss
            cards:
              - id: formula
                q: What is the focal loss formula?
                a: '$FL = -\alpha_t (1 - p_t)^\gamma \log(p_t)$, and $\frac{a}{b}$'
    ''')
    out = run("show", "focal/formula").stdout
    child = spawn("review", "--deck", "Math")
    child.expect("show answer")
    child.send(" ")
    child.expect("αₜ \\(1 − pₜ\\)ᵞ log\\(pₜ\\)")
    child.expect("a/b")
    child.send("q")
    ended(child)
    assert "αₜ (1 − pₜ)ᵞ" in out  # `show` renders the card as the review does


def test_a_bury_keeps_the_counts_the_same_in_the_header_due_and_the_next_session(private_home):
    write(private_home / "cards" / "mine.yaml", SAMPLE)
    run("config", "new_per_day", "2")
    child = spawn("review", "--deck", "Toy")
    child.expect("new 2 · learning 0 · review 0")
    child.send("s")
    child.expect("new 1 · learning 0 · review 0")
    child.expect("Buried until tomorrow")
    child.send("q")
    ended(child)
    assert json.loads(run("due", "--deck", "Toy", "--json").stdout)["total"]["new"] == 1
    again = spawn("review", "--deck", "Toy")
    again.expect("new 1 · learning 0 · review 0")
    again.send("q")
    ended(again)


def test_the_summary_says_when_siblings_wait_for_another_day(private_home):
    write(private_home / "cards" / "mine.yaml", SAMPLE)
    result = run("review", "--deck", "Toy", input="\n3\n" * 10 + "q\n")
    assert "sibling cards of today's notes wait for a later day" in result.stdout


def test_due_tomorrow_counts_only_cards_due_tomorrow(private_home):
    from datetime import timedelta

    from test_review import T0

    write(private_home / "cards" / "mine.yaml", SAMPLE)
    run("review", "--deck", "Toy", "--limit", "2", input="\n4\n\n4\nq\n")  # two cards Easy: due in days
    later = (T0 + timedelta(days=30)).isoformat()
    result = run("review", "--deck", "Toy", "--new", "0", input="q\n", env={"MLSD_FLASH_NOW": later})
    assert "Due tomorrow: 0." in result.stdout  # both are overdue today, none falls due tomorrow
