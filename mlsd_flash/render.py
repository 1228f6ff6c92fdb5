"""Markdown to terminal text: emphasis, code, lists and code blocks, wrapped to the screen.

A small renderer over markdown-it-py tokens rather than rich's Markdown, because the review must
paint its first question within a budget that importing rich.markdown (about 100 ms) would eat.
Raw HTML is shown as text. Math (`$...$`) is shown as readable Unicode (Greek letters, sub- and
superscripts, fractions as a/b) through the `unicodeit` library.
"""

from __future__ import annotations

import re

_MATH = re.compile(r"(?<![\\$])\$(?!\s)([^$\n]+?)(?<!\s)\$")
_PLACEHOLDER = "\ue000{}\ue001"  # private-use marks that Markdown leaves alone
_RESTORE = re.compile("\ue000(\\d+)\ue001")
_md = None

BOLD, DIM, ITALIC, CYAN, RESET = "\x1b[1m", "\x1b[2m", "\x1b[3m", "\x1b[36m", "\x1b[0m"


def _parser():
    global _md
    if _md is None:
        from markdown_it import MarkdownIt

        _md = MarkdownIt("commonmark", {"html": False})
    return _md


class _Styler:
    def __init__(self, color: bool):
        self.color = color

    def __call__(self, text: str, *codes: str) -> str:
        if not self.color or not codes or not text:
            return text
        return "".join(codes) + text + RESET


_MARKUP = re.compile(r"[*_`\[\]#<>$|~\\&]|^\s*(?:[-+]|\d+[.)])\s|^ {4}", re.M)


def render(text: str, width: int = 80, color: bool = True) -> str:
    """Render Markdown for a terminal `width` columns wide."""
    if not _MARKUP.search(text):  # plain prose, the common case: no parser to import
        style = _Styler(color)
        paragraphs = [p.split() for p in re.split(r"\n\s*\n", text.strip())]
        return "\n\n".join("\n".join(_wrap([(" ".join(words), ())], width, "", "", style)) for words in paragraphs)
    maths: list[str] = []

    def keep(m: re.Match) -> str:
        maths.append(m.group(0))
        return _PLACEHOLDER.format(len(maths) - 1)

    tokens = _parser().parse(_MATH.sub(keep, text))
    style = _Styler(color)
    lines: list[str] = []
    prefix_stack: list[str] = []
    counters: list[int | None] = []
    pending_item = False

    def restore(s: str) -> str:
        return _RESTORE.sub(lambda m: style(math_text(maths[int(m.group(1))][1:-1]), CYAN), s)

    for i, tok in enumerate(tokens):
        t = tok.type
        if t in ("bullet_list_open", "ordered_list_open"):
            counters.append(int(tok.attrGet("start") or 1) if t == "ordered_list_open" else None)
        elif t in ("bullet_list_close", "ordered_list_close"):
            counters.pop()
            if not counters and lines and lines[-1]:
                lines.append("")
        elif t == "list_item_open":
            pending_item = True
        elif t == "inline":
            spans = _spans(tok.children or [], style)
            indent = "  " * max(0, len(counters) - 1)
            if pending_item and counters:
                n = counters[-1]
                bullet = "• " if n is None else f"{n}. "
                if n is not None:
                    counters[-1] = n + 1
                first, rest = indent + bullet, indent + " " * len(bullet)
                pending_item = False
            else:
                first = rest = indent + ("  " * (1 if counters else 0)) + "".join(prefix_stack)
            heading = tokens[i - 1].type == "heading_open" if i else False
            if heading:
                spans = [(w, (BOLD,)) for w, _ in spans]
            lines.extend(restore(x) for x in _wrap(spans, width, first, rest, style))
        elif t == "paragraph_close" and not counters:
            lines.append("")
        elif t == "heading_close":
            lines.append("")
        elif t == "blockquote_open":
            prefix_stack.append("│ ")
        elif t == "blockquote_close":
            prefix_stack.pop()
        elif t in ("fence", "code_block"):
            lines.extend(_code(restore_raw(tok.content, maths), tok.info.strip(), color))
            lines.append("")
        elif t == "hr":
            lines.append(style("─" * min(width, 40), DIM))
    while lines and not lines[-1]:
        lines.pop()
    return "\n".join(lines)


