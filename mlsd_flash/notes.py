"""Concept notes: the YAML schema, loading, and validation errors that point at `file:line:column`.

The YAML is composed into nodes by PyYAML's C parser and read against the schema directly from the
nodes, so every value keeps its position and only plain, safe YAML is accepted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from . import plainyaml
from .cloze import CLOZE
from .problems import Problem


SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")

CONCEPT_FACETS = ("definition", "why", "when", "how", "pros", "cons", "pitfalls", "example", "formula")
CASE_FACETS = (
    "framing", "data", "labels", "features", "model",
    "offline_metrics", "online_metrics", "serving", "pitfalls",
)
PRIORITIES = ("core", "extended")
FILE_KEYS = ("deck", "tags", "source", "priority", "notes")
COMMON_NOTE_KEYS = ("id", "deck", "tags", "source", "priority", "cards", "cloze", "override")
CONCEPT_KEYS = frozenset(COMMON_NOTE_KEYS + ("concept", "reverse", "vs") + CONCEPT_FACETS)
CASE_KEYS = frozenset(COMMON_NOTE_KEYS + ("case", "prompt", "deep_dives") + CASE_FACETS)
POINT_KEYS = ("id", "label", "q", "a", "why", "extra", "source")
DIVE_KEYS = ("id", "q", "a", "why", "extra", "source")
FACET_VALUE_KEYS = ("a", "q", "extra", "source")
VS_KEYS = ("id", "other", "a", "q", "extra", "source")
CARD_KEYS = ("id", "q", "a", "extra", "source")
CLOZE_KEYS = ("id", "text", "extra", "source")

MAX_FILE_BYTES = 4_000_000  # a card file of a few thousand cards is under 1 MB
MAX_REFERENCES = 200_000  # values in a file, counting each use of an alias
MAX_DELETIONS = 50  # deletions in one cloze
_STR = "tag:yaml.org,2002:str"
_NULL = "tag:yaml.org,2002:null"
_BOOL = "tag:yaml.org,2002:bool"
_PLAIN_SCALARS = frozenset({_STR, _NULL, _BOOL, "tag:yaml.org,2002:int", "tag:yaml.org,2002:float"})


@dataclass
class Entry:
    """One card's text as written: a facet, a comparison, a free-form card or a cloze."""

    kind: str  # "facet", "point", "dive", "vs", "card" or "cloze"
    key: str  # the facet name or the local id
    answer: str  # the answer (for a cloze: its text)
    line: int
    question: str | None = None
    extra: str = ""
    source: str | None = None
    other: str | None = None  # the compared concept, for "vs"
    step: str = ""  # the case step a point belongs to
    label: str = ""  # a point's checklist line


@dataclass
class Note:
    """A concept or case note, after validation."""

    id: str
    kind: str  # "concept" or "case"
    title: str
    deck: str
    tags: tuple[str, ...]
    source: str
    path: str
    line: int
    column: int = 1
    reverse: bool = False
    entries: list[Entry] = field(default_factory=list)
    override: bool = False  # replaces the note with the same id elsewhere (a personal copy of a built-in)
    priority: str = "core"  # "core" or "extended": which new cards a learner short of time meets first
    prompt: str = ""  # a case's problem statement, as an interviewer would say it


