"""Thai and Chinese for what people read; English and ISO for what machines read.

The sample data is computed once (a report of every metric, plus the per-customer listings) and
rendered in every language: the tables, --explain and the report in Thai and Chinese carry no
English word but acronyms and identifiers (an independent checker finds untranslated Latin words),
the machine formats are the same bytes in every language and calendar, the Buddhist era shows
พ.ศ. years in tables only, and a Thai customer name keeps the columns of a table aligned."""

from __future__ import annotations

import copy
import csv
import json
import pickle
import re
import typing
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner
from wcwidth import wcswidth

from cs_metrics import i18n
from cs_metrics.cli import app, help_language
from cs_metrics.i18n import T, catalog, join
from cs_metrics.i18n.check import code_messages, problems

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "sample_data"
LANGS = ("th", "zh")
runner = CliRunner()


# --------------------------------------------------------------------------- catalogues


@pytest.mark.parametrize("lang", LANGS)
def test_every_message_of_the_code_has_a_translation(lang):
    found = problems(lang)
    assert found["not constant"] == []  # T() and _() take a constant message id, never an f-string
    assert found["missing"] == [], "run python -m cs_metrics.i18n.check for the entries to fill in"


@pytest.mark.parametrize("lang", LANGS)
def test_no_translation_drops_or_adds_a_placeholder(lang):
    assert problems(lang)["placeholders"] == []


@pytest.mark.parametrize("lang", LANGS)
def test_catalogues_hold_no_stale_or_repeated_message(lang):
    found = problems(lang)
    assert found["stale"] == [] and found["duplicates"] == []


def test_the_checks_fail_on_a_missing_message_and_a_dropped_placeholder(monkeypatch):
    """The two checks above can fail: a message the code has and the catalogue lacks, and a
    translation that lost its {placeholder}."""
    text = catalog.read("th")
    broken = [dict(e) for e in text]
    victim = next(e for e in broken if e["msgctxt"] is None and "{day}" in e["msgid"])
    victim["msgstr"] = victim["msgstr"].replace("{day}", "")
    dropped = next(e for e in broken if e["msgctxt"] is None and e["msgid"] == "the due day")
    broken.remove(dropped)
    monkeypatch.setattr(catalog, "read", lambda lang: broken)
    catalog.load.cache_clear()
    try:
        found = problems("th")
    finally:
        catalog.load.cache_clear()
    assert "the due day" in found["missing"]
    assert (victim["msgid"], victim["msgstr"]) in found["placeholders"]


def test_every_metric_has_a_name_in_every_language():
    from cs_metrics.metrics import REGISTRY

    for lang in LANGS:
        names = catalog.load(lang)
        for name in [*REGISTRY, "nrr"]:
            assert f"metric\x04{name}" in names, (lang, name)


def test_po_parser_reads_contexts_continued_lines_escapes_and_skips_fuzzy():
    text = (
        'msgid ""\nmsgstr "Language: th\\n"\n\n'
        '# a comment\nmsgctxt "label"\nmsgid "opening_mrr"\nmsgstr "MRR ต้นงวด"\n\n'
        'msgid "a \\"quoted\\" "\n"continued"\nmsgstr "x\\ty"\n\n'
        '#, fuzzy\nmsgid "rough"\nmsgstr "ยังไม่แน่ใจ"\n'
    )
    entries = catalog.parse(text)
    assert [catalog.key(e) for e in entries] == ["", "label\x04opening_mrr", 'a "quoted" continued', "rough"]
    assert entries[2]["msgstr"] == "x\ty" and entries[3]["fuzzy"]
    with pytest.raises(ValueError, match="3"):
        catalog.parse('msgid "a"\nmsgstr "b"\nnonsense\n')


# --------------------------------------------------------------------------- T: English unchanged


