"""Hand-computed cases for csat, ces and feedback, the CSAT worked example of metrics.md, the
tokenizer on Thai, Chinese, emoji and mixed text (with a never-crash property), and one CLI run
of `feedback --format csv`. Frames are built here in the loader's output shape."""

from __future__ import annotations

import csv
import io

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from cs_metrics import text
from cs_metrics.cli import app
from cs_metrics.config import parse_config
from cs_metrics.metrics.voice import ces, csat, feedback
from cs_metrics.period import parse_period

CFG = parse_config({})
MAY = parse_period("2024-05")


def cfg(**metrics) -> object:
    return parse_config({"metrics": metrics})


def surveys(*rows) -> pd.DataFrame:
    """rows: (response_id, customer_id or None, responded_at, survey, score, comment or None)."""
    ids, customers, days, kinds, scores, comments = zip(*rows) if rows else ((),) * 6
    return pd.DataFrame(
        {
            "response_id": pd.Series(ids, dtype="str"),
            "customer_id": pd.Series(customers, dtype="str"),
            "responded_at": pd.to_datetime(pd.Series(days, dtype="str")),
            "survey": pd.Series(kinds, dtype="str"),
            "score": pd.Series(scores, dtype="float64"),
            "comment": pd.Series(comments, dtype="str"),
        }
    )


def scored(kind: str, scores, day: str = "2024-05-10") -> pd.DataFrame:
    """One response of `kind` per score, all on `day`, no comments."""
    return surveys(*[(f"R{i}", f"C{i}", day, kind, s, None) for i, s in enumerate(scores)])


# --------------------------------------------------------------------------- csat


def test_csat_worked_example_80_of_100_score_4_or_5():
    # 40 fives + 40 fours = 80 satisfied of 100 -> 80 %.
    # mean = (40x5 + 40x4 + 10x3 + 5x2 + 5x1) / 100 = (200 + 160 + 30 + 10 + 5) / 100 = 4.05
    r = csat({"surveys": scored("csat", [5] * 40 + [4] * 40 + [3] * 10 + [2] * 5 + [1] * 5)}, MAY, CFG)
    assert r.unit == "percent" and r.value == pytest.approx(80.0)
    d = r.details
    assert (d["responses"], d["satisfied"]) == (100, 80)
    assert d["mean_score"] == pytest.approx(4.05)
    assert [d[f"score_{k}"] for k in range(1, 6)] == [5, 5, 10, 40, 40]
    assert d["ci95_low"] < 80 < d["ci95_high"]
    assert r.warnings == []  # 100 responses: no small-sample warning
    assert "score >= 4" in r.definition and "scale 1..5" in r.definition
    assert r.formula.startswith("80 satisfied / 100 responses x 100 = 80.00 %")


def test_csat_threshold_is_inclusive_and_configurable():
    scores = [4, 3.5, 5, 4.5]
    # default satisfied_min 4: 4, 5, 4.5 -> 3 / 4 = 75 %; 3.5 is not satisfied
    r = csat({"surveys": scored("csat", scores)}, MAY, CFG)
    assert (r.details["satisfied"], r.value) == (3, pytest.approx(75.0))
    # half scores count under the point below: 3.5 -> score_3, 4.5 -> score_4
    assert [r.details[f"score_{k}"] for k in range(1, 6)] == [0, 0, 1, 2, 1]
    # satisfied_min 5: only the 5 -> 1 / 4 = 25 %
    r5 = csat({"surveys": scored("csat", scores)}, MAY, cfg(csat={"satisfied_min": 5}))
    assert (r5.details["satisfied"], r5.value) == (1, pytest.approx(25.0))
    assert "score >= 5" in r5.definition
    # 4 responses < 30: the interval comes with a warning
    assert any("only 4 responses" in w for w in r.warnings)


