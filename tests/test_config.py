"""Hostile configs: each is one error line naming the file (and line, or key path), exit 2, never an
internal error, a hang or a page of text."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cs_metrics.cli import app

SUBSCRIPTIONS = "subscription_id,customer_id,started_at,ended_at,mrr\nS1,C1,2024-01-01,,100\n"

# Nine levels of aliases, each doubling the list: 2^9 x 9 words through a list the config validates.
ALIAS_BOMB = "\n".join(
    ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    + [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 9)]
    + ["metrics:", "  feedback:", "    stop_words: *a8"]
)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "subscriptions.csv").write_text(SUBSCRIPTIONS, encoding="utf-8")
    return tmp_path


def run_config(folder: Path, text: str | bytes):
    config = folder / "cs-metrics.yaml"
    if isinstance(text, bytes):
        config.write_bytes(text)
    else:
        config.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(app, ["mrr", "--config", str(config), "--data", str(folder), "--period", "2024-05"])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"uncaught {type(result.exception).__name__}: {result.exception}") from result.exception
    return result


def one_config_error(result) -> str:
    assert result.exit_code == 2, (result.exit_code, result.stderr)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert "internal error" not in lines[0] and len(lines[0]) < 400, lines[0]
    assert result.stdout == ""
    return lines[0]


def test_an_alias_bomb_is_refused_at_once(folder):
    start = time.perf_counter()
    line = one_config_error(run_config(folder, ALIAS_BOMB))
    assert time.perf_counter() - start < 5
    assert "cs-metrics.yaml:2:" in line and "alias" in line  # the first alias is on line 2


def test_a_single_alias_is_refused_too(folder):
    line = one_config_error(run_config(folder, "words: &w [a, b]\nactive_events: *w\n"))
    assert "cs-metrics.yaml:2:16" in line and "*w" in line


@pytest.mark.parametrize(
    "text,where",
    [
        ("period: 2024-05\ntimezone: UTC\nperiod: 2024-06\n", "cs-metrics.yaml:3:1"),
        ("metrics:\n  churn:\n    method: net\n    method: cohort\n", "cs-metrics.yaml:4:5"),
        ("sources:\n  subscriptions: {path: a.csv, path: b.csv}\n", "cs-metrics.yaml:2:32"),
    ],
)
def test_a_key_given_twice_is_an_error_not_the_last_one_winning(folder, text, where):
    line = one_config_error(run_config(folder, text))
    assert where in line and "twice" in line


def test_non_utf8_bytes_name_the_line_and_column(folder):
    line = one_config_error(run_config(folder, b"period: 2024-05\nname: caf\xe9\n"))
    assert "cs-metrics.yaml:2:10" in line and "UTF-8" in line and "0xe9" in line


@pytest.mark.parametrize(
    "key,fmt,expect",
    [
        ("date_format", "%d/%Q/%Y", "'Q' is a bad directive"),
        ("datetime_format", "%Y-%m-%d %H:%M:%K", "'K' is a bad directive"),
        ("date_format", "dd/mm/yyyy", "no % directive"),
    ],
)
def test_a_bad_date_format_is_a_config_error(folder, key, fmt, expect):
    line = one_config_error(run_config(folder, f"sources:\n  subscriptions:\n    {key}: '{fmt}'\n"))
    assert f"sources.subscriptions.{key}" in line and expect in line


def test_good_date_formats_are_accepted(folder):
    from cs_metrics.config import load_config

    text = "sources:\n  subscriptions:\n    date_format: '%d %b %Y'\n    datetime_format: '%d/%m/%Y %H:%M %z'\n"
    (folder / "cs-metrics.yaml").write_text(text + "  events:\n    datetime_format: epoch_ms\n", encoding="utf-8")
    cfg = load_config(folder / "cs-metrics.yaml")
    assert cfg.source("subscriptions").date_format == "%d %b %Y" and cfg.source("events").datetime_format == "epoch_ms"


@pytest.mark.parametrize(
    "text,key",
    [
        ("currency:\n  base: USD\n  rates: {THB: .inf}\n", "currency.rates.THB"),
        ("metrics:\n  nps:\n    scale: [.nan, 10]\n", "metrics.nps.scale.0"),
        ("metrics:\n  clv:\n    lifespan_months: .inf\n", "metrics.clv.lifespan_months"),
        ("metrics:\n  crc:\n    monthly: {'2024-05': .nan}\n", "metrics.crc.monthly.2024-05"),
        ("metrics:\n  health:\n    weights: {usage: -.inf}\n", "metrics.health.weights.usage"),
        ("alerts:\n  - {metric: churn, above: .inf}\n", "alerts.0.above"),
    ],
)
def test_non_finite_numbers_are_config_errors(folder, text, key):
    line = one_config_error(run_config(folder, text))
    assert key in line and "finite" in line


@pytest.mark.parametrize("delimiter", ['"\\n"', '"\\r"', "'\"'"])
def test_a_delimiter_that_breaks_csv_is_a_config_error(folder, delimiter):
    line = one_config_error(run_config(folder, f"sources:\n  subscriptions:\n    delimiter: {delimiter}\n"))
    assert "sources.subscriptions.delimiter" in line


def test_a_long_list_of_wrong_values_gives_one_short_line(folder):
    line = one_config_error(run_config(folder, "active_events: [" + ", ".join(["1"] * 5000) + "]\n"))
    assert "active_events.0" in line and "4,997 more problems" in line


def test_a_huge_wrong_value_is_not_repeated_whole(folder):
    line = one_config_error(run_config(folder, "timezone: '" + "x" * 10_000 + "'\n"))
    assert "timezone" in line and "x" * 100 not in line
