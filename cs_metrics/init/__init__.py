"""`cs-metrics init`: propose a config from a folder of real exports, or print the starter config.

`propose(folder)` reads only the first bytes of each export (header and a sample of rows) with
the csv module, so it stays on the fast path: no pandas, no pydantic. For each file it guesses
the encoding, the delimiter, which canonical table it holds, how its headers map onto the
canonical columns, the date format and whether money uses a decimal comma.
`render_yaml(proposals, data_dir)` turns that into a commented YAML config that loads with
`yaml.safe_load` and validates with `cs_metrics.config.parse_config`.
"""


from __future__ import annotations

from cs_metrics.errors import CsMetricsError
from cs_metrics.init.matching import match_columns, missing_required, normalise_header, score_table
from cs_metrics.init.propose import FileProposal, Proposal, propose
from cs_metrics.init.render import render_yaml, summary
from cs_metrics.init.shapes import detect_date_format, detect_decimal_comma
from cs_metrics.init.sniff import detect_delimiter, detect_encoding

__all__ = [
    "FileProposal", "Proposal", "detect_date_format", "detect_decimal_comma", "detect_delimiter", "detect_encoding",
    "match_columns", "missing_required", "normalise_header", "propose", "render_yaml", "score_table",
    "starter_config", "summary",
]

# Where the starter config lives (a package resource); a module attribute so tests can point it elsewhere.
STARTER_PACKAGE = "cs_metrics"
STARTER_RESOURCE = "config.example.yaml"


# ---------------------------------------------------------------------------------------------
# starter config
# ---------------------------------------------------------------------------------------------


def starter_config() -> str:
    """The text of the package resource `cs_metrics/config.example.yaml`."""
    from importlib import resources

    try:
        return resources.files(STARTER_PACKAGE).joinpath(STARTER_RESOURCE).read_text(encoding="utf-8")
    except (FileNotFoundError, ModuleNotFoundError):
        raise CsMetricsError(
            f"the starter config {STARTER_PACKAGE}/{STARTER_RESOURCE} is missing from the installed package",
            "Reinstall cs-metrics",
        ) from None
