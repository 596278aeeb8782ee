"""Docs are code: every metric has a command, help text, a README entry and a docstring, and the
README's quickstart commands are the ones that work."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cs_metrics.cli import app
from cs_metrics.metrics import REGISTRY

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def quickstart() -> list[str]:
    """The shell commands of the README's first screen (the first two sh blocks)."""
    return re.findall(r"```sh\n(.+?)\n```", README)[:2]


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_every_metric_has_a_command_help_readme_entry_and_docstring(name):
    spec = REGISTRY[name]
    result = CliRunner().invoke(app, [name, "--help"])
    assert result.exit_code == 0 and spec.summary.split(":")[0] in " ".join(result.output.split())
    assert f"| `{name}` |" in README
    assert (spec.function().__doc__ or "").strip()


def test_readme_quickstart_runs_the_report_on_the_sample_data(monkeypatch):
    install_and_run = quickstart()[0]
    assert "pip install ." in install_and_run
    command = shlex.split(install_and_run.split("&&")[-1])
    assert command[0] == "cs-metrics"
    monkeypatch.chdir(ROOT)
    result = CliRunner().invoke(app, command[1:] + ["--format", "json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    values = {m["metric"]: m["value"] for m in doc["metrics"]}
    assert values["mrr"] > 0 and values["churn"] is not None and values["nps"] is not None
    assert doc["skipped"] == []  # the sample data holds every table, so every metric runs


def test_readme_test_command_is_the_one_ci_runs():
    test_command = quickstart()[1].split("&&")[-1].strip()
    assert test_command == "python -m pytest -q"
    assert test_command in (ROOT / ".ci" / "run").read_text()


def test_config_example_documents_every_top_level_and_metric_key():
    from cs_metrics.config import Config, MetricsConfig, load_config

    text = (ROOT / "config.example.yaml").read_text(encoding="utf-8")
    load_config(ROOT / "config.example.yaml")  # it is a valid config
    for key in Config.model_fields:
        if key != "base_dir":
            assert re.search(rf"^#? ?{key}:", text, re.M), key
    for metric, field in MetricsConfig.model_fields.items():
        for key in field.annotation.model_fields:
            assert re.search(rf"^\s+{key}:", text, re.M), f"metrics.{metric}.{key}"


def test_readme_and_explain_say_the_same_for_the_ticket_medians_and_revenue_arpu(tmp_path):
    # One definition in code, --explain and the README: the medians are over the tickets created in
    # the period that got a first response / were resolved by its end; revenue ARPU without
    # subscriptions divides by the customers with a positive invoice issued in the period.
    (tmp_path / "tickets.csv").write_text("ticket_id,customer_id,created_at,resolved_at\nT1,C1,2024-05-02 09:00,2024-05-02 11:00\n")
    (tmp_path / "invoices.csv").write_text("invoice_id,customer_id,issued_at,amount\nI1,C1,2024-05-02,10\nI2,C2,2024-05-03,-5\n")
    medians = "over the tickets created in the period that got a first response / were resolved by"
    buyers = "the distinct customers with a positive invoice issued in the period"
    tickets = json.loads(CliRunner().invoke(app, ["tickets", "--data", str(tmp_path), "-p", "2024-05", "-f", "json", "--explain"]).stdout)
    arpu = json.loads(CliRunner().invoke(app, ["arpu", "--data", str(tmp_path), "-p", "2024-05", "-f", "json", "--explain"]).stdout)
    flat = " ".join(README.split())
    assert medians in tickets["definition"] and medians in flat
    assert buyers in arpu["definition"] and buyers in flat
    assert arpu["value"] == 5.0  # (10 - 5) / 1 customer with a positive invoice (C2 only has a credit note)


def test_a_plain_install_carries_every_subpackage(tmp_path):
    # `pip install .` (the README's first command) installs only the packages pyproject names: build
    # the wheel's file list and check that every folder of cs_metrics with an __init__.py is in it.
    from setuptools import find_packages

    packages = set(find_packages(str(ROOT), include=["cs_metrics*"]))
    folders = {".".join(p.relative_to(ROOT).parts[:-1]) for p in (ROOT / "cs_metrics").rglob("__init__.py")}
    assert folders <= packages
    assert 'include = ["cs_metrics*"]' in (ROOT / "pyproject.toml").read_text(encoding="utf-8")
