"""Progress of a run's stages: a live display on a terminal, plain lines elsewhere.

On a terminal (or in Jupyter) each stage is a row of a rich display that appears
when the stage starts: a spinner and a bar while it runs, the current step (a fold,
a chunk of rows, a block of resamples), the time elapsed and the time left, then
its timing when it ends. Anywhere else (a CI log, a file, a pipe) each stage writes
plain lines with no control characters: one when it starts, one per step at most
every few seconds, one with its timing when it ends. ``TTY_INTERACTIVE=0`` asks for
the plain lines on a terminal too.

The stages themselves only call a ``(step, done, total)`` callback; this module is
the only one that knows how it is shown.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console, RenderableType
from rich.progress import (
    BarColumn,
    ProgressColumn,
    SpinnerColumn,
    TaskID,
    TaskProgressColumn,
    TextColumn,
)
from rich.progress import Progress as _Rich
from rich.progress import Task as _RichTask
from rich.text import Text

#: Seconds between two plain lines of one stage's steps (a CI log stays readable).
EVERY = 5.0


def remaining_seconds(elapsed: float, done: float, total: float | None,
                      start: float = 0.0) -> float | None:
    """Seconds left if the work left goes at the pace kept since the first report.

    Parameters
    ----------
    elapsed : float
        Seconds since the first report.
    done, total : float
        Work done now, and in all (in any unit: rows, resamples, training rows).
    start : float
        Work already done at the first report: setting-up before it, and the
        first chunk when it is reported only once finished, are not paced.

    Returns
    -------
    float or None
        None while there is no pace yet (nothing done since the first report).

    Examples
    --------
    From 100 of 1,000 rows at the first report to 400 twelve seconds later, 25 rows
    a second: the 600 rows left take 24 seconds.

    >>> remaining_seconds(12.0, done=400, total=1000, start=100)
    24.0
    >>> remaining_seconds(5.0, done=100, total=1000, start=100) is None
    True
    """
    if total is None or elapsed <= 0 or done <= start:
        return None
    return max(total - done, 0.0) * elapsed / (done - start)


def clock_text(seconds: float) -> str:
    """Seconds as H:MM:SS, as rich shows elapsed time.

    Examples
    --------
    >>> clock_text(67.4), clock_text(3725)
    ('0:01:07', '1:02:05')
    """
    whole = max(int(round(seconds)), 0)
    return f"{whole // 3600}:{whole // 60 % 60:02d}:{whole % 60:02d}"


class Task:
    """One stage's progress: call it with ``(step, done, total)`` as work advances.

    ``step`` says what is being done ("fold 2/5: logistic"); ``done`` and
    ``total`` measure the work in any unit, used for the bar and the time left.
    """

    def __init__(self, owner: Progress, name: str, every: float) -> None:
        self.owner, self.name, self.every = owner, name, every
        self.started = owner.clock()
        self.step = ""
        self.done = 0.0
        self.total: float | None = None
        self.finish_at: float | None = None  # when the stage should end, by the pace
        self.note = ""  # said instead of "done" at the end, e.g. "reused"
        self.ended: str | None = None  # "done" or "failed" once the stage ends
        self._first: tuple[float, float] | None = None  # (time, done) first reported
        self._printed_at = self.started
        self._printed_done = 0.0
        self._printed_step = ""
        self._id = owner._add(self)

    def __call__(self, step: str, done: float, total: float | None) -> None:
        now = self.owner.clock()
        if self._first is None and total is not None:  # the counted work begins
            self._first = (now, done)
        if self._first is not None and (done != self.done or total != self.total):
            # paced only when the work moves: between, the estimate counts down
            left = remaining_seconds(now - self._first[0], done, total,
                                     self._first[1])
            self.finish_at = None if left is None else now + left
        self.step, self.done, self.total = step, done, total
        self.owner._update(self, now)

    def left(self, now: float) -> float | None:
        """Seconds left at ``now``, counting down between reports."""
        return None if self.finish_at is None else max(self.finish_at - now, 0.0)

    def line(self, now: float) -> str:
        """The plain line of the current step."""
        parts = []
        if self.total:
            parts.append(f"{min(self.done / self.total, 1.0):.0%}")
        parts.append(f"{clock_text(now - self.started)} elapsed")
        left = self.left(now)
        if left is not None and self.total and self.done < self.total:
            parts.append(f"about {clock_text(left)} left")
        return f"{self.name}: {self.step} ({', '.join(parts)})"


# The columns read the stage's own state, not rich's ``finished``: a stage whose
# counted work is all done may still be running (a check, a comparison).


class _Mark(SpinnerColumn):
    """A spinner while the stage runs; a tick, or a cross if it failed, after."""

    def render(self, task: _RichTask) -> RenderableType:
        ours: Task = task.fields["task"]
        if ours.ended is None:
            return self.spinner.render(task.get_time())
        failed = ours.ended == "failed"
        return Text("x" if failed else "✓", style="red" if failed else "green")


class _Times(ProgressColumn):
    """Time elapsed and the estimated time left while the stage runs."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        super().__init__()

    def render(self, task: _RichTask) -> RenderableType:
        ours: Task = task.fields["task"]
        if ours.ended is not None:
            return Text("")
        now = self._clock()
        out = Text(clock_text(now - ours.started), style="progress.elapsed")
        left = ours.left(now)
        if left is not None and ours.total and ours.done < ours.total:
            out.append(f"  about {clock_text(left)} left", style="progress.remaining")
        return out


