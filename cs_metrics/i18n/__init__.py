"""What a person reads, in their language: English (the message ids), Thai and Chinese.

Messages live in one gettext catalogue per language (`th.po`, `zh.po` beside this file; English is
the message ids themselves). Only what people read goes through here: tables, markdown, HTML,
workbooks, warnings on stderr, `--explain` and `--help`. What machines read (CSV, TSV, JSON, JSONL
keys and values, metric ids, exit codes, config keys) never does, so it is the same bytes in
every language.

A metric stays a pure function that speaks English: the texts it returns (definition, formula,
warnings) are `T` values, a `str` holding the English text that also carries its message id and
parameters, so a renderer can say it again in another language (`tr`). Everything that treats them
as text (JSON, comparisons, the English output) sees the English, byte for byte.

    T("{k} renewed / {n} due x 100 = {value} %", k=5, n=7, value="71.43")

Standard library only: the CLI imports this module on its `--help` path.
"""

from __future__ import annotations

import contextlib
import os
import re
from datetime import date, datetime
from string import Formatter
from typing import Any, Iterable, Iterator

from cs_metrics.i18n import catalog

LANGUAGES = ("en", "th", "zh")
_STATE = {"lang": "en", "buddhist": False}
BUDDHIST_OFFSET = 543  # พ.ศ. = ค.ศ. + 543


# --------------------------------------------------------------------------- the language in force


def current() -> str:
    return _STATE["lang"]


def buddhist() -> bool:
    return bool(_STATE["buddhist"])


def use(lang: str = "en", buddhist_era: bool = False) -> None:
    """Set the language (and the calendar) of everything people read from now on."""
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}")
    _STATE["lang"], _STATE["buddhist"] = lang, bool(buddhist_era)


def reset() -> None:
    use("en", False)


@contextlib.contextmanager
def using(lang: str, buddhist_era: bool = False) -> Iterator[None]:
    before = dict(_STATE)
    use(lang, buddhist_era)
    try:
        yield
    finally:
        _STATE.update(before)


def from_locale(environ: dict | None = None) -> str | None:
    """The language of the locale, the way gettext finds it: the first of LANGUAGE, LC_ALL,
    LC_MESSAGES and LANG that is set decides (LANGUAGE may list several: th:en); `th_TH.UTF-8`
    is Thai, any `zh_*` Chinese (simplified). None when it names none of ours (C, POSIX, de_DE ...)."""
    env = os.environ if environ is None else environ
    for var in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(var)
        if not value:
            continue
        for item in value.split(":"):
            code = re.split(r"[_.@-]", item.strip(), maxsplit=1)[0].lower()
            if code in LANGUAGES:
                return code
        return None
    return None


# --------------------------------------------------------------------------- translatable text


def _fields(msgid: str) -> set[str]:
    return {name for _, name, _, _ in Formatter().parse(msgid) if name is not None}


class T(str):
    """English text that can be said in another language: its message id and parameters.

    It is a `str` (the English), so JSON, CSV, comparisons and the English output see exactly
    what an f-string would have given. `+` keeps the parts (`T(...) + T(...)`, `"; " + T(...)`);
    `join` joins several. Parameters may be T values themselves, dates or numbers. Without
    parameters the message id is not formatted (braces are text)."""

    def __new__(cls, msgid: str, /, **params: Any) -> T:
        self = super().__new__(cls, msgid.format(**params) if params else msgid)
        self._parts = ((msgid, params),)
        return self

    @classmethod
    def _of(cls, parts: tuple) -> T:
        self = super().__new__(cls, "".join(_english(p) for p in parts))
        self._parts = parts
        return self

    def __add__(self, other: Any) -> T:
        if not isinstance(other, str):
            return NotImplemented
        return T._of(self._parts + _parts(other))

    def __radd__(self, other: Any) -> T:
        if not isinstance(other, str):
            return NotImplemented
        return T._of(_parts(other) + self._parts)

    def __reduce__(self):  # pickles and copies keep the parts
        return (T._of, (self._parts,))

    @classmethod
    def word(cls, word: str) -> T:
        """A word of ours used as a value (promoter, good, churn ...), said with `value()`."""
        return T._of(((str(word), WORD),))

    @classmethod
    def metric(cls, name: str) -> T:
        """A metric's id in a sentence, said as its name (`metric_name()`)."""
        return T._of(((str(name), METRIC),))