def test_t_is_its_english_text_and_keeps_its_parts_through_plus_join_copy_and_pickle():
    when = T("issued on or before {day}", day=date(2026, 10, 31))
    text = T("{renewed} renewed / {due} due x 100 = {value} %", renewed=5, due=7, value="71.43") + "; " + when
    assert text == "5 renewed / 7 due x 100 = 71.43 %; issued on or before 2026-10-31" and isinstance(text, str)
    joined = join(", ", [T("churn"), "plain", T("usage")])
    assert joined == "churn, plain, usage"
    assert json.dumps({"w": text}) == '{"w": "5 renewed / 7 due x 100 = 71.43 %; issued on or before 2026-10-31"}'
    for again in (copy.copy(text), copy.deepcopy(text), pickle.loads(pickle.dumps(text))):
        assert again == text
        with i18n.using("th"):
            assert i18n.tr(again) == i18n.tr(text) == "ต่ออายุ 5 / ครบกำหนด 7 x 100 = 71.43 %; ที่ออกในหรือก่อน 2026-10-31"
    with i18n.using("zh"):
        assert i18n.tr(joined) == "流失率, plain, 使用率"  # plain text stays as it is
        assert i18n.tr(T.word("at_risk")) == "有风险" and i18n.tr(T.metric("nps")) == "净推荐值（NPS）"


def test_buddhist_era_shifts_days_and_periods_for_people_only():
    with i18n.using("th", buddhist_era=True):
        assert i18n.era(date(2026, 10, 31)) == "2569-10-31"
        assert [i18n.era(x) for x in ("2026-10", "2026-Q3", "2026-W18", "2025-11..2026-10", "12m", "C0035")] == [
            "2569-10", "2569-Q3", "2569-W18", "2568-11..2569-10", "12m", "C0035",
        ]  # fmt: skip
        assert i18n.tr(T("{n} tickets created from {start} to {end}", n=3, start=date(2026, 10, 1), end=date(2026, 10, 31))) == (
            "ตั๋วที่สร้าง 3 รายการ ตั้งแต่ 2569-10-01 ถึง 2569-10-31"
        )
    assert i18n.era(date(2026, 10, 31)) == "2026-10-31"


@pytest.mark.parametrize(
    "env, lang",
    [
        ({"LANG": "th_TH.UTF-8"}, "th"),
        ({"LC_ALL": "zh_CN.UTF-8", "LANG": "th_TH.UTF-8"}, "zh"),
        ({"LANGUAGE": "de:th", "LANG": "en_US.UTF-8"}, "th"),
        ({"LANG": "zh_TW.UTF-8"}, "zh"),
        ({"LANG": "C.UTF-8"}, None),
        ({"LC_ALL": "de_DE.UTF-8", "LANG": "th_TH.UTF-8"}, None),
        ({}, None),
    ],
)
def test_language_of_the_locale(env, lang):
    assert i18n.from_locale(env) == lang


# --------------------------------------------------------------------------- the sample data in every language


def _allowed_words() -> set[str]:
    """Latin words that may stay in Thai and Chinese output: identifiers (metric ids, tables, columns,
    config keys and values), and the sample data's own text (names, plans, regions, events,
    categories, comments), which is data, not ours to translate."""
    from pydantic import BaseModel

    from cs_metrics.config import Config
    from cs_metrics.contract import TABLES
    from cs_metrics.metrics import REGISTRY

    words = set(REGISTRY) | {"nrr", "n/a", "true", "false"} | set(TABLES)  # and the config's booleans
    words |= {c for spec in REGISTRY.values() for o in spec.options for c in o.choices}  # --kind logo
    words |= {c for t in TABLES.values() for c in t.names}

    def walk(model) -> None:
        for name, field in model.model_fields.items():
            words.add(name)
            for arg in typing.get_args(field.annotation) or (field.annotation,):
                if typing.get_origin(arg) is typing.Literal:
                    words.update(str(v) for v in typing.get_args(arg))
                elif isinstance(arg, type) and issubclass(arg, BaseModel):
                    walk(arg)
            if typing.get_origin(field.annotation) is typing.Literal:
                words.update(str(v) for v in typing.get_args(field.annotation))

    walk(Config)
    # formula notation and the tools the definitions name
    words |= {"x", "k", "n", "t", "S", "mk", "min", "ceil", "np.quantile", "linear", "pythainlp", "newmm", "jieba", "rjieba", "rank"}
    data = {"customers.csv": ("name", "plan", "region", "industry", "owner"), "subscriptions.csv": ("plan",),
            "events.csv": ("event",), "costs.csv": ("category",), "tickets.csv": ("category",), "surveys.csv": ("comment",),
            "invoices.csv": ("status",)}  # fmt: skip
    for file, columns in data.items():
        with open(SAMPLE / file, encoding="utf-8-sig", newline="") as fh:
            for row in csv.DictReader(fh):
                for c in columns:
                    words.update(w.lower() for w in re.findall(r"[A-Za-z][A-Za-z']*", row.get(c) or ""))
    return {w.lower() for w in words}