def test_csat_on_a_0_to_10_scale_has_one_key_per_point():
    # satisfied_min 8: 10 and 8 of [10, 8, 7.5, 0] -> 2 / 4 = 50 %; mean = 25.5 / 4 = 6.375
    r = csat({"surveys": scored("csat", [10, 8, 7.5, 0])}, MAY, cfg(csat={"scale": [0, 10], "satisfied_min": 8}))
    assert r.value == pytest.approx(50.0)
    assert r.details["mean_score"] == pytest.approx(6.375)
    dist = {k: v for k, v in r.details.items() if k.startswith("score_")}
    assert dist == {f"score_{k}": {0: 1, 7: 1, 8: 1, 10: 1}.get(k, 0) for k in range(11)}


def test_csat_on_a_wide_scale_has_five_equal_bins():
    # 0..100, satisfied_min 80: 100 and 80 of five -> 40 %.
    # bins [0,20): 0 | [20,40): 20 | [40,60): - | [60,80): 79 | [80,100]: 80, 100
    r = csat({"surveys": scored("csat", [100, 80, 79, 20, 0])}, MAY, cfg(csat={"scale": [0, 100], "satisfied_min": 80}))
    assert r.value == pytest.approx(40.0)
    dist = {k: v for k, v in r.details.items() if k.startswith("score_")}
    assert dist == {"score_0_20": 1, "score_20_40": 1, "score_40_60": 0, "score_60_80": 1, "score_80_100": 2}


def test_csat_counts_both_ends_of_the_period_and_nothing_else():
    frame = surveys(
        ("a", "C1", "2024-04-30", "csat", 5, None),  # the day before: out
        ("b", "C2", "2024-05-01", "csat", 5, None),  # first day: in, satisfied
        ("c", None, "2024-05-31", "csat", 2, None),  # last day, anonymous: in, not satisfied
        ("d", "C3", "2024-06-01", "csat", 5, None),  # the day after: out
        ("e", "C4", "2024-05-15", "nps", 10, None),  # another survey: out
    )
    r = csat({"surveys": frame}, MAY, CFG)
    # 1 satisfied of 2 -> 50 %
    assert (r.details["responses"], r.details["satisfied"], r.value) == (2, 1, pytest.approx(50.0))
    assert r.filtered == {"surveys": {"other survey kinds": 1, "outside the period": 2}}


def test_csat_without_responses_is_undefined_with_a_reason():
    r = csat({"surveys": scored("csat", [5, 4], day="2024-04-10")}, MAY, CFG)
    assert r.value is None and r.details["mean_score"] is None
    assert r.details["responses"] == 0 and r.details["score_5"] == 0
    assert any("undefined" in w for w in r.warnings)


# --------------------------------------------------------------------------- ces


def test_ces_default_positive_is_5_or_more():
    # 7, 5 positive; 4.5, 4, 1 not -> 2 / 5 = 40 %; mean = (7 + 5 + 4.5 + 4 + 1) / 5 = 4.3
    r = ces({"surveys": scored("ces", [7, 5, 4.5, 4, 1])}, MAY, CFG)
    assert (r.details["responses"], r.details["positive"]) == (5, 2)
    assert r.value == pytest.approx(40.0)
    assert r.details["mean_score"] == pytest.approx(4.3)
    assert "score >= 5" in r.definition and "scale 1..7" in r.definition


def test_ces_positive_min_config():
    # positive_min 6: only 7 of [7, 5, 6, 1] and 6 -> 2 / 4 = 50 %
    r = ces({"surveys": scored("ces", [7, 5, 6, 1])}, MAY, cfg(ces={"positive_min": 6}))
    assert (r.details["positive"], r.value) == (2, pytest.approx(50.0))


def test_ces_lower_is_better_mirrors_the_threshold():
    # scale 1..7, positive_min 5, lower is better: positive = score <= 1 + 7 - 5 = 3.
    # [1, 3, 3.5, 4, 7]: 1 and 3 -> 2 / 5 = 40 %
    r = ces({"surveys": scored("ces", [1, 3, 3.5, 4, 7])}, MAY, cfg(ces={"lower_is_better": True}))
    assert (r.details["positive"], r.value) == (2, pytest.approx(40.0))
    assert "score <= 3" in r.definition and "lower is better" in r.definition