WORD = "word"  # in place of the parameters of a part: a word of ours (T.word), said with value()
METRIC = "metric"  # a metric id (T.metric), said with metric_name()


def _parts(text: str) -> tuple:
    if isinstance(text, T):
        return text._parts
    return ((text, None),) if text else ()


def _english(part: tuple) -> str:
    msgid, params = part
    return msgid.format(**params) if isinstance(params, dict) and params else msgid


def join(sep: str, items: Iterable[str]) -> str:
    """`sep.join(items)` that keeps the translatable parts of T items (a str when none is a T)."""
    items = list(items)
    if not any(isinstance(x, T) for x in items) and not isinstance(sep, T):
        return sep.join(items)
    parts: tuple = ()
    for n, x in enumerate(items):
        parts += (_parts(sep) if n else ()) + _parts(x)
    return T._of(parts)


def N_(msgid: str) -> str:
    """Marks a constant as a message (the catalogue check finds it); translated later with `_`."""
    return msgid


def _(msgid: str, /, **params: Any) -> str:
    """The message in the language in force, formatted with `params` (translated themselves)."""
    return _say(msgid, params if params else None)


def pgettext(context: str, msgid: str) -> str | None:
    """The translation of `msgid` in `context` (label, value, metric), None when there is none."""
    lang = current()
    if lang == "en":
        return None
    return catalog.load(lang).get(f"{context}\x04{msgid}")


def lookup(msgid: str) -> str | None:
    """The translation of a message in the language in force, None when there is none (or in English)."""
    return None if current() == "en" else catalog.load(current()).get(msgid)


MISSING: set[tuple[str, str, str]] = set()  # (lang, context, msgid) asked for and not in a catalogue


def _say(msgid: str, params: dict | None) -> str:
    lang = current()
    text = msgid
    if lang != "en":
        found = catalog.load(lang).get(msgid)
        if found is None:
            if re.search(r"[A-Za-z]", re.sub(r"\{[^{}]*\}", "", msgid)):
                MISSING.add((lang, "", msgid))
        else:
            text = found
    if not params:
        return text
    return text.format(**{k: _param(v) for k, v in params.items()})


def _param(v: Any) -> Any:
    if isinstance(v, T):
        return tr(v)
    if isinstance(v, date):
        return era(v)
    if isinstance(v, str) and buddhist():
        return era(v)  # a day or a period; a text that went through tr() has its days shifted already
    return v


def tr(text: Any) -> str:
    """`text` for people in the language in force: a T is said again from its parts; a plain str
    is looked up whole (constant messages) and otherwise shown as it is (data, names)."""
    if text is None:
        return ""
    if isinstance(text, T):
        if current() == "en" and not buddhist():
            return str(text)
        return "".join(_part(m, p) for m, p in text._parts)
    if not isinstance(text, str):
        return str(text)
    return _literal(text)


def _part(msgid: str, params) -> str:
    if params == WORD:
        return value(msgid)
    if params == METRIC:
        return metric_name(msgid)
    if params is None:
        return _literal(msgid)
    return _say(msgid, params)


def _literal(text: str) -> str:
    if current() != "en":
        found = catalog.load(current()).get(text)
        if found is not None:
            return found
    return era_in_text(text) if buddhist() else text


# --------------------------------------------------------------------------- names and labels

# Labels made of a name and a number or a data value: m3 (a cohort month), m3_retention, score_4,
# cost_<category> (a category of costs.csv).
_LABEL_PATTERNS = (
    (re.compile(r"m(\d+)"), N_("month {k}")),
    (re.compile(r"m(\d+)_retention"), N_("month-{k} retention")),
    (re.compile(r"m(\d+)_cohort_customers"), N_("customers of month-{k} cohorts")),
    (re.compile(r"m(\d+)_paying_customers"), N_("month-{k} cohort customers paying")),
    (re.compile(r"score_(\d+)"), N_("score {k}")),
    (re.compile(r"cost_(.+)"), N_("cost: {k}")),
)


