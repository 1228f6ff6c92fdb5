"""Anki export: compiled cards as an Anki package (.apkg), written with genanki.

One Anki note per `Card.anki_id` (a basic card, or all deletions of one cloze), in fixed note
types, under `MLSD::<deck path>` (personal cards under `MLSD::Personal::<deck path>`). A note's
GUID comes from its id, never from its text, so re-importing an updated package updates notes in
place and keeps the review history.

Anki updates a note on re-import only when the incoming note's modification time is newer than its
own. A stamp file beside the package (`<name>.stamps.json`) remembers, for every note and note type,
a hash of what was written and its modification time: unchanged notes keep their time, changed and
new ones get the export's epoch (`SOURCE_DATE_EPOCH` when set, else now). So an updated export
updates exactly the notes that changed, and the same cards, stamps and epoch give a byte-identical
file (note ids, zip dates and every other timestamp are pinned too).
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import shutil
import json
import os
import re
import sqlite3
import tempfile
import time
import unicodedata
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

import genanki

from .cards import CASE_QUESTIONS, CONCEPT_QUESTIONS, Card
from .notes import CLOZE

DEFAULT_NAME = "mlsd-flash.apkg"
ROOT_DECK = "MLSD"
PERSONAL_DECK = "Personal"
BASIC_MODEL_ID = 1893465471
CLOZE_MODEL_ID = 1893465472
STAMPS_VERSION = 1
ZIP_DATE = (1980, 1, 1, 0, 0, 0)

# Case steps that no concept facet shares; a note with one of them is a case note.
_CASE_ONLY = frozenset(CASE_QUESTIONS) - frozenset(CONCEPT_QUESTIONS)


class ExportError(Exception):
    """An export that cannot be written; the message is one line for the user."""


# ---------------------------------------------------------------------------------------------
# Markdown to HTML


@functools.lru_cache(maxsize=64)
def _lexer(lang: str):
    from pygments.lexers import get_lexer_by_name
    from pygments.util import ClassNotFound

    try:
        return get_lexer_by_name(lang, stripnl=False)
    except ClassNotFound:
        return None


@functools.lru_cache(maxsize=1)
def _formatter():
    from pygments.formatters import HtmlFormatter

    return HtmlFormatter(nowrap=True)


def _highlight(code: str, lang: str, _attrs) -> str:
    """A fenced code block with a known language, highlighted with pygments' CSS classes."""
    from pygments import highlight

    lexer = _lexer(lang.split()[0]) if lang else None
    if lexer is None:
        return ""  # markdown-it escapes it as plain code
    body = highlight(code, lexer, _formatter())
    return f'<pre class="highlight"><code>{body}</code></pre>\n'


def _math_rule(state, silent: bool) -> bool:
    """`$...$` (inline) and `$$...$$` (display) math, kept verbatim for MathJax.

    Pandoc's rule: the opening `$` has a non-space to its right, the closing `$` a non-space to its
    left and no digit after it, so "$20 and $30" stays text.
    """
    src, pos, end = state.src, state.pos, state.posMax
    if src[pos] != "$":
        return False
    if src.startswith("$$", pos):
        close = src.find("$$", pos + 2, end)
        if close <= pos + 2:
            return False
        content, new_pos, display = src[pos + 2:close], close + 2, True
    else:
        if pos + 1 >= end or src[pos + 1].isspace() or src[pos + 1] == "$":
            return False
        close = pos + 1
        while True:
            close = src.find("$", close, end)
            if close < 0:
                return False
            if src[close - 1] == "\\" or src[close - 1].isspace() or (close + 1 < end and src[close + 1].isdigit()):
                close += 1
                continue
            break
        content, new_pos, display = src[pos + 1:close], close + 1, False
    if not silent:
        token = state.push("math_display" if display else "math_inline", "", 0)
        token.content = content
    state.pos = new_pos
    return True


