"""The auditable workbook (`report --output FILE.xlsx --audit`): its formulas are recomputed by an
independent Excel formula engine (the `formulas` package) and must give the hand-computed values
of the May fixture and, in the Checks sheet, zero differences from what cs-metrics computed.

THE MAY FIXTURE (tests/frames.py). Period 2024-05, previous 2024-04; opening = end of 04-30.
  April: A 100, B 200, E 300, G 100 all month, nothing moves: opening = closing = 700, 4 customers.
  May:  new C 50 + F 60 = 110, reactivation D 90, expansion A 50 + G 20 = 70, contraction E 50,
        churn B 200: closing = 700 + 110 + 90 + 70 - 50 - 200 = 720; customers 4 + 2 + 1 - 1 = 6.
        ARR = 12 x 720 = 8,640; ARPU = 720 / 6 = 120; quick ratio = (110 + 90 + 70) / (50 + 200) = 1.08
        S = {A, B, E, G}: opening 700, closing 150 + 0 + 250 + 120 = 520 -> NRR 520 / 700 = 74.2857 %;
        retained min(.) 100 + 0 + 250 + 100 = 450 -> GRR 64.2857 %; revenue churn (50 + 200) / 700 =
        35.7143 %; net MRR churn (250 - 70) / 700 = 25.7143 %; growth (520 - 700) / 700 = -25.7143 %;
        churn 1 (B) / 4 = 25 %.
  April's quick ratio: nothing lost -> n/a. April's NRR 100 %, churn 0 %.
  Trailing 12 months to 2024-05-31 (opening 2023-05-31): S = {D 80} (paid 2023-01..2023-06), back at 90:
        NRR 90 / 80 = 112.5 %, GRR 80 / 80 = 100 %, logo churn 0 %, logo retention 100 %.
  Trailing 12 months to 2024-04-30 (opening 2023-04-30): S = {D 80}, not paying on 2024-04-30:
        NRR 0 %, GRR 0 %, logo churn 100 %, logo retention 0 %.
"""

from __future__ import annotations

import numbers

import formulas
import openpyxl
import pytest
from typer.testing import CliRunner

from cs_metrics.cli import app
from cs_metrics.config import parse_config
from cs_metrics.period import parse_period
from cs_metrics.xlsx_audit import audit_workbook
from frames import may_subscriptions

MAY = parse_period("2024-05")
SHEETS = ["About", "Bridge", "Retention", "Metrics", "Checks"]


def evaluate(path) -> dict[str, object]:
    """Every cell's value as the formula engine computes it, keyed 'Sheet!A1'."""
    solution = formulas.ExcelModel().loads(str(path)).finish().calculate()
    out = {}
    for key, cell in solution.items():
        value = getattr(cell, "value", None)
        if value is None or getattr(value, "shape", None) != (1, 1):
            continue  # a range
        sheet, ref = key.split("]", 1)[1].split("!")
        v = value[0][0]
        out[f"{sheet.strip(chr(39)).title()}!{ref}"] = v.item() if hasattr(v, "item") else v
    return out


def build(tmp_path, period=MAY, config=None, recompute=True):
    path = tmp_path / "audit.xlsx"
    audit_workbook({"subscriptions": may_subscriptions()}, period, parse_config(config or {})).save(path)
    return path, openpyxl.load_workbook(path), evaluate(path) if recompute else {}


@pytest.fixture(scope="module")
def may(tmp_path_factory):
    return build(tmp_path_factory.mktemp("audit"))


def metric_values(wb, values) -> dict[str, tuple]:
    """Metrics sheet: label -> (this period, previous, change) as the formula engine computes them."""
    ws = wb["Metrics"]
    return {ws.cell(r, 1).value: tuple(values[f"Metrics!{c}{r}"] for c in "DEF") for r in range(2, ws.max_row + 1)}


def test_the_metrics_recomputed_from_the_formulas_are_the_hand_computed_ones(may):
    _, wb, values = may
    m = metric_values(wb, values)
    assert m["Opening MRR"] == pytest.approx((700, 700, 0))
    assert [m[f"{k} MRR"][0] for k in ("New", "Reactivation", "Expansion", "Contraction", "Churn")] == pytest.approx([110, 90, 70, 50, 200])
    assert m["Closing MRR"] == pytest.approx((720, 700, 20)) and m["Net new MRR"][0] == pytest.approx(20)
    assert m["ARR"] == pytest.approx((8640, 8400, 240))
    assert m["Paying customers at closing"] == (6, 4, 2) and m["ARPU"][0] == pytest.approx(120)
    assert m["Quick ratio"] == (pytest.approx(1.08), "n/a", "n/a")  # April lost nothing: undefined
    assert m["NRR"] == pytest.approx((520 / 7, 100, 520 / 7 - 100))
    assert m["GRR"][0] == pytest.approx(450 / 7) and m["Revenue churn (gross)"][0] == pytest.approx(250 / 7)
    assert m["Net MRR churn"][0] == pytest.approx(180 / 7) and m["Revenue growth"][0] == pytest.approx(-180 / 7)
    assert m["Customer churn"] == pytest.approx((25, 0, 25))
    assert m["NRR, trailing 12 months"] == pytest.approx((112.5, 0, 112.5))
    assert m["GRR, trailing 12 months"] == pytest.approx((100, 0, 100))
    assert m["Customer churn, trailing 12 months"] == pytest.approx((0, 100, -100))
    assert m["Logo retention, trailing 12 months"] == pytest.approx((100, 0, 100))