class _Reader:
    """Reads one file's node tree against the schema, collecting problems instead of stopping."""

    def __init__(self, path: str):
        self.path = path
        self.problems: list[Problem] = []

    def problem(self, node: yaml.Node, message: str) -> None:
        mark = node.start_mark
        self.problems.append(Problem(self.path, mark.line + 1, mark.column + 1, message))

    def check_tags(self, node: yaml.Node) -> bool:
        """Refuse anything but plain YAML (no `!!python/object`, timestamps are read as text), and
        aliases that expand too far: each node is checked once, and every reference is counted, so a
        self-referencing alias or a "billion laughs" file is a problem, never a hang."""
        ok = True
        stack = [node]
        seen: set[int] = set()
        references = 0
        while stack:
            n = stack.pop()
            references += 1
            if references > MAX_REFERENCES:
                self.problem(node, f"the file's aliases expand to more than {MAX_REFERENCES} values; "
                                   "write the notes out instead")
                return False
            if id(n) in seen:
                continue
            seen.add(id(n))
            if isinstance(n, yaml.ScalarNode):
                if n.tag not in _PLAIN_SCALARS and n.tag != "tag:yaml.org,2002:timestamp":
                    self.problem(n, f"unsupported YAML tag {_short(n.tag)}: only plain YAML is read")
                    ok = False
            elif isinstance(n, yaml.SequenceNode):
                if n.tag != "tag:yaml.org,2002:seq":
                    self.problem(n, f"unsupported YAML tag {_short(n.tag)}: only plain YAML is read")
                    ok = False
                stack.extend(n.value)
            else:
                if n.tag != "tag:yaml.org,2002:map":
                    self.problem(n, f"unsupported YAML tag {_short(n.tag)}: only plain YAML is read")
                    ok = False
                for k, v in n.value:
                    stack.append(k)
                    stack.append(v)
        return ok

    def mapping(self, node: yaml.Node, what: str, allowed) -> dict[str, tuple[yaml.Node, yaml.Node]] | None:
        if not isinstance(node, yaml.MappingNode):
            self.problem(node, f"{what} must be a mapping of keys to values, not {_kind(node)}")
            return None
        out: dict[str, tuple[yaml.Node, yaml.Node]] = {}
        for knode, vnode in node.value:
            key = knode.value if isinstance(knode, yaml.ScalarNode) else None
            if not isinstance(key, str) or knode.tag == _NULL:
                self.problem(knode, f"{what} has a key that is not a name")
            elif key in out:
                self.problem(knode, f"{what} has the key '{key}' twice")
            elif key not in allowed:
                self.problem(knode, f"unknown key '{key}' in {what}{_did_you_mean(key, allowed)}")
            else:
                out[key] = (knode, vnode)
        return out

    def text(self, fields, key: str, what: str) -> str | None:
        if key not in fields:
            return None
        knode, node = fields[key]
        if not isinstance(node, yaml.ScalarNode):
            self.problem(node, f"'{key}' in {what} must be text, not {_kind(node)}")
            return None
        value = "" if node.tag == _NULL else visible(node.value.strip())
        if not value:
            self.problem(node if node.tag != _NULL else knode, f"'{key}' in {what} is empty")
            return None
        return value

    def required_text(self, fields, key: str, what: str, anchor: yaml.Node) -> str | None:
        if key not in fields:
            self.problem(anchor, f"{what} is missing '{key}'")
            return None
        return self.text(fields, key, what)

    def slug(self, fields, key: str, what: str, anchor: yaml.Node, also: str = "") -> str | None:
        """A slug id; `also` is one more id allowed (a point may take its step's name, which is the
        id the step's single card had before cases were skeletons, so its history carries over)."""
        value = self.required_text(fields, key, what, anchor)
        if value is not None and not SLUG.match(value) and value != also:
            self.problem(fields[key][1], f"id '{value}' in {what} is not a slug (use a-z, 0-9 and single dashes)")
            return None
        return value

    def flag(self, fields, key: str, what: str) -> bool:
        """A true/false key; anything else is a problem (and counts as false)."""
        if key not in fields:
            return False
        node = fields[key][1]
        if node.tag != _BOOL:
            self.problem(node, f"'{key}' in {what} must be true or false")
            return False
        return node.value.lower() in ("true", "yes", "on", "y")

    def tags(self, fields, what: str) -> tuple[str, ...]:
        if "tags" not in fields:
            return ()
        node = fields["tags"][1]
        items = node.value if isinstance(node, yaml.SequenceNode) else [node]
        tags = []
        for item in items:
            if not isinstance(item, yaml.ScalarNode) or item.tag == _NULL or not item.value.strip():
                self.problem(item, f"each tag in {what} must be a non-empty word")
            elif any(ch.isspace() for ch in item.value.strip()):
                self.problem(item, f"tag '{item.value}' in {what} contains a space")
            else:
                tags.append(item.value.strip())
        return tuple(tags)

    def priority(self, fields, what: str) -> str | None:
        value = self.text(fields, "priority", what)
        if value is not None and value not in PRIORITIES:
            self.problem(fields["priority"][1], f"'priority' in {what} must be core or extended, not '{value}'")
            return None
        return value

    def seq(self, fields, key: str, what: str) -> list[yaml.Node]:
        if key not in fields:
            return []
        node = fields[key][1]
        if not isinstance(node, yaml.SequenceNode):
            self.problem(node, f"'{key}' in {what} must be a list, not {_kind(node)}")
            return []
        return node.value