_WRAPPER = re.compile(r"\\(?:mathrm|text|operatorname|mathbf|mathit|textbf|textit|boldsymbol)\{([^{}]*)\}")
_FUNCTION = re.compile(r"\\(log|ln|exp|max|min|sin|cos|tan|arg|lim|sup|inf|det|Pr|argmax|argmin)(?![a-zA-Z])")
_FRACTION = re.compile(r"\\[dt]?frac\{([^{}]*)\}\{([^{}]*)\}")
_LEFTOVER = re.compile(r"([√^_])\{([^{}]*)\}")
_SPACING = re.compile(r"\\[,;:! ]|\\q?quad|\\left|\\right")


def math_text(latex: str) -> str:
    """LaTeX as readable Unicode: `\\alpha` is α, `x_i^2` is xᵢ², `\\frac{a}{b}` is a/b."""
    import unicodeit

    def group(x: str) -> str:
        return x if re.fullmatch(r"[\w.]+|\\[a-zA-Z]+", x.strip()) else f"({x})"

    text = _SPACING.sub(" ", _FUNCTION.sub(r"\1", _WRAPPER.sub(r"\1", latex)))
    while _FRACTION.search(text):
        text = _FRACTION.sub(lambda m: f"{group(m.group(1))}/{group(m.group(2))}", text)
    text = unicodeit.replace(text)
    text = _LEFTOVER.sub(lambda m: m.group(1) + group(m.group(2)), text)  # what has no Unicode form: x^(...)
    return re.sub(r"\s+", " ", text).strip()


def restore_raw(s: str, maths: list[str]) -> str:
    return _RESTORE.sub(lambda m: maths[int(m.group(1))], s)


def _spans(children, style) -> list[tuple[str, tuple[str, ...]]]:
    """Inline tokens as (text, styles) pieces, where a newline piece forces a break."""
    out: list[tuple[str, tuple[str, ...]]] = []
    active: list[str] = []
    for child in children:
        t = child.type
        if t in ("strong_open", "em_open"):
            active.append(BOLD if t == "strong_open" else ITALIC)
        elif t in ("strong_close", "em_close"):
            if active:
                active.pop()
        elif t == "code_inline":
            out.append((child.content, (CYAN,)))
        elif t == "softbreak":
            out.append((" ", ()))
        elif t == "hardbreak":
            out.append(("\n", ()))
        elif t in ("text", "html_inline"):
            out.append((child.content, tuple(active)))
        elif t == "image":
            out.append((child.content or "[image]", tuple(active)))
    return out


def _wrap(spans, width: int, first: str, rest: str, style) -> list[str]:
    lines: list[str] = []
    line, used = first, len(first)
    at_start = True
    for text, codes in spans:
        if text == "\n":
            lines.append(line)
            line, used, at_start = rest, len(rest), True
            continue
        for word in re.split(r"(\s+)", text):
            if not word:
                continue
            if word.isspace():
                if not at_start:
                    line += " "
                    used += 1
                continue
            if used + len(word) > width and not at_start:
                lines.append(line.rstrip())
                line, used = rest, len(rest)
            line += style(word, *codes)
            used += len(word)
            at_start = False
    lines.append(line.rstrip())
    return lines


def _code(code: str, language: str, color: bool) -> list[str]:
    code = code.rstrip("\n")
    if color:
        try:
            from pygments import highlight
            from pygments.formatters import TerminalFormatter
            from pygments.lexers import TextLexer, get_lexer_by_name

            try:
                lexer = get_lexer_by_name(language) if language else TextLexer()
            except Exception:
                lexer = TextLexer()
            code = highlight(code, lexer, TerminalFormatter()).rstrip("\n")
        except ImportError:  # pragma: no cover
            pass
    return ["    " + line for line in code.split("\n")]