def _make_markdown():
    from markdown_it import MarkdownIt
    from markdown_it.common.utils import escapeHtml

    md = MarkdownIt("commonmark", {"html": False, "highlight": _highlight})
    md.enable(["table", "strikethrough"])
    md.inline.ruler.before("escape", "math", _math_rule)
    md.add_render_rule("math_inline", lambda self, tokens, idx, options, env: rf"\({escapeHtml(tokens[idx].content)}\)")
    md.add_render_rule("math_display", lambda self, tokens, idx, options, env: rf"\[{escapeHtml(tokens[idx].content)}\]")
    return md


_md = None
# Text with none of these renders as itself, escaped: no need to run the Markdown parser.
_MARKUP_CHARS = re.compile(r"[\\`*_\[\]<>&$#!|~\n\r\t]")
_MARKUP_START = re.compile(r"[\s\-+=]|\d+[.)]")


def _plain(text: str) -> bool:
    return not (_MARKUP_CHARS.search(text) or _MARKUP_START.match(text) or text[-1].isspace())
_PLACEHOLDER = re.compile("\ue000(\\d+)\ue001")


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


_MEDIA = re.compile(r"\[(sound:)", re.I)


def escape_media(html: str) -> str:
    """Anki plays `[sound:file]` wherever it appears in a field: in card text it is only text."""
    return _MEDIA.sub(r"&#91;\1", html)


def markdown(text: str) -> str:
    """A field's Markdown as HTML: raw HTML escaped, code highlighted, `$math$` as `\\(math\\)`.

    A single paragraph comes back without its `<p>`, so simple fields stay plain in Anki's editor.
    """
    global _md
    if not text:
        return ""
    if _plain(text):
        return _escape(text)
    if _md is None:
        _md = _make_markdown()
    out = _md.render(text)
    if out.startswith("<p>") and out.endswith("</p>\n") and out.count("<p>") == 1:
        return out[3:-5]
    return out.rstrip("\n")


def markdown_inline(text: str) -> str:
    global _md
    if not text or _plain(text):
        return _escape(text)
    if _md is None:
        _md = _make_markdown()
    return _md.renderInline(text)


def cloze_html(text: str) -> str:
    """Cloze text as HTML with its `{{cN::answer::hint}}` markers intact around rendered Markdown."""
    deletions: list[str] = []

    def hide(m: re.Match) -> str:
        inner = markdown_inline(m.group(2))
        if m.group(3) is not None:
            inner += "::" + markdown_inline(m.group(3))
        deletions.append(f"{{{{c{m.group(1)}::{inner}}}}}")
        return f"\ue000{len(deletions) - 1}\ue001"

    rendered = markdown(CLOZE.sub(hide, text))
    return _PLACEHOLDER.sub(lambda m: deletions[int(m.group(1))], rendered)


# ---------------------------------------------------------------------------------------------
# Note types

