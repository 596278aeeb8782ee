"""Survey exports: Typeform, Google Forms, SurveyMonkey, Delighted.

A survey export has one column per question, headed by the question's text: which column is the
score, which kind of survey it is (NPS, CSAT, CES) and how word answers map to scores is read from
the question's text and its answers, with the helpers below (also used for exports of unknown tools).
Headers and value formats: tests/data/exports/<tool>/SOURCE.md.
"""

from __future__ import annotations

import re

from cs_metrics.vendors import Export, Key

# Words in a question that say which survey it is.
KIND_WORDS = {
    "nps": ("recommend", "net promoter", "nps", "推荐", "แนะนำ"),
    "csat": ("satisf", "csat", "满意", "พึงพอใจ"),
    "ces": ("easy", "effort", "difficult", "hassle", "ces", "容易", "费力", "ง่าย"),
}
SCALES = {"nps": (0, 10), "csat": (1, 5), "ces": (1, 7)}  # the config's default scales

# Answer sets of the common word scales, lowest first (score = position + 1).
WORD_SCALES = {
    "7-point agreement": ("Strongly disagree", "Disagree", "Somewhat disagree", "Neither agree nor disagree", "Somewhat agree", "Agree", "Strongly agree"),
    "5-point agreement": ("Strongly disagree", "Disagree", "Neither agree nor disagree", "Agree", "Strongly agree"),
    "7-point ease": ("Very difficult", "Difficult", "Somewhat difficult", "Neither easy nor difficult", "Somewhat easy", "Easy", "Very easy"),
    "5-point ease": ("Very difficult", "Difficult", "Neither easy nor difficult", "Easy", "Very easy"),
    "5-point satisfaction": ("Very dissatisfied", "Dissatisfied", "Neither satisfied nor dissatisfied", "Satisfied", "Very satisfied"),
}  # fmt: skip

