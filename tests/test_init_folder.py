"""`init --from` on folders as people keep them: one subfolder per tool, several files of one table,
two customer masters, answers only a person has (TODO lines), and the failures issue 11 reported.

Expected mappings come from the fixtures' SOURCE.md / EXPECTED.md; figures from EXPECTED.md.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml

from cs_metrics.init import propose, render_yaml, summary
from test_init_tools import EXPORTS, RATES, RUNNER, answer, app, metric, near, printed, proposed

TOOLS = sorted(p.name for p in EXPORTS.iterdir() if p.is_dir())


def copy_tools(folder: Path, *tools: str) -> Path:
    for tool in tools:
        shutil.copytree(EXPORTS / tool, folder / tool, ignore=shutil.ignore_patterns("*.md", "*.py", "*.yaml"))
    return folder


def only(proposals, table):
    [p] = [p for p in proposals if p.table == table and p.used]
    return p


# --------------------------------------------------------------------------- the failures of issue 11


def test_zendesk_export_is_tickets_not_customers():
    [p] = propose(EXPORTS / "zendesk")
    assert p.table == "tickets"
    assert getattr(p, "tool", None) == "Zendesk"
    assert p.columns["ticket_id"] == "Id"  # the ticket number is the ticket's id ...
    assert p.columns["customer_id"] == "Organization"  # ... and the organization names the customer


def test_thai_invoice_export_is_invoices_not_customers(tmp_path):
    # PEAK's export under a name that says nothing: recognised from its Thai headers
    (tmp_path / "PEAK export 2569-11.csv").write_bytes((EXPORTS / "peak" / "invoices.csv").read_bytes())
    [p] = propose(tmp_path)
    assert p.table == "invoices"
    assert getattr(p, "tool", None) == "PEAK"
    assert p.columns["invoice_id"] == "เลขที่เอกสาร" and p.columns["issued_at"] == "วันที่เอกสาร"
    assert p.columns["customer_id"] == "ชื่อลูกค้า"  # not ลำดับที่, the row number
    assert p.settings["buddhist_era"] is True and p.date_format == "%d/%m/%Y"


def test_thai_invoices_of_an_unknown_tool_are_guessed_as_invoices(tmp_path):
    (tmp_path / "export.csv").write_text(
        "ลำดับที่,เลขที่ใบกำกับภาษี,วันที่,ชื่อลูกค้า,จำนวนเงิน,สถานะ\n"
        "1,INV-001,05/10/2569,บริษัท เอ จำกัด,\"1,200.00\",ชำระแล้ว\n"
        "2,INV-002,06/10/2569,บริษัท บี จำกัด,800.00,ชำระแล้ว\n"
        "3,INV-003,13/10/2569,บริษัท เอ จำกัด,500.00,รอรับชำระ\n",
        encoding="utf-8",
    )
    [p] = propose(tmp_path)
    assert p.table == "invoices" and p.tool is None
    assert p.columns == {"invoice_id": "เลขที่ใบกำกับภาษี", "customer_id": "ชื่อลูกค้า", "issued_at": "วันที่", "amount": "จำนวนเงิน", "status": "สถานะ"}
    assert p.settings["buddhist_era"] is True


def test_amplitude_is_recognised():
    [p] = propose(EXPORTS / "amplitude")
    assert getattr(p, "tool", None) == "Amplitude"
    assert (p.table, p.confidence) == ("events", "high")
    assert p.columns["occurred_at"] == "event_time" and p.settings["timezone"] == "UTC"


def test_per_tool_subfolders_are_read(tmp_path):
    copy_tools(tmp_path, "zendesk", "typeform")
    proposals = propose(tmp_path)
    assert [(p.rel, p.table) for p in proposals] == [
        ("typeform/responses.csv", "surveys"),
        ("zendesk/export-2026-11-30-0930-4411827.csv", "tickets"),
    ]
    raw = yaml.safe_load(render_yaml(proposals, str(tmp_path)))
    assert raw["sources"]["tickets"]["path"] == "zendesk/export-2026-11-30-0930-4411827.csv"


# --------------------------------------------------------------------------- the rest of the list


def test_a_true_false_paid_column_is_never_a_payment_day(tmp_path):
    (tmp_path / "billing.csv").write_text(
        "Invoice,Customer,Date,Amount,Paid\nI1,C1,2026-10-01,10.00,true\nI2,C2,2026-10-02,20.00,false\nI3,C1,2026-10-03,5.00,true\n",
        encoding="utf-8",
    )
    [p] = propose(tmp_path)
    assert p.table == "invoices"
    assert p.columns.get("paid") == "Paid" and "paid_at" not in p.columns
    assert not any("TODO" in n or "CHECK" in n for n in p.notes)


def test_a_flag_named_like_a_date_is_not_mapped_to_it(tmp_path):
    (tmp_path / "orders.csv").write_text(
        "Order ID,Customer ID,Order Date,Total,Payment Date\nO1,C1,2026-10-01,10,yes\nO2,C2,2026-10-02,20,no\n",
        encoding="utf-8",
    )
    [p] = propose(tmp_path)
    assert "paid_at" not in p.columns and p.columns["issued_at"] == "Order Date"


def test_a_row_number_is_never_the_customer_id(tmp_path):
    (tmp_path / "accounts.csv").write_text(
        "No,Customer,Company Name,Created\n1,acme,Acme Inc,2026-01-05\n2,globex,Globex,2026-02-01\n3,initech,Initech,2026-03-01\n",
        encoding="utf-8",
    )
    [p] = propose(tmp_path)
    assert p.table == "customers" and p.columns["customer_id"] == "Customer"


def test_hubspot_record_id_and_create_date_are_mapped():
    p = [p for p in propose(EXPORTS / "hubspot") if p.used][0]
    assert p.columns["customer_id"] == "Record ID" and p.columns["created_at"] == "Create Date"


def test_record_id_and_create_date_of_an_unknown_crm(tmp_path):
    (tmp_path / "companies.csv").write_text("Record ID,Name,Create Date\n101,Acme,2026-06-03 09:15\n102,Globex,2026-07-01 10:00\n")
    [p] = propose(tmp_path)
    assert p.columns == {"customer_id": "Record ID", "name": "Name", "created_at": "Create Date"}


def test_a_datetime_without_seconds_is_read_without_a_todo(tmp_path):
    (tmp_path / "tickets.csv").write_text(
        "Ticket ID,Customer,Created,Solved\nT1,C1,2026-11-29 02:42,2026-11-29 05:10\nT2,C2,2026-11-28 03:42,\n"
    )
    [p] = propose(tmp_path)
    assert (p.datetime_format, p.date_format) == (None, None)
    text = render_yaml([p], str(tmp_path))
    assert "TODO" not in text.split("sources:")[1] and "CHECK" not in text.split("sources:")[1]


def test_a_multi_currency_export_gets_a_currency_block_with_the_rates_as_todo(tmp_path):
    (tmp_path / "subscriptions.csv").write_text(
        "id,customer,start,amount,interval,currency\nS1,C1,2026-01-01,100,month,USD\nS2,C2,2026-01-01,990,month,THB\nS3,C3,2026-02-01,300,month,CNY\n"
    )
    proposals = propose(tmp_path)
    text = render_yaml(proposals, str(tmp_path))
    raw = yaml.safe_load(text)
    assert raw["currency"] == {"base": "USD", "rates": None}
    assert '    # CNY: "TODO 1 CNY in USD"' in text and '    # THB: "TODO 1 THB in USD"' in text
    assert re.search(r"^#   \d\. lines \d+-\d+: the conversion rates to USD of CNY, THB", text, re.M)
    raw = yaml.safe_load(answer(text, rates=RATES))
    assert raw["currency"]["rates"] == {"CNY": 0.14, "THB": 0.028}


def test_last_service_day_is_an_inclusive_end(tmp_path):
    (tmp_path / "contracts.csv").write_text(
        "Contract,Customer,First Service Day,Last Service Day,Monthly Fee\nK1,C1,2026-01-15,2026-03-14,100\nK2,C2,2026-02-10,,50\n"
    )
    [p] = propose(tmp_path)
    assert p.table == "subscriptions"
    assert p.columns["ended_at"] == "Last Service Day" and p.end_inclusive is True
    assert "last day of service" in p.reasons["end_inclusive"]
    raw = yaml.safe_load(render_yaml([p], str(tmp_path)))
    assert raw["sources"]["subscriptions"]["end_inclusive"] is True


def test_a_ticket_export_of_an_unknown_tool_is_told_from_customers_by_its_values(tmp_path):
    (tmp_path / "export.csv").write_text(
        "Id,Organization,Created at,Status,Priority\n"
        "101,Acme,2026-10-01 09:00,Open,High\n102,Acme,2026-10-02 10:00,Closed,Low\n103,Globex,2026-10-03 11:00,Pending,Normal\n"
    )
    proposals = propose(tmp_path)
    [p] = proposals
    assert p.table == "tickets"
    assert (p.columns["ticket_id"], p.columns["customer_id"]) == ("Id", "Organization")
    assert summary(proposals).splitlines()[0] == "export.csv  no known tool -> tickets (medium confidence)"


# --------------------------------------------------------------------------- several tools in one folder


MIXED = ("stripe", "hubspot", "zendesk", "typeform", "googleforms", "surveymonkey", "amplitude")


def test_a_folder_of_per_tool_subfolders_gives_one_working_config(tmp_path):
    folder = copy_tools(tmp_path / "exports", *MIXED)
    cfg, text, out = proposed(folder, tmp_path, rates=RATES)
    raw = yaml.safe_load(text)
    # per file: the tool, the table, the confidence
    assert printed(out, "hubspot/hubspot-crm-exports-all-companies-2026-11-30.csv").endswith("HubSpot companies export -> customers (high confidence)")
    assert printed(out, "zendesk/export-2026-11-30-0930-4411827.csv").endswith("Zendesk tickets export -> tickets (high confidence)")
    assert "not used: the same revenue as stripe/invoices.csv" in printed(out, "stripe/unified_payments.csv")
    assert raw["timezone"] == "Asia/Bangkok"
    # one customer master, every other file joined to it by the key it holds
    customers = raw["sources"]["customers"]
    assert customers["path"] == "hubspot/hubspot-crm-exports-all-companies-2026-11-30.csv"
    assert customers["aliases"] == ["Stripe Customer ID"]
    assert raw["sources"]["tickets"]["customer_key"] == "name"
    assert raw["sources"]["events"]["customer_key"] == "alias" and raw["sources"]["events"]["customer_group"] == "company_id"
    assert raw["sources"]["invoice_lines"]["customer_key"] == "alias"
    # three survey exports, one table: each file its own path, kind and formats
    files = raw["sources"]["surveys"]["files"]
    assert [(f["path"], f["fixed"]["survey"], f["customer_key"]) for f in files] == [
        ("googleforms/CSAT survey (Responses) - Form Responses 1.csv", "csat", "email"),
        ("surveymonkey/Customer Effort Survey.csv", "ces", "email"),
        ("typeform/responses.csv", "nps", "email"),
    ]
    # the numbers of each tool's EXPECTED.md, from the one config
    assert near(metric(cfg, "nps", "2026-10")["value"], 20.0)
    assert near(metric(cfg, "csat", "2026-10")["value"], 70.0)
    assert near(metric(cfg, "ces", "2026-10")["value"], 62.5)
    assert near(metric(cfg, "fcr", "2026-10")["value"], 60.0)
    assert near(metric(cfg, "dau-mau", "2026-10")["value"], 4.66)
    assert near(metric(cfg, "mrr", "2026-10")["value"], 2728.60)
    # MRR by the CRM's country, billing joined to HubSpot (EXPECTED.md of stripe, line-based, and hubspot)
    by_country = {s["segment"]: s["value"] for s in metric(cfg, "mrr", "2026-10", "--by", "Country/Region")["segments"]}
    assert near(by_country["Thailand"], 434.00 + 138.60) and near(by_country["China"], 700.00)
    assert near(by_country["United States"], 496.00 + 360.00) and near(by_country["Singapore"], 600.00)


def test_two_customer_masters_are_a_todo_and_master_picks_the_other(tmp_path):
    folder = copy_tools(tmp_path / "exports", "stripe", "hubspot", "salesforce")
    proposals = propose(folder)
    assert proposals.master.rel.startswith("hubspot/")  # its Stripe ids and domains name the billing customers
    assert [p.rel for p in proposals.other_masters] == ["salesforce/report1796025600000.csv"]
    text = render_yaml(proposals, str(folder))
    [line] = [line for line in text.splitlines() if "which export is your customer master" in line]
    assert "--master salesforce/report1796025600000.csv" in line
    n = int(re.search(r"line (\d+)", line).group(1))
    assert "the customer master" in text.splitlines()[n - 1]
    result = RUNNER.invoke(app, ["init", "--from", str(folder), "--master", "salesforce/report1796025600000.csv", "-o", "-"])
    assert result.exit_code == 0 and 'path: "salesforce/report1796025600000.csv"' in result.stdout
    result = RUNNER.invoke(app, ["init", "--from", str(folder), "--master", "stripe/invoices.csv", "-o", "-"])
    assert result.exit_code == 2 and "not a customer export" in result.stderr
    other = propose(folder, master="salesforce/report1796025600000.csv")
    raw = yaml.safe_load(render_yaml(other, str(folder)))
    assert raw["sources"]["customers"]["path"] == "salesforce/report1796025600000.csv"
    # Salesforce has no Stripe ids: the billing files are joined by the customer's e-mail domain
    assert raw["sources"]["subscriptions"]["customer_key"] == "email"


# --------------------------------------------------------------------------- TODO lines


def _todo_settings(text: str) -> list[int]:
    """The commented settings that carry a TODO: the lines meant to be uncommented."""
    return [
        n
        for n, line in enumerate(text.splitlines())
        if "TODO" in line and re.match(r"\s*# (\"[^\"]*\"|[\w.]+): ", line) and not line.lstrip().startswith("# TODO")
    ]


def _uncomment(text: str, numbers) -> str:
    lines = text.splitlines()
    for n in numbers:
        lines[n] = lines[n].replace("# ", "", 1)
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("tools", [(t,) for t in TOOLS] + [MIXED, ("stripe", "hubspot", "salesforce", "pipedrive")])
def test_every_proposal_is_yaml_before_and_after_uncommenting_each_todo_line(tmp_path, tools):
    folder = copy_tools(tmp_path / "exports", *tools)
    text = render_yaml(propose(folder), str(folder))
    assert isinstance(yaml.safe_load(text), dict)
    todo = _todo_settings(text)
    for n in todo:
        assert isinstance(yaml.safe_load(_uncomment(text, [n])), dict), text.splitlines()[n]
    assert isinstance(yaml.safe_load(_uncomment(text, todo)), dict)
    # every TODO at the top names lines that exist and carry its answer
    for m in re.finditer(r"^#   \d+\. lines? (\d+)(?:-(\d+))?:", text, re.M):
        first = int(m.group(1))
        assert text.splitlines()[first - 1].strip(), m.group(0)


# --------------------------------------------------------------------------- the vendor registry


def test_every_known_export_has_a_fixture_recognised_as_it():
    """A tool is one entry in cs_metrics/vendors and one fixture folder: each entry's fixture is found."""
    from cs_metrics.contract import TABLES
    from cs_metrics.vendors import exports

    recognised = {(p.tool, p.export) for d in EXPORTS.iterdir() if d.is_dir() for p in propose(d)}
    for export in exports():
        assert (export.tool, export.export) in recognised, export.name
        assert export.table in TABLES
        unknown = [c for c in export.columns if c not in TABLES[export.table].names and not TABLES[export.table].open_columns]
        assert not unknown, (export.name, unknown)