CSS = """\
.card {
  font-family: -apple-system, BlinkMacSystemFont, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  font-size: 20px; line-height: 1.5; text-align: left;
  color: #1f2328; background-color: #ffffff;
}
.card.nightMode, .card.night_mode, .nightMode .card, .night_mode .card { color: #e6edf3; background-color: #1f1f1f; }
.mlsd { max-width: 40em; margin: 0 auto; padding: 0 0.5em; }
.mlsd .question { font-weight: 600; }
.mlsd .answer { margin-top: 0.25em; }
.mlsd .extra { margin-top: 1em; font-size: 0.9em; color: #57606a; }
.mlsd .source { margin-top: 1em; font-size: 0.75em; color: #6e7781; }
.mlsd .id { margin-top: 0.25em; font-size: 0.7em; color: #8c959f; font-family: ui-monospace, Menlo, Consolas, monospace; }
.nightMode .mlsd .extra, .night_mode .mlsd .extra { color: #adbac7; }
.nightMode .mlsd .source, .night_mode .mlsd .source, .nightMode .mlsd .id, .night_mode .mlsd .id { color: #8b949e; }
.mlsd p { margin: 0.5em 0; }
.mlsd ul, .mlsd ol { margin: 0.5em 0; padding-left: 1.4em; }
.mlsd code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 0.85em;
  background: rgba(127, 127, 127, 0.15); padding: 0.1em 0.3em; border-radius: 4px; }
.mlsd pre { padding: 0.75em 1em; border-radius: 6px; overflow-x: auto; background: #f6f8fa; line-height: 1.4; }
.mlsd pre code { background: none; padding: 0; font-size: 0.8em; }
.nightMode .mlsd pre, .night_mode .mlsd pre { background: #2d333b; }
.mlsd table { border-collapse: collapse; margin: 0.5em 0; }
.mlsd th, .mlsd td { border: 1px solid #d0d7de; padding: 0.2em 0.5em; }
.nightMode .mlsd th, .night_mode .mlsd th, .nightMode .mlsd td, .night_mode .mlsd td { border-color: #444c56; }
.mlsd hr, hr#answer { border: none; border-top: 1px solid #d0d7de; margin: 1em 0; }
.nightMode hr#answer, .night_mode hr#answer { border-top-color: #444c56; }
.cloze { font-weight: bold; color: #0550ae; }
.nightMode .cloze, .night_mode .cloze { color: #6cb6ff; }
"""


def _css() -> str:
    from pygments.formatters import HtmlFormatter

    light = HtmlFormatter(style="default").get_token_style_defs(".mlsd .highlight")
    dark = HtmlFormatter(style="github-dark").get_token_style_defs(
        [".nightMode .mlsd .highlight", ".night_mode .mlsd .highlight"])
    return CSS + "\n".join(light) + "\n" + "\n".join(dark) + "\n"


_BASIC_FRONT = '<div class="mlsd"><div class="question">{{Question}}</div></div>'
_BASIC_BACK = (
    '<div class="mlsd"><div class="question">{{Question}}</div></div>\n<hr id="answer">\n'
    '<div class="mlsd"><div class="answer">{{Answer}}</div>\n'
    '{{#Extra}}<div class="extra">{{Extra}}</div>{{/Extra}}\n'
    '{{#Source}}<div class="source">{{Source}}</div>{{/Source}}\n'
    '<div class="id">{{Id}}</div></div>'
)
_CLOZE_FRONT = '<div class="mlsd"><div class="text">{{cloze:Text}}</div></div>'
_CLOZE_BACK = (
    '<div class="mlsd"><div class="text">{{cloze:Text}}</div>\n'
    '{{#Extra}}<div class="extra">{{Extra}}</div>{{/Extra}}\n'
    '{{#Source}}<div class="source">{{Source}}</div>{{/Source}}\n'
    '<div class="id">{{Id}}</div></div>'
)


class _Model(genanki.Model):
    """A note type whose modification time comes from the stamp file, not from the export."""

    mtime = 0

    def to_json(self, timestamp, deck_id):
        return super().to_json(self.mtime, deck_id)


class _Note(genanki.Note):
    """A note with its own modification time (and its cards'), reporting progress when written."""

    mtime = 0
    on_write: Callable[[], None] | None = None

    def write_to_db(self, cursor, timestamp, deck_id, id_gen):
        super().write_to_db(cursor, self.mtime, deck_id, id_gen)
        if self.on_write:
            self.on_write()


