"""A mock interview on one case: the written answer, its grading against the case's skeleton, and
the saved transcripts.

Each mark of a point is an answer to that point's card (covered as Good, partly as Hard, missed as
Again), recorded in the history like a review and marked as coming from a mock, so FSRS brings
missed points back soon. Nothing here touches the terminal; the draft and the transcripts are
plain files in the data folder, written so that a killed process loses nothing typed.
"""

from __future__ import annotations

import json
import os
import re
from datetime import datetime
from pathlib import Path
from typing import Callable, NamedTuple

from .history import History
from .scheduler import AGAIN, GOOD, HARD, Scheduler, to_ms
from .skeleton import STEP_NAMES, Skeleton

MARKS = {"c": ("covered", GOOD), "p": ("partly", HARD), "m": ("missed", AGAIN)}
MARK_SCORES = {"covered": 1.0, "partly": 0.5, "missed": 0.0}
RUBRIC = (
    ("problem", "Problem understanding"),
    ("data", "Data and features"),
    ("modelling", "Modelling"),
    ("evaluation", "Evaluation"),
    ("operations", "Serving and operations"),
    ("communication", "Communication"),
)
ORIGIN = "mock"
_HEADING = re.compile(r"^## (.+?)(?:\s+\(\d+ min\))?\s*$")


# -- the written answer --------------------------------------------------------------------------
def budgets(skeleton: Skeleton, minutes: tuple[int, ...]) -> dict[str, int]:
    """Minutes per step of this case, from the per-step setting (in framework order)."""
    per_key = dict(zip(STEP_NAMES, minutes))
    return {step.key: per_key.get(step.key, 5) for step in skeleton.steps}


def template(skeleton: Skeleton, minutes: dict[str, int]) -> str:
    """The editor's starting text: the prompt as a comment, then one heading per step."""
    lines = [f"# Mock interview: {skeleton.title}", "", *(f"> {line}" for line in skeleton.prompt.splitlines()), ""]
    for step in skeleton.steps:
        lines += [f"## {step.name} ({minutes[step.key]} min)", "", ""]
    return "\n".join(lines)


def split_answer(text: str, skeleton: Skeleton) -> dict[str, str]:
    """The learner's text under each step's heading (text before the first heading is ignored)."""
    by_name = {step.name.lower(): step.key for step in skeleton.steps}
    parts: dict[str, list[str]] = {step.key: [] for step in skeleton.steps}
    current = None
    for line in text.splitlines():
        m = _HEADING.match(line)
        if m and m.group(1).strip().lower() in by_name:
            current = by_name[m.group(1).strip().lower()]
        elif current is not None:
            parts[current].append(line)
    return {key: "\n".join(lines).strip() for key, lines in parts.items()}


class Draft:
    """The answer being written, kept in the data folder until the mock is saved: Ctrl-C, a crashed
    editor or a closed terminal never lose it, and the next `mock` of the case offers it again."""

    def __init__(self, folder: Path, case_id: str):
        self.path = folder / "mock-drafts" / f"{case_id}.md"

    def exists(self) -> bool:
        return self.path.is_file()

    def read(self) -> str:
        return self.path.read_text(encoding="utf-8", errors="replace")

    def start(self, text: str) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, self.path)

    def append(self, text: str) -> None:
        """Add typed text durably: it is on disk before the next key is read."""
        with open(self.path, "a", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())

    def discard(self) -> None:
        self.path.unlink(missing_ok=True)

    @staticmethod
    def pending(folder: Path) -> list[str]:
        """Case ids with a draft, most recent first."""
        drafts = folder / "mock-drafts"
        if not drafts.is_dir():
            return []
        files = sorted(drafts.glob("*.md"), key=lambda p: p.stat().st_mtime, reverse=True)
        return [p.stem for p in files]


# -- grading -------------------------------------------------------------------------------------
class Mark(NamedTuple):
    step: str
    card_id: str
    label: str
    mark: str  # covered, partly or missed
    review_id: int | None


