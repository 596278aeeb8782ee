"""The parsed-table cache (cs_metrics/sources/cache.py): a second run does not parse again, any
change of a file or of the config is a miss, and the numbers and row accounting are the same."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

import cs_metrics.sources.table as table
from cs_metrics.cli import app


def cli(*args):
    return CliRunner().invoke(app, [str(a) for a in args])


@pytest.fixture
def folder(tmp_path, monkeypatch):
    data = tmp_path / "data"
    data.mkdir()
    (data / "surveys.csv").write_text(
        "response_id,responded_at,survey,score\nR1,2024-05-02,nps,10\nR2,2024-05-03,nps,3\nR3,2024-05-04,nps,x\nR4,2024-05-05,csat,5\n",
        encoding="utf-8",
    )
    cache = tmp_path / "cache"
    (data / "cs.yaml").write_text(f"data: .\ncache:\n  path: {cache}\n  min_bytes: 0\n", encoding="utf-8")
    parses = []
    real = table._read_table
    monkeypatch.setattr(table, "_read_table", lambda *a, **k: parses.append(a[1]) or real(*a, **k))
    return data, cache, parses


def nps(data, *more):
    r = cli("nps", "--config", data / "cs.yaml", "-p", "2024-05", "-f", "json", *more)
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)["value"], r.stderr


def test_a_second_run_reads_the_cache_with_the_same_numbers_and_accounting(folder):
    data, cache, parses = folder
    first = nps(data)
    second = nps(data)
    assert parses == ["surveys"]  # parsed once
    assert first == second  # NPS (1 - 1) / 2 = 0.0 both times, and the same accounting line on stderr
    assert first[0] == 0.0 and "surveys.csv: 4 read, 3 used, 1 rejected (bad score (expected a number): 1 (line 4))" in second[1]
    assert len(list(cache.glob("surveys-*.arrow"))) == 1


def test_a_changed_file_or_config_is_a_miss(folder):
    data, cache, parses = folder
    assert nps(data)[0] == 0.0
    path = data / "surveys.csv"
    path.write_text(path.read_text(encoding="utf-8") + "R5,2024-05-06,nps,10\n", encoding="utf-8")
    assert nps(data)[0] == pytest.approx(100 / 3)  # 2 promoters, 1 detractor of 3
    (data / "cs.yaml").write_text((data / "cs.yaml").read_text(encoding="utf-8") + "metrics:\n  nps:\n    scale: [0, 9]\n", encoding="utf-8")
    nps(data)  # R1 and R5 (10) are now off the scale
    assert parses == ["surveys", "surveys", "surveys"]
    assert len(list(cache.glob("surveys-*.arrow"))) == 1  # the stale entries of the same file are gone


def test_no_cache_parses_again(folder):
    data, cache, parses = folder
    nps(data)
    nps(data, "--no-cache")
    assert parses == ["surveys", "surveys"]


def test_a_damaged_entry_is_a_miss_never_an_error(folder):
    data, cache, parses = folder
    nps(data)
    for entry in cache.glob("surveys-*.arrow"):
        entry.write_bytes(b"not arrow")
    assert nps(data)[0] == 0.0 and parses == ["surveys", "surveys"]


def test_small_files_are_not_cached_by_default(tmp_path):
    (tmp_path / "surveys.csv").write_text("responded_at,survey,score\n2024-05-02,nps,10\n", encoding="utf-8")
    cache = tmp_path / "cache"
    (tmp_path / "cs.yaml").write_text(f"data: .\ncache:\n  path: {cache}\n", encoding="utf-8")
    assert cli("nps", "--config", tmp_path / "cs.yaml", "-p", "2024-05").exit_code == 0
    assert not cache.exists() or not list(cache.iterdir())


def test_events_from_the_cache_keep_only_the_period_in_memory(tmp_path):
    lines = ["customer_id,user_id,occurred_at,event"] + [f"C1,U{i % 3},2024-0{m}-1{i % 9} 10:00,login" for m in (4, 5, 6) for i in range(9)]
    (tmp_path / "events.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (tmp_path / "cs.yaml").write_text(f"data: .\ncache:\n  path: {tmp_path / 'cache'}\n  min_bytes: 0\n", encoding="utf-8")
    runs = [json.loads(cli("dau-mau", "--config", tmp_path / "cs.yaml", "-p", "2024-05", "-f", "json").stdout) for _ in range(2)]
    assert runs[0] == runs[1]
    # May: 9 events on 9 different days by users 0, 1, 2 -> 9 user-days / 31 days; MAU 3
    assert runs[1]["details"]["mau"] == 3 and runs[1]["value"] == pytest.approx(9 / 31 / 3 * 100)
    assert runs[1]["coverage"][0]["start"] == "2024-04-10" and runs[1]["coverage"][0]["end"] == "2024-06-18"


def test_events_read_in_batches_are_counted_like_a_whole_read(tmp_path):
    # dau-mau reads events in batches keeping only May; validate reads the whole file: the same rows
    # are rejected with the same lines, and a value Arrow refuses (T3's time) sends that column to the
    # text path in both.
    lines = [
        "customer_id,user_id,occurred_at,event,duration_seconds",
        "C1,U1,2024-05-02 10:00,login,5",
        "C1,,2024-05-03 10:00,login,5",  # 3: empty user_id
        "C1,U2,yesterday,login,5",  # 4: bad occurred_at
        "C1,U2,2024-04-03 10:00,login,nan",  # 5: bad duration
        "C2,U3,2024-05-04 10:00,login",  # 6: wrong number of cells
        "C2,U3,2024-06-04 10:00,search,7",
    ]
    (tmp_path / "events.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (tmp_path / "cs.yaml").write_text(f"data: .\ncache:\n  path: {tmp_path / 'cache'}\n  min_bytes: 0\n", encoding="utf-8")
    metric = cli("dau-mau", "--config", tmp_path / "cs.yaml", "-p", "2024-05", "-f", "json")
    again = cli("dau-mau", "--config", tmp_path / "cs.yaml", "-p", "2024-05", "-f", "json")
    whole = cli("validate", "--config", tmp_path / "cs.yaml", "-f", "json", "--no-cache")
    expected = (
        "events.csv: 6 read, 2 used, 4 rejected (empty user_id: 1 (line 3); bad occurred_at (expected a datetime like "
        "2024-05-31T14:03:00): 1 (line 4); bad duration_seconds (expected a number): 1 (line 5); wrong number of cells: 1 (line 6))"
    )
    assert expected in metric.stderr and expected in again.stderr
    row = next(r for r in json.loads(whole.stdout)["rows"] if r["table"] == "events")
    assert (row["read"], row["used"], row["rejected"]) == (6, 2, 4)
    assert json.loads(metric.stdout)["details"]["mau"] == 1 == json.loads(again.stdout)["details"]["mau"]
