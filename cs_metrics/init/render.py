"""`render_yaml(proposals, data_dir)`: the proposal as a commented config that loads and validates.

Every guess that is not certain carries its reason on its line (CHECK when it deserves a look);
the answers only a person has (currency rates, coupon terms, the customer master when two exports
qualify, a column no header names) are listed as TODO at the top with the line to change, and
written as commented settings that stay valid YAML when uncommented.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cs_metrics.contract import TABLES
from cs_metrics.init.decide import TIMED_TABLES
from cs_metrics.init.propose import FileProposal, Proposal

# File keys in the order they are written, before `values`, `survey_labels` and `columns`.
FILE_KEYS = (
    "sheet", "delimiter", "encoding", "date_format", "datetime_format", "timezone", "buddhist_era",
    "decimal_comma", "end_inclusive", "skip_rows", "amount_divisor", "currency", "exclude_status",
    "customer_key", "customer_group", "exported_on", "aliases", "elapsed", "fixed",
)  # fmt: skip


def _q(text: str) -> str:
    """A YAML double-quoted scalar; characters YAML cannot hold raw are escaped."""
    out = ['"']
    for ch in str(text):
        if ch in '"\\':
            out.append("\\" + ch)
        elif ch == "\t":
            out.append("\\t")
        elif ch.isprintable():
            out.append(ch)
        else:
            out.append(f"\\u{ord(ch):04x}" if ord(ch) <= 0xFFFF else f"\\U{ord(ch):08x}")
    out.append('"')
    return "".join(out)


def _c(text: str) -> str:
    """Text safe inside a YAML comment: one line, printable."""
    return "".join(ch if ch.isprintable() else " " for ch in str(text))


def _names(headers: list[str]) -> str:
    return ", ".join(_c(h) for h in headers)


def _v(value: Any) -> str:
    """A value in YAML flow style."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_q(k)}: {_v(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_v(v) for v in value) + "]"
    return _q(value)


def _missing_text(table: str, missing: list[str]) -> list[str]:
    tbl = TABLES[table]
    group_cols = {c for g in tbl.one_of for c in g}
    out = [c for c in missing if c not in group_cols]
    if any(c in group_cols for c in missing):
        out.append(" or ".join(" + ".join(g) for g in tbl.one_of))
    return out


@dataclass
class _Line:
    text: str
    todo: int | None = None  # the TODO (index) this line answers


class _Out:
    def __init__(self) -> None:
        self.lines: list[_Line] = []
        self.todos: list[str] = []  # their text, in order

    def add(self, text: str, todo: int | None = None) -> None:
        self.lines.append(_Line(text, todo))

    def new_todo(self, text: str) -> int:
        self.todos.append(text)
        return len(self.todos) - 1


def _setting(out: _Out, pad: str, key: str, value: Any, why: str | None) -> None:
    line = f"{pad}{key}: {_v(value)}"
    out.add(line + (f"  # {_c(why)}" if why else ""))


def _describe(p: FileProposal) -> str:
    if p.tool:
        share = f"{round(p.score * len(p.spec.signature))} of {len(p.spec.signature)} of its headers" if p.spec else ""
        return f"{_c(p.rel)}: {p.tool} {p.export} ({p.confidence} confidence: {share})"
    return f"{_c(p.rel)} -> {p.table} ({p.confidence} confidence, score {p.score}: guessed from its headers and values)"


