"""Personal notes: new note ids, the text of a new note, and appending it to a card file safely.

A note is appended as text: the rest of the file (comments, quoting, order) is kept byte for byte,
never round-tripped through a YAML dumper. The would-be file is validated with the real parser
before anything is written, and the write is atomic (a temporary file in the same folder, fsync,
`os.replace`), so an interrupted or refused add leaves the file exactly as it was.
"""

from __future__ import annotations

import hashlib
import contextlib
import os
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Iterable

import yaml

from . import plainyaml
from .cards import note_of
from .cloze import CLOZE
from .notes import FILE_KEYS, Note, parse_bytes
from .problems import Problem

if TYPE_CHECKING:
    from .cards import Cards
    from .deck import Deck

DEFAULT_DECK = "Personal"
PERSONAL_HEADER = """\
# Your own mlsd-flash cards. Edit freely: `mlsd-flash add` appends notes and keeps everything else,
# comments included. The format is described in docs/cards.md; `mlsd-flash check` validates it.
deck: Personal
source: Personal notes
notes:
"""
_STOPWORDS = frozenset("a an the of to in on for and or is are do does what why how when which".split())


class AddError(Exception):
    """A note that cannot be added; `problems` (if any) point into the text that was offered."""

    def __init__(self, message: str, problems: list[Problem] | None = None, first_line: int = 0, indent: int = 0):
        super().__init__(message)
        self.problems = problems or []
        self.first_line = first_line  # where the appended text starts in the would-be file (0: unknown)
        self.indent = indent  # columns added in front of each appended line


# ---------------------------------------------------------------------------------------------
# Ids


def slugify(text: str, max_words: int = 6, max_len: int = 40) -> str:
    """A readable slug of a question: ASCII words, dropping leading filler ("What is the ...")."""
    text = CLOZE.sub(lambda m: m.group(2), text)
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    words = re.findall(r"[a-z0-9]+", ascii_text)
    while len(words) > 1 and words[0] in _STOPWORDS:
        words.pop(0)
    out: list[str] = []
    for word in words[:max_words]:
        if len("-".join(out + [word])) > max_len:
            break
        out.append(word)
    return "-".join(out) or (words[0][:max_len] if words else "")


def new_note_id(text: str, taken: Iterable[str]) -> str:
    """A slug of `text` not in `taken`, with a short numeric suffix when needed (`-2`, `-3`, ...)."""
    taken = set(taken)
    base = slugify(text) or "card-" + hashlib.blake2b(text.encode(), digest_size=2).hexdigest()
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


def note_ids_with_history(card_ids: Iterable[str]) -> set[str]:
    """The note ids behind card ids in the history: reusing one would inherit an old card's reviews."""
    return {note_of(cid) for cid in card_ids}


# ---------------------------------------------------------------------------------------------
# The text of a new note


class _Dumper(yaml.SafeDumper):
    def increase_indent(self, flow=False, indentless=False):  # indent lists under their key
        return super().increase_indent(flow, False)


class _Flow(list):
    """A list written on one line, `[a, b]` (tags)."""


def _str(dumper: yaml.SafeDumper, value: str):
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)
_Dumper.add_representer(_Flow, lambda d, v: d.represent_sequence("tag:yaml.org,2002:seq", v, flow_style=True))


def note_text(note: dict) -> str:
    """One note as YAML text, a mapping at column 0 (keys in the order given)."""
    return yaml.dump(note, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100,
                     default_flow_style=False)


def basic_note(note_id: str, question: str, answer: str, deck: str, tags: list[str],
               extra: str = "", source: str = "") -> dict:
    return _one_card_note(note_id, _title(question), deck, tags, source, "cards",
                          {"id": "card", "q": question, "a": answer}, extra)


def cloze_note(note_id: str, text: str, deck: str, tags: list[str], extra: str = "", source: str = "") -> dict:
    return _one_card_note(note_id, _title(CLOZE.sub("[...]", text)), deck, tags, source, "cloze",
                          {"id": "cloze", "text": text}, extra)


