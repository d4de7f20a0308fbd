"""Reading YAML configs, with ``include:`` so that pipelines can share a feature library.

Any mapping of the form ``{include: other.yaml}`` is replaced by the content of that
file (resolved against the including file's folder); a list item of that form is
replaced by the items of the included list.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from earlysignal.errors import ConfigError


def read_yaml(path: str | Path) -> Any:
    """Read a YAML file, resolving ``include:`` entries recursively.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "lib.yaml").write_text("- name: a\\n- name: b\\n")
    >>> _ = (d / "main.yaml").write_text(
    ...     "features:\\n  - include: lib.yaml\\n  - name: c\\n")
    >>> [f["name"] for f in read_yaml(d / "main.yaml")["features"]]
    ['a', 'b', 'c']
    """
    return _read(Path(path), stack=())


def _read(path: Path, stack: tuple[Path, ...]) -> Any:
    path = path.resolve()
    if path in stack:
        chain = " -> ".join(p.name for p in (*stack, path))
        raise ConfigError(str(stack[0]), [f"include loop: {chain}"])
    if not path.is_file():
        where = str(stack[-1]) if stack else str(path)
        raise ConfigError(where, [f"file not found: {path} (check the path; relative "
                                  "paths are resolved against the including file)"])
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        line = f"line {mark.line + 1}: " if mark is not None else ""
        problem = getattr(e, "problem", None) or str(e)
        raise ConfigError(str(path), [f"{line}not valid YAML ({problem}); check the "
                                      "indentation and quoting there"]) from None
    return _resolve(data, path, (*stack, path))


def _include_target(node: Any) -> str | None:
    if isinstance(node, dict) and set(node) == {"include"}:
        return str(node["include"])
    return None


def _resolve(node: Any, path: Path, stack: tuple[Path, ...]) -> Any:
    target = _include_target(node)
    if target is not None:
        return _read(path.parent / target, stack)
    if isinstance(node, dict):
        return {k: _resolve(v, path, stack) for k, v in node.items()}
    if isinstance(node, list):
        items: list[Any] = []
        for item in node:
            value = _resolve(item, path, stack)
            if _include_target(item) is not None and isinstance(value, list):
                items.extend(value)
            else:
                items.append(value)
        return items
    return node
