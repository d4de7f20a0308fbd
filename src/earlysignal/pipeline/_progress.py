"""Progress bars for long stages (rich), kept out of the stages themselves."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.progress import Progress as _Rich


class Progress:
    """A rich progress display; ``task(name)`` returns a ``(done, total)`` callback."""

    def __init__(self, console: Console | None = None) -> None:
        self._rich = _Rich(
            TextColumn("[bold]{task.description:<12}"), BarColumn(),
            MofNCompleteColumn(), TimeElapsedColumn(),
            console=console, transient=False,
        )

    def task(self, name: str) -> Callable[[int, int], None]:
        task_id = self._rich.add_task(name, total=None)

        def update(done: int, total: int) -> None:
            self._rich.update(task_id, completed=done, total=total)

        return update

    @contextmanager
    def running(self) -> Iterator[Progress]:
        with self._rich:
            yield self