class _Package(genanki.Package):
    """genanki's package, writing the collection's deck and note-type JSON once rather than once
    per deck (genanki re-reads and rewrites both for every deck: slow for hundreds of decks)."""

    def write_to_db(self, cursor, timestamp, id_gen):
        from genanki.apkg_col import APKG_COL
        from genanki.apkg_schema import APKG_SCHEMA

        cursor.executescript(APKG_SCHEMA)
        cursor.executescript(APKG_COL)
        decks_json, models_json = cursor.execute("SELECT decks, models FROM col").fetchone()
        decks, models = json.loads(decks_json), json.loads(models_json)
        for deck in self.decks:
            decks[str(deck.deck_id)] = deck.to_json()
            for note in deck.notes:
                deck.add_model(note.model)
            models.update({str(m.model_id): m.to_json(timestamp, deck.deck_id) for m in deck.models.values()})
        cursor.execute("UPDATE col SET decks = ?, models = ?", (json.dumps(decks), json.dumps(models)))
        for deck in self.decks:
            for note in deck.notes:
                note.write_to_db(cursor, timestamp, deck.deck_id, id_gen)


def note_types() -> tuple[_Model, _Model]:
    css = _css()
    basic = _Model(
        BASIC_MODEL_ID, "MLSD Flash: basic",
        fields=[{"name": n} for n in ("Id", "Question", "Answer", "Extra", "Source")],
        templates=[{"name": "Card", "qfmt": _BASIC_FRONT, "afmt": _BASIC_BACK}],
        css=css, sort_field_index=0,
    )
    cloze = _Model(
        CLOZE_MODEL_ID, "MLSD Flash: cloze",
        fields=[{"name": n} for n in ("Id", "Text", "Extra", "Source")],
        templates=[{"name": "Cloze", "qfmt": _CLOZE_FRONT, "afmt": _CLOZE_BACK}],
        css=css, model_type=genanki.Model.CLOZE, sort_field_index=0,
    )
    return basic, cloze


def _model_hash(model: genanki.Model) -> str:
    data = [model.model_id, model.name, [f["name"] for f in model.fields],
            [(t["name"], t["qfmt"], t["afmt"]) for t in model.templates], model.css, model.model_type,
            model.sort_field_index]
    return _hash(json.dumps(data, sort_keys=True))


# ---------------------------------------------------------------------------------------------
# Cards to notes


def slug(text: str, limit: int = 60) -> str:
    """A tag-safe slug: ASCII letters, digits and single dashes, cut at a dash near `limit`."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    s = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    if len(s) > limit:
        s = s[:limit].rsplit("-", 1)[0] if "-" in s[:limit] else s[:limit]
    return s


@functools.lru_cache(maxsize=4096)
def _area_tag(deck: str) -> str:
    return f"area::{slug(deck.split('::')[0])}"


@functools.lru_cache(maxsize=4096)
def _source_tags(source: str) -> tuple[str, ...]:
    return tuple(source_tags(source))


def source_tags(source: str) -> list[str]:
    """`source::<work>[::<part>]` for each `;`-separated source, e.g. `source::ml-design-primer::cases`."""
    tags = []
    for part in source.split(";"):
        work, _, rest = part.partition(":")
        work_slug, rest_slug = slug(work), slug(rest)
        if not work_slug:
            continue
        tag = f"source::{work_slug}::{rest_slug}" if rest_slug else f"source::{work_slug}"
        if tag not in tags:
            tags.append(tag)
    return tags


@dataclass
class NoteSpec:
    """One Anki note: what is written for it, and the cards it makes."""

    anki_id: str
    kind: str
    deck: str
    fields: list[str]
    tags: list[str]
    cards: int
    position: int
    digest: str = ""


def personal_deck(deck: str) -> list[str]:
    """A personal card's deck under `Personal` (a deck already called Personal is not doubled)."""
    return [deck] if deck.split("::")[0].lower() == PERSONAL_DECK.lower() else [PERSONAL_DECK, deck]