def _one_card_note(note_id: str, title: str, deck: str, tags: list[str], source: str, key: str, card: dict,
                   extra: str) -> dict:
    """A concept note holding one card under `key` ("cards" or "cloze"), optional fields left out."""
    if extra:
        card["extra"] = extra
    note = {"id": note_id, "concept": title, "deck": deck}
    if tags:
        note["tags"] = _Flow(tags)
    if source:
        note["source"] = source
    note[key] = [card]
    return note


def _title(text: str, limit: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3].rsplit(" ", 1)[0] + "..."


def parse_tags(text: str | Iterable[str]) -> list[str]:
    """Tags from the prompt's `a b, c` (one string), or from repeated --tag options (a list, each
    item a tag or a few separated by commas). A tag is one word: one with a space is an AddError,
    since splitting it would quietly make two tags."""
    if isinstance(text, str):
        items = re.split(r"[\s,]+", text)
    else:
        items = [part for item in text for part in item.split(",")]
    tags: list[str] = []
    for tag in (item.strip() for item in items):
        if any(c.isspace() for c in tag):
            raise AddError(f"tag '{tag}' has a space; a tag is one word (use - or _, or repeat --tag)")
        if tag and tag not in tags:
            tags.append(tag)
    return tags


def deck_problem(name: str) -> str | None:
    """Why `name` is not a deck path such as 'Data::Sampling', or None when it is one."""
    parts = [part.strip() for part in name.split("::")]
    if not name.strip():
        return "the deck name is empty"
    if any(not part or part.startswith(":") or part.endswith(":") for part in parts):
        return f"'{name}' is not a deck path: names joined by '::', none of them empty, e.g. Data::Sampling"
    return None


# ---------------------------------------------------------------------------------------------
# Appending to a file


@dataclass
class Planned:
    """The would-be content of a card file with new notes appended, and where they went."""

    path: Path  # the real file written (symbolic links followed)
    old: bytes | None  # None when the file does not exist yet
    new: bytes
    first_line: int  # 1-based line of the first appended line in `new`
    indent: int  # columns added in front of each appended line (after the first's "- ")
    notes: list[Note]  # the appended notes, as parsed from `new`


def plan_append(path: Path, snippets: list[str], display: str | None = None) -> Planned:
    """Work out the file with `snippets` (notes as YAML mappings at column 0) appended to its
    `notes` list, and validate it. Raises AddError with the problems of the appended notes (lines
    of the would-be file; `first_line` and `indent` map them back onto a snippet)."""
    path = Path(path)
    real = Path(os.path.realpath(path))
    shown = display or str(path)
    try:
        old: bytes | None = real.read_bytes()
    except FileNotFoundError:
        old = None
    except OSError as exc:
        raise AddError(f"cannot read {shown}: {exc.strerror or exc}") from None
    if old is None:
        prefix, suffix, dash_col = PERSONAL_HEADER.encode(), b"", 2
    else:
        prefix, suffix, dash_col = _split_for_append(old, shown)
    body = "".join(_as_item(s, dash_col) for s in snippets).encode("utf-8")
    new = prefix + body + suffix
    first_line = prefix.count(b"\n") + 1
    appended_lines = body.count(b"\n")
    last_line = first_line + appended_lines - 1
    notes, problems = parse_bytes(new, shown)
    old_count = len(parse_bytes(old, shown)[1]) if old is not None else 0
    own = [p for p in problems if first_line <= p.line <= last_line]
    if own or len(problems) > old_count:
        if not own:
            own = problems
        raise AddError(f"the new note is not valid ({len(own)} problem{'s' if len(own) != 1 else ''})", own,
                       first_line, dash_col + 2)
    added = [n for n in notes if first_line <= n.line <= last_line]
    return Planned(real, old, new, first_line, dash_col + 2, added)


def _as_item(snippet: str, dash_col: int) -> str:
    """A note mapping (column 0) as an item of a block list whose dashes are at `dash_col`."""
    lines = snippet.rstrip("\n").split("\n")
    pad = " " * dash_col
    out = [pad + "- " + lines[0]]
    out += [(pad + "  " + line) if line.strip() else "" for line in lines[1:]]
    return "\n".join(out) + "\n"


