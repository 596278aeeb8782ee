"""Progress on stderr (cs_metrics/progress.py): a display on a terminal, after a delay, gone when
the work ends; nothing when stderr is piped (cron) or the run is --quiet; the output unchanged."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from cs_metrics import progress
from cs_metrics.cli import app

SAMPLE = Path(__file__).resolve().parents[1] / "sample_data" / "cs-metrics.yaml"


def cli(*args):
    return CliRunner().invoke(app, [str(a) for a in args])


@pytest.fixture
def terminal(monkeypatch):
    """The CLI's progress goes to a terminal-like buffer, shown at once (no delay)."""
    screen = io.StringIO()
    real = progress.enable
    monkeypatch.setattr(progress, "DELAY", 0)
    monkeypatch.setattr(progress, "enable", lambda on, console=None: real(True, Console(file=screen, force_terminal=True, width=120)))
    yield screen
    real(False)


def test_a_terminal_sees_what_is_read_and_computed_and_the_output_is_unchanged(terminal):
    shown = cli("report", "--config", SAMPLE, "--as-of", "2026-11-30", "-f", "json")
    assert shown.exit_code == 0, shown.output
    screen = terminal.getvalue()
    assert "reading subscriptions.csv" in screen and "reading events.csv" in screen
    assert "computing" in screen and "metrics" in screen
    assert screen.endswith("\x1b[?25h\r") or "\x1b[2K" in screen  # the display erased itself at the end
    progress.enable(False)
    plain = cli("report", "--config", SAMPLE, "--as-of", "2026-11-30", "-f", "json")
    assert shown.stdout == plain.stdout and shown.stderr == plain.stderr


def test_a_metric_shows_its_computation(terminal):
    r = cli("mrr", "--config", SAMPLE, "--as-of", "2026-11-30", "-f", "json")
    assert r.exit_code == 0, r.output
    assert "computing mrr" in terminal.getvalue()


def test_piped_stderr_and_quiet_runs_show_nothing(monkeypatch):
    monkeypatch.setattr(sys, "stderr", io.StringIO())  # piped, as in cron
    assert progress.wanted(quiet=False) is False
    tty = io.StringIO()
    tty.isatty = lambda: True
    monkeypatch.setattr(sys, "stderr", tty)
    assert progress.wanted(quiet=False) is True
    assert progress.wanted(quiet=True) is False
    r = cli("mrr", "--config", SAMPLE, "--as-of", "2026-11-30")  # CliRunner's stderr is no terminal
    assert r.exit_code == 0 and "\x1b[" not in r.stderr and not progress.enabled()


def test_the_display_waits_before_appearing():
    screen = io.StringIO()
    progress.enable(True, Console(file=screen, force_terminal=True, width=80))
    try:
        with progress.task("quick work"):
            pass  # done well within the delay: nothing was drawn
        assert screen.getvalue() == ""
    finally:
        progress.enable(False)


def test_advance_from_another_thread_moves_the_open_task(monkeypatch):
    import threading

    monkeypatch.setattr(progress, "DELAY", 0)
    screen = io.StringIO()
    progress.enable(True, Console(file=screen, force_terminal=True, width=80))
    try:
        with progress.task("reading big.csv", total=4):
            worker = threading.Thread(target=lambda: [progress.advance(1) for _ in range(4)])
            worker.start()
            worker.join()
            task = progress._STATE["progress"].tasks[-1]
            assert (task.completed, task.total) == (4, 4)
    finally:
        progress.enable(False)