def numbered_decks(decks: Iterable[str]) -> dict[str, str]:
    """Each deck path with every level numbered by its first appearance among its siblings, in deck
    order (`Data::Sampling` -> `02 Data::03 Sampling`): Anki gathers new cards deck by deck in name
    order, so numbered names make it show them in the framework's order, as the terminal does."""
    rank: dict[tuple[str, ...], int] = {}
    siblings: dict[tuple[str, ...], int] = {}
    out: dict[str, str] = {}
    for deck in decks:
        if deck in out:
            continue
        parts = deck.split("::")
        named = []
        for i in range(len(parts)):
            key = tuple(parts[: i + 1])
            if key not in rank:
                parent = key[:-1]
                siblings[parent] = siblings.get(parent, 0) + 1
                rank[key] = siblings[parent]
            named.append(f"{rank[key]:02d} {parts[i]}")
        out[deck] = "::".join(named)
    return out


def _is_personal(path: str, builtin_dir: Path) -> bool:
    try:
        Path(path).resolve().relative_to(builtin_dir)
    except ValueError:
        return True
    return False


def build_notes(cards: Iterable[Card], builtin_dir: Path, progress: Callable[[int], None] | None = None,
                deck_names: dict[str, str] | None = None) -> list[NoteSpec]:
    """Group cards into Anki notes (one per `anki_id`) with rendered fields, decks and tags.
    `deck_names` numbers the built-in decks (see `numbered_decks`; by default, from `cards`)."""
    cards = list(cards)
    builtin_dir = Path(builtin_dir).resolve()
    # Resolved once per file, not per card: a path's resolution asks the file system.
    personal_paths = {path: _is_personal(path, builtin_dir) for path in {c.path for c in cards}}
    if deck_names is None:
        deck_names = numbered_decks(c.deck for c in cards if not personal_paths[c.path])
    case_notes = {c.note_id for c in cards if c.facet in _CASE_ONLY or c.question.startswith(f"Case: {c.title}. ")}
    specs: dict[str, NoteSpec] = {}
    for card in cards:
        spec = specs.get(card.anki_id)
        if spec is not None:
            spec.cards += 1
            if progress:
                progress(1)
            continue
        parts = [ROOT_DECK, *personal_deck(card.deck)] if personal_paths[card.path] else \
            [ROOT_DECK, deck_names.get(card.deck, card.deck)]
        tags = list(card.tags)
        tags.append(_area_tag(card.deck))
        if card.note_id in case_notes and card.facet in CASE_QUESTIONS:
            tags.append(f"step::{slug(card.facet)}")
        elif card.facet == "dive":
            tags.append("step::deep-dive")
        tags.extend(_source_tags(card.source))
        tags = list(dict.fromkeys(t for t in tags if t and not t.endswith("::")))
        extra = escape_media(markdown(card.extra))
        source = escape_media(_escape(card.source))
        if card.kind == "cloze":
            fields = [card.anki_id, escape_media(cloze_html(card.question)), extra, source]
        else:
            fields = [card.id, escape_media(markdown(card.question)), escape_media(markdown(card.answer)), extra, source]
        specs[card.anki_id] = NoteSpec(card.anki_id, card.kind, "::".join(parts), fields, tags, 1, len(specs))
        if progress:
            progress(1)
    return list(specs.values())


def _hash(text: str) -> str:
    return hashlib.blake2b(text.encode(), digest_size=10).hexdigest()


def _deck_id(name: str) -> int:
    h = int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "big")
    return (1 << 50) | (h & ((1 << 50) - 1))


# ---------------------------------------------------------------------------------------------
# Stamps: each note's and note type's modification time


def stamps_path(out: Path) -> Path:
    return out.with_name(out.name[:-5] + ".stamps.json" if out.name.endswith(".apkg") else out.name + ".stamps.json")


def anki_search(anki_ids: list[str]) -> str:
    """An Anki Browser search that finds the notes with these ids."""
    return " OR ".join(f'"Id:{i}"' for i in anki_ids)


def source_date_epoch() -> int | None:
    value = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if not value:
        return None
    try:
        return int(value)
    except ValueError:
        raise ExportError(f"SOURCE_DATE_EPOCH must be a whole number of seconds, not '{value}'") from None