_TOKEN = re.compile(r"(?<![\w])-{0,2}[A-Za-z][\w.'/-]*")
NOTATION = {"n/a", "x", "saas"}  # undefined, "times" in formulas, and the acronym SaaS


def untranslated(text: str, allowed: set[str]) -> list[str]:
    """Latin words of a Thai or Chinese text that are neither acronyms (MRR, DAU/MAU, HHI), nor
    identifiers (started_at, metrics.fcr.denominator, --window, costs.csv, m0), nor allowed words."""
    out = []
    for token in _TOKEN.findall(text):
        word = token.strip(".'-/")
        if not word or token.startswith("-") or re.search(r"[_.\d]", word):
            continue
        parts = [p for p in re.split(r"[/-]", word) if p]
        if all(re.fullmatch(r"[A-Z][A-Z0-9]+s?", p) for p in parts):
            continue
        if word.lower() in allowed | NOTATION or all(p.lower() in allowed for p in parts):
            continue
        out.append(word)
    return out


@pytest.fixture(scope="module")
def sample():
    return compute_sample()


def compute_sample():
    """Every metric of the sample data for 2026-10 (beside the previous period, a 3-period trend),
    the per-customer listings of mrr, churn and ndr, check's rules and validate's tables."""
    from cs_metrics.check import evaluate
    from cs_metrics.config import AlertRule, load_config
    from cs_metrics.load import Dataset
    from cs_metrics.metrics import REGISTRY
    from cs_metrics.period import parse_period
    from cs_metrics.report import build
    from cs_metrics.runner import run
    from cs_metrics.validate import validate_all

    cfg = load_config(SAMPLE / "cs-metrics.yaml")
    period = parse_period("2026-10")
    ds = Dataset(cfg)
    report = build(cfg, period, trend=3, ds=ds)
    results = {e.spec.name: e.result for e in report.entries}
    for name, options in (("mrr", {"rows": True}), ("churn", {"rows": True}), ("ndr", {"rows": True}), ("health", {"backtest": True}),
                          ("health", {"customer": "C0035"}), ("mrr", {"matrix": True}), ("churn", {"window": "12m"})):  # fmt: skip
        results[f"{name} {sorted(options)[0]}"] = run(REGISTRY[name], cfg, period, ds=ds, options=options)[0]
    results["nps --by"] = run(REGISTRY["nps"], cfg, period, by="region", ds=ds)[0]
    alerts = cfg.model_copy(update={"alerts": [AlertRule(metric="churn", above=1.0, by="region"), AlertRule(metric="nps", below=50, min_n=30)]})
    results["check"] = evaluate(alerts, period)[0]
    results["validate"] = validate_all(cfg, period)[0]
    return report, results


def _outputs(report, results, lang: str, buddhist: bool = False) -> dict[str, str]:
    """Everything people read of the sample: each result as a table and as markdown with --explain
    and its listing, its warnings, and the report as a table and markdown."""
    from cs_metrics.render import render
    from cs_metrics.render_report import render_report

    out = {}
    with i18n.using(lang, buddhist):
        for name, r in results.items():
            out[f"{name} table"] = render(r, "table", explain=True, width=220, rows=True)
            out[f"{name} result"] = render(r, "table", explain=True, width=220, rows=False)
            out[f"{name} markdown"] = render(r, "markdown", explain=True, rows=True)
            out[f"{name} warnings"] = "\n".join(i18n.tr(w) for w in r.warnings)
        out["report table"] = render_report(report, "table")
        out["report markdown"] = render_report(report, "markdown")
    return out


@pytest.mark.parametrize("lang", LANGS)
def test_tables_explain_and_report_in_thai_and_chinese_leave_no_english(sample, lang):
    report, results = sample
    i18n.MISSING.clear()
    allowed = _allowed_words()
    left = {name: untranslated(text, allowed) for name, text in _outputs(report, results, lang).items()}
    left = {name: words for name, words in left.items() if words}
    assert left == {}
    assert {m for m in i18n.MISSING if m[0] == lang} == set()  # every label, word and name had an entry


def test_the_checker_finds_english_words(sample):
    report, results = sample
    english = _outputs(report, results, "en")
    assert "opening" in untranslated(english["mrr table"], _allowed_words())
    assert untranslated("MRR ต้นงวด started_at metrics.fcr.denominator --window 12m costs.csv DAU/MAU n/a m0 x 100", set()) == []
    assert untranslated("ลูกค้า paying customers", set()) == ["paying", "customers"]


