"""Progress on stderr for work that takes more than a moment: reading a large export, computing a
report or a backtest.

A rich display (a spinner, a bar when the size is known, the time spent) when stderr is a terminal
and the run is not --quiet; nothing at all when stderr is piped, redirected or runs from cron. It
appears only after DELAY seconds, so quick commands never flicker, and disappears when the work
ends, leaving stderr as it would be without it. The CLI turns it on (`enable`); the work says what
it is doing with `task` and, from any thread, how far it is with `advance`.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

DELAY = 1.0  # seconds of work before the display appears

_LOCK = threading.RLock()
_STATE: dict = {"console": None, "progress": None, "open": [], "timer": None, "live": False}


def wanted(quiet: bool) -> bool:
    """Whether a run shows progress: stderr is a terminal and the run is not --quiet."""
    import sys

    return bool(sys.stderr.isatty()) and not quiet


def enable(on: bool, console=None) -> None:
    """Show progress from now on (`on`), on `console` (default: stderr)."""
    with _LOCK:
        _STATE["console"] = (console or _stderr_console()) if on else None


def enabled() -> bool:
    return _STATE["console"] is not None


def _stderr_console():
    from rich.console import Console

    return Console(stderr=True)


@contextmanager
def task(description: str, total: float | None = None) -> Iterator[None]:
    """A line of the display while the block runs: `description`, and a bar when `total` is known."""
    if not enabled():
        yield
        return
    with _LOCK:
        progress = _progress()
        task_id = progress.add_task(description, total=total)
        _STATE["open"].append(task_id)
        if len(_STATE["open"]) == 1 and not _STATE["live"]:
            if DELAY <= 0:
                _show()
            else:
                timer = threading.Timer(DELAY, _show)
                timer.daemon = True
                _STATE["timer"] = timer
                timer.start()
    try:
        yield
    finally:
        with _LOCK:
            _STATE["open"].remove(task_id)
            progress.remove_task(task_id)
            if not _STATE["open"]:
                _hide()


def advance(amount: float = 1, total: float | None = None) -> None:
    """Move the innermost open task on by `amount` (and set its total when given); thread-safe."""
    with _LOCK:
        if not _STATE["open"]:
            return
        task_id = _STATE["open"][-1]
        if total is not None:
            _STATE["progress"].update(task_id, total=total)
        _STATE["progress"].advance(task_id, amount)


def _progress():
    if _STATE["progress"] is None or _STATE["progress"].console is not _STATE["console"]:
        from rich.progress import BarColumn, Progress, SpinnerColumn, TaskProgressColumn, TextColumn, TimeElapsedColumn

        _STATE["progress"] = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            TaskProgressColumn(),
            TimeElapsedColumn(),
            console=_STATE["console"],
            transient=True,
        )
    return _STATE["progress"]


def _show() -> None:
    with _LOCK:
        if _STATE["open"] and not _STATE["live"]:
            _STATE["progress"].start()
            _STATE["live"] = True


def _hide() -> None:
    timer, _STATE["timer"] = _STATE["timer"], None
    if timer is not None:
        timer.cancel()
    if _STATE["live"]:
        _STATE["progress"].stop()
        _STATE["live"] = False