def _split_for_append(old: bytes, shown: str) -> tuple[bytes, bytes, int]:
    """(text before the insertion point, text after it, column of the notes' dashes)."""
    try:
        text = old.decode("utf-8-sig")
        plainyaml.compose(text)  # bounded first: deep nesting is an error, not a RecursionError
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except (UnicodeDecodeError, yaml.YAMLError):
        problems = parse_bytes(old, shown)[1]
        raise AddError(f"{shown} cannot be read as YAML; fix it first (mlsd-flash check)", problems[:1]) from None
    if root is None:  # only comments or blank lines: start the file's structure below them
        head = old if not old or old.endswith(b"\n") else old + b"\n"
        return head + PERSONAL_HEADER.encode(), b"", 2
    if not isinstance(root, yaml.MappingNode):
        raise AddError(f"{shown} is not a card file (expected 'deck', 'source' and 'notes'); fix it first")
    foreign = [k.value for k, _ in root.value if not (isinstance(k, yaml.ScalarNode) and k.value in FILE_KEYS)]
    if foreign:
        raise AddError(f"{shown} is not a card file (it has '{foreign[0]}'; a card file has 'deck', 'source' "
                       "and 'notes'); nothing was added")
    bom = len(old) - len(old.lstrip(b"\xef\xbb\xbf")) if old.startswith(b"\xef\xbb\xbf") else 0
    pairs = root.value
    for i, (key, value) in enumerate(pairs):
        if isinstance(key, yaml.ScalarNode) and key.value == "notes":
            if isinstance(value, yaml.SequenceNode) and not value.flow_style and value.value:
                dash_col = value.start_mark.column
            elif isinstance(value, yaml.ScalarNode) and value.tag.endswith(":null") and value.value == "":
                dash_col = key.start_mark.column + 2
            else:
                raise AddError(f"{shown}:{value.start_mark.line + 1}: 'notes' is not a block list of notes; "
                               "add the note by hand")
            if i + 1 < len(pairs):  # insert before the line of the next top-level key
                cut = _line_start(text, pairs[i + 1][0].start_mark.index)
            else:
                cut = len(text)
            before, after = text[:cut], text[cut:]
            if before and not before.endswith("\n"):
                before += "\n"
            return old[:bom] + before.encode("utf-8"), after.encode("utf-8"), dash_col
    before = text if text.endswith("\n") else text + "\n"
    return old[:bom] + (before + "notes:\n").encode("utf-8"), b"", 2


def _line_start(text: str, index: int) -> int:
    return text.rfind("\n", 0, index) + 1


def write_atomic(path: Path, data: bytes) -> None:
    """Replace `path` with `data`: a temporary file in the same folder, fsync, then `os.replace`.
    Interrupted at any point, the file is either as it was or completely new."""
    path = Path(os.path.realpath(path))
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        mode = path.stat().st_mode & 0o7777
    except FileNotFoundError:
        mode = None
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        try:
            tmp.unlink()
        except OSError:
            pass
        raise
    try:  # make the rename itself durable
        fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError:
        pass


@contextlib.contextmanager
def locked(path: Path):
    """Hold an exclusive lock on a card file across reading, checking and writing it, so two `add`s at
    once both land (the second waits). The lock is a sidecar file: the card file itself is replaced."""
    real = Path(os.path.realpath(path))
    real.parent.mkdir(parents=True, exist_ok=True)
    try:
        import fcntl
    except ImportError:  # pragma: no cover - no advisory locks on this platform
        yield
        return
    with open(real.with_name(f".{real.name}.lock"), "a") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def commit(plan: Planned) -> None:
    """Write a planned append, unless the file changed since it was planned."""
    try:
        current: bytes | None = plan.path.read_bytes()
    except FileNotFoundError:
        current = None
    if current != plan.old:
        raise AddError(f"{plan.path} changed while the note was being added; nothing was written, try again")
    write_atomic(plan.path, plan.new)


