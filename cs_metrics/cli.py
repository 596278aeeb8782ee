"""The command line: parse options, load, call, render — nothing else.

Metric commands are generated from the registry, so every metric takes the same common options.
Heavy modules (pandas, the loader, the metrics) are imported inside the commands: `--help` stays fast.
"""

from __future__ import annotations

import inspect
import os
import sys
import time
from pathlib import Path
from typing import Annotated, Optional

import typer

from cs_metrics import __version__
from cs_metrics.errors import CsMetricsError, DataError, UsageError
from cs_metrics.metrics import REGISTRY, MetricSpec

app = typer.Typer(
    name="cs-metrics",
    help="Customer-success and revenue KPIs from your CRM, billing and support CSV exports.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
_DEBUG = {"on": False}
OUTPUT_FORMATS = ("table", "csv", "tsv", "json", "jsonl", "markdown")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"cs-metrics {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit.")] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks for errors.")] = False,
) -> None:
    _DEBUG["on"] = debug


# --------------------------------------------------------------------------- common options

ConfigOpt = Annotated[Optional[Path], typer.Option("--config", "-c", envvar="CS_METRICS_CONFIG", help="YAML config (default ./cs-metrics.yaml if present).", show_default=False)]
DataOpt = Annotated[Optional[Path], typer.Option("--data", "-d", help="Folder of CSV files with the canonical names (overrides the config's data folder).", show_default=False)]
PeriodOpt = Annotated[Optional[str], typer.Option("--period", "-p", help="2024-05, 2024-Q2, 2024-H1, 2024, 2024-W18, 2024-05-01..2024-05-15, last-month, this-quarter, last-30-days, A..B ... (default: config, else last-month).", show_default=False)]
AsOfOpt = Annotated[Optional[str], typer.Option("--as-of", help="The 'today' relative periods count from (YYYY-MM-DD).", show_default=False)]
ByOpt = Annotated[Optional[str], typer.Option("--by", help="One result per value of a customers.csv column (plan, region, owner ...) plus a total.", show_default=False)]
FormatOpt = Annotated[Optional[str], typer.Option("--format", "-f", help="table, csv, tsv, json, jsonl or markdown (default: table on a terminal, else csv).", show_default=False)]
OutputOpt = Annotated[Optional[Path], typer.Option("--output", "-o", help="Write to this file (atomically) instead of stdout; the format follows its extension.", show_default=False)]
ExplainOpt = Annotated[bool, typer.Option("--explain", help="Print the definition used and the formula with the actual numbers.")]
StrictOpt = Annotated[bool, typer.Option("--strict", help="Fail (exit 3) when any input row is rejected.")]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="No diagnostics on stderr except errors.")]
VerboseOpt = Annotated[bool, typer.Option("--verbose", "-v", help="More diagnostics on stderr (config, period, timing).")]


class Run:
    """What every command resolves from the common options."""

    def __init__(self, config, data, period, as_of, fmt, output, quiet, verbose):
        from cs_metrics.config import find_config, load_config
        from cs_metrics.period import PeriodError, parse_date, parse_period

        self.t0 = time.perf_counter()
        self.quiet, self.verbose = quiet, verbose and not quiet
        path = find_config(str(config) if config else None)
        cfg = load_config(path)
        if data is not None:
            cfg = cfg.model_copy(update={"data": str(Path(data).resolve())})
        self.cfg = cfg
        try:
            today = parse_date(as_of) if as_of else _today(cfg.timezone)
            self.period = parse_period(period or cfg.period or "last-month", today)
        except PeriodError as exc:
            raise UsageError(str(exc)) from None
        self.output = output
        self.fmt = _pick_format(fmt, output)
        self.note(f"config: {path or 'built-in defaults'}; data: {cfg.data_dir()}; period: {self.period.label} ({self.period.start}..{self.period.end})", verbose=True)

    def note(self, text: str, *, verbose: bool = False) -> None:
        if self.quiet or (verbose and not self.verbose):
            return
        typer.echo(text, err=True)

    def account(self, ds, strict: bool) -> None:
        """Row accounting to stderr; --strict turns any rejected row into exit 3."""
        for report in ds.reports.values():
            self.note(report.summary())
            for w in report.warnings:
                self.note(f"warning: {w}")
        rejected = {Path(r.path).name: r.rejected_total for r in ds.reports.values() if r.rejected_total}
        if strict and rejected:
            where = ", ".join(f"{n:,} in {f}" for f, n in rejected.items())
            raise DataError(f"rejected rows under --strict: {where}", "Fix the rows listed above or run without --strict")

    def emit(self, text: str) -> None:
        if self.output is None:
            sys.stdout.write(text)
            sys.stdout.flush()
        else:
            _write_atomically(self.output, text)
        self.note(f"done in {time.perf_counter() - self.t0:.2f} s", verbose=True)