class Progress:
    """The progress of a run's stages, for a console.

    Parameters
    ----------
    console : rich Console, optional
        Where to show it (default rich's console). A terminal, or Jupyter, gets the
        live display; anything else gets plain lines.
    live : bool, optional
        Force the live display (True) or the plain lines (False).
    every : float
        Seconds between plain lines of a stage's steps.
    clock : callable
        Seconds now (a test may pass its own).

    Examples
    --------
    >>> import io
    >>> from rich.console import Console
    >>> ticks = iter([0.0, 0.0, 10.0, 30.0, 40.0])
    >>> p = Progress(Console(file=io.StringIO()), every=0, clock=lambda: next(ticks))
    >>> with p.running(), p.stage("model") as step:
    ...     step("fold 1/2: lightgbm", 0, 20)
    ...     step("fold 1/2 done", 10, 20)
    ...     step("fold 2/2 done", 20, 20)
    >>> print(p.console.file.getvalue(), end="")
    model: started
    model: fold 1/2 done (50%, 0:00:10 elapsed, about 0:00:10 left)
    model: fold 2/2 done (100%, 0:00:30 elapsed)
    model: done in 40.0 s
    """

    def __init__(self, console: Console | None = None, *, live: bool | None = None,
                 every: float = EVERY, clock: Callable[[], float] = time.monotonic
                 ) -> None:
        self.clock = clock
        self.every = every
        self._rich = _Rich(
            TextColumn("[bold]{task.description:<9}"), _Mark(),
            BarColumn(bar_width=24), TaskProgressColumn(),
            TextColumn("{task.fields[step]}"), _Times(clock),
            console=console, transient=False, get_time=clock,
        )
        self.console = self._rich.console
        if live is None:
            c = self.console
            live = c.is_jupyter or (c.is_terminal and c.is_interactive)
        self.live = live
        self._open: dict[str, Task] = {}

    @contextmanager
    def running(self) -> Iterator[Progress]:
        """Show the display while the block runs (plain lines need no set-up)."""
        if not self.live:
            yield self
            return
        with self._rich:
            yield self

    @contextmanager
    def stage(self, name: str) -> Iterator[Task]:
        """A stage: its line when it starts, its timing when it ends.

        Re-entering a stage that is already open reports to the same line.
        """
        if name in self._open:
            yield self._open[name]
            return
        task = self._open[name] = Task(self, name, self.every)
        failed = True
        try:
            yield task
            failed = False
        finally:
            del self._open[name]
            self._end(task, failed)

    def task(self, name: str, every: float | None = None) -> Task:
        """The open stage ``name``'s callback, or a new line for it.

        ``every`` sets the seconds between its plain lines (0: a line per step).
        """
        task = self._open.get(name)
        if task is None:  # no stage of that name: its line has no end
            task = self._open[name] = Task(self, name, self.every)
        if every is not None:
            task.every = every
        return task

    def _add(self, task: Task) -> TaskID | None:
        if self.live:
            return self._rich.add_task(task.name, total=None, step="", task=task)
        self._say(f"{task.name}: started")
        return None

    def _update(self, task: Task, now: float) -> None:
        if task._id is not None:
            self._rich.update(task._id, completed=task.done, total=task.total,
                              step=task.step, refresh=True)
            return
        # a line when the work moved on, not more often than asked; and one for
        # each step taken after the counted work (a check, a comparison)
        moved = task.done > task._printed_done and now - task._printed_at >= task.every
        after = task.total is not None and task.done >= task.total and \
            task.step != task._printed_step
        if moved or after:
            task._printed_at, task._printed_done = now, task.done
            task._printed_step = task.step
            self._say(task.line(now))

    def _end(self, task: Task, failed: bool) -> None:
        secs = self.clock() - task.started
        task.ended = "failed" if failed else "done"
        words = ("failed after" if failed else
                 f"{task.note} in" if task.note else "done in")
        if task._id is None:
            self._say(f"{task.name}: {words} {secs:.1f} s")
            return
        total = task.total or 1
        self._rich.update(task._id, total=total, completed=total,
                          step=f"{words} {secs:.1f} s")

    def _say(self, line: str) -> None:
        self.console.print(line, markup=False, highlight=False, emoji=False,
                           soft_wrap=True)
