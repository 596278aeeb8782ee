"""`render_yaml(proposals, data_dir)`: a commented config that loads and validates."""

from __future__ import annotations

from cs_metrics.contract import TABLES
from cs_metrics.init.propose import FileProposal

# ---------------------------------------------------------------------------------------------
# render_yaml
# ---------------------------------------------------------------------------------------------


def _q(text: str) -> str:
    """A YAML double-quoted scalar; characters YAML cannot hold raw are escaped."""
    out = ['"']
    for ch in text:
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
    return "".join(ch if ch.isprintable() else " " for ch in text)


def _names(headers: list[str]) -> str:
    return ", ".join(_c(h) for h in headers)


def _missing_text(table: str, missing: list[str]) -> list[str]:
    tbl = TABLES[table]
    group_cols = {c for g in tbl.one_of for c in g}
    out = [c for c in missing if c not in group_cols]
    if any(c in group_cols for c in missing):
        out.append(" or ".join(" + ".join(g) for g in tbl.one_of))
    return out


def _block(p: FileProposal) -> list[str]:
    lines = [f"  # {_c(p.path.name)} -> {p.table} (score {p.score})"]
    if p.segment_headers:
        lines.append(f"  # segment columns, kept under their own names (usable with --by): {_names(p.segment_headers)}")
    if p.unmapped_headers:
        lines.append(f"  # headers not used: {_names(p.unmapped_headers)}")
    if p.missing_required:
        lines.append(f"  # missing required columns: {', '.join(_missing_text(p.table, p.missing_required))}")
        lines.append(
            f"  # TODO: map the missing required columns under columns: (canonical: \"Export header\"); "
            f"until then metrics that need {p.table} stop with an error"
        )
    for note in p.notes:
        lines.append(f"  # {_c(note)}")
    if p.table == "subscriptions":
        lines.append("  # end_inclusive: true is needed when the export's end date is the last day of service")
        lines.append("  # (cs-metrics reads ended_at as the first day without service).")
        if p.end_inclusive:
            lines.append("  # Set below because starts fall on the 1st and ends on a month's last day.")
    lines.append(f"  {p.table}:")
    lines.append(f"    path: {_q(p.path.name)}")
    if p.delimiter != ",":
        lines.append(f"    delimiter: {_q(p.delimiter)}")
    if p.encoding != "utf-8-sig":
        lines.append(f"    encoding: {_q(p.encoding)}")
    if p.date_format:
        lines.append(f"    date_format: {_q(p.date_format)}")
    elif any("set date_format by hand" in n for n in p.notes):
        lines.append('    # date_format: "TODO strptime format, e.g. %d.%m.%Y"')
    if p.decimal_comma:
        lines.append("    decimal_comma: true")
    if p.end_inclusive:
        lines.append("    end_inclusive: true")
    if p.survey_labels or p.unknown_survey_labels:
        lines.append("    survey_labels:")
        lines += [f"      {_q(label)}: {kind}" for label, kind in p.survey_labels.items()]
        lines += [f'      # {_q(label)}: "TODO nps, csat or ces"' for label in p.unknown_survey_labels]
    # a block mapping (never `{}`), so that uncommenting a TODO line below keeps the YAML valid
    lines.append("    columns:")
    lines += [f"      {c}: {_q(h)}" for c, h in p.columns.items()]
    lines += [f'      # {c}: "TODO export header"' for c in p.missing_required]
    return lines


def render_yaml(proposals: list[FileProposal], data_dir: str) -> str:
    """A commented YAML config for the matched files; unmatched files are listed in comments only."""
    matched = [p for p in proposals if p.table]
    lines = [
        "# cs-metrics config proposed by `cs-metrics init --from` from the exports found.",
        "# Review it: every mapping reads `canonical_column: \"Header in your export\"`;",
        "# lines marked TODO need your answer, lines marked CHECK a second look.",
        f"data: {_q(str(data_dir))}",
        "",
    ]
    if matched:
        lines.append("sources:")
        for p in matched:
            lines += _block(p)
            lines.append("")
    else:
        lines += ["# No export was recognised: add sources by hand (see config.example.yaml).", "sources: {}", ""]
    unused = [p for p in proposals if not p.table]
    if unused:
        lines.append("# Files not used:")
        for p in unused:
            why = "; ".join(_c(n) for n in p.notes) or "no table recognised"
            headers = f" (headers: {_names(p.headers)})" if p.headers else ""
            lines.append(f"#   {_c(p.path.name)}: {why}{headers}")
        lines.append(f"# A file holding one of {', '.join(TABLES)} can be added under sources: by hand.")
    return "\n".join(lines).rstrip("\n") + "\n"