def test_ces_lower_is_better_on_a_custom_scale():
    # scale 1..5, positive_min 4, lower is better: positive = score <= 1 + 5 - 4 = 2.
    # [1, 2, 3, 5]: 1 and 2 -> 2 / 4 = 50 %
    c = cfg(ces={"scale": [1, 5], "positive_min": 4, "lower_is_better": True})
    r = ces({"surveys": scored("ces", [1, 2, 3, 5])}, MAY, c)
    assert (r.details["positive"], r.value) == (2, pytest.approx(50.0))
    assert "score <= 2" in r.definition


def test_ces_without_responses_is_undefined():
    r = ces({"surveys": scored("csat", [5])}, MAY, CFG)
    assert r.value is None and r.details["responses"] == 0 and r.details["mean_score"] is None
    assert any("undefined" in w for w in r.warnings)


# --------------------------------------------------------------------------- feedback

MULTILINE = "Easy! 简单 👍\nline two"
FEEDBACK = surveys(
    ("F1", "C1", "2024-05-02", "nps", 10, "Great support, fast answers"),  # promoter
    ("F2", "C2", "2024-05-20", "nps", 3, "Too slow. Support is slow!"),  # detractor
    ("F3", None, "2024-05-25", "nps", 6, "ช้ามาก รอนาน"),  # detractor, anonymous
    ("F4", "C3", "2024-05-10", "nps", 8, ""),  # empty comment: left out
    ("F5", "C4", "2024-05-15", "nps", 7, "价格有点贵"),  # passive
    ("F6", "C1", "2024-05-31", "csat", 2, "客服响应很慢"),  # unsatisfied
    ("F7", "C2", "2024-05-01", "csat", 4, "บริการดีมาก ตอบเร็ว"),  # satisfied
    ("F8", "C5", "2024-05-20", "ces", 4, "Hard to export 😞"),  # negative (same day as F2)
    ("F9", "C5", "2024-05-28", "ces", 6, "  \n "),  # blank comment: left out
    ("F10", "C6", "2024-06-01", "nps", 0, "outside"),  # after the period
    ("F11", "C6", "2024-04-30", "csat", 1, "outside"),  # before the period
    ("F12", "C7", "2024-05-12", "ces", 7, MULTILINE),  # positive
)


def test_feedback_groups_counts_and_order():
    r = feedback({"surveys": FEEDBACK}, MAY, CFG)
    # 8 comments: F1 F2 F3 F5 F6 F7 F8 F12
    assert r.unit == "count" and r.value == 8
    d = r.details
    assert d["comments"] == 8 and d["unhappy_comments"] == 4  # F2 F3 F6 F8
    counts = {g: d[f"{g}_comments"] for g in ("promoter", "passive", "detractor", "satisfied", "unsatisfied", "positive", "negative")}
    assert counts == {"promoter": 1, "passive": 1, "detractor": 2, "satisfied": 1, "unsatisfied": 1, "positive": 1, "negative": 1}
    # unhappy newest first: F6 05-31, F3 05-25, then 05-20 F8 (ces) before F2 (nps);
    # then the others newest first: F5 05-15, F12 05-12, F1 05-02, F7 05-01
    comments = [row["comment"] for row in r.rows]
    by_id = dict(zip(FEEDBACK["response_id"], FEEDBACK["comment"]))
    assert comments == [by_id[i] for i in ("F6", "F3", "F8", "F2", "F5", "F12", "F1", "F7")]
    assert [row["group"] for row in r.rows] == [
        "unsatisfied", "detractor", "negative", "detractor", "passive", "positive", "promoter", "satisfied"
    ]
    assert r.rows[0] == {
        "responded_at": "2024-05-31", "survey": "csat", "score": 2, "group": "unsatisfied", "customer_id": "C1", "comment": "客服响应很慢"
    }
    assert r.rows[1]["customer_id"] is None  # anonymous
    assert r.rows[5]["comment"] == MULTILINE  # untouched: Chinese, emoji, newline
    assert r.filtered == {"surveys": {"other survey kinds": 0, "outside the period": 2, "without a comment": 2}}
    assert r.formula == "8 comments = 1 promoter + 1 passive + 2 detractor + 1 satisfied + 1 unsatisfied + 1 positive + 1 negative; 4 unhappy"