@pytest.mark.parametrize("lang", LANGS)
def test_thai_and_chinese_outputs_say_the_seed_articles_terms(sample, lang):
    report, results = sample
    out = _outputs(report, results, lang)
    terms = {
        "th": {"churn table": "อัตราการเลิกใช้งานของลูกค้า", "nps table": "คะแนนโปรโมเตอร์สุทธิ (NPS)", "mrr table": "รายได้ประจำรายเดือน (MRR)",
               "health table": "คะแนนสุขภาพของลูกค้า", "fcr table": "อัตราการแก้ปัญหาการติดต่อครั้งแรก (FCR)"},
        "zh": {"churn table": "客户流失率", "nps table": "净推荐值（NPS）", "mrr table": "月度经常性收入（MRR）", "health table": "客户健康分数",
               "crc table": "客户保留成本（CRC）", "renewal-rate table": "续订率"},
    }[lang]  # fmt: skip
    for name, term in terms.items():
        assert term in out[name], (name, term)
    assert ("ค่า" if lang == "th" else "值") in out["nps result"]


def test_english_tables_are_unchanged_by_the_machinery(sample):
    """The English output is what it was: metric ids in titles, keys with spaces as labels."""
    report, results = sample
    out = _outputs(report, results, "en")
    assert out["mrr result"].splitlines()[0].strip() == "mrr · 2026-10 (2026-10-01 .. 2026-10-31)"
    assert " opening mrr " in out["mrr result"] and "Definition: MRR on a day = sum of" in out["mrr result"]
    assert "| metric | value | previous | change | trend |" in out["report markdown"]


# --------------------------------------------------------------------------- what machines read


@pytest.mark.parametrize("fmt", ["csv", "tsv", "json", "jsonl"])
def test_machine_formats_are_the_same_bytes_in_every_language_and_calendar(sample, fmt):
    from cs_metrics.render import render
    from cs_metrics.render_report import render_report

    report, results = sample

    def everything() -> str:
        texts = [render(r, fmt, explain=True, rows=rows) for r in results.values() for rows in (False, True)]
        return "".join(texts) + render_report(report, fmt, explain=True)

    english = everything()
    for lang, buddhist in (("th", False), ("zh", False), ("th", True), ("en", True)):
        with i18n.using(lang, buddhist):
            assert everything() == english, (lang, buddhist)
    assert "อัตรา" not in english and "2569" not in english


def test_cli_machine_output_and_exit_code_ignore_the_language(tmp_path, monkeypatch):
    config = tmp_path / "cs-metrics.yaml"
    config.write_text(f"data: {SAMPLE}\ntimezone: Asia/Bangkok\ncurrency: {{base: USD, rates: {{THB: 0.028, CNY: 0.14}}}}\nlanguage: th\n")
    base = ["--config", str(config), "-p", "2026-10"]
    english = runner.invoke(app, ["churn", *base, "-f", "json", "--lang", "en"])
    thai = runner.invoke(app, ["churn", *base, "-f", "json"])  # language: th in the config
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    chinese = runner.invoke(app, ["churn", *base, "-f", "json", "--lang", "zh", "--buddhist-era"])
    assert english.exit_code == thai.exit_code == chinese.exit_code == 0
    assert english.stdout == thai.stdout == chinese.stdout and json.loads(thai.stdout)["metric"] == "churn"
    assert "subscriptions.csv: อ่าน 833 แถว, ใช้ 833 แถว" in thai.stderr  # the row accounting, for people
    assert "subscriptions.csv: 833 read, 833 used" in english.stderr
    table = runner.invoke(app, ["churn", *base, "-f", "table"])  # the config's language reaches the table
    assert "อัตราการเลิกใช้งานของลูกค้า" in table.stdout
    config.write_text(config.read_text() + "calendar: buddhist\n")
    buddhist = runner.invoke(app, ["churn", *base, "-f", "table"])  # calendar: buddhist in the config
    assert "พ.ศ. 2569-10" in buddhist.stdout
    assert runner.invoke(app, ["churn", *base, "-f", "csv"]).stdout == runner.invoke(app, ["churn", *base, "-f", "csv", "--lang", "en"]).stdout
    bad = runner.invoke(app, ["churn", *base, "--lang", "fr"])
    assert bad.exit_code == 2 and "--lang fr" in bad.stderr