def label(key: str, english: str | None = None) -> str:
    """A details key or column name for people: `opening_mrr` -> `opening mrr` in English (or
    `english` where the English output shows something else)."""
    key = str(key)
    english = key.replace("_", " ") if english is None else english
    if current() == "en":
        return english
    found = pgettext("label", key)
    if found is not None:
        return found
    if _ISO_DAY.fullmatch(key) or _PERIOD.fullmatch(key):  # a snapshot's column (mrr --matrix), a trend's period
        return era(key)
    for pattern, msgid in _LABEL_PATTERNS:
        m = pattern.fullmatch(key)
        if m:
            arg = m.group(1).replace("_", " ")
            return _(msgid, k=arg)
    MISSING.add((current(), "label", key))
    return english


def value(v: str) -> str:
    """A word a result uses as a value (good, at_risk, promoter, breach ...) for people; data
    (names, plans, comments) has no entry and stays as it is."""
    if current() == "en":
        return v
    found = pgettext("value", str(v))
    return v if found is None else found


def words(text: str) -> str:
    """Each word of ours in a short text (health's reasons: `usage 0, depth 12`) said with `value()`."""
    if current() == "en":
        return text
    return re.sub(r"[a-z][a-z_]*", lambda m: value(m.group()), text)


def metric_name(name: str) -> str:
    """A metric's name for people; in English its command name (mrr, churn ...)."""
    if current() == "en":
        return name
    found = pgettext("metric", name)
    if found is None:
        MISSING.add((current(), "metric", name))
        return name
    return found


# --------------------------------------------------------------------------- the Buddhist era

_ISO_DAY = re.compile(r"(?<![\d-])(\d{4})-(\d{2})-(\d{2})(?!\d)")
_PERIOD = re.compile(r"(\d{4})(-(?:\d{2}|Q[1-4]|H[12]|W\d{2}))?")


def era(v: Any) -> str:
    """A date, ISO day, or period label (2026-10, 2026-Q3, 2026-W18, 2026, A..B) for people:
    with the Buddhist era in force its years are พ.ศ. (2569-10); anything else as it is."""
    if isinstance(v, date) and not isinstance(v, datetime):
        v = v.isoformat()
    v = str(v)  # a datetime as an f-string shows it
    if not buddhist():
        return v
    ends = v.split("..")
    if len(ends) <= 2 and all(_PERIOD.fullmatch(x) or _ISO_DAY.fullmatch(x) for x in ends):
        return "..".join(_shift(x) for x in ends)
    return era_in_text(v) if _ISO_DAY.match(v) else v  # 2026-10-31 14:03:00


def _shift(text: str) -> str:
    return f"{int(text[:4]) + BUDDHIST_OFFSET}{text[4:]}"


def era_in_text(text: str) -> str:
    """Every ISO day in a text in the Buddhist era (when in force)."""
    if not buddhist():
        return text
    return _ISO_DAY.sub(lambda m: f"{int(m.group(1)) + BUDDHIST_OFFSET}-{m.group(2)}-{m.group(3)}", text)


def period_text(p) -> str:
    """`2026-10 (2026-10-01 .. 2026-10-31)`; in the Buddhist era `พ.ศ. 2569-10 (2569-10-01 .. 2569-10-31)`."""
    marker = _("B.E.") + " " if buddhist() else ""
    return f"{marker}{era(p.label)} ({era(p.start)} .. {era(p.end)})"


# --------------------------------------------------------------------------- display width


def width(text: str) -> int:
    """Columns a text takes in a terminal: Thai combining marks take none, Chinese characters two
    (Rich's own measure, the one its tables align with)."""
    from rich.cells import cell_len

    return cell_len(text)


def placeholders(msgid: str) -> set[str]:
    """The {fields} of a message (for the catalogue checks)."""
    return _fields(msgid)
