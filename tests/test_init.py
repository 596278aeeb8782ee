"""`cs-metrics init --from DIR`: recognising real exports and proposing a config.

Every expected value below is written by hand from the file the test writes.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from cs_metrics import init
from cs_metrics.config import parse_config
from cs_metrics.init import (
    detect_date_format,
    detect_decimal_comma,
    missing_required,
    normalise_header,
    propose,
    render_yaml,
    starter_config,
)

MRR_PLAYBOOK = Path(__file__).resolve().parent / "data" / "mrr-playbook"


def write(folder: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = folder / name
    path.write_bytes(text.encode(encoding))
    return path


def load(proposals, data_dir, base_dir):
    """Render, check it is YAML, and validate it as a config."""
    text = render_yaml(proposals, str(data_dir))
    raw = yaml.safe_load(text)
    return text, raw, parse_config(raw, base_dir)


def only(proposals, table):
    [p] = [p for p in proposals if p.table == table]
    return p


# --- 1. the real third-party export -------------------------------------------------------------


def test_mrr_playbook_export_is_recognised_as_subscriptions(tmp_path):
    proposals = propose(MRR_PLAYBOOK)

    assert [p.path.name for p in proposals] == ["subscription_periods.csv"]  # SOURCE.md is not an export
    p = proposals[0]
    assert p.table == "subscriptions"
    assert p.columns == {
        "subscription_id": "subscription_id",
        "customer_id": "customer_id",
        "started_at": "start_date",
        "ended_at": "end_date",
        "mrr": "monthly_amount",
    }
    assert (p.delimiter, p.encoding, p.date_format, p.decimal_comma) == (",", "utf-8-sig", None, False)
    assert p.missing_required == [] and p.unmapped_headers == []
    assert p.end_inclusive is False  # its end dates are the first day without service (2019-02-01)

    text, raw, cfg = load(proposals, MRR_PLAYBOOK, tmp_path)
    assert cfg.path_of("subscriptions") == MRR_PLAYBOOK / "subscription_periods.csv"
    assert cfg.sources["subscriptions"].columns["mrr"] == "monthly_amount"
    # Defaults are not written out.
    keys = [line.split(":")[0].strip() for line in text.splitlines() if not line.lstrip().startswith("#")]
    assert not {"delimiter", "encoding", "date_format", "decimal_comma", "end_inclusive"} & set(keys)
    assert "end_inclusive: true is needed" in text


# --- 2. a HubSpot/Stripe-like European export --------------------------------------------------


def test_semicolon_export_with_day_first_dates_and_decimal_comma(tmp_path):
    write(
        tmp_path,
        "hubspot_export.csv",  # no hint in the name: recognised from the headers
        "Company ID;Start Date;End Date;Monthly Amount;Sub ID\n"
        "C-001;31/01/2024;15/03/2024;1.234,50;S-1\n"
        "C-002;01/02/2024;;99,00;S-2\n"
        "C-003;13/02/2024;28/02/2024;12,5;S-3\n",
        encoding="utf-8-sig",  # with a BOM, which must not stick to "Company ID"
    )
    [p] = propose(tmp_path)

    assert p.table == "subscriptions"
    assert p.delimiter == ";"
    assert p.date_format == "%d/%m/%Y"
    assert p.decimal_comma is True
    assert p.columns == {
        "subscription_id": "Sub ID",
        "customer_id": "Company ID",
        "started_at": "Start Date",
        "ended_at": "End Date",
        "mrr": "Monthly Amount",
    }
    assert not any(n.startswith("CHECK") for n in p.notes)  # 31/01 decides day-first

    _, _, cfg = load([p], tmp_path, tmp_path)
    src = cfg.sources["subscriptions"]
    assert (src.delimiter, src.date_format, src.decimal_comma, src.encoding) == (";", "%d/%m/%Y", True, "utf-8-sig")
    assert src.columns["customer_id"] == "Company ID"
    assert cfg.path_of("subscriptions") == tmp_path / "hubspot_export.csv"


# --- 3. customers with segment columns ----------------------------------------------------------


def test_accounts_file_is_customers_and_extra_headers_are_segments(tmp_path):
    write(
        tmp_path,
        "accounts.csv",
        "Customer ID,Company Name,Created,Plan,Region\n"
        "A1,Acme,2024-01-05,Pro,EU\n"
        "A2,บริษัท ไทย,2024-02-10,Basic,APAC\n",
    )
    [p] = propose(tmp_path)

    assert p.table == "customers"
    assert p.columns == {"customer_id": "Customer ID", "name": "Company Name", "created_at": "Created"}
    assert p.segment_headers == ["Plan", "Region"]
    assert p.unmapped_headers == []  # not problems for customers
    assert p.missing_required == []

    text, _, cfg = load([p], tmp_path, tmp_path)
    segment_lines = [line for line in text.splitlines() if "segment" in line]
    assert segment_lines and all(line.lstrip().startswith("#") for line in segment_lines)
    assert "Plan, Region" in segment_lines[0]
    assert "headers not used" not in text
    assert cfg.sources["customers"].columns == {"customer_id": "Customer ID", "name": "Company Name", "created_at": "Created"}


# --- 4. Thai and Chinese survey exports in legacy encodings -------------------------------------


THAI_SURVEY = (
    "รหัสลูกค้า,วันที่ตอบ,แบบสำรวจ,คะแนน,ความคิดเห็น\n"
    "C1,02/05/2024,NPS,9,บริการดีมาก\n"
    "C2,13/05/2024,NPS,3,รอนานเกินไป\n"
)
CHINESE_SURVEY = (
    "客户编号,回复日期,问卷类型,评分,评论\n"
    "C1,2024-05-02,净推荐值,9,服务很好\n"
    "C2,2024-05-03,满意度,4,等待太久\n"
)


@pytest.mark.parametrize(
    "name, text, encoding, columns, date_format, labels",
    [
        (
            "export_th.csv",
            THAI_SURVEY,
            "cp874",
            {
                "customer_id": "รหัสลูกค้า",
                "responded_at": "วันที่ตอบ",
                "survey": "แบบสำรวจ",
                "score": "คะแนน",
                "comment": "ความคิดเห็น",
            },
            "%d/%m/%Y",
            {},  # "NPS" is already a survey kind
        ),
        (
            "export_zh.csv",
            CHINESE_SURVEY,
            "gb18030",
            {
                "customer_id": "客户编号",
                "responded_at": "回复日期",
                "survey": "问卷类型",
                "score": "评分",
                "comment": "评论",
            },
            None,
            {"净推荐值": "nps", "满意度": "csat"},
        ),
    ],
)
def test_thai_and_chinese_survey_exports(tmp_path, name, text, encoding, columns, date_format, labels):
    write(tmp_path, name, text, encoding=encoding)
    [p] = propose(tmp_path)

    assert p.table == "surveys"
    assert p.encoding == encoding
    assert p.columns == columns
    assert p.date_format == date_format
    assert p.survey_labels == labels
    assert p.missing_required == []

    _, _, cfg = load([p], tmp_path, tmp_path)
    src = cfg.sources["surveys"]
    assert src.encoding == encoding
    assert src.columns == columns  # Thai and Chinese headers survive the YAML round trip
    assert src.survey_labels == labels


def test_unknown_survey_labels_get_a_todo(tmp_path):
    write(tmp_path, "responses.csv", "response_id,date,type,rating\nR1,2024-05-01,Onboarding poll,4\n")
    [p] = propose(tmp_path)
    assert p.table == "surveys"
    assert p.columns == {"response_id": "response_id", "responded_at": "date", "survey": "type", "score": "rating"}
    assert p.survey_labels == {}
    text, _, _ = load([p], tmp_path, tmp_path)
    assert "# TODO: survey labels not recognised: Onboarding poll" in text


# --- 5. a file that matches nothing -------------------------------------------------------------


def test_unrecognised_file_is_listed_in_a_comment_only(tmp_path):
    write(tmp_path, "notes.txt", "colour,shape,weight\nred,round,3\n")
    write(tmp_path, "README.md", "customer_id,started_at\n")  # not an export extension
    (tmp_path / ".hidden").mkdir()
    write(tmp_path / ".hidden", "subscriptions.csv", "subscription_id,customer_id,started_at,mrr\n")  # a hidden folder

    [p] = propose(tmp_path)
    assert p.path == tmp_path / "notes.txt"
    assert p.table is None
    assert p.columns == {}
    assert p.unmapped_headers == ["colour", "shape", "weight"]

    text, raw, cfg = load([p], tmp_path, tmp_path)
    assert raw["sources"] == {}
    assert cfg.sources == {}
    mentions = [line for line in text.splitlines() if "notes.txt" in line]
    assert mentions and all(line.startswith("#") for line in mentions)
    assert any("colour, shape, weight" in m for m in mentions)


# --- 6. a missing required column ---------------------------------------------------------------


def test_missing_required_column_gives_todo_and_still_validates(tmp_path):
    write(tmp_path, "subscriptions.csv", "sub_id,start_date,mrr\nS1,2024-01-01,10\n")
    [p] = propose(tmp_path)

    assert p.table == "subscriptions"  # the file name is a strong hint
    assert p.missing_required == ["customer_id"]
    assert p.columns == {"subscription_id": "sub_id", "started_at": "start_date", "mrr": "mrr"}

    text, _, cfg = load([p], tmp_path, tmp_path)
    assert "# missing required columns: customer_id" in text
    assert any(line.lstrip().startswith("# TODO") for line in text.splitlines())
    assert '      # customer_id: "TODO export header"' in text
    assert cfg.sources["subscriptions"].columns == {"subscription_id": "sub_id", "started_at": "start_date", "mrr": "mrr"}


def test_file_with_hint_but_no_columns_still_validates(tmp_path):
    write(tmp_path, "customers.csv", "foo,bar\n1,2\n")
    [p] = propose(tmp_path)
    assert p.table == "customers"
    assert p.missing_required == ["customer_id"]
    text, raw, cfg = load([p], tmp_path, tmp_path)
    assert raw["sources"]["customers"]["columns"] is None  # `columns:` left empty, ready for the TODO line below it
    assert '    columns:\n      # customer_id: "TODO export header"' in text
    assert cfg.sources["customers"].columns == {}


def _todo_settings(text: str) -> list[int]:
    """The commented settings that carry a TODO (`# key: "TODO ..."`): the lines meant to be uncommented."""
    return [
        n
        for n, line in enumerate(text.splitlines())
        if line.lstrip().startswith("# ") and "TODO" in line and re.match(r"\s*# (\"[^\"]*\"|[\w.]+): ", line)
        and not line.lstrip().startswith("# TODO")
    ]


def _uncomment(text: str, numbers) -> str:
    lines = text.splitlines()
    for n in numbers:
        lines[n] = lines[n].replace("# ", "", 1)
    return "\n".join(lines) + "\n"


def test_uncommenting_any_todo_line_of_a_proposal_keeps_the_yaml_valid(tmp_path):
    write(tmp_path, "customers.csv", "foo,bar\n1,2\n")  # no column recognised
    write(tmp_path, "subscriptions.csv", "sub_id,start_date,mrr\nS1,31st May 2024,10\n")  # no customer_id, odd dates
    write(tmp_path, "responses.csv", "response_id,date,type,rating\nR1,2024-05-01,Onboarding poll,4\nR2,2024-05-01,NPS,9\n")
    proposals = propose(tmp_path)
    text = render_yaml(proposals, str(tmp_path))
    todo = _todo_settings(text)
    uncommented = sorted(text.splitlines()[n].strip() for n in todo)
    assert uncommented == [
        '# "Onboarding poll": "TODO nps, csat or ces"',  # surveys
        '# customer_id: "TODO export header"',  # customers
        '# customer_id: "TODO export header"',  # subscriptions
        '# date_format: "TODO strptime format, e.g. %d.%m.%Y"',  # subscriptions
    ]
    for n in todo:  # each one alone, then all at once
        raw = yaml.safe_load(_uncomment(text, [n]))
        assert isinstance(raw["sources"], dict)
    raw = yaml.safe_load(_uncomment(text, todo))
    assert raw["sources"]["customers"]["columns"] == {"customer_id": "TODO export header"}
    assert raw["sources"]["subscriptions"]["columns"]["customer_id"] == "TODO export header"
    assert raw["sources"]["subscriptions"]["date_format"] == "TODO strptime format, e.g. %d.%m.%Y"
    assert raw["sources"]["surveys"]["survey_labels"]["Onboarding poll"] == "TODO nps, csat or ces"


def test_missing_required_considers_one_of_groups():
    # subscriptions need mrr, or amount + interval
    base = {"subscription_id": "a", "customer_id": "b", "started_at": "c"}
    assert missing_required("subscriptions", {**base, "mrr": "m"}) == []
    assert missing_required("subscriptions", {**base, "amount": "x", "interval": "y"}) == []
    assert missing_required("subscriptions", {**base, "amount": "x"}) == ["interval"]
    assert missing_required("subscriptions", base) == ["mrr"]
    assert missing_required("invoices", {"invoice_id": "i"}) == ["customer_id", "issued_at", "amount"]


def test_amount_and_interval_export_reports_the_one_of_in_the_yaml(tmp_path):
    write(tmp_path, "subscriptions.csv", "id,customer,start,amount\nS1,C1,2024-01-01,120\n")
    [p] = propose(tmp_path)
    assert p.columns == {"subscription_id": "id", "customer_id": "customer", "started_at": "start", "amount": "amount"}
    assert p.missing_required == ["interval"]
    text, _, _ = load([p], tmp_path, tmp_path)
    assert "# missing required columns: mrr or amount + interval" in text


# --- choosing between files and tables ----------------------------------------------------------


def test_one_file_per_table_best_score_wins(tmp_path):
    write(tmp_path, "subscriptions.csv", "subscription_id,customer_id,started_at,ended_at,mrr\nS1,C1,2024-01-01,,10\n")
    write(tmp_path, "old_subscriptions.csv", "customer_id,started_at\nC1,2023-01-01\n")
    write(tmp_path, "invoices.csv", "invoice_id,customer_id,issued_at,amount\nI1,C1,2024-01-01,10\n")

    proposals = propose(tmp_path)
    assert [p.path.name for p in proposals] == ["invoices.csv", "old_subscriptions.csv", "subscriptions.csv"]
    assert [p.table for p in proposals] == ["invoices", None, "subscriptions"]
    loser = proposals[1]
    assert any("subscriptions.csv scored higher" in n for n in loser.notes)

    text, raw, cfg = load(proposals, tmp_path, tmp_path)
    assert set(raw["sources"]) == {"invoices", "subscriptions"}
    assert cfg.path_of("subscriptions") == tmp_path / "subscriptions.csv"
    assert [line for line in text.splitlines() if "old_subscriptions.csv" in line][0].startswith("#   ")


def test_headers_are_stripped_like_the_loader_strips_them(tmp_path):
    write(tmp_path, "customers.csv", " Customer ID , Plan \nC1,Pro\n")
    [p] = propose(tmp_path)
    assert p.columns == {"customer_id": "Customer ID"}
    assert p.segment_headers == ["Plan"]


def test_file_name_decides_when_headers_fit_two_tables(tmp_path):
    # id/name/created fit customers (3 of 3 headers) better than leads (2 of 3), but the name says trials.
    write(tmp_path, "trials.csv", "id,name,created\nT1,Acme,2024-01-01\n")
    [p] = propose(tmp_path)
    assert p.table == "leads"
    assert p.columns == {"lead_id": "id", "created_at": "created"}
    assert p.unmapped_headers == ["name"]


@pytest.mark.parametrize(
    "text, encoding",
    [
        ("名字,颜色\n张三,红色\n李四,蓝色\n", "gb18030"),  # no known header: decided by how Chinese it reads
        ("ชื่อเล่น,สีที่ชอบ\nสมชาย,แดง\nสมหญิง,ฟ้า\n", "cp874"),  # ... or how Thai it reads
        ("Name,City\nMüller,Zürich\n", "latin-1"),
        ("Name,City\nMüller,Zürich\n", "utf-8"),
    ],
)
def test_detect_encoding_without_known_headers(text, encoding):
    expected = "utf-8-sig" if encoding == "utf-8" else encoding
    found, decoded = init.detect_encoding(text.encode(encoding))
    assert found == expected
    assert decoded == text


def test_payments_export_uses_payment_date_as_issue_date(tmp_path):
    write(tmp_path, "payments.csv", "Payment ID,Customer,Payment Date,Amount\nP1,C1,2024-03-01,\"1,234.50\"\n")
    [p] = propose(tmp_path)
    assert p.table == "invoices"
    assert p.columns == {"invoice_id": "Payment ID", "customer_id": "Customer", "issued_at": "Payment Date", "amount": "Amount"}
    assert p.decimal_comma is False


def test_events_recognised_from_headers_alone(tmp_path):
    write(tmp_path, "export_2024.csv", "account_id,user_email,timestamp,action\nA1,x@y.z,2024-05-01T10:00:00,login\n")
    [p] = propose(tmp_path)
    assert p.table == "events"
    assert p.columns == {"customer_id": "account_id", "user_id": "user_email", "occurred_at": "timestamp", "event": "action"}


def test_tsv_tickets_with_datetimes(tmp_path):
    write(
        tmp_path,
        "support_cases.tsv",
        "Case Number\tAccount ID\tOpened At\tClosed At\tPriority\n"
        "T1\tA1\t31/05/2024 14:03\t01/06/2024 09:00\thigh\n",
    )
    [p] = propose(tmp_path)
    assert p.table == "tickets"
    assert p.delimiter == "\t"
    # datetime columns have a format of their own (no date column here)
    assert (p.date_format, p.datetime_format) == (None, "%d/%m/%Y %H:%M")
    assert p.columns == {
        "ticket_id": "Case Number",
        "customer_id": "Account ID",
        "created_at": "Opened At",
        "resolved_at": "Closed At",
        "priority": "Priority",
    }
    _, _, cfg = load([p], tmp_path, tmp_path)
    assert cfg.sources["tickets"].delimiter == "\t"


def test_month_end_end_dates_propose_end_inclusive(tmp_path):
    write(
        tmp_path,
        "subscriptions.csv",
        "id,customer_id,start,end,mrr\n"
        "S1,C1,2024-01-01,2024-01-31,10\n"
        "S2,C1,2024-02-01,2024-02-29,10\n"
        "S3,C2,2024-03-01,2024-04-30,20\n",
    )
    [p] = propose(tmp_path)
    assert p.end_inclusive is True
    _, _, cfg = load([p], tmp_path, tmp_path)
    assert cfg.sources["subscriptions"].end_inclusive is True


def test_dates_of_all_date_columns_settle_the_format(tmp_path):
    # Start dates alone are ambiguous; the end date 31/01/2024 is day-first.
    write(tmp_path, "subs.csv", "id;customer;start;end;mrr\nS1;C1;01/01/2024;31/01/2024;5\nS2;C1;01/02/2024;;5\n")
    [p] = propose(tmp_path)
    assert p.date_format == "%d/%m/%Y"
    assert not any(n.startswith("CHECK") for n in p.notes)


def test_ambiguous_day_month_defaults_to_day_first_with_a_comment(tmp_path):
    write(tmp_path, "leads.csv", "Lead ID,Signup Date,Lead Source\nL1,03/04/2024,ads\nL2,05/06/2024,seo\n")
    [p] = propose(tmp_path)
    assert p.table == "leads"
    assert p.columns == {"lead_id": "Lead ID", "created_at": "Signup Date", "source": "Lead Source"}
    assert p.date_format == "%d/%m/%Y"
    text, _, cfg = load([p], tmp_path, tmp_path)
    assert "# CHECK: every date sampled (e.g. 03/04/2024) reads both day-first and month-first" in text
    assert cfg.sources["leads"].date_format == "%d/%m/%Y"


# --- building blocks ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "header, expected",
    [
        ("  Customer ID ", "customer_id"),
        ("Start-Date", "start_date"),
        ("__MRR ($)__", "mrr"),
        ("客户 ID", "客户_id"),
        ("วันที่ เริ่ม", "วันที่_เริ่ม"),  # Thai vowel and tone marks are kept
    ],
)
def test_normalise_header(header, expected):
    assert normalise_header(header) == expected


@pytest.mark.parametrize(
    "values, expected",
    [
        (["2024-01-31", "2024-02-01T10:00:00"], None),
        (["31/01/2024", "01/02/2024"], "%d/%m/%Y"),
        (["01/31/2024", "02/01/2024"], "%m/%d/%Y"),
        (["31.01.2024"], "%d.%m.%Y"),
        (["31/01/2024 14:03", "01/02/2024 09:15:00"], "%d/%m/%Y"),  # the date part only, as the loader reads it
        (["31 Jan 2024"], None),  # the loader cuts at the space: no format can read it
        (["2024/01/31"], "%Y/%m/%d"),
        (["31-01-2024"], "%d-%m-%Y"),
    ],
)
def test_detect_date_format(values, expected):
    assert detect_date_format(values)[0] == expected


@pytest.mark.parametrize(
    "values, delimiter, expected",
    [
        (["1.234,50"], ",", True),
        (["12,5"], ";", True),
        (["12,5"], ",", False),  # a comma file: could be a thousands separator cut short, say nothing
        (["1,234.50"], ",", False),
        (["12,50", "3.99"], ";", False),  # a dot decimal anywhere wins
        (["1234", "-20"], ";", False),
    ],
)
def test_detect_decimal_comma(values, delimiter, expected):
    assert detect_decimal_comma(values, delimiter) is expected


def test_starter_config_reads_the_package_resource(tmp_path, monkeypatch):
    pkg = tmp_path / "fake_starter_pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "config.example.yaml").write_text("# starter\ndata: data\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(init, "STARTER_PACKAGE", "fake_starter_pkg")
    assert starter_config() == "# starter\ndata: data\n"


def test_starter_config_is_the_real_example():
    example = Path(init.__file__).parent.parent / "config.example.yaml"
    text = example.read_text(encoding="utf-8")
    assert "sources:" in text and "metrics:" in text  # the documented example, not a stub
    assert starter_config() == text


def test_date_format_is_proposed_when_a_few_sampled_dates_are_impossible():
    # 4 of 5 read as day-first (31/02 is no date): 80 % is enough, and the note names the bad one
    fmt, notes = detect_date_format(["01/01/2024", "15/01/2024", "31/02/2024", "10/05/2024", "20/05/2024"])
    assert fmt == "%d/%m/%Y"
    assert any(n.startswith("CHECK: 1 of 5") and "'31/02/2024'" in n for n in notes)
    # 1 of 2 is not enough: the format is left to the user
    fmt, notes = detect_date_format(["01/01/2024", "31/02/2024"])
    assert fmt is None and notes[-1].startswith("TODO")


def test_detect_encoding_of_excel_unicode_text():
    # Excel's "Unicode text" is UTF-16 with a BOM; read as latin-1 every header would be full of NULs
    raw = "Customer ID\tName\nC1\tสมชาย\n".encode("utf-16")
    found, text = init.detect_encoding(raw)
    assert found == "utf-16" and text.startswith("Customer ID\tName")


def test_detect_encoding_prefers_cp1252_for_smart_quotes():
    raw = "name,comment\nAcme,\u201cgreat\u201d \u2013 thanks\n".encode("cp1252")
    found, text = init.detect_encoding(raw)
    assert found == "cp1252" and "\u201cgreat\u201d \u2013" in text


def test_init_proposes_utf16_for_a_utf16_export(tmp_path):
    (tmp_path / "customers.txt").write_bytes("Customer ID\tCompany Name\nC1\tAcme\n".encode("utf-16"))
    proposals = propose(tmp_path)
    assert proposals[0].encoding == "utf-16" and proposals[0].delimiter == "\t"
    assert proposals[0].columns["customer_id"] == "Customer ID"