STRIPE = ROOT / "tests" / "data" / "exports" / "stripe"


@pytest.mark.parametrize(
    "lang, words",
    [
        ("th", {"mrr": ("วันที่แจ้งยกเลิก", "วันที่สิ้นสุดบริการ"), "arpu": ("ที่ชำระเงินในแต่ละสแนปช็อต",),
                "payments": ("เงินคืนที่หักแล้ว", "ที่ออกใบแจ้งหนี้ในช่วงเวลา"), "report": ("ต้องใช้ costs.csv (ไม่พบไฟล์)",),
                "validate": ("subscriptions.csv อยู่ในโฟลเดอร์ข้อมูลแต่ไม่ได้อ่านเป็นตาราง subscriptions",)}),
        ("zh", {"mrr": ("申请取消日期", "服务结束日期"), "arpu": ("各快照的付费客户",), "payments": ("已扣除退款", "该期间开票客户"),
                "report": ("需要 costs.csv（未找到）",), "validate": ("subscriptions.csv 在数据文件夹中，但未作为 subscriptions 表读取",)}),
    ],
)  # fmt: skip
def test_billing_exports_say_their_columns_and_reasons_in_thai_and_chinese(tmp_path, lang, words):
    """What the sample data does not show and the Stripe fixture exports do: a listing's canceled_at
    and ended_at, refunds netted from payments, ARPU's customers counted at each snapshot or
    invoiced, a metric skipped for a missing file, and a file under a table's name that is not it."""
    import yaml

    from cs_metrics.config import load_config
    from cs_metrics.load import Dataset
    from cs_metrics.metrics import REGISTRY
    from cs_metrics.period import parse_period
    from cs_metrics.render import render
    from cs_metrics.render_report import render_report
    from cs_metrics.report import build
    from cs_metrics.runner import run
    from cs_metrics.validate import validate_all

    configs = {}
    for name, arpu_basis in (("cs-metrics.yaml", "revenue"), ("payments.yaml", None)):
        raw = yaml.safe_load((STRIPE / name).read_text(encoding="utf-8"))
        raw["data"] = str(STRIPE)
        if arpu_basis:
            raw.setdefault("metrics", {}).setdefault("arpu", {})["basis"] = arpu_basis
        (tmp_path / name).write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
        configs[name] = load_config(tmp_path / name)
    period = parse_period("2026-10")
    snapshot, payments = configs["cs-metrics.yaml"], configs["payments.yaml"]
    ds = Dataset(snapshot)
    results = {
        "mrr": run(REGISTRY["mrr"], snapshot, period, ds=ds, options={"rows": True})[0],
        "arpu": run(REGISTRY["arpu"], snapshot, period, ds=ds)[0],
        "payments": run(REGISTRY["arpu"], payments, period, ds=Dataset(payments))[0],
        "validate": validate_all(payments, period)[0],
    }
    report = build(snapshot, period, ds=ds)
    english = {name: render(r, "json", explain=True) for name, r in results.items()}
    i18n.MISSING.clear()
    with i18n.using(lang):
        out = {name: render(r, "table", explain=True, width=400, rows=True) for name, r in results.items()}
        out["report"] = render_report(report, "table")
        assert {name: render(r, "json", explain=True) for name, r in results.items()} == english
    for name, expected in words.items():
        for word in expected:
            assert word in out[name], (name, word)
    # the data's own words: the first headers of Stripe's subscriptions export, which the reason
    # quotes, and the payment statuses validate counts as filtered (status failed: 1)
    with open(STRIPE / "subscriptions.csv", encoding="utf-8", newline="") as fh:
        header = next(csv.reader(fh))[:8]
    with open(STRIPE / "unified_payments.csv", encoding="utf-8", newline="") as fh:
        statuses = {row["Status"].lower() for row in csv.DictReader(fh)}
    allowed = _allowed_words() | {w.lower() for h in header for w in h.split()} | statuses
    assert {name: untranslated(text, allowed) for name, text in out.items() if untranslated(text, allowed)} == {}
    assert {m for m in i18n.MISSING if m[0] == lang} == set()


# --------------------------------------------------------------------------- the Buddhist era


