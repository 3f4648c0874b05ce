"""Copy-on-write edits of JSON request bodies at IR paths.

A rewrite replaces a few strings (skill text) in a body the harness built; everything else must stay
the same objects with the same bytes, and the harness's own body must not change under it (it may
reuse it for a retry). So only the dicts and lists on the way to an edited value are copied
(shallow copies), and everything off those paths is shared with the original.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from adapters.ir import Path, PathKey

__all__ = ["get_at", "replace_at", "replace_many"]


def _child(container: Any, key: PathKey) -> Any:
    """``container[key]``, with the errors of a path that does not exist.

    KeyError: a missing key; IndexError: an index out of range (negative indices do not exist);
    TypeError: a key of the wrong type for the container, or a container that is not one.
    """
    if isinstance(container, Mapping):
        if not isinstance(key, str):
            raise TypeError(f"mapping key must be a str, not {type(key).__name__}")
        return container[key]
    if isinstance(container, list):
        if not isinstance(key, int) or isinstance(key, bool):
            raise TypeError(f"list index must be an int, not {type(key).__name__}")
        if key < 0:
            raise IndexError(key)
        return container[key]
    raise TypeError(f"cannot index into {type(container).__name__} with {key!r}")


def get_at(body: Any, path: Sequence[PathKey]) -> Any:
    """The value at ``path`` in ``body``."""
    node = body
    for key in path:
        node = _child(node, key)
    return node


def _copy(container: Any) -> Any:
    return list(container) if isinstance(container, list) else dict(container)


def replace_at(body: Any, path: Sequence[PathKey], value: Any) -> Any:
    """A new body with ``value`` at ``path``; ``body`` is left untouched.

    The path must exist (this replaces, it never inserts). An empty path replaces the whole body.
    """
    if not path:
        return value
    nodes = [body]
    for key in path[:-1]:
        nodes.append(_child(nodes[-1], key))
    _child(nodes[-1], path[-1])  # the last key must exist too
    new = value
    for node, key in zip(reversed(nodes), reversed(path), strict=True):
        copy = _copy(node)
        copy[key] = new
        new = copy
    return new


def replace_many(body: Any, edits: Mapping[Path, Any]) -> Any:
    """A new body with every ``path -> value`` of ``edits`` applied, one copy per container.

    Raises ValueError when one path is a prefix of another (the edits would overlap), and the
    errors of :func:`get_at` for a path that does not exist; ``body`` is never modified.
    """
    if not edits:
        return body
    if () in edits:
        if len(edits) > 1:
            raise ValueError("an edit of the whole body overlaps every other edit")
        return edits[()]
    tree: dict[PathKey, Any] = {}
    for path, value in edits.items():
        node = tree
        for key in path[:-1]:
            child = node.setdefault(key, {})
            if isinstance(child, _Leaf):
                raise ValueError(f"edit paths overlap at {tuple(path)!r}")
            node = child
        if path[-1] in node:
            raise ValueError(f"edit paths overlap at {tuple(path)!r}")
        node[path[-1]] = _Leaf(value)
    return _apply(body, tree)


class _Leaf:
    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value


def _apply(container: Any, tree: dict[PathKey, Any]) -> Any:
    copy = None
    for key, sub in tree.items():
        old = _child(container, key)
        new = sub.value if isinstance(sub, _Leaf) else _apply(old, sub)
        if copy is None:
            copy = _copy(container)
        copy[key] = new
    return copy