def _file(out: _Out, p: FileProposal, pad: str, first: str) -> None:
    """One file's keys; `first` is the prefix of its first line (`path:` or `- path:`)."""
    comments = [_describe(p)]
    if p.segment_headers:
        comments.append(f"segment columns, kept under their own names (usable with --by): {_names(p.segment_headers)}")
    if p.unmapped_headers:
        comments.append(f"headers not used: {_names(p.unmapped_headers)}")
    if p.missing_required:
        comments.append(f"missing required columns: {', '.join(_missing_text(p.table, p.missing_required))}")
    comments += [_c(n) for n in p.notes]
    if p.table == "subscriptions" and not p.end_inclusive:
        comments.append("end_inclusive: true is needed when the export's end date is the last day of service")
        comments.append("(cs-metrics reads ended_at as the first day without service).")
    lead = pad if first.startswith("path") else pad[:-2]
    for c in comments:
        out.add(f"{lead}# {c}")
    missing_todo = None
    if p.missing_required:
        missing_todo = out.new_todo(
            f"{p.rel}: no header found for {', '.join(_missing_text(p.table, p.missing_required))}; map the export's "
            f"header under columns (uncomment the line and write it), until then metrics that need {p.table} stop with an error"
        )
        out.add(
            f"{pad}# TODO: map the missing required columns under columns: (canonical: \"Export header\"); "
            f"until then metrics that need {p.table} stop with an error"
        )
    out.add(f"{pad[:-2] + first if not first.startswith('path') else pad + first} {_q(p.rel)}")
    values = {
        "sheet": p.sheet if p.format == "xlsx" else None,
        "delimiter": p.delimiter if p.format == "csv" and p.delimiter != "," else None,
        "encoding": p.encoding if p.format == "csv" and p.encoding != "utf-8-sig" else None,
        "date_format": p.date_format,
        "datetime_format": p.datetime_format,
        "decimal_comma": True if p.decimal_comma else None,
        "end_inclusive": True if p.end_inclusive else None,
    }
    for key in FILE_KEYS:
        value = values.get(key) if key in values else p.settings.get(key)
        if value is None or value == {} or value == []:
            continue
        _setting(out, pad, key, value, p.reasons.get(key))
    for key, example in (("date_format", "%d.%m.%Y"), ("datetime_format", "%d.%m.%Y %H:%M")):
        if not getattr(p, key) and any(f"set {key} by hand" in n for n in p.notes):
            todo = out.new_todo(f"{p.rel}: its {key.split('_')[0]}s are in no format init knows; write the strptime format")
            out.add(f'{pad}# {key}: "TODO strptime format, e.g. {example}"', todo)
    value_map = dict(p.settings.get("values", {}))
    todo_values = [(t, text) for t in p.todos for block, text in t.lines if block == "values"]
    if value_map or todo_values:
        out.add(f"{pad}values:" + (f"  # {_c(p.reasons['values'])}" if "values" in p.reasons else ""))
        for column, mapping in value_map.items():
            out.add(f"{pad}  {column}: {_v(mapping)}")
    todo_ids = {id(t): out.new_todo(f"{p.rel}: {t.text}") for t in p.todos}
    for t, text in todo_values:
        out.add(f"{pad}  # {text}", todo_ids[id(t)])
    if p.survey_labels or p.unknown_survey_labels:
        out.add(f"{pad}survey_labels:")
        out.lines += [_Line(f"{pad}  {_q(label)}: {kind}") for label, kind in p.survey_labels.items()]
        if p.unknown_survey_labels:
            todo = out.new_todo(f"{p.rel}: survey labels {', '.join(p.unknown_survey_labels)}: say which are nps, csat or ces")
            for label in p.unknown_survey_labels:
                out.add(f'{pad}  # {_q(label)}: "TODO nps, csat or ces"', todo)
    # a block mapping (never `{}`), so that uncommenting a TODO line below keeps the YAML valid
    out.add(f"{pad}columns:")
    tbl = TABLES[p.table]
    order = [c for c in tbl.names if c in p.columns] + [c for c in p.columns if c not in tbl.names]
    for column in order:
        why = p.reasons.get(column)
        out.add(f"{pad}  {column}: {_q(p.columns[column])}" + (f"  # {_c(why)}" if why else ""))
    for c in p.missing_required:
        out.add(f'{pad}  # {c}: "TODO export header"', missing_todo)
    for t in p.todos:
        for block, text in t.lines:
            if block == "columns":
                out.add(f"{pad}  # {text}  # TODO {t.key}", todo_ids[id(t)])


def _source(out: _Out, table: str, files: list[FileProposal], proposals: Proposal | None) -> None:
    out.add(f"  {table}:")
    if len(files) == 1:
        _file(out, files[0], "    ", "path:")
        return
    out.add(f"    # {len(files)} exports feed {table}: each file has its own path, mapping and formats")
    out.add("    files:")
    for p in files:
        _file(out, p, "        ", "- path:")