_INT = re.compile(r"^-?\d+$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def kind_from_text(text: str) -> str | None:
    low = text.casefold()
    for kind, words in KIND_WORDS.items():
        if any(w in low for w in words):
            return kind
    return None


def word_scale(answers: list[str], kind: str | None) -> tuple[str, dict[str, int]] | None:
    """The word scale holding every answer: its name and the map answer -> score. Of scales that
    all hold them, the one of the survey kind's length (CES 7, CSAT 5) wins, else the longest."""
    seen = {a.casefold() for a in answers}
    if not seen:
        return None
    fits = [(name, labels) for name, labels in WORD_SCALES.items() if seen <= {x.casefold() for x in labels}]
    if not fits:
        return None
    want = SCALES[kind][1] if kind else 0
    fits.sort(key=lambda f: (len(f[1]) == want, len(f[1])), reverse=True)
    name, labels = fits[0]
    return name, {label: i + 1 for i, label in enumerate(labels)}


def _ints(values: list[str]) -> list[int] | None:
    if not values or not all(_INT.match(v) for v in values):
        return None
    return [int(v) for v in values]


def survey_question(p, sample, candidates: list[str], comment_too: bool = True) -> None:
    """Map the score (and comment) of a one-kind survey from its question columns; fix its kind."""
    score_header = kind = None
    for header in candidates:
        values = sample.values(header)
        numbers = _ints(values)
        text_kind = kind_from_text(header)
        if numbers is not None and numbers and 0 <= min(numbers) and max(numbers) <= 10:
            score_header = header
            kind = text_kind or _kind_from_range(numbers)
            why = (
                f"the question says so ({header[:60]!r})" if text_kind
                else f"CHECK: answers run {min(numbers)}..{max(numbers)}, read as {kind}"
            )
            break
        scale = word_scale(values, text_kind)
        if scale and values:
            score_header, kind = header, text_kind or ("ces" if "agreement" in scale[0] or "ease" in scale[0] else "csat")
            name, mapping = scale
            p.set("values", {"score": mapping}, f"word answers on a {name} scale: {mapping[next(iter(mapping))]}..{len(mapping)}")
            why = f"the question says so ({header[:60]!r})" if text_kind else f"CHECK: a {name} question, read as {kind}"
            break
    if score_header is None:
        p.note("TODO: no question column holds scores: map score (and survey) under columns by hand")
        return
    p.map("score", score_header)
    p.set("fixed", {"survey": kind}, f"every row is a {kind} response: {why}")
    if comment_too:
        for header in candidates:
            if header == score_header:
                continue
            values = sample.values(header)
            if values and _ints(values) is None and not all(_EMAIL.match(v) for v in values):
                p.map("comment", header)
                break


def _kind_from_range(numbers: list[int]) -> str:
    if max(numbers) > 7 or min(numbers) == 0:
        return "nps"
    return "ces" if max(numbers) > 5 else "csat"


def _questions(p, sample, after: str | None = None, before: str | None = None, skip=()) -> list[str]:
    headers = sample.headers
    start = headers.index(after) + 1 if after in headers else 0
    end = headers.index(before) if before in headers else len(headers)
    mapped = set(p.columns.values())
    return [h for h in headers[start:end] if h and h not in skip and h not in mapped]


def _typeform(p, sample) -> None:
    email = next((h for h in _questions(p, sample, "#", "Response Type") if sample.values(h) and all(_EMAIL.match(v) for v in sample.values(h))), None)
    if email:
        p.map("customer_id", email)
        p.add_key(Key(email, "email"))
    survey_question(p, sample, _questions(p, sample, "#", "Response Type"))


def _google_forms(p, sample) -> None:
    survey_question(p, sample, _questions(p, sample, "Timestamp"))


def _surveymonkey(p, sample) -> None:
    if sample.rows and not any(c.strip() for c in sample.rows[0][:9]) and any(c.strip() for c in sample.rows[0][9:]):
        p.set("skip_rows", 1, "SurveyMonkey's second header row (Response, Open-Ended Response) is no response")
        sample.rows = sample.rows[1:]
    survey_question(p, sample, _questions(p, sample, "Custom Data 1") or _questions(p, sample, "Last Name"))


def _delighted(p, sample) -> None:
    kinds = sorted({v.casefold() for v in sample.values(p.columns.get("survey", ""))})
    other = [k for k in kinds if k not in SCALES]
    if other:
        p.note(f"survey types {', '.join(other)} are not nps/csat/ces: their rows are left out and counted")


EXPORTS = [
    Export(
        "Typeform", "responses download", "surveys",
        signature=("#", "Response Type", "Start Date (UTC)", "Submit Date (UTC)", "Network ID"),
        columns={"response_id": "#", "responded_at": "Submit Date (UTC)"},
        settings={"timezone": "UTC"},
        reasons={"timezone": "the headers say (UTC)"},
        refine=_typeform,
    ),
    Export(
        "Google Forms", "responses sheet", "surveys",
        signature=("Timestamp", ("Email address", "Email Address")),
        columns={"responded_at": "Timestamp", "customer_id": ("Email address", "Email Address")},
        keys=(Key(("Email address", "Email Address"), "email"),),
        notes=("the Timestamp is in the spreadsheet's time zone: read in the config's timezone",),
        refine=_google_forms,
    ),
    Export(
        "SurveyMonkey", "all individual responses export", "surveys",
        signature=("Respondent ID", "Collector ID", "Start Date", "End Date", "IP Address"),
        columns={"response_id": "Respondent ID", "responded_at": "End Date", "customer_id": "Email Address"},
        keys=(Key("Email Address", "email"),),
        reasons={"responded_at": "End Date is when the response was submitted"},
        notes=("times are in the account's time zone: read in the config's timezone",),
        refine=_surveymonkey,
    ),
    Export(
        "Delighted", "survey responses (API fields)", "surveys",
        signature=("id", "person.email", "survey_type", "score", "comment", "permalink", "created_at"),
        columns={
            "response_id": "id",
            "customer_id": "person.email",
            "responded_at": "created_at",
            "survey": "survey_type",
            "score": "score",
            "comment": "comment",
        },
        keys=(Key("person.email", "email"), Key("person_properties.Company", "name")),
        refine=_delighted,
    ),
]  # fmt: skip
