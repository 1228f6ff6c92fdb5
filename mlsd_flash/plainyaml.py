"""Reading YAML the one safe way, for every reader we have (card files, personal files, settings).

PyYAML's C parser composes the document; nesting deeper than any card or settings file needs is
an error at its line and column, found without recursion, so a hostile file is one clear line,
never a RecursionError or a hang.
"""

from __future__ import annotations

import yaml

try:  # the C parser is many times faster and has no Python recursion; fall back for builds without it
    from yaml import CSafeLoader as Loader
except ImportError:  # pragma: no cover
    from yaml import SafeLoader as Loader  # type: ignore[assignment]

MAX_DEPTH = 32  # a card file nests about 6 levels deep


class TooDeep(yaml.MarkedYAMLError):
    """The document nests deeper than MAX_DEPTH."""


def compose(text: str) -> yaml.Node | None:
    """The document's node tree, or a YAMLError (with its mark) for bad syntax or deep nesting."""
    try:
        root = yaml.compose(text, Loader=Loader)
    except RecursionError:
        raise TooDeep(problem=f"the YAML nests too deeply (more than {MAX_DEPTH} levels)") from None
    if root is not None:
        check_depth(root)
    return root


def load(text: str):
    """The document as plain Python values (only plain YAML tags are constructed)."""
    root = compose(text)
    if root is None:
        return None
    return yaml.constructor.SafeConstructor().construct_document(root)


def check_depth(root: yaml.Node) -> None:
    """Walk the tree without recursion; raise TooDeep at the first node nested too deeply. Each node
    is visited once, so aliases cannot make the walk long."""
    stack = [(root, 1)]
    seen: set[int] = set()
    while stack:
        node, depth = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if depth > MAX_DEPTH:
            raise TooDeep(problem=f"the YAML nests more than {MAX_DEPTH} levels deep", problem_mark=node.start_mark)
        if isinstance(node, yaml.SequenceNode):
            stack.extend((child, depth + 1) for child in node.value)
        elif isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                stack.append((key, depth + 1))
                stack.append((value, depth + 1))