def test_buddhist_era_in_tables_and_report_while_inputs_and_machine_outputs_stay_iso(sample):
    report, results = sample
    out = _outputs(report, results, "th", buddhist=True)
    assert "พ.ศ. 2569-10 (2569-10-01 .. 2569-10-31)" in out["mrr result"].splitlines()[0]
    assert "พ.ศ. 2569-10 (2569-10-01 .. 2569-10-31)" in out["report table"]
    assert "2569-08-03" in out["health result"]  # the lookback window's first day, a detail
    assert "ณ สิ้นวันที่ 2569-10-31" in out["mrr result"]  # a day inside the definition
    assert "2026-" not in out["mrr result"] and "2026-" not in out["churn rows table"]
    assert re.search(r"\b2569-0[89]-\d\d\b", out["mrr matrix table"])  # the matrix's snapshot columns
    english = _outputs(report, results, "en", buddhist=True)
    assert "B.E. 2569-10" in english["mrr result"]
    result = runner.invoke(app, ["nps", "--config", str(SAMPLE / "cs-metrics.yaml"), "-p", "2026-10", "-f", "json", "--buddhist-era"])
    assert json.loads(result.stdout)["period"] == {"start": "2026-10-01", "end": "2026-10-31"}


# --------------------------------------------------------------------------- alignment


def test_thai_and_chinese_names_keep_table_columns_aligned(sample):
    """Every line of a table holding Thai names with combining marks (ห้างหุ้นส่วนจำกัด, น้ำใจ ...) and
    Chinese names is as wide on a terminal as the others: measured with wcwidth, independently of
    the library that drew the table."""
    from cs_metrics.period import parse_period
    from cs_metrics.render import render
    from cs_metrics.result import MetricResult

    names = ["บริษัท น้ำใจ ที่ดี จำกัด", "ห้างหุ้นส่วนจำกัด สุขใจเฮลท์แคร์", "南京星辰医疗有限公司", "Acme Ltd"]
    rows = [{"rank": i + 1, "customer_id": f"C{i}", "name": n, "mrr": 1000.0 - i, "share_pct": 10.0} for i, n in enumerate(names)]
    made = MetricResult("concentration", parse_period("2026-10"), 40.0, "percent", {"top_customers": 4}, rows=rows)
    _, results = sample
    for lang in ("en", "th", "zh"):
        with i18n.using(lang):
            for r, rows_ in ((made, True), (results["concentration"], True), (results["health"], True), (results["nps --by"], False)):
                text = re.sub(r"\x1b\[[0-9;]*m", "", render(r, "table", color=True, width=400, rows=rows_))  # colours take no column
                widths = {wcswidth(line) for line in text.splitlines() if line.startswith(("│", "╭", "╰", "├"))}
                assert len(widths) == 1, (lang, r.metric, widths)
    lines = re.sub(r"\x1b\[[0-9;]*m", "", render(made, "table", color=True, width=400)).splitlines()
    thai = next(line for line in lines if "น้ำใจ" in line)
    assert wcswidth(thai) == wcswidth(lines[1]) > len(lines[1]) - len(thai) + wcswidth(thai) - 20


# --------------------------------------------------------------------------- --help


def test_help_in_thai_and_chinese_and_english_unchanged(monkeypatch):
    english = runner.invoke(app, ["mrr", "--help"])
    thai = runner.invoke(app, ["mrr", "--help", "--lang", "th"])
    chinese = runner.invoke(app, ["--lang", "zh", "--help"])
    assert "Closing MRR, ARR and the MRR movements" in english.stdout and "Options" in english.stdout
    assert "MRR สิ้นงวด ARR และการเคลื่อนไหวของ MRR" in thai.stdout and "ตัวเลือก" in thai.stdout
    assert "แสดงนิยามที่ใช้และสูตรพร้อมตัวเลขจริง" in thai.stdout  # --explain's help
    assert chinese.exit_code == 0 and "客户流失率" in chinese.stdout and "选项" in chinese.stdout and "─ 收入 ─" in chinese.stdout
    assert "Options" in runner.invoke(app, ["mrr", "--help"]).stdout  # Typer's words are put back
    monkeypatch.setenv("LANG", "th_TH.UTF-8")
    assert "ตัวเลือก" in runner.invoke(app, ["nps", "--help"]).stdout