class Grading:
    """Marks each point of the skeleton in order; every mark is a durable review of its card."""

    def __init__(self, skeleton: Skeleton, history: History, settings, now: Callable[[], datetime],
                 content_hashes: dict[str, str]):
        self.skeleton, self.history, self.now = skeleton, history, now
        self.scheduler = Scheduler(settings)
        self.hashes = content_hashes
        self.order = skeleton.points()
        self.marks: list[Mark] = []

    @property
    def done(self) -> bool:
        return len(self.marks) == len(self.order)

    def current(self):
        """(step, point) to mark next, or None when every point is marked."""
        return None if self.done else self.order[len(self.marks)]

    def mark(self, key: str) -> None:
        name, rating = MARKS[key]
        step, point = self.order[len(self.marks)]
        now = self.now()
        review_id = self.history.record(
            point.card_id, rating, to_ms(now), None, self.hashes.get(point.card_id),
            lambda before: self.scheduler.next_state(point.card_id, before, rating, now), origin=ORIGIN)
        self.marks.append(Mark(step.key, point.card_id, point.label, name, review_id))

    def undo(self) -> bool:
        """Take back the last mark and its review. False when nothing is marked."""
        if not self.marks:
            return False
        last = self.marks.pop()
        if last.review_id is not None:
            self.history.undo(last.review_id, self.scheduler.replay_steps)
        return True

    def scores(self) -> dict[str, float]:
        """Share of each step's points covered (partly counts half), for the steps marked so far."""
        per_step: dict[str, list[float]] = {}
        for m in self.marks:
            per_step.setdefault(m.step, []).append(MARK_SCORES[m.mark])
        return {step: sum(v) / len(v) for step, v in per_step.items()}


def total_score(marks: list[Mark] | list[dict]) -> float | None:
    values = [MARK_SCORES[m["mark"] if isinstance(m, dict) else m.mark] for m in marks]
    return sum(values) / len(values) if values else None


# -- transcripts ---------------------------------------------------------------------------------
class Transcripts:
    """Saved mocks, one JSON file each in `<data>/mocks/`, numbered from 1."""

    def __init__(self, folder: Path):
        self.folder = folder / "mocks"

    def all(self) -> list[dict]:
        if not self.folder.is_dir():
            return []
        out = []
        for path in sorted(self.folder.glob("*.json"), key=lambda p: int(p.stem) if p.stem.isdigit() else 0):
            try:
                out.append(json.loads(path.read_text(encoding="utf-8")))
            except (OSError, ValueError):
                continue  # a damaged transcript is skipped, never fatal
        return out

    def get(self, number: int) -> dict | None:
        path = self.folder / f"{number}.json"
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    def save(self, record: dict) -> int:
        self.folder.mkdir(parents=True, exist_ok=True)
        numbers = [int(p.stem) for p in self.folder.glob("*.json") if p.stem.isdigit()]
        number = max(numbers, default=0) + 1
        record = {"number": number, **record}
        tmp = self.folder / f"{number}.tmp"
        tmp.write_text(json.dumps(record, indent=2, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, self.folder / f"{number}.json")
        return number

    def last_scores(self) -> dict[str, float]:
        """Each case's score in its most recent complete mock."""
        out: dict[str, float] = {}
        for record in self.all():
            if record.get("complete") and record.get("total") is not None:
                out[record["case_id"]] = record["total"]
        return out


def record_of(skeleton: Skeleton, answer: dict[str, str], grading: Grading, rubric: dict[str, int],
              started: datetime, finished: datetime, mode: str) -> dict:
    return {
        "case_id": skeleton.case_id, "title": skeleton.title, "mode": mode,
        "started_at": started.isoformat(), "finished_at": finished.isoformat(),
        "complete": grading.done and len(rubric) == len(RUBRIC),
        "answer": answer,
        "marks": [{"step": m.step, "card_id": m.card_id, "label": m.label, "mark": m.mark} for m in grading.marks],
        "scores": grading.scores(), "total": total_score(grading.marks), "rubric": rubric,
    }


# -- which case ----------------------------------------------------------------------------------
def weakest_case(cases: dict[str, list[str]], recall: Callable[[str], float | None]) -> str:
    """The case to practise: an unseen case first (deck order), else the lowest mean predicted
    recall of its points. `recall(card_id)` is None for a card never answered."""
    scored = []
    for case_id, card_ids in cases.items():
        values = [recall(c) for c in card_ids]
        seen = [v for v in values if v is not None]
        if not seen:
            return case_id
        scored.append((sum(v or 0.0 for v in values) / len(values), case_id))
    return min(scored)[1]