def read_stamps(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, NotADirectoryError):
        return {}  # a first export (or a path that cannot be written, reported when writing)
    except (OSError, ValueError) as exc:
        raise ExportError(f"cannot read {path}: {getattr(exc, 'strerror', None) or exc}") from None
    if not isinstance(data, dict) or data.get("version") != STAMPS_VERSION:
        return {}
    return data


_PLAIN_JSON = re.compile(r'[^"\\\x00-\x1f\x7f-\uffff]*')


def _json_str(text: str) -> str:
    return f'"{text}"' if _PLAIN_JSON.fullmatch(text) else json.dumps(text, ensure_ascii=False)


def _stamps_json(epoch: int, notetypes: dict, notes: dict) -> str:
    """The stamp file: JSON with one line per note, sorted, so that it diffs well."""
    def entries(d: dict) -> str:
        return ",\n".join(f'  {_json_str(k)}: ["{v[0]}", {int(v[1])}]' for k, v in sorted(d.items()))

    about = ("Modification times of the notes in the package beside this file: mlsd-flash export keeps "
             "them for unchanged notes, so that Anki updates only the notes that changed.")
    return (f'{{\n "version": {STAMPS_VERSION},\n "about": {json.dumps(about)},\n "epoch": {epoch},\n'
            f' "notetypes": {{\n{entries(notetypes)}\n }},\n "notes": {{\n{entries(notes)}\n }}\n}}\n')


def _stamp(entries: dict, key: str, digest: str, epoch: int) -> tuple[int, bool]:
    """The modification time for `key`: kept when its digest is unchanged, else a newer one."""
    old = entries.get(key)
    if old and old[0] == digest:
        return old[1], False
    mtime = max(epoch, old[1] + 1) if old else epoch
    entries[key] = [digest, mtime]
    return mtime, True


# ---------------------------------------------------------------------------------------------
# Writing


@dataclass
class ExportResult:
    path: Path
    stamps: Path
    notes: int
    cards: int
    decks: list[str] = field(default_factory=list)
    changed: int = 0  # notes new or changed since the stamps were written
    epoch: int = 0
    removed: list[str] = field(default_factory=list)  # notes in the last export that are gone now


def progress_steps(cards: list[Card]) -> int:
    """How many progress steps an export of `cards` reports: one per card rendered, one per written."""
    return 2 * len(cards)