def parse_file(path: Path | str, display: str | None = None) -> tuple[list[Note], list[Problem]]:
    """Read one YAML file of notes. Returns the valid notes and every problem found."""
    shown = display or str(path)
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        return [], [Problem(shown, 1, 1, f"cannot read file: {exc.strerror or exc}")]
    return parse_bytes(raw, shown)


def parse_bytes(raw: bytes, path: str) -> tuple[list[Note], list[Problem]]:
    reader = _Reader(path)
    if len(raw) > MAX_FILE_BYTES:
        return [], [Problem(path, 1, 1, f"file is {len(raw) / 1e6:.1f} MB; a card file may hold at most "
                                        f"{MAX_FILE_BYTES / 1e6:.0f} MB (split it)")]
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        before = raw[: exc.start]
        line = before.count(b"\n") + 1
        column = exc.start - (before.rfind(b"\n") + 1) + 1
        return [], [Problem(path, line, column, f"file is not UTF-8 (byte 0x{raw[exc.start]:02x})")]
    try:
        root = plainyaml.compose(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        message = " ".join(str(x) for x in (exc.context, exc.problem) if x)
        return [], [Problem(path, line, column, f"YAML syntax error: {message}")]
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow, at a character position
        line = text.count("\n", 0, exc.position) + 1
        column = exc.position - (text.rfind("\n", 0, exc.position) + 1) + 1
        return [], [Problem(path, line, column, f"YAML does not allow the character {exc.character!r} here "
                                                f"(control characters must be written as escapes in quotes)")]
    except yaml.YAMLError as exc:
        return [], [Problem(path, 1, 1, "YAML error: " + " ".join(str(exc).split()))]
    if root is None:
        return [], [Problem(path, 1, 1, "file is empty: expected 'deck', 'source' and a list of 'notes'")]
    if not reader.check_tags(root):
        return [], reader.problems
    notes = _read_file(reader, root)
    return notes, reader.problems


def _read_file(r: _Reader, root: yaml.Node) -> list[Note]:
    fields = r.mapping(root, "the file", FILE_KEYS)
    if fields is None:
        return []
    deck = r.text(fields, "deck", "the file")
    source = r.text(fields, "source", "the file")
    tags = r.tags(fields, "the file")
    priority = r.priority(fields, "the file") or "core"
    if "notes" not in fields:
        r.problem(root, "the file has no 'notes' list")
        return []
    notes = []
    for node in r.seq(fields, "notes", "the file"):
        note = _read_note(r, node, deck, source, tags, priority)
        if note is not None:
            notes.append(note)
    return notes


def _read_note(r: _Reader, node: yaml.Node, deck, source, file_tags, file_priority="core") -> Note | None:
    if not isinstance(node, yaml.MappingNode):
        r.problem(node, f"each note must be a mapping with 'id' and 'concept' or 'case', not {_kind(node)}")
        return None
    keys = {k.value for k, _ in node.value if isinstance(k, yaml.ScalarNode)}
    if "case" in keys and "concept" in keys:
        r.problem(node, "a note has either 'concept' or 'case', not both")
        return None
    kind = "case" if "case" in keys else "concept"
    allowed = CASE_KEYS if kind == "case" else CONCEPT_KEYS
    fields = r.mapping(node, f"a {kind} note", allowed)
    if fields is None:
        return None
    note_id = r.slug(fields, "id", f"a {kind} note", node)
    what = f"note '{note_id}'" if note_id else f"a {kind} note"
    if kind == "concept" and "concept" not in fields:
        r.problem(node, f"{what} is missing 'concept' (the term) or 'case' (an interview case)")
        title = None
    else:
        title = r.text(fields, kind, what)
    note_deck = r.text(fields, "deck", what) or deck
    note_source = r.text(fields, "source", what) or source
    tags = file_tags + tuple(t for t in r.tags(fields, what) if t not in file_tags)
    if note_deck is None and "deck" not in fields:
        r.problem(node, f"{what} has no 'deck' (set it on the note or at the top of the file)")
    reverse = r.flag(fields, "reverse", what)
    override = r.flag(fields, "override", what)
    priority = r.priority(fields, what) or file_priority
    prompt = r.text(fields, "prompt", what) or ""
    entries: list[Entry] = []
    local_ids: dict[str, yaml.Node] = {}
    for facet in CASE_FACETS if kind == "case" else CONCEPT_FACETS:
        if facet not in fields:
            continue
        if kind == "case" and isinstance(fields[facet][1], yaml.SequenceNode):
            for item in fields[facet][1].value:  # a skeleton step: its points
                entries.extend(_read_item(r, item, "point", POINT_KEYS, what, local_ids, step=facet))
            continue
        entry = _read_facet(r, fields[facet], facet, what)
        if entry is not None:
            entries.append(entry)
    if reverse and not any(e.key == "definition" for e in entries):
        r.problem(fields["reverse"][1], f"'reverse' in {what} needs a 'definition'")
        reverse = False
    for item in r.seq(fields, "deep_dives", what):
        entries.extend(_read_item(r, item, "dive", DIVE_KEYS, what, local_ids))
    for item in r.seq(fields, "vs", what):
        entries.extend(_read_item(r, item, "vs", VS_KEYS, what, local_ids))
    for item in r.seq(fields, "cards", what):
        entries.extend(_read_item(r, item, "card", CARD_KEYS, what, local_ids))
    for item in r.seq(fields, "cloze", what):
        entries.extend(_read_item(r, item, "cloze", CLOZE_KEYS, what, local_ids))
    card_keys = set(CASE_FACETS + CONCEPT_FACETS + ("vs", "cards", "cloze", "deep_dives"))
    if not entries and note_id and not card_keys & set(fields):  # (a broken entry was reported already)
        r.problem(node, f"{what} has no cards: give it a facet, 'cards' or 'cloze'")
    if not (note_id and title and note_deck):
        return None
    return Note(
        id=note_id, kind=kind, title=title, deck=note_deck, tags=tags, source=note_source or "",
        path=r.path, line=node.start_mark.line + 1, column=node.start_mark.column + 1, reverse=reverse, entries=entries,
        override=override, priority=priority, prompt=prompt,
    )


def _read_facet(r: _Reader, pair, facet: str, what: str) -> Entry | None:
    knode, node = pair
    where = f"'{facet}' of {what}"
    if isinstance(node, yaml.MappingNode):
        fields = r.mapping(node, where, FACET_VALUE_KEYS)
        if fields is None:
            return None
        answer = r.required_text(fields, "a", where, node)
        if answer is None:
            return None
        return Entry(
            "facet", facet, answer, knode.start_mark.line + 1,
            question=r.text(fields, "q", where), extra=r.text(fields, "extra", where) or "",
            source=r.text(fields, "source", where),
        )
    answer = r.text({facet: pair}, facet, what)
    if answer is None:
        return None
    return Entry("facet", facet, answer, knode.start_mark.line + 1)


def _read_item(r: _Reader, node, kind: str, allowed, what: str, local_ids, step: str = "") -> list[Entry]:
    label = {"vs": "a 'vs' entry", "card": "a card", "cloze": "a cloze", "point": f"a point of '{step}'",
             "dive": "a deep dive"}[kind]
    fields = r.mapping(node, f"{label} of {what}", allowed)
    if fields is None:
        return []
    local = r.slug(fields, "id", f"{label} of {what}", node, also=step)
    where = f"{kind} '{local}' of {what}" if local else f"{label} of {what}"
    if local is not None:
        if local in local_ids:
            first = local_ids[local].start_mark
            r.problem(fields["id"][1], f"duplicate id '{local}' in {what} (first at line {first.line + 1})")
            local = None
        else:
            local_ids[local] = fields["id"][1]
    extra = r.text(fields, "extra", where) or ""
    source = r.text(fields, "source", where)
    line = node.start_mark.line + 1
    if kind == "vs":
        other = r.required_text(fields, "other", where, node)
        answer = r.required_text(fields, "a", where, node)
        if local and other and answer:
            return [Entry("vs", local, answer, line, r.text(fields, "q", where), extra, source, other)]
    elif kind in ("card", "point", "dive"):
        question = r.required_text(fields, "q", where, node)
        answer = r.required_text(fields, "a", where, node)
        point_label = r.required_text(fields, "label", where, node) if kind == "point" else ""
        why = r.text(fields, "why", where) if kind != "card" else None
        if why:
            extra = f"Why: {why}" + (f"\n\n{extra}" if extra else "")
        if local and question and answer and point_label is not None:
            return [Entry(kind, local, answer, line, question, extra, source, step=step, label=point_label)]
    else:
        text = r.required_text(fields, "text", where, node)
        if text is not None and _check_cloze(r, fields["text"][1], text, where) and local:
            return [Entry("cloze", local, text, line, None, extra, source)]
    return []


def _check_cloze(r: _Reader, node: yaml.Node, text: str, where: str) -> bool:
    deletions = list(CLOZE.finditer(text))
    rest = CLOZE.sub("", text)
    if "{{" in rest or "}}" in rest:
        r.problem(node, f"{where} has a malformed deletion: write {{{{c1::answer}}}} or {{{{c1::answer::hint}}}}")
        return False
    if not deletions:
        r.problem(node, f"{where} has no deletion: write {{{{c1::answer}}}}")
        return False
    if len({m.group(1) for m in deletions}) > MAX_DELETIONS:
        r.problem(node, f"{where} has more than {MAX_DELETIONS} deletions; split it into several clozes")
        return False
    for m in deletions:
        if int(m.group(1)) < 1 or not m.group(2).strip():
            r.problem(node, f"{where} has an empty or zero-numbered deletion '{m.group(0)}'")
            return False
    return True


_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def visible(text: str) -> str:
    """Card text with control characters shown, not obeyed: an escape sequence written in a YAML
    string (a clipboard write, a title change) reaches no terminal as a sequence. C0 controls become
    their Unicode pictures (ESC is ␛), DEL and C1 controls their code."""
    if not _CONTROLS.search(text):
        return text
    return _CONTROLS.sub(lambda m: chr(0x2400 + ord(m.group())) if ord(m.group()) < 0x20 else
                         f"\\x{ord(m.group()):02x}", text)


def _short(tag: str) -> str:
    return "!!" + tag[len("tag:yaml.org,2002:"):] if tag.startswith("tag:yaml.org,2002:") else tag


def _kind(node: yaml.Node) -> str:
    if isinstance(node, yaml.MappingNode):
        return "a mapping"
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    return "empty" if node.tag == _NULL else f"'{node.value}'"


def _did_you_mean(key: str, allowed) -> str:
    import difflib

    close = difflib.get_close_matches(key, sorted(allowed), n=1, cutoff=0.7)
    return f" (did you mean '{close[0]}'?)" if close else ""