def test_help_language_reads_lang_then_the_config_then_the_locale(tmp_path):
    config = tmp_path / "c.yaml"
    config.write_text("language: zh\n")
    assert help_language(["mrr", "--lang", "th"], {}) == "th"
    assert help_language(["mrr", "--lang=th", "-c", str(config)], {}) == "th"
    assert help_language(["mrr", "-c", str(config)], {"LANG": "th_TH.UTF-8"}) == "zh"
    assert help_language(["mrr"], {"CS_METRICS_CONFIG": str(config)}) == "zh"
    assert help_language(["mrr"], {"LANG": "th_TH.UTF-8"}) == "th"
    broken = tmp_path / "broken.yaml"
    broken.write_text("language: [\n")
    assert help_language(["mrr", "--config", str(broken)], {}) == "en"


# --------------------------------------------------------------------------- the HTML and Excel reports


def test_html_report_in_thai_says_it_in_thai_with_the_page_language_set(sample):
    import html as htmllib

    from cs_metrics.output.html import render_html
    from cs_metrics.report_extra import extras

    report, _results = sample
    with i18n.using("th", buddhist_era=True):
        page = render_html(report, extras(report, None))
    assert '<html lang="th">' in page and "KPI ความสำเร็จของลูกค้า · ตุลาคม 2569" in page
    visible = re.sub(r"<style>.*?</style>|<title>.*?</title>|<svg.*?</svg>", " ", page, flags=re.S)
    text = htmllib.unescape(re.sub(r"<[^>]+>", " ", visible))
    assert untranslated(text, _allowed_words()) == []
    charts = " ".join(re.findall(r"<svg.*?</svg>", page, flags=re.S))  # the charts' own words
    assert "ต้นงวด" in charts and "Opening" not in charts and "2569-10" in charts
    with i18n.using("en"):
        assert '<html lang="en">' in render_html(report, extras(report, None))


def test_excel_report_in_chinese_has_chinese_labels_a_cjk_font_and_the_same_numbers(sample, tmp_path):
    import openpyxl

    from cs_metrics.xlsx import write_report

    report, _results = sample
    write_report(tmp_path / "en.xlsx", report)
    with i18n.using("zh"):
        write_report(tmp_path / "zh.xlsx", report)
    en, zh = openpyxl.load_workbook(tmp_path / "en.xlsx"), openpyxl.load_workbook(tmp_path / "zh.xlsx")
    assert en.sheetnames == zh.sheetnames  # sheets keep the metric ids
    assert [c.value for c in zh["report"][1]][:3] == ["指标", "期间开始", "期间结束"]
    assert zh["report"]["A2"].value == "月度经常性收入（MRR）" and zh["report"]["A2"].font.name == "Microsoft YaHei"
    assert "客户流失率" in [c.value for c in zh["Charts"][1]]
    for name in en.sheetnames:
        numbers = lambda wb: [c.value for row in wb[name].iter_rows() for c in row if isinstance(c.value, (int, float))]  # noqa: E731
        assert numbers(en) == numbers(zh), name


def test_audit_workbook_in_thai_keeps_every_formula_and_number_and_says_its_labels_in_thai():
    from cs_metrics.config import load_config
    from cs_metrics.load import Dataset
    from cs_metrics.metrics import REGISTRY
    from cs_metrics.period import parse_period
    from cs_metrics.runner import load_inputs
    from cs_metrics.xlsx_audit import audit_workbook

    cfg = load_config(SAMPLE / "cs-metrics.yaml")
    frames = load_inputs(REGISTRY["mrr"], cfg, Dataset(cfg))
    period = parse_period("2026-Q3")
    english = audit_workbook(frames, period, cfg)
    with i18n.using("th"):
        thai = audit_workbook(frames, period, cfg)
    assert english.sheetnames == thai.sheetnames == ["About", "Bridge", "Retention", "Metrics", "Checks"]
    for name in english.sheetnames:
        for a, b in zip(english[name].iter_rows(), thai[name].iter_rows()):
            for x, y in zip(a, b):
                if not isinstance(x.value, str) or x.value.startswith("="):  # numbers, dates and formulas
                    assert x.value == y.value, (name, x.coordinate)
    assert thai["Bridge"]["E1"].value == "MRR ต้นงวด" and english["Bridge"]["E1"].value == "opening MRR"
    assert thai["Metrics"]["A2"].value == "MRR ต้นงวด" and thai["Metrics"]["A2"].font.name == "Leelawadee UI"
    what = [thai["Checks"].cell(i, 3).value for i in range(5, thai["Checks"].max_row + 1)]
    assert "MRR สิ้นงวด 2026-04" in what and "NRR ย้อนหลัง 12 เดือน, เปลี่ยนแปลง" in what