def test_feedback_top_terms_per_group():
    d = feedback({"surveys": FEEDBACK}, MAY, CFG).details
    # F2: too, is = stop words; slow twice. F3: ช้า|มาก (stop) รอ|นาน. Ties by code point: Latin < Thai.
    assert d["detractor_top_terms"] == "slow (2), support (1), ช้า (1), นาน (1), รอ (1)"
    assert d["promoter_top_terms"] == "answers (1), fast (1), great (1), support (1)"
    assert d["passive_top_terms"] == "价格 (1), 贵 (1)"  # 有点 is a stop word
    assert d["unsatisfied_top_terms"] == "响应 (1), 客服 (1), 慢 (1)"  # 很慢 -> 慢
    assert d["satisfied_top_terms"] == "ดี (1), ตอบ (1), บริการ (1), เร็ว (1)"  # ดีมาก -> ดี + มาก (stop)
    assert d["positive_top_terms"] == "easy (1), line (1), two (1), 简单 (1)"
    assert d["negative_top_terms"] == "export (1), hard (1)"


def test_feedback_top_terms_config():
    c = cfg(feedback={"top_terms": 1, "stop_words": ["Support", "ช้า"]})
    d = feedback({"surveys": FEEDBACK}, MAY, c).details
    assert d["detractor_top_terms"] == "slow (2)"
    assert d["promoter_top_terms"] == "answers (1)"  # support is a stop word now
    c2 = cfg(feedback={"stop_words": ["slow", "ช้า"]})
    assert feedback({"surveys": FEEDBACK}, MAY, c2).details["detractor_top_terms"] == "support (1), นาน (1), รอ (1)"


def test_feedback_groups_follow_the_config_thresholds():
    c = cfg(nps={"promoter_min": 8, "detractor_max": 2}, csat={"satisfied_min": 2}, ces={"lower_is_better": True})
    r = feedback({"surveys": FEEDBACK}, MAY, c)
    groups = {row["comment"]: row["group"] for row in r.rows}
    by_id = dict(zip(FEEDBACK["response_id"], FEEDBACK["comment"]))
    # nps: F2 3 and F3 6 are passives now (detractor <= 2); csat: F6 2 satisfied (>= 2);
    # ces lower is better, positive <= 1 + 7 - 5 = 3: F8 4 and F12 7 are negative
    assert [groups[by_id[i]] for i in ("F1", "F2", "F3", "F5", "F6", "F7", "F8", "F12")] == [
        "promoter", "passive", "passive", "passive", "satisfied", "satisfied", "negative", "negative"
    ]
    assert r.details["unhappy_comments"] == 2
    assert "score <= 3" in r.definition


def test_feedback_without_comments_is_zero_with_a_warning():
    r = feedback({"surveys": FEEDBACK.drop(columns="comment")}, MAY, CFG)
    assert r.value == 0 and r.rows == [] and r.details["detractor_top_terms"] == ""
    assert any("no comment column" in w for w in r.warnings)
    r2 = feedback({"surveys": FEEDBACK}, parse_period("2023-05"), CFG)
    assert r2.value == 0 and r2.rows == [] and any("no survey comments" in w for w in r2.warnings)


def test_feedback_row_order_does_not_change_the_listing():
    a = feedback({"surveys": FEEDBACK}, MAY, CFG)
    b = feedback({"surveys": FEEDBACK.iloc[::-1]}, MAY, CFG)
    assert a.rows == b.rows and a.details == b.details


