"""Reading YAML configs, with ``include:`` so that pipelines can share a feature library.

Any mapping of the form ``{include: other.yaml}`` is replaced by the content of that
file (resolved against the including file's folder); a list item of that form is
replaced by the items of the included list. An included file must lie inside the
folder of the top-level config (or below it) unless the caller allows other folders,
so that a config cannot be used to read arbitrary files; errors name an included
file but never show its content.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml

from earlysignal.errors import ConfigError


def read_yaml(path: str | Path, *, include_roots: tuple[str | Path, ...] = ()
              ) -> Any:
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

    Parameters
    ----------
    path : path
        The top-level YAML file.
    include_roots : tuple of paths
        Further folders that included files may come from; by default only the
        top-level file's folder and its subfolders.
    """
    path = Path(path)
    # judged on the path as written (with '..' folded, symlinks kept): a link
    # someone placed in the folder is theirs to place; a path in the text is not
    roots = tuple(Path(os.path.abspath(r))
                  for r in (path.parent, *include_roots))
    return _read(path, stack=(), roots=roots)


def _read(path: Path, stack: tuple[Path, ...], roots: tuple[Path, ...]) -> Any:
    written = Path(os.path.abspath(path))
    if stack and not any(written.is_relative_to(r) for r in roots):
        raise ConfigError(str(stack[0]), [
            f"include: {written} is outside the config's folder {roots[0]} (hint: "
            "move the file under that folder, or allow its folder with "
            "--allow-include-from)"])
    path = path.resolve()
    if path in stack:
        chain = " -> ".join(p.name for p in (*stack, path))
        raise ConfigError(str(stack[0]), [f"include loop: {chain}"])
    if not path.is_file():
        where = str(stack[-1]) if stack else str(path)
        raise ConfigError(where, [f"file not found: {path} (check the path; relative "
                                  "paths are resolved against the including file)"])
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8-sig"))
    except UnicodeDecodeError as e:
        at = path.read_bytes().count(b"\n", 0, e.start) + 1
        raise ConfigError(str(path), [
            f"line {at}: byte 0x{e.object[e.start]:02x} is not UTF-8 text (hint: "
            "save the file as UTF-8; in Notepad use 'Save as' with encoding "
            "UTF-8)"]) from None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        line = f"line {mark.line + 1}: " if mark is not None else ""
        problem = getattr(e, "problem", None) or str(e)
        raise ConfigError(str(path), [f"{line}not valid YAML ({problem}); check the "
                                      "indentation and quoting there"]) from None
    if stack and not isinstance(data, dict | list):
        raise ConfigError(str(stack[0]), [
            f"include: {path} holds no YAML list or mapping (hint: include a file of "
            "feature specs or settings written in YAML)"])
    # children are found from the path as written, so that a folder reached
    # through a link keeps its includes inside it
    return _resolve(data, written, (*stack, path), roots)


def _include_target(node: Any) -> str | None:
    if isinstance(node, dict) and set(node) == {"include"}:
        return str(node["include"])
    return None


def _resolve(node: Any, path: Path, stack: tuple[Path, ...],
             roots: tuple[Path, ...]) -> Any:
    target = _include_target(node)
    if target is not None:
        return _read(path.parent / target, stack, roots)
    if isinstance(node, dict):
        return {k: _resolve(v, path, stack, roots) for k, v in node.items()}
    if isinstance(node, list):
        items: list[Any] = []
        for item in node:
            value = _resolve(item, path, stack, roots)
            if _include_target(item) is not None and isinstance(value, list):
                items.extend(value)
            else:
                items.append(value)
        return items
    return node
