"""Opening the learner's editor on a file: `$VISUAL` or `$EDITOR` split like a shell would, run
directly (never through a shell with a file name in it), at a line when the editor takes one."""

from __future__ import annotations

import os
import shlex
import subprocess
from pathlib import Path

LINE_EDITORS = frozenset({"vi", "vim", "nvim", "view", "gvim", "mvim", "nano", "pico", "emacs", "emacsclient",
                          "micro", "kak", "joe", "mg", "ne", "gedit"})


class EditorError(Exception):
    """The editor could not be run or failed; the message says which and why."""


def editor_command() -> list[str]:
    """The editor's argv from $VISUAL or $EDITOR (vi when neither is set)."""
    name = "VISUAL" if os.environ.get("VISUAL") else "EDITOR"
    value = os.environ.get(name) or "vi"
    try:
        argv = shlex.split(value)
    except ValueError as exc:
        raise EditorError(f"cannot read ${name} '{value}': {exc}") from None
    if not argv:
        raise EditorError(f"${name} is empty; set it to your editor, e.g. EDITOR=nano")
    return argv


def open_editor(path: Path, line: int | None = None) -> None:
    """Edit `path` and wait for the editor to exit; raise EditorError if it cannot run or fails."""
    argv = editor_command()
    name = Path(argv[0]).name.lower()
    if line and name in LINE_EDITORS:
        argv += [f"+{line}", str(path)]
    elif line and name in ("code", "codium", "code-insiders", "cursor"):
        argv += ["--wait", "--goto", f"{path}:{line}"]
    elif line and name in ("subl", "zed"):
        argv += ["--wait", f"{path}:{line}"]
    else:
        argv += [str(path)]
    try:
        status = subprocess.call(argv)
    except OSError as exc:
        raise EditorError(f"cannot run the editor '{argv[0]}': {exc.strerror or exc}") from None
    if status != 0:
        raise EditorError(f"the editor '{argv[0]}' exited with status {status}")