def test_checks_show_zero_differences_for_every_formula(may):
    _, wb, values = may
    formula_cells = [
        f"{ws.title}!{c.coordinate}" for ws in (wb["Bridge"], wb["Retention"], wb["Metrics"]) for row in ws.iter_rows() for c in row
        if c.data_type == "f"
    ]  # fmt: skip
    checks = wb["Checks"]
    checked = [f"{checks.cell(r, 1).value}!{checks.cell(r, 2).value}" for r in range(5, checks.max_row + 1)]
    assert sorted(checked) == sorted(formula_cells)  # every formula of the three sheets is checked, once
    assert values["Checks!B1"] == len(formula_cells) and values["Checks!B2"] == 0
    for r in range(5, checks.max_row + 1):
        assert (values[f"Checks!F{r}"], values[f"Checks!G{r}"]) == (0, "ok"), checks.cell(r, 3).value
    assert values[f"About!B{wb['About'].max_row}"] == 0  # the About sheet shows the count of differences


def test_every_derivable_number_is_a_formula_and_data_stays_numbers(may):
    _, wb, _ = may
    bridge = wb["Bridge"]
    header = [c.value for c in bridge[1]]
    april, may_row = 2, 3
    kinds = {name: (bridge.cell(april, j).data_type, bridge.cell(may_row, j).data_type) for j, name in enumerate(header, 1)}
    assert kinds["opening MRR"] == ("n", "f")  # May opens where April closed: only the first opening is data
    assert kinds["closing MRR"] == kinds["quick ratio"] == kinds["closing customers"] == ("f", "f")
    assert kinds["new MRR"] == kinds["churn MRR"] == ("n", "n")
    assert bridge.cell(may_row, header.index("new MRR") + 1).value == pytest.approx(110)
    retention = wb["Retention"]
    rh = [c.value for c in retention[1]]
    one_month = {name: retention.cell(4, j).data_type for j, name in enumerate(rh, 1)}  # May's own cohort
    assert all(one_month[k] == "f" for k in ("starting customers", "opening MRR of S", "churn of S", "closing MRR of S"))
    trailing = {name: retention.cell(5, j).data_type for j, name in enumerate(rh, 1)}  # twelve months back: data
    assert trailing["opening MRR of S"] == "n" and trailing["closing MRR of S"] == "f"
    metrics = wb["Metrics"]
    assert all(metrics.cell(r, c).data_type == "f" for r in range(2, metrics.max_row + 1) for c in (4, 5, 6))
    assert metrics["D2"].number_format == "#,##0.00"
    numbers_ = [c.value for ws in wb for row in ws.iter_rows() for c in row if c.data_type == "n" and c.value is not None]
    assert numbers_ and all(isinstance(v, numbers.Number) or hasattr(v, "year") for v in numbers_)


@pytest.mark.parametrize(
    "period, config",
    [
        ("2024-Q2", {"metrics": {"churn": {"include_new": True}}}),
        ("2024-05", {"metrics": {"churn": {"method": "net"}}}),
    ],
)
def test_a_quarter_and_the_churn_definitions_check_out(tmp_path, period, config):
    path, wb, values = build(tmp_path, parse_period(period), config)
    assert values["Checks!B1"] > 50 and values["Checks!B2"] == 0
    m = metric_values(wb, values)
    if period == "2024-Q2":  # Q2 = April (flat) + May: the bridge of three monthly steps, opening 03-31
        assert wb["Bridge"].max_row == 1 + 3 + 3 and m["Closing MRR"][0] == pytest.approx(720)
    churn = next(k for k in m if k.startswith("Customer churn") and "trailing" not in k)
    if config.get("metrics", {}).get("churn", {}).get("method") == "net":  # (4 - 6) / 4 = -50 %
        assert m[churn][0] == pytest.approx(-50)
    elif config:  # include_new: H (paid 05-10..05-20 only) also counts: (1 + 1) / 4 = 50 %
        assert m[churn][0] == pytest.approx(50)


def test_text_cells_are_guarded_against_formula_injection(tmp_path):
    # the currency code is the one text from the config that reaches the workbook
    _, wb, _ = build(tmp_path, config={"currency": {"base": "=cmd|'/c calc'!A1"}}, recompute=False)
    cell = wb["About"]["B4"]
    assert cell.data_type == "s" and cell.value.startswith("'=")


RUNNER = CliRunner()


def test_cli_report_audit_writes_the_workbook(tmp_path):
    frame = may_subscriptions()
    rows = ["subscription_id,customer_id,started_at,ended_at,mrr,is_trial"]
    for r in frame.itertuples():
        end = "" if r.ended_at != r.ended_at else f"{r.ended_at:%Y-%m-%d}"
        rows.append(f"{r.subscription_id},{r.customer_id},{r.started_at:%Y-%m-%d},{end},{r.mrr / 1_440_000:g},{str(r.is_trial).lower()}")
    (tmp_path / "subscriptions.csv").write_text("\n".join(rows) + "\n")
    out = tmp_path / "kpis.xlsx"
    base = ["report", "--data", str(tmp_path), "--period", "2024-05"]
    result = RUNNER.invoke(app, [*base, "--output", str(out), "--audit"])
    assert result.exit_code == 0, result.output
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == SHEETS
    assert evaluate(out)["Checks!B2"] == 0
    for extra in (["--format", "csv"], ["--output", str(out), "--by", "plan"], ["--output", str(out), "--trend", "3"]):
        refused = RUNNER.invoke(app, [*base, *extra, "--audit"])
        assert refused.exit_code == 2 and "--audit" in refused.stderr
