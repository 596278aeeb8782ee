"""`propose(folder)`: one proposal per export file, each table given to its best file."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from cs_metrics.contract import TABLES
from cs_metrics.init.matching import missing_required, score_table
from cs_metrics.init.shapes import (
    _looks_end_inclusive,
    _survey_labels,
    detect_date_format,
    detect_decimal_comma,
)
from cs_metrics.init.sniff import SAMPLE_BYTES, _parse, _values, detect_delimiter, detect_encoding

EXTENSIONS = (".csv", ".tsv", ".txt")


@dataclass
class FileProposal:
    """What `init` guesses about one export file."""

    path: Path
    table: str | None
    score: float
    delimiter: str
    encoding: str
    date_format: str | None
    decimal_comma: bool
    columns: dict[str, str]  # canonical -> export header, every matched column (also when the names are equal)
    unmapped_headers: list[str]  # headers not placed (for customers: none, see segment_headers)
    missing_required: list[str]  # canonical required columns not found (one_of groups considered)
    headers: list[str] = field(default_factory=list)  # the header row as read
    segment_headers: list[str] = field(default_factory=list)  # customers: extra headers kept as segment dimensions
    survey_labels: dict[str, str] = field(default_factory=dict)  # surveys: export label -> nps/csat/ces
    unknown_survey_labels: list[str] = field(default_factory=list)  # surveys: labels to map by hand (TODO lines)
    end_inclusive: bool = False  # subscriptions: end dates look like the last day of service
    notes: list[str] = field(default_factory=list)  # remarks for the YAML comments; "TODO: ..." needs action



# ---------------------------------------------------------------------------------------------
# propose
# ---------------------------------------------------------------------------------------------


def _read_sample(path: Path) -> tuple[bytes, bool]:
    with path.open("rb") as f:
        raw = f.read(SAMPLE_BYTES + 1)
    complete = len(raw) <= SAMPLE_BYTES
    return raw[:SAMPLE_BYTES], complete


def _inspect(path: Path) -> tuple[FileProposal, list[tuple[float, bool, str, dict[str, str]]], list[list[str]]]:
    """Read one file's sample; return a proposal without a table, the scored tables, and the data rows."""
    blank = FileProposal(path, None, 0.0, ",", "utf-8-sig", None, False, {}, [], [])
    try:
        raw, complete = _read_sample(path)
    except OSError as exc:
        blank.notes.append(f"cannot be read: {exc.strerror or exc}")
        return blank, [], []
    if not raw.strip():
        blank.notes.append("empty file")
        return blank, [], []
    encoding, text = detect_encoding(raw, complete)
    delimiter = detect_delimiter(text)
    rows = _parse(text, delimiter)
    if not complete and len(rows) > 1:
        rows = rows[:-1]  # the sample may end inside the last row
    # Stripped, as the loader strips them; empty cells stay, so positions match the data rows.
    headers = [h.strip() for h in rows[0]] if rows else []
    named = [h for h in headers if h.strip()]
    if len(named) < len(headers):
        blank.notes.append(f"{len(headers) - len(named)} header cell(s) are empty")
    blank.encoding, blank.delimiter, blank.headers = encoding, delimiter, headers
    blank.unmapped_headers = named
    scored = sorted(
        ((*score_table(t, path, headers), t) for t in TABLES),
        key=lambda s: (s[1], s[0]),  # acceptable first, then by score; ties keep TABLES order
        reverse=True,
    )
    ranking = [(score, ok, t, cols) for score, ok, cols, t in scored]
    blank.score = ranking[0][0] if ranking else 0.0
    data = [r for r in rows[1:] if any(c.strip() for c in r)]
    return blank, ranking, data


def _fill(p: FileProposal, table: str, score: float, columns: dict[str, str], rows: list[list[str]]) -> None:
    """Complete a proposal for its chosen table: mapping, problems, date format, money, labels."""
    tbl = TABLES[table]
    p.table, p.score, p.columns = table, score, columns
    placed = set(columns.values())
    extra = [h for h in p.headers if h.strip() and h not in placed]
    if tbl.open_columns:
        p.segment_headers, p.unmapped_headers = extra, []
    else:
        p.unmapped_headers = extra
    p.missing_required = missing_required(table, columns)

    index: dict[str, int] = {}
    for i, h in enumerate(p.headers):
        index.setdefault(h, i)  # first occurrence of each header
    values = {c: _values(rows, index[h]) for c, h in columns.items()}
    # date_format applies to the file's date columns (a file with only datetimes is looked at too);
    # they share one format, so all of them are sampled: `31/01` in one settles `01/02` in another.
    dated = [c for kind in ("date", "datetime") for c in tbl.names if c in columns and tbl.column(c).type == kind and values[c]]
    dated = [c for c in dated if tbl.column(c).type == tbl.column(dated[0]).type]
    if dated:
        p.date_format, notes = detect_date_format([v for c in dated for v in values[c]])
        p.notes += notes
        if p.date_format and tbl.column(dated[0]).type == "datetime":
            p.notes.append(
                f"CHECK: {dated[0]} holds datetimes like {values[dated[0]][0]!r}; "
                "datetime columns are read as ISO (2024-05-31T14:03:00), so convert them in the export"
            )
    money = [v for c in tbl.names if c in columns and tbl.column(c).type == "money" for v in values[c]]
    p.decimal_comma = detect_decimal_comma(money, p.delimiter)
    if table == "surveys" and "survey" in columns:
        p.survey_labels, unknown = _survey_labels(values["survey"])
        p.unknown_survey_labels = list(unknown)
        if unknown:
            p.notes.append(
                "TODO: survey labels not recognised: "
                + ", ".join(unknown)
                + ". Map each under survey_labels to nps, csat or ces"
            )
    if table == "subscriptions" and "started_at" in columns and "ended_at" in columns:
        p.end_inclusive = _looks_end_inclusive(values["started_at"], values["ended_at"], p.date_format)


def propose(folder: Path) -> list[FileProposal]:
    """One proposal per *.csv / *.tsv / *.txt file of `folder` (not recursive), sorted by name.

    Each table goes to at most one file: the best-scoring one; the other candidates get table None
    and a note naming the file that won.
    """
    folder = Path(folder)
    files = sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in EXTENSIONS)
    inspected = [_inspect(p) for p in files]
    best_for: dict[str, tuple[float, int]] = {}  # table -> (score, file index) of its best acceptable file
    for n, (_p, ranking, _rows) in enumerate(inspected):
        choice = next(((s, t) for s, ok, t, _c in ranking if ok), None)
        if choice and (choice[1] not in best_for or choice[0] > best_for[choice[1]][0]):
            best_for[choice[1]] = (choice[0], n)
    winner = {n: t for t, (_s, n) in best_for.items()}
    proposals = []
    for n, (p, ranking, rows) in enumerate(inspected):
        choice = next(((s, t, c) for s, ok, t, c in ranking if ok), None)
        if n in winner:
            score, table, columns = choice
            _fill(p, table, score, columns, rows)
        elif choice:
            other = files[best_for[choice[1]][1]].name
            p.notes.append(f"also looks like {choice[1]} (score {choice[0]}), but {other} scored higher")
        elif p.headers:
            p.notes.append("no table recognised")
        proposals.append(p)
    return proposals