# --------------------------------------------------------------------------- tokenizer


def test_thai_is_cut_into_words():
    assert text.tokenize("บริการดีมาก ตอบเร็ว") == ["บริการ", "ดี", "ตอบ", "เร็ว"]
    assert text.tokenize("แอปช้า แดชบอร์ดดี") == ["แอป", "ช้า", "แดชบอร์ด", "ดี"]  # software words added
    # ๆ (repeat mark) and มาก (very) go; ติดต่อ ซัพพอร์ต ยาก รอ นาน stay
    assert text.tokenize("ติดต่อซัพพอร์ตยาก\nรอนานมากๆ") == ["ติดต่อ", "ซัพพอร์ต", "ยาก", "รอ", "นาน"]


def test_chinese_is_cut_into_words():
    tokens = text.tokenize("客服响应很快，非常满意")
    assert {"客服", "响应", "满意"} <= set(tokens)
    assert "非常" not in tokens and "，" not in tokens


def test_emoji_punctuation_digits_and_empty_give_nothing():
    for s in ("", "👍🙂🎉", "👍🏽👨‍👩‍👧", "!!! ,,, ??? ...", "2024 123 ๑๒๓ ４５", "   \n\t ", "a b c", "1️⃣ 🇹🇭"):
        assert text.tokenize(s) == [], s


def test_mixed_scripts():
    # UI -> ui; 很好用 -> 好 + 用 (很 dropped); emoji gone; but = stop word
    assert text.tokenize("UI 很好用 👍 but slow") == ["ui", "好", "用", "slow"]
    assert text.tokenize("Ｅｘｐｏｒｔ CSV导出乱码 ใช้งานง่าย") == ["export", "csv", "导出", "乱码", "ใช้งาน", "ง่าย"]


def test_other_scripts_survive():
    assert text.tokenize("Привет мир, café naïve") == ["привет", "мир", "café", "naïve"]
    # Lao (unspaced, no segmenter): character pairs with marks attached: ສະ ະບ ບາ າຍ ຍດີ
    assert text.tokenize("ສະບາຍດີ") == ["ສະ", "ະບ", "ບາ", "າຍ", "ຍດີ"]


def test_config_stop_words_add_to_the_built_in_ones():
    assert text.tokenize("The app is SLOW", stop_words=["Slow"]) == ["app"]
    assert text.tokenize("客服响应很快", stop_words=["客服"]) == ["响应", "快"]


def test_top_terms_multilingual():
    joined = "\n".join(["The app is slow, very slow 🐢", "แอปช้า ช้ามาก", "应用很慢", "slow UI"])
    # slow 3; ช้า 2; app, ui, แอป, 应用, 慢 once each, ordered by code point
    assert text.top_terms(joined, 5) == [("slow", 3), ("ช้า", 2), ("app", 1), ("ui", 1), ("แอป", 1)]
    assert text.format_terms(text.top_terms(joined, 2)) == "slow (3), ช้า (2)"


def test_a_very_long_text():
    tokens = text.tokenize("บริการดีมาก 客服很快 slow 👍 " * 3000)
    # five words a repeat: บริการ ดี (มาก is a stop word), 客服 快 (很 cut off), slow
    assert len(tokens) == 5 * 3000
    assert set(tokens) == {"บริการ", "ดี", "客服", "快", "slow"}


def test_without_the_segmenters_text_is_cut_into_character_pairs(monkeypatch):
    monkeypatch.setattr(text, "_thai_segmenter", lambda: None)
    monkeypatch.setattr(text, "_han_segmenter", lambda: None)
    # บริการ = บ ริ ก า ร (the vowel mark stays on its consonant) -> บริ ริก กา าร
    assert text.tokenize("บริการ") == ["บริ", "ริก", "กา", "าร"]
    assert text.tokenize("客服响应") == ["客服", "服响", "响应"]