# ---------------------------------------------------------------------------------------------
# The editor template for `add --edit`

TEMPLATE_HELP = (
    "# New mlsd-flash note: fill in the concept and the facets you know, save, and quit.",
    "# Uncomment (delete the leading '# ') each facet you want; each one becomes a card.",
    "# Answers are Markdown. Leave 'id' empty to make one from the concept.",
    "# Lines starting with '# ' are dropped; delete everything to cancel. Format: docs/cards.md",
)
TEMPLATE_BODY = """\
id:
concept:
deck: {deck}
# tags: [interview]
# source: Where the facts come from
definition:
# reverse: true
# why: Why it matters.
# when: When you would use it.
# how: How it works.
# pros: Its main advantage.
# cons: Its main drawback.
# pitfalls: What goes wrong in practice.
# example: An example.
# formula: $...$
# vs:
#   - id: other-thing
#     other: Other thing
#     a: How they differ.
# cards:
#   - id: my-question
#     q: A question of your own?
#     a: Its answer.
# cloze:
#   - id: fact
#     text: A sentence with a {{{{c1::hidden part}}}}.
"""
ERROR_PREFIX = "# error: "


def template(deck: str = DEFAULT_DECK) -> str:
    return "\n".join(TEMPLATE_HELP) + "\n" + TEMPLATE_BODY.format(deck=deck)


def template_comment_lines(deck: str = DEFAULT_DECK) -> set[str]:
    return {line for line in template(deck).split("\n") if line.startswith("#")}


def clean_draft(text: str, deck: str = DEFAULT_DECK) -> tuple[str, list[int]]:
    """The draft without the template's comments and error lines, and for each kept line its line
    number in the draft (so problems can point at what the user sees)."""
    drop = template_comment_lines(deck) | template_comment_lines(DEFAULT_DECK)
    kept: list[tuple[int, str]] = []
    for number, line in enumerate(text.replace("\r\n", "\n").split("\n"), 1):
        if line.rstrip() in drop or line.startswith(ERROR_PREFIX):
            continue
        kept.append((number, line))
    while kept and not kept[-1][1].strip():
        kept.pop()
    while kept and not kept[0][1].strip():
        kept.pop(0)
    return "\n".join(line for _, line in kept) + ("\n" if kept else ""), [n for n, _ in kept]


def fill_missing_id(snippet: str, taken: Iterable[str]) -> str:
    """Give a draft whose `id:` is empty an id made from its concept (the line count is kept)."""
    match = re.search(r"(?m)^id:[ \t]*(#.*)?$", snippet)
    if not match:
        return snippet
    concept = re.search(r"(?m)^concept:[ \t]*(.+?)[ \t]*$", snippet)
    if not concept or not concept.group(1).strip() or concept.group(1).startswith("#"):
        return snippet
    try:
        value = plainyaml.load(concept.group(1))
    except yaml.YAMLError:
        return snippet
    if not isinstance(value, str) or not value.strip():
        return snippet
    note_id = new_note_id(value, taken)
    return snippet[: match.start()] + f"id: {note_id}" + snippet[match.end():]


def draft_problems(problems: list[Problem], plan_first_line: int, line_map: list[int], display: str,
                   indent: int) -> list[Problem]:
    """Problems of the appended draft, moved back onto the lines and columns of the draft file."""
    out = []
    for p in problems:
        k = p.line - plan_first_line
        if 0 <= k < len(line_map):
            out.append(Problem(display, line_map[k], max(1, p.column - indent), p.message))
        elif k >= len(line_map) and line_map:  # found after the draft (an unclosed quote or bracket): its end
            out.append(Problem(display, line_map[-1], 1, p.message))
        else:
            out.append(p)
    return out


# ---------------------------------------------------------------------------------------------
# Where a new note goes: its deck, and ids already taken


def known_deck(cards: Cards, name: str) -> str:
    """A deck name as already spelled in the deck (case-insensitive match), else as typed."""
    name = "::".join(part.strip() for part in name.strip().strip(":").split("::"))
    return next((deck for deck in dict.fromkeys(cards.decks) if deck.lower() == name.lower()), name)