def render_yaml(proposals: list[FileProposal], data_dir: str) -> str:
    """A commented YAML config for the recognised files; the others are listed in comments only."""
    if not isinstance(proposals, Proposal):
        from cs_metrics.init.decide import conclude

        proposals = Proposal(proposals)
        conclude(proposals)
    out = _Out()
    out.add(f"data: {_q(str(data_dir))}")
    zone_todo = None
    if proposals.timezone_why:
        out.add(f"timezone: {proposals.timezone}  # {_c(proposals.timezone_why)}")
    elif any(p.used and p.table in TIMED_TABLES for p in proposals if p.table):
        zone_todo = out.new_todo(
            "your business's time zone (IANA, e.g. Asia/Bangkok): no export says it, and it decides which day each "
            "time falls on; UTC until then"
        )
        out.add("timezone: UTC  # TODO: your business's time zone", zone_todo)
    if proposals.currency_base:
        todo = out.new_todo(
            f"the conversion rates to {proposals.currency_base} of {', '.join(proposals.rates_needed)}: uncomment each "
            "rate line and write 1 unit's value in the base currency; until then a metric on money stops with an error naming the rate"
        )
        out.add("currency:")
        out.add(f"  base: {proposals.currency_base}  # {_c(proposals.currency_why)}")
        out.add("  rates:")
        for code in proposals.rates_needed:
            out.add(f'    # {code}: "TODO 1 {code} in {proposals.currency_base}"', todo)
    for key, value in proposals.top.items():
        _setting(out, "", key, value, proposals.top_reasons.get(key))
    if proposals.metrics:
        out.add("metrics:")
        for metric, definitions in proposals.metrics.items():
            out.add(f"  {metric}:" + (f"  # {_c(proposals.metric_reasons[metric])}" if proposals.metric_reasons.get(metric) else ""))
            for k, v in definitions.items():
                out.add(f"    {k}: {_v(v)}")
    out.add("")
    by_table: dict[str, list[FileProposal]] = {}
    for p in proposals:
        if p.table and p.used:
            by_table.setdefault(p.table, []).append(p)
    if by_table:
        out.add("sources:")
        for table in TABLES:
            if table not in by_table:
                continue
            if table == "customers" and proposals.other_masters:
                alternatives = ", ".join(q.rel for q in proposals.other_masters)
                todo = out.new_todo(
                    f"which export is your customer master: {proposals.master.rel} is used ({proposals.master_why}); "
                    f"{alternatives} also qualif{'y' if len(proposals.other_masters) > 1 else 'ies'}. To use another, run "
                    f"`cs-metrics init --from DIR --master {proposals.other_masters[0].rel} --force` (every file's key follows the master)"
                )
                out.add(f"  # the customer master: {proposals.master.rel} (see the TODO at the top)", todo)
            _source(out, table, by_table[table], proposals)
            out.add("")
    else:
        out.add("# No export was recognised: add sources by hand (see config.example.yaml).")
        out.add("sources: {}")
        out.add("")
    unused = [p for p in proposals if not (p.table and p.used)]
    if unused:
        out.add("# Files not used:")
        for p in unused:
            why = "; ".join(_c(n) for n in p.notes if not n.startswith(p.rel)) or "no table recognised"
            headers = f" (headers: {_names(p.headers)})" if p.headers and not p.table else ""
            what = f" {p.tool} {p.export}:" if p.tool else ":"
            out.add(f"#   {_c(p.rel)}{what} {why}{headers}")
        out.add(f"# A file holding one of {', '.join(TABLES)} can be added under sources: by hand.")

    head = [
        "# cs-metrics config proposed by `cs-metrics init --from` from the exports found.",
        "# Review it: every mapping reads `canonical_column: \"Header in your export\"`;",
        "# lines marked TODO need your answer, lines marked CHECK a second look (each guess says why).",
    ]
    firsts: dict[int, list[int]] = {}
    start = len(head) + 2
    if out.todos:
        head.append("#")
        head.append("# TODO — answers only you have:")
        head += ["" for _ in out.todos]
    if proposals.undecided:
        head.append("#")
        head.append("# Could not decide:")
        head += [f"#   - {_c(u)}" for u in proposals.undecided]
    offset = len(head) + 1
    for n, line in enumerate(out.lines):
        if line.todo is not None:
            firsts.setdefault(line.todo, []).append(n + offset)
    for i, text in enumerate(out.todos):
        where = firsts.get(i, [])
        at = (f"line {where[0]}" if len(where) == 1 else f"lines {where[0]}-{where[-1]}") if where else "below"
        head[start + i] = f"#   {i + 1}. {at}: {_c(text)}"
    lines = head + [line.text for line in out.lines]
    return "\n".join(lines).rstrip("\n") + "\n"


def summary(proposals: Proposal) -> str:
    """What `init --from` prints on stderr: per file the tool and table recognised and the
    confidence, then what it could not decide and how many answers it needs."""
    lines = []
    width = max((len(p.rel) for p in proposals), default=0)
    for p in proposals:
        what = f"{p.tool} {p.export}" if p.tool else "no known tool"
        if p.table and p.used:
            lines.append(f"{p.rel:<{width}}  {what} -> {p.table} ({p.confidence} confidence)")
        elif p.table or p.tool:
            why = next((n for n in p.notes if "instead" in n or "scored higher" in n), "")
            master = " (another customer master: see the TODO)" if p in getattr(proposals, "other_masters", []) else ""
            lines.append(f"{p.rel:<{width}}  {what} -> not used{master}" + (f": {why.removeprefix('CHECK: ')}" if why else ""))
        else:
            lines.append(f"{p.rel:<{width}}  not recognised" + (f": {p.notes[0]}" if p.notes else ""))
    if not proposals:
        lines.append("no export file found (.csv, .tsv, .txt, .csv.gz, .xlsx, .parquet)")
    undecided = list(getattr(proposals, "undecided", []))
    if undecided:
        lines.append("could not decide:")
        lines += [f"  - {u}" for u in undecided]
    text = render_yaml(proposals, str(getattr(proposals, "folder", "") or "."))
    todos = sum(1 for line in text.splitlines() if line.startswith("#   ") and line[4:5].isdigit())
    if todos:
        lines.append(f"{todos} TODO{'s' if todos > 1 else ''} at the top of the config: answers only you have")
    return "\n".join(lines) + "\n"