def test_a_missing_library_is_noted(monkeypatch):
    monkeypatch.setattr(text, "_NOTES", {})
    monkeypatch.setitem(__import__("sys").modules, "rjieba", None)  # import rjieba -> ImportError
    assert text._han_segmenter.__wrapped__() is None
    assert len(text.notes()) == 1 and text.notes()[0].startswith("Chinese text was cut into character pairs: ModuleNotFoundError")


def test_the_word_set_answers_like_pythainlps_trie(monkeypatch):
    monkeypatch.setenv("PYTHAINLP_READ_ONLY", "1")  # as text.py does: no ~/pythainlp-data
    from pythainlp.tokenize import word_tokenize
    from pythainlp.util import Trie

    words = ["บริการ", "บริ", "การ", "ดี", "ตอบ", "เร็ว", "ตอบเร็ว", "ราคา", "ราคาแพง", "แพง"]
    ws, trie = text._word_set_class(Trie)(words), Trie(words)
    for s in ("บริการดีตอบเร็ว", "ราคาแพงมาก", "xบริการ", "กขค", "บริ", ""):
        for i in range(len(s)):
            assert ws.prefixes(s, i) == trie.prefixes(s, i)
        assert word_tokenize(s, custom_dict=ws, engine="newmm-safe") == word_tokenize(s, custom_dict=trie, engine="newmm-safe")
    assert "ราคา" in ws and "ราค" not in ws and len(ws) == len(words)


ANY_SCRIPT = st.text(
    alphabet=st.one_of(
        st.characters(),
        st.characters(min_codepoint=0x0E00, max_codepoint=0x0E7F),  # Thai block, marks and digits included
        st.characters(min_codepoint=0x4E00, max_codepoint=0x4FFF),  # Han
        st.sampled_from(list("👍🏽‍️\u200b\u0301 \n\t,.!ๆฯ很非常")),
    ),
    max_size=200,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text())
def test_tokenize_never_raises_on_any_text(s):
    tokens = text.tokenize(s)
    assert isinstance(tokens, list)
    assert all(isinstance(t, str) and t and not any(ch.isspace() for ch in t) for t in tokens)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ANY_SCRIPT)
def test_tokenize_never_raises_on_mixed_scripts(s):
    tokens = text.tokenize(s, stop_words=["x"])
    assert all(isinstance(t, str) and t and not any(ch.isspace() for ch in t) for t in tokens)
    assert text.format_terms(text.top_terms(s, 3)).count("(") <= 3


# --------------------------------------------------------------------------- CLI

TRICKY = 'ระบบช้ามาก 😡\n客服很慢, "slow"'
SURVEYS_CSV = (
    "response_id,customer_id,responded_at,survey,score,comment\n"
    'R1,C1,2024-05-02,nps,3,"ระบบช้ามาก 😡\n客服很慢, ""slow"""\n'
    "R2,C2,2024-05-03,nps,10,=SUM(A1:A2)\n"
    "R3,C3,2024-05-04,csat,5,-great\n"
    "R4,C4,2024-05-05,csat,4,\n"
)


def test_feedback_csv_keeps_comments_intact_and_guards_formulas(tmp_path, monkeypatch):
    monkeypatch.delenv("CS_METRICS_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)
    data = tmp_path / "data"
    data.mkdir()
    (data / "surveys.csv").write_text(SURVEYS_CSV, encoding="utf-8")
    result = CliRunner().invoke(app, ["feedback", "--rows", "--data", str(data), "--period", "2024-05", "--format", "csv"])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert list(rows[0]) == ["responded_at", "survey", "score", "group", "customer_id", "comment"]
    # the detractor first; then newest first: R3 (05-04), R2 (05-03); R4 has no comment
    assert [(r["customer_id"], r["group"], r["score"]) for r in rows] == [
        ("C1", "detractor", "3"), ("C3", "satisfied", "5"), ("C2", "promoter", "10")
    ]
    assert rows[0]["comment"] == TRICKY
    assert rows[1]["comment"] == "'-great" and rows[2]["comment"] == "'=SUM(A1:A2)"