def deck_suggestions(cards: Cards) -> str:
    """The learner's own decks and the built-in deck's areas, to help choose where a card goes."""
    from .deck import builtin_cards_dir

    builtin = os.path.realpath(builtin_cards_dir()) + os.sep
    own, areas = [], []
    for card in cards:
        if os.path.realpath(card.path).startswith(builtin):
            area = card.deck.split("::")[0]
            if area not in areas:
                areas.append(area)
        elif card.deck not in own:
            own.append(card.deck)
    text = f"Your decks: {', '.join(own)}. " if own else ""
    return text + f"Built-in decks: {', '.join(areas)} (use '::' for levels, e.g. Data::Sampling)."


def id_clashes(deck: Deck, plan: Planned, shown: str, line_map: list[int]) -> list[Problem]:
    """New notes whose id is already used elsewhere in the deck (unless they say `override: true`),
    located in the draft `shown` through `line_map`."""
    problems = []
    for note in plan.notes:
        used = [] if note.override else deck.note_cards(note.id)
        if used:
            k = note.line - plan.first_line
            line = line_map[k] if 0 <= k < len(line_map) else note.line
            problems.append(Problem(shown, line, 1, f"note id '{note.id}' is already used at {used[0].path}:"
                                    f"{used[0].line}; choose another id (or add 'override: true' to replace it)"))
    return problems


def is_installed_builtin(path: Path) -> bool:
    """Whether `path` belongs to an installed copy of the deck, which an upgrade replaces."""
    from .deck import BUILTIN_IN_WHEEL

    real = Path(os.path.realpath(path))
    wheel = Path(os.path.realpath(BUILTIN_IN_WHEEL))
    return wheel in real.parents or any(p.name in ("site-packages", "dist-packages") for p in real.parents)


# ---------------------------------------------------------------------------------------------
# Copying a built-in note as a personal override


def override_snippet(path: Path, note_id: str) -> str:
    """The text of note `note_id` in `path`, as a mapping at column 0 marked `override: true`, with
    the file-level `deck`, `source` and `tags` it inherited written on the note itself."""
    from .notes import parse_file

    path = Path(path)
    raw = path.read_bytes()
    text = raw.decode("utf-8-sig")
    notes = {n.id: n for n in parse_file(path)[0]}
    note = notes.get(note_id)
    plainyaml.compose(text)
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    items = []
    if isinstance(root, yaml.MappingNode):
        for key, value in root.value:
            if isinstance(key, yaml.ScalarNode) and key.value == "notes" and isinstance(value, yaml.SequenceNode):
                items = value.value
    lines = text.split("\n")
    for i, item in enumerate(items):
        if not isinstance(item, yaml.MappingNode):
            continue
        keys = {k.value: v for k, v in item.value if isinstance(k, yaml.ScalarNode)}
        if getattr(keys.get("id"), "value", None) != note_id or note is None:
            continue
        start = item.start_mark.line
        end = items[i + 1].start_mark.line if i + 1 < len(items) else len(lines)
        if i + 1 == len(items):  # the last note ends before the next top-level key, if any
            later = [k.start_mark.line for k, _ in root.value if k.start_mark.line > start]
            end = min(later) if later else end
        block = lines[start:end]
        while block and (not block[-1].strip() or block[-1].lstrip().startswith("#")):
            block.pop()
        col = item.start_mark.column
        out = [block[0][col:]]
        for line in block[1:]:
            out.append(line[col:] if line[:col].strip() == "" else line.lstrip())
        if "deck" not in keys:
            out.append(note_text({"deck": note.deck}).rstrip("\n"))
        if "source" not in keys and note.source:
            out.append(note_text({"source": note.source}).rstrip("\n"))
        if "tags" not in keys and note.tags:
            out.append(note_text({"tags": _Flow(note.tags)}).rstrip("\n"))
        out.append("override: true")
        return "\n".join(out) + "\n"
    raise AddError(f"note '{note_id}' not found in {path}")