def _today(tz: str):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    return datetime.now(ZoneInfo(tz)).date()


def _pick_format(fmt: str | None, output: Path | None) -> str:
    if fmt is not None:
        fmt = fmt.lower()
        if fmt not in OUTPUT_FORMATS:
            raise UsageError(f"--format {fmt}: unknown format", f"Use one of {', '.join(OUTPUT_FORMATS)}")
        return fmt
    if output is not None:
        ext = output.suffix.lower().lstrip(".")
        by_ext = {"csv": "csv", "tsv": "tsv", "txt": "table", "json": "json", "jsonl": "jsonl", "ndjson": "jsonl", "md": "markdown"}
        if ext == "xlsx":
            raise UsageError(f"--output {output}: Excel workbooks are not supported yet", "Write .csv and open it in Excel, or use --format csv")
        return by_ext.get(ext, "csv")
    return "table" if sys.stdout.isatty() else "csv"


def _use_color(run: Run) -> bool:
    return run.output is None and sys.stdout.isatty() and "NO_COLOR" not in os.environ


def _write_atomically(path: Path, text: str) -> None:
    import tempfile

    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise UsageError(f"--output {path}: cannot write in {folder}: {exc.strerror}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _render_and_emit(run: Run, result, explain: bool) -> None:
    from cs_metrics.render import render

    text = render(result, run.fmt, color=_use_color(run), explain=explain)
    for w in result.warnings:
        run.note(f"warning: {w}")
    for seg in result.segments or ():
        for w in seg.get("warnings", ()):
            run.note(f"warning: [{seg['segment']}] {w}", verbose=True)
    if explain and run.fmt in ("csv", "tsv", "jsonl"):
        typer.echo(f"definition: {result.definition}\nformula: {result.formula}", err=True)
    run.emit(text)


def _guarded(func):
    """Render our errors as one line on stderr with their exit code; tracebacks only with --debug."""
    import functools

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except CsMetricsError as exc:
            if _DEBUG["on"]:
                raise
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(exc.exit_code) from None
        except (typer.Exit, typer.Abort, KeyboardInterrupt):
            raise
        except BrokenPipeError:
            raise typer.Exit(0) from None
        except Exception as exc:  # a bug: still one line, the traceback behind --debug
            if _DEBUG["on"]:
                raise
            typer.echo(f"error: internal error: {type(exc).__name__}: {exc} (run with --debug for the traceback)", err=True)
            raise typer.Exit(1) from None

    return wrapper


# --------------------------------------------------------------------------- metric commands


_COMMON = [
    ("period", PeriodOpt, None),
    ("as_of", AsOfOpt, None),
    ("by", ByOpt, None),
    ("fmt", FormatOpt, None),
    ("output", OutputOpt, None),
    ("explain", ExplainOpt, False),
    ("strict", StrictOpt, False),
    ("config", ConfigOpt, None),
    ("data", DataOpt, None),
    ("quiet", QuietOpt, False),
    ("verbose", VerboseOpt, False),
]


def _extra_parameter(opt) -> inspect.Parameter:
    """A metric's own option (e.g. cohorts --kind) as a Typer parameter."""
    help_text = opt.help + (f" One of: {', '.join(opt.choices)}." if opt.choices else "")
    kind = type(opt.default) if opt.default is not None else str
    annotation = Annotated[kind if opt.default is not None else Optional[str], typer.Option(opt.flag, help=help_text)]
    return inspect.Parameter(opt.param, inspect.Parameter.KEYWORD_ONLY, default=opt.default, annotation=annotation)


def _metric_command(spec: MetricSpec):
    """One command per registered metric: the common options plus the metric's own."""

    def command(**kwargs) -> None:
        from cs_metrics.runner import run as run_metric

        extras = {o.param: kwargs.pop(o.param) for o in spec.options}
        for o in spec.options:
            if o.choices and extras[o.param] not in o.choices:
                raise UsageError(f"{o.flag} {extras[o.param]}: not a choice", f"Use one of {', '.join(o.choices)}")
        k = kwargs
        run = Run(k["config"], k["data"], k["period"], k["as_of"], k["fmt"], k["output"], k["quiet"], k["verbose"])
        result, ds = run_metric(spec, run.cfg, run.period, by=k["by"], options=extras)
        run.account(ds, k["strict"])
        _render_and_emit(run, result, k["explain"])

    params = [inspect.Parameter(n, inspect.Parameter.KEYWORD_ONLY, default=d, annotation=a) for n, a, d in _COMMON]
    command.__signature__ = inspect.Signature(params + [_extra_parameter(o) for o in spec.options])
    command.__name__ = spec.name.replace("-", "_")
    command.__doc__ = spec.summary
    return _guarded(command)


for _spec in REGISTRY.values():
    app.command(_spec.name, help=_spec.summary)(_metric_command(_spec))
    for _alias in _spec.aliases:
        app.command(_alias, help=f"Alias of {_spec.name}.", hidden=True)(_metric_command(_spec))


# --------------------------------------------------------------------------- validate and init


@app.command("validate")
@_guarded
def validate(
    fmt: FormatOpt = None,
    output: OutputOpt = None,
    strict: StrictOpt = False,
    config: ConfigOpt = None,
    data: DataOpt = None,
    quiet: QuietOpt = False,
    verbose: VerboseOpt = False,
) -> None:
    """Check every table against the data contract: rows read, used, filtered, rejected (with reasons and line numbers)."""
    from cs_metrics.validate import validate_all

    run = Run(config, data, None, None, fmt, output, quiet, verbose)
    result, failed = validate_all(run.cfg, run.period)
    _render_and_emit(run, result, explain=False)
    if failed:
        raise DataError(f"{failed} table(s) could not be read", "See the 'problem' column above")
    if strict and result.value:
        raise DataError(f"{int(result.value):,} rejected row(s) under --strict", "Fix the rows listed above or run without --strict")


@app.command("init")
@_guarded
def init(
    from_dir: Annotated[Optional[Path], typer.Option("--from", help="A folder of exports: propose the column mapping from their headers.", show_default=False)] = None,
    output: Annotated[Path, typer.Option("--output", "-o", help="Where to write the config.")] = Path("cs-metrics.yaml"),
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Write a commented starter config; with --from DIR, propose the mapping for your exports."""
    from cs_metrics import init as initmod

    if output.exists() and not force and str(output) != "-":
        raise UsageError(f"{output} exists", "Use --force to overwrite it, or --output another file")
    if from_dir is not None:
        if not from_dir.is_dir():
            raise UsageError(f"--from {from_dir}: not a folder")
        proposals = initmod.propose(from_dir)
        text = initmod.render_yaml(proposals, str(from_dir.resolve()))
        for p in proposals:
            what = f"-> {p.table}" if p.table else "-> not recognised"
            typer.echo(f"{p.path.name} {what}" + (f" (missing: {', '.join(p.missing_required)})" if p.table and p.missing_required else ""), err=True)
    else:
        text = initmod.starter_config()
    if str(output) == "-":
        sys.stdout.write(text)
        return
    _write_atomically(output, text)
    typer.echo(f"wrote {output}", err=True)


def main() -> None:
    app()