def export_deck(
    cards: Iterable[Card],
    out: Path,
    builtin_dir: Path,
    epoch: int | None = None,
    progress: Callable[[int], None] | None = None,
    stamps_file: Path | None = None,
    baseline: dict | None = None,
    whole: bool = True,
    deck_names: dict[str, str] | None = None,
) -> ExportResult:
    """Write `cards` to the package `out`, and the notes' modification times to `stamps_file`
    (default: beside the package, as the repository's deck keeps them).

    `builtin_dir` tells built-in cards from personal ones; `epoch` (default: `SOURCE_DATE_EPOCH`,
    else now) is the modification time of new and changed notes and the base of the ids. A note
    with no stamp of its own whose content matches `baseline` (the published deck's stamps) takes
    the published time, so that an export anywhere never makes Anki rewrite an unchanged note.
    With `whole` (no deck or tag filter), notes of the last export that are gone are reported in
    `removed` and their stamps dropped.
    """
    out = Path(out)
    if epoch is None:
        epoch = source_date_epoch()
    if epoch is None:
        epoch = int(time.time())
    specs = build_notes(cards, builtin_dir, progress, deck_names)
    spath = stamps_file or stamps_path(out)
    stamps = read_stamps(spath)
    note_stamps: dict = stamps.get("notes", {})
    type_stamps: dict = stamps.get("notetypes", {})
    for key, value in (baseline or {}).get("notes", {}).items():
        note_stamps.setdefault(key, value)
    for key, value in (baseline or {}).get("notetypes", {}).items():
        type_stamps.setdefault(key, value)
    previous = set(stamps.get("notes", {}))

    basic, cloze = note_types()
    for model in (basic, cloze):
        model.mtime, _ = _stamp(type_stamps, str(model.model_id), _model_hash(model), epoch)

    decks: dict[str, genanki.Deck] = {}
    changed = 0
    card_total = 0
    for spec in specs:
        model = cloze if spec.kind == "cloze" else basic
        spec.digest = _hash("\x1e".join([str(model.model_id), "\x1f".join(spec.fields), " ".join(spec.tags)]))
        note = _Note(model=model, fields=spec.fields, tags=spec.tags, guid=genanki.guid_for(spec.anki_id),
                     due=spec.position + 1)
        note.mtime, is_changed = _stamp(note_stamps, spec.anki_id, spec.digest, epoch)
        changed += is_changed
        if progress:
            note.on_write = functools.partial(progress, spec.cards)
        deck = decks.get(spec.deck)
        if deck is None:
            deck = decks[spec.deck] = genanki.Deck(_deck_id(spec.deck), spec.deck)
        deck.add_note(note)
        card_total += spec.cards

    removed = sorted(previous - {spec.anki_id for spec in specs}) if whole else []
    for key in removed:
        del note_stamps[key]
    package = _Package(list(decks.values()))
    stamps_text = _stamps_json(epoch, type_stamps, note_stamps)
    prepare_output(out)
    try:
        spath.parent.mkdir(parents=True, exist_ok=True)
        _write_package(package, out, epoch)
        _write_atomic(spath, lambda fh: fh.write(stamps_text.encode()))
    except OSError as exc:
        where = exc.filename or out
        raise ExportError(f"cannot write {where}: {exc.strerror or exc}") from None
    return ExportResult(out, spath, len(specs), card_total, list(decks), changed, epoch, removed)


def prepare_output(out: Path) -> None:
    """Create the package's folder, or say in one line why it cannot be written there."""
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except FileExistsError as exc:
        raise ExportError(f"cannot write {out}: {exc.filename} is not a folder") from None
    except OSError as exc:
        raise ExportError(f"cannot write {out}: {exc.strerror or exc}") from None
    if out.is_dir():
        raise ExportError(f"cannot write {out}: it is a folder")


def _write_package(package: genanki.Package, out: Path, epoch: int) -> None:
    """genanki's `Package.write_to_file`, with the ids based on `epoch` and fixed zip dates. The
    collection goes from its temporary file into the zip in chunks: a large deck's collection is
    never held in memory whole."""
    with tempfile.TemporaryDirectory(prefix="mlsd-flash-") as tmp:
        db_path = os.path.join(tmp, "collection.anki2")
        conn = sqlite3.connect(db_path)
        try:
            package.write_to_db(conn.cursor(), epoch, itertools.count(epoch * 1000))
            conn.commit()
        finally:
            conn.close()
        _write_atomic(out, lambda fh: _zip(fh, [("collection.anki2", db_path), ("media", None)]))


def _zip(fh, members: list[tuple[str, str | None]]) -> None:
    """A stored (uncompressed) zip of files, None standing for the empty media map."""
    with zipfile.ZipFile(fh, "w") as zf:
        for name, path in members:
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
            info.create_system = 3
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_STORED
            if path is None:
                zf.writestr(info, b"{}")
                continue
            info.file_size = os.path.getsize(path)
            with open(path, "rb") as src, zf.open(info, "w") as dst:
                shutil.copyfileobj(src, dst, 1 << 20)


def _write_atomic(path: Path, write: Callable) -> None:
    """Write a file through `write(fh)` under a temporary name, then put it in place."""
    if path.is_dir():
        raise IsADirectoryError(21, "is a folder", str(path))
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as fh:
            write(fh)
        os.replace(tmp, path)
    except OSError as exc:
        try:
            tmp.unlink()
        except OSError:
            pass
        if exc.filename == str(tmp):
            exc.filename = str(path)
        raise
