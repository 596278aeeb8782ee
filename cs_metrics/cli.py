"""The command line: parse options, load, call, render — nothing else.

Metric commands are generated from the registry, so every metric takes the same common options.
Heavy modules (pandas, the loader, the metrics) are imported inside the commands: `--help` stays fast.
"""

from __future__ import annotations

import contextlib
import inspect
import os
import sys
import time
from pathlib import Path
from typing import Annotated, Optional

import typer

from cs_metrics import __version__, i18n, progress
from cs_metrics.errors import CsMetricsError, DataError, UsageError
from cs_metrics.metrics import FAMILIES, REGISTRY, MetricSpec
from cs_metrics.i18n import N_, _, tr
from cs_metrics.render import FORMATS


class _HelpOption:
    def get_help_option(self, ctx):
        option = super().get_help_option(ctx)
        if option is not None and option.help and i18n.current() != "en":
            option.help = _(option.help)
        return option


class _HelpCommand(_HelpOption, typer.core.TyperCommand):
    """A command whose --help is in the language of the run (see `help_language`)."""

    def parse_args(self, ctx, args):
        ctx.meta.setdefault("cs_metrics.args", []).extend(args)
        return super().parse_args(ctx, args)

    def format_help(self, ctx, formatter):
        with _help_in_language(ctx, self):
            return super().format_help(ctx, formatter)


class _HelpGroup(_HelpOption, typer.core.TyperGroup):
    def parse_args(self, ctx, args):
        ctx.meta.setdefault("cs_metrics.args", []).extend(args)
        return super().parse_args(ctx, args)

    def format_help(self, ctx, formatter):
        with _help_in_language(ctx, self, *self.commands.values()):
            return super().format_help(ctx, formatter)


app = typer.Typer(
    name="cs-metrics",
    cls=_HelpGroup,
    help="Customer-success and revenue KPIs from your CRM, billing and support CSV exports.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
_DEBUG = {"on": False}
_GLOBAL: dict = {"lang": None, "buddhist_era": False}  # --lang and --buddhist-era given before the command
INTERNAL_ERROR = 4  # an unexpected error (a bug): its own exit code, never 1, which cron reads as "alert breached"


def _version(value: bool) -> None:
    if value:
        typer.echo(f"cs-metrics {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit.")] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks for errors.")] = False,
    lang: LangOpt = None,
    buddhist_era: BuddhistOpt = False,
) -> None:
    _DEBUG["on"] = debug
    _GLOBAL.update(lang=lang, buddhist_era=buddhist_era)  # `cs-metrics --lang th report`: for the command's Run


# --------------------------------------------------------------------------- common options

ConfigOpt = Annotated[Optional[Path], typer.Option("--config", "-c", envvar="CS_METRICS_CONFIG", help="YAML config (default ./cs-metrics.yaml if present).", show_default=False)]
DataOpt = Annotated[Optional[Path], typer.Option("--data", "-d", help="Folder of CSV files with the canonical names (overrides the config's data folder).", show_default=False)]
PeriodOpt = Annotated[Optional[str], typer.Option("--period", "-p", help="2024-05, 2024-Q2, 2024-H1, 2024, 2024-W18, 2024-05-01..2024-05-15, last-month, this-quarter, last-30-days, A..B ... (default: config, else last-month).", show_default=False)]
AsOfOpt = Annotated[Optional[str], typer.Option("--as-of", help="The 'today' relative periods count from (YYYY-MM-DD).", show_default=False)]
ByOpt = Annotated[Optional[str], typer.Option("--by", help="One result per value of a customers.csv column (plan, region, owner ...) plus a total.", show_default=False)]
FormatOpt = Annotated[Optional[str], typer.Option("--format", "-f", help="table, csv, tsv, json, jsonl or markdown (default: table on a terminal, else csv); report also html.", show_default=False)]
OutputOpt = Annotated[Optional[Path], typer.Option("--output", "-o", help="Write to this file instead of stdout (atomically; through a symlink; directly into a pipe or device); the format follows its extension. The folder must exist.", show_default=False)]
ExplainOpt = Annotated[bool, typer.Option("--explain", help="Print the definition used and the formula with the actual numbers.")]
StrictOpt = Annotated[bool, typer.Option("--strict", help="Fail (exit 3) when any input row is rejected.")]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="No diagnostics on stderr except errors.")]
NoCacheOpt = Annotated[bool, typer.Option("--no-cache", help="Parse the exports again instead of using the parsed-table cache (see `cache:` in the config).")]
VerboseOpt = Annotated[bool, typer.Option("--verbose", "-v", help="More diagnostics on stderr (config, period, timing).")]
ProfileOpt = Annotated[Optional[str], typer.Option("--profile", help="Definition profile for this run: cs-metrics, chartmogul, baremetrics, profitwell or stripe (default: the config's `profile:`); the config's `definitions:` keys still win.", show_default=False)]
LangOpt = Annotated[Optional[str], typer.Option("--lang", help="Language of what people read: en, th or zh (default: the config's language, else the locale's, else en). CSV, TSV and JSON stay English.", show_default=False)]
BuddhistOpt = Annotated[bool, typer.Option("--buddhist-era", help="Show periods and dates in tables and reports in the Buddhist era (2569-10); inputs and machine outputs stay ISO.")]


def help_language(args: list[str], environ=None) -> str:
    """The language of --help: --lang among the arguments, else the config's `language` (the file
    of --config, $CS_METRICS_CONFIG or ./cs-metrics.yaml, read for that key alone), else the locale's."""
    env = os.environ if environ is None else environ
    lang = config = None
    for n, arg in enumerate(args):
        for flag, setter in (("--lang", "lang"), ("--config", "config"), ("-c", "config")):
            if arg == flag and n + 1 < len(args):
                value = args[n + 1]
            elif arg.startswith(flag + "=") and flag.startswith("--"):
                value = arg.split("=", 1)[1]
            else:
                continue
            if setter == "lang":
                lang = value
            else:
                config = value
    if lang and lang.lower() in i18n.LANGUAGES:
        return lang.lower()
    path = Path(config or env.get("CS_METRICS_CONFIG") or "cs-metrics.yaml")
    try:
        import yaml

        found = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("language") if path.is_file() else None
    except Exception:  # a broken config is reported by the command itself, not by --help
        found = None
    if isinstance(found, str) and found in i18n.LANGUAGES:
        return found
    return i18n.from_locale(env) or "en"


# Typer's and Click's own words in --help, said in its language too
_TYPER_WORDS = (N_("Options"), N_("Commands"), N_("Arguments"), N_("[default: {}]"), N_("Show this message and exit."))


@contextlib.contextmanager
def _help_in_language(ctx, *commands):
    """Translate the help texts of `commands` (and their options) in place for this --help: the click
    objects are built anew for every run, so nothing else sees it; Typer's panel titles are put back."""
    from typer import rich_utils

    lang = help_language(ctx.meta.get("cs_metrics.args", []))
    titles = ("OPTIONS_PANEL_TITLE", "COMMANDS_PANEL_TITLE", "ARGUMENTS_PANEL_TITLE", "DEFAULT_STRING")
    saved = {name: getattr(rich_utils, name) for name in titles}
    try:
        with i18n.using(lang):
            if lang != "en":
                for name in titles:
                    setattr(rich_utils, name, _(saved[name]))
                for command in commands:
                    _translate_help(command)
            yield
    finally:
        for name, text in saved.items():
            setattr(rich_utils, name, text)


def _translate_help(command) -> None:
    for attr in ("help", "short_help", "rich_help_panel"):
        if getattr(command, attr, None):
            setattr(command, attr, _(getattr(command, attr)))
    for param in getattr(command, "params", ()):
        for attr in ("help", "rich_help_panel"):
            if getattr(param, attr, None):
                setattr(param, attr, _(getattr(param, attr)))


class Run:
    """What every command resolves from the common options."""

    def __init__(
        self, config=None, data=None, period=None, as_of=None, fmt=None, output=None, quiet=False, verbose=False,
        by=None, explain=False, strict=False, no_cache=False, profile=None, lang=None, buddhist_era=False,
    ):  # fmt: skip
        from cs_metrics.config import find_config, load_config
        from cs_metrics.period import PeriodError, parse_date, parse_period

        self.t0 = time.perf_counter()
        self.quiet, self.verbose = quiet, verbose and not quiet
        progress.enable(progress.wanted(quiet))  # a display on a terminal; nothing piped or in cron
        path = find_config(str(config) if config else None)
        cfg = load_config(path)
        if data is not None:
            cfg = cfg.model_copy(update={"data": str(Path(data).resolve())})
        if no_cache:
            cfg = cfg.model_copy(update={"cache": cfg.cache.model_copy(update={"enabled": False})})
        if profile is not None:
            cfg = with_profile(cfg, profile)
        self.cfg = cfg
        lang = (lang or _GLOBAL["lang"] or "").strip().lower() or cfg.language or i18n.from_locale() or "en"
        if lang not in i18n.LANGUAGES:
            raise UsageError(f"--lang {lang}: not a language of cs-metrics", "Use en (English), th (Thai) or zh (Chinese)")
        i18n.use(lang, buddhist_era or _GLOBAL["buddhist_era"] or cfg.calendar == "buddhist")
        try:
            today = parse_date(as_of) if as_of else _today(cfg.timezone)
            self.period = parse_period(period or cfg.period or "last-month", today)
        except PeriodError as exc:
            raise UsageError(str(exc)) from None
        self.output = output
        self.fmt = _pick_format(fmt, output)
        if output is not None:  # before any computing
            _check_output_folder(output)
        self.by, self.explain, self.strict = by, explain, strict
        self.rows = True  # show a result's listing; a listing metric's command sets it from --rows (JSON and xlsx carry it anyway)
        self.name: str | None = None  # the metric command as typed (an alias such as nrr names the result)
        self.note(
            _("config: {config}; data: {data}; period: {period}", config=path or _("built-in defaults"), data=cfg.data_dir(),
              period=f"{self.period.label} ({self.period.start}..{self.period.end})"),
            verbose=True,
        )  # fmt: skip

    def note(self, text: str, *, verbose: bool = False) -> None:
        if self.quiet or (verbose and not self.verbose):
            return
        typer.echo(text, err=True)

    def account(self, ds, results=()) -> None:
        """Row accounting to stderr (the same lines for a table in every command); with --verbose,
        the rows each metric left out (outside the period, another survey kind ...).
        --strict turns any rejected row into exit 3."""
        for report in ds.reports.values():
            self.note(tr(report.summary()))
            for w in report.warnings:
                self.note(_("warning: {text}", text=tr(w)))
        for result in results:
            for table, reasons in result.filtered.items():
                counts = "; ".join(f"{tr(why)}: {n:,}" for why, n in reasons.items() if n)
                if counts:
                    self.note(_("{metric}: {table} rows not counted: {counts}", metric=result.metric, table=table, counts=counts), verbose=True)
        rejected = {Path(r.path).name: r.rejected_total for r in ds.reports.values() if r.rejected_total}
        if self.strict and rejected:
            where = ", ".join(f"{n:,} in {f}" for f, n in rejected.items())
            raise DataError(f"rejected rows under --strict: {where}", "Fix the rows listed above or run without --strict")

    def emit(self, text: str) -> None:
        """The result to stdout, or atomically to --output."""
        if self.output is None:
            sys.stdout.write(text)
            sys.stdout.flush()
        else:
            _write_atomically(self.output, text)
        self.note(_("done in {seconds:.2f} s", seconds=time.perf_counter() - self.t0), verbose=True)


def with_profile(cfg, name: str):
    """The config with another definition profile (an unknown name is a usage error naming the profiles)."""
    from cs_metrics.profiles import PROFILES, configured

    if name not in PROFILES:
        raise UsageError(f"--profile {name}: unknown profile", f"Use one of {', '.join(PROFILES)}")
    return configured(cfg, profile=name)


def _today(tz: str):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    return datetime.now(ZoneInfo(tz)).date()


def _pick_format(fmt: str | None, output: Path | None) -> str:
    if fmt is not None:
        fmt = fmt.lower()
        if fmt == "xlsx" and (output is None or output.suffix.lower() != ".xlsx"):
            raise UsageError("--format xlsx writes a workbook", "Give --output FILE.xlsx")
        if fmt not in FORMATS + ("xlsx", "html"):
            raise UsageError(f"--format {fmt}: unknown format", f"Use one of {', '.join(FORMATS)}, or --output FILE.xlsx")
        return fmt
    if output is not None:
        ext = output.suffix.lower().lstrip(".")
        by_ext = {"csv": "csv", "tsv": "tsv", "txt": "table", "json": "json", "jsonl": "jsonl", "ndjson": "jsonl", "md": "markdown"}
        if ext == "xlsx":
            return "xlsx"
        if ext in ("html", "htm"):
            return "html"
        return by_ext.get(ext, "csv")
    return "table" if sys.stdout.isatty() else "csv"


def _use_color(run: Run) -> bool:
    return run.output is None and sys.stdout.isatty() and "NO_COLOR" not in os.environ


def _write_atomically(path: Path, text: str) -> None:
    from cs_metrics.outfile import writing

    with writing(path) as fh:
        fh.write(text)


def _check_output_folder(path: Path) -> None:
    from cs_metrics.outfile import check_target

    check_target(path)


def _render_and_emit(run: Run, result) -> None:
    from cs_metrics.render import render

    if run.fmt == "html":
        raise UsageError("--format html: only `report` writes HTML", "Run cs-metrics report --output report.html")
    result.metric = run.name or result.metric
    if run.fmt == "xlsx":
        from cs_metrics.xlsx import write_result

        _check_output_folder(run.output)
        write_result(run.output, result)
        text = None
    else:
        text = render(result, run.fmt, color=_use_color(run), explain=run.explain, rows=run.rows)
    for w in result.warnings:
        run.note(_("warning: {text}", text=tr(w)))
    for seg in result.segments or ():
        for w in seg.get("warnings", ()):
            run.note(_("warning: [{segment}] {text}", segment=seg["segment"], text=tr(w)), verbose=True)
    if run.explain and run.fmt in ("csv", "tsv", "jsonl", "xlsx"):
        typer.echo(_("definition: {text}", text=result.definition) + "\n" + _("formula: {text}", text=result.formula), err=True)
    if text is not None:
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
        except Exception as exc:  # a bug: still one line, the traceback behind --debug; never exit 1 (an alert)
            if _DEBUG["on"]:
                raise
            text = str(exc).splitlines()[0][:300] if str(exc) else ""
            typer.echo(f"error: internal error: {type(exc).__name__}: {text} (run with --debug for the traceback)", err=True)
            raise typer.Exit(INTERNAL_ERROR) from None
        finally:
            i18n.reset()  # the language is the run's: the next run (a test's) resolves its own

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
    ("no_cache", NoCacheOpt, False),
    ("profile", ProfileOpt, None),
    ("lang", LangOpt, None),
    ("buddhist_era", BuddhistOpt, False),
]


def _extra_parameter(opt) -> inspect.Parameter:
    """A metric's own option (e.g. cohorts --kind) as a Typer parameter."""
    help_text = opt.help + (f" One of: {', '.join(opt.choices)}." if opt.choices else "")
    kind = type(opt.default) if opt.default is not None else str
    annotation = Annotated[kind if opt.default is not None else Optional[str], typer.Option(opt.flag, help=help_text)]
    return inspect.Parameter(opt.param, inspect.Parameter.KEYWORD_ONLY, default=opt.default, annotation=annotation)


_OPS = N_("Summary and operations")
_EVERY = tuple(name for name, _, _ in _COMMON)


def _command(name: str, common: tuple[str, ...], *, panel: str = _OPS, help: str | None = None, extra=(), hidden=False):
    """Register `func(run, **own)` as a command: Typer sees the named common options, `extra`
    parameters and func's own ones; the common ones arrive resolved, as one Run."""

    def register(func):
        own = [p for p in list(inspect.signature(func, eval_str=True).parameters.values())[1:] if p.kind != p.VAR_KEYWORD]

        def command(**kwargs) -> None:
            return func(Run(**{n: kwargs.pop(n) for n in common}), **kwargs)

        commons = [inspect.Parameter(n, inspect.Parameter.KEYWORD_ONLY, default=d, annotation=a) for n, a, d in _COMMON if n in common]
        command.__signature__ = inspect.Signature(commons + [p.replace(kind=p.KEYWORD_ONLY) for p in own] + list(extra))
        command.__name__ = name.replace("-", "_")
        command.__doc__ = help or func.__doc__
        app.command(name, help=help, rich_help_panel=panel, hidden=hidden, cls=_HelpCommand)(_guarded(command))
        return func

    return register


def _register_metric(spec: MetricSpec, panel: str) -> None:
    """One command per registered metric (and alias): every common option plus the metric's own."""

    def metric(run: Run, **options) -> None:
        from cs_metrics.runner import run as run_metric

        for o in spec.options:
            if o.choices and options[o.param] not in o.choices:
                raise UsageError(f"{o.flag} {options[o.param]}: not a choice", f"Use one of {', '.join(o.choices)}")
        # a listing metric's listing comes with --rows (or is what --customer and mrr --matrix ask for)
        run.rows = bool(options.get("rows")) or options.get("customer") is not None or bool(options.get("matrix"))
        options = {k: v for k, v in options.items() if k not in {o.param for o in spec.options if o.listing}}
        result, ds = run_metric(spec, run.cfg, run.period, by=run.by, options=options)
        run.account(ds, [result])
        _render_and_emit(run, result)

    extra = [_extra_parameter(o) for o in spec.options]
    _command(spec.name, _EVERY, panel=panel, help=spec.summary, extra=extra)(metric)
    for alias in spec.aliases:
        _command(alias, _EVERY, panel=panel, help=f"Alias of {spec.name}.", extra=extra, hidden=True)(_renamed(metric, alias))


def _renamed(metric, name: str):
    """A metric command under an alias: its output carries the name typed (nrr, not ndr)."""

    def command(run: Run, **options) -> None:
        run.name = name
        metric(run, **options)

    return command


for _family, _names in FAMILIES.items():
    for _name in _names:
        _register_metric(REGISTRY[_name], _family)


# --------------------------------------------------------------------------- validate and init


@_command("validate", ("fmt", "output", "strict", "config", "data", "quiet", "verbose", "no_cache", "lang", "buddhist_era"))
def validate(run: Run) -> None:
    """Check every table against the data contract: rows read, used, filtered, rejected (with reasons and line numbers)."""
    from cs_metrics.validate import validate_all

    result, failed = validate_all(run.cfg, run.period)
    _render_and_emit(run, result)
    if failed:
        raise DataError(f"{failed} table(s) cannot be used (unreadable, missing, or no usable row)", "See the 'status' and 'problem' columns above")
    if run.strict and result.value:
        raise DataError(f"{int(result.value):,} rejected row(s) under --strict", "Fix the rows listed above or run without --strict")


@_command("report", _EVERY)
def report(
    run: Run,
    trend: Annotated[Optional[int], typer.Option("--trend", help="Add a sparkline (charts in HTML and xlsx) over the last N periods (N >= 2; default 12 for HTML and xlsx, else none).", min=0, show_default=False)] = None,
    only: Annotated[Optional[str], typer.Option("--metrics", help="Only these metrics, comma-separated (default: every metric whose inputs exist).", show_default=False)] = None,
    audit: Annotated[bool, typer.Option("--audit", help="With --output FILE.xlsx: the auditable revenue workbook instead (monthly MRR bridge as data, the revenue metrics as live formulas on it, a Checks sheet).")] = False,
) -> None:
    """Every metric whose inputs exist, beside the previous period and the change; the ones it cannot compute, with the reason."""
    if audit:
        return _audit(run, trend, only)
    from cs_metrics.report import build
    from cs_metrics.render_report import render_report

    if trend is None:
        trend = 12 if run.fmt in ("html", "xlsx") else 0
    run.period.shifted(max(1, trend - 1))  # the previous period and the trend's first fit in the calendar
    rep = build(run.cfg, run.period, by=run.by, trend=trend, metrics=_metric_names(only))
    run.account(rep.dataset, [e.result for e in rep.entries])
    for s in rep.skipped:
        run.note(_("not computed: {metric}: {reason}", metric=s["metric"], reason=tr(s["reason"])), verbose=run.fmt == "table")
    if run.fmt == "html":
        from cs_metrics.output.html import render_html
        from cs_metrics.report_extra import extras

        run.emit(render_html(rep, extras(rep, run.by)))
        return
    if run.fmt == "xlsx":
        from cs_metrics.xlsx import write_report

        _check_output_folder(run.output)
        write_report(run.output, rep)
    else:
        run.emit(render_report(rep, run.fmt, color=_use_color(run), explain=run.explain))
    problem = rep.problem()
    if problem:  # the report is written, and cron still hears that a feed is broken
        raise DataError(problem, "Run `cs-metrics validate` to see every table's rows and rejections")


def _audit(run: Run, trend: int, only: str | None) -> None:
    """report --audit: the revenue workbook with live formulas and its checks."""
    given = [flag for flag, value in (("--by", run.by), ("--trend", trend), ("--metrics", only)) if value]
    if given:
        raise UsageError(f"--audit cannot be combined with {', '.join(given)}", "The audit workbook covers the revenue metrics of the totals")
    if run.fmt != "xlsx":
        raise UsageError("--audit writes an Excel workbook", "Give --output FILE.xlsx")
    from cs_metrics.xlsx_audit import write_audit

    _check_output_folder(run.output)
    run.account(write_audit(run.output, run.cfg, run.period))


def _metric_names(only: str | None) -> list[str] | None:
    from cs_metrics.metrics import ALIASES

    if not only:
        return None
    names = [ALIASES.get(n.strip(), n.strip()) for n in only.split(",") if n.strip()]
    unknown = [n for n in names if n not in REGISTRY]
    if unknown:
        raise UsageError(f"--metrics: unknown metric {', '.join(unknown)}", f"Metrics are {', '.join(REGISTRY)}")
    return names


@_command("compare", ("period", "as_of", "fmt", "output", "explain", "strict", "config", "data", "quiet", "verbose", "no_cache", "lang", "buddhist_era"))
def compare(
    run: Run,
    metric: Annotated[str, typer.Argument(help="The metric to compare (mrr, churn, arpu, ndr ...).", show_default=False)],
    profiles: Annotated[Optional[list[str]], typer.Option("--profile", help="A definition profile; give it twice: A, then B (one given: B, against the config's own).", show_default=False)] = None,
    rows: Annotated[bool, typer.Option("--rows", help="mrr: every customer whose MRR differs, with the switch responsible and both amounts, largest difference first.")] = False,
    config_b: Annotated[Optional[Path], typer.Option("--config-b", help="B is this config (A: --config); --profile then sets each side's profile.", show_default=False)] = None,
) -> None:
    """One metric under two definition profiles side by side (value = B - A); with --rows, per customer why MRR differs."""
    from cs_metrics.compare import compare as compare_profiles
    from cs_metrics.metrics import ALIASES

    name = ALIASES.get(metric, metric)
    if name not in REGISTRY:
        raise UsageError(f"compare {metric}: unknown metric", f"Metrics are {', '.join(REGISTRY)}")
    given = list(profiles or [])
    if config_b is None and not 1 <= len(given) <= 2:
        raise UsageError("compare needs two profiles", "Give --profile A --profile B (e.g. --profile cs-metrics --profile stripe), or --config-b FILE")
    if len(given) > 2:
        raise UsageError("compare takes at most two profiles", "Give --profile A --profile B")
    base_b = run.cfg
    if config_b is not None:
        from cs_metrics.config import load_config

        if not config_b.is_file():
            raise UsageError(f"--config-b {config_b}: no such file")
        base_b = load_config(config_b)
    cfg_a = with_profile(run.cfg, given[0]) if len(given) == 2 else run.cfg
    cfg_b = with_profile(base_b, given[-1]) if given else base_b
    run.rows = rows
    result, datasets = compare_profiles(REGISTRY[name], cfg_a, cfg_b, run.period, rows=rows)
    for ds in datasets if isinstance(datasets, tuple) else (datasets,):
        run.account(ds, [result])
    _render_and_emit(run, result)


@_command("reconcile", ("period", "as_of", "fmt", "output", "explain", "strict", "config", "data", "quiet", "verbose", "no_cache", "lang", "buddhist_era", "profile"))
def reconcile(
    run: Run,
    metric: Annotated[str, typer.Argument(help="What to reconcile: mrr.", show_default=False)],
    against: Annotated[Path, typer.Option("--against", help="The tool's MRR per customer (a CSV or xlsx export; map its columns under sources.vendor_mrr).", show_default=False)],
) -> None:
    """Our closing MRR per customer against a billing or metrics tool's export: every customer that differs, with the profile that matches and the switch responsible."""
    from cs_metrics.reconcile import reconcile as reconcile_mrr

    if metric != "mrr":
        raise UsageError(f"reconcile {metric}: only mrr can be reconciled", "Run cs-metrics reconcile mrr --against FILE")
    result, ds = reconcile_mrr(run.cfg, against, run.period)
    run.account(ds, [result])
    _render_and_emit(run, result)


@_command("check", ("period", "as_of", "fmt", "output", "strict", "config", "data", "quiet", "verbose", "no_cache", "lang", "buddhist_era", "profile"))
def check(run: Run) -> None:
    """Evaluate the config's alert rules for the period; exit 1 when any is breached (for cron)."""
    from cs_metrics.check import evaluate

    if not run.cfg.alerts:
        raise UsageError("no alert rules in the config, so there is nothing to check", "Add them under `alerts:` (see config.example.yaml)")
    result, datasets = evaluate(run.cfg, run.period)
    for ds in datasets:
        run.account(ds)
    _render_and_emit(run, result)
    breaches, unknown = int(result.details["breaches"]), int(result.details["unknown"])
    if breaches:
        run.note(_("{n} alert(s) breached", n=breaches))
    if unknown:  # a rule that cannot be evaluated is a data error: cron must hear it, never a quiet "ok"
        raise DataError(f"{unknown} check(s) could not be evaluated", "See the 'reason' column and the warnings above")
    if breaches:
        raise typer.Exit(1)


@app.command("init", rich_help_panel=_OPS, cls=_HelpCommand)
@_guarded
def init(
    from_dir: Annotated[Optional[Path], typer.Option("--from", help="A folder of exports (subfolders included): recognise each tool's export and propose the whole config.", show_default=False)] = None,
    output: Annotated[Path, typer.Option("--output", "-o", help="Where to write the config.")] = Path("cs-metrics.yaml"),
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
    master: Annotated[Optional[str], typer.Option("--master", help="With --from: the export to use as the customer master when several qualify (its path inside the folder).", show_default=False)] = None,
) -> None:
    """Write a commented starter config to ./cs-metrics.yaml (or --output; - prints it); with --from DIR, propose the config for your exports."""
    from cs_metrics import init as initmod

    if output.exists() and not force and str(output) != "-":
        raise UsageError(f"{output} exists", "Use --force to overwrite it, or --output another file")
    if from_dir is not None:
        if not from_dir.is_dir():
            raise UsageError(f"--from {from_dir}: not a folder")
        proposals = initmod.propose(from_dir, master=master)
        if master and (proposals.master is None or proposals.master.rel != master):
            names = ", ".join(p.rel for p in proposals if p.table == "customers") or "none"
            raise UsageError(f"--master {master}: not a customer export of {from_dir} (customer exports: {names})")
        text = initmod.render_yaml(proposals, str(from_dir.resolve()))
        typer.echo(initmod.summary(proposals), err=True, nl=False)
    else:
        text = initmod.starter_config()
    if str(output) == "-":
        sys.stdout.write(text)
        return
    _write_atomically(output, text)
    typer.echo(f"wrote {output}", err=True)


def main() -> None:
    try:
        app()
    except SystemExit as exc:
        readers = sys.modules.get("cs_metrics.sources.readers")  # imported only when a file was read
        if readers is not None and readers.FAILED_READS["count"]:
            # An Arrow read that failed part way may leave worker threads whose C++ destructors abort
            # the process at exit (SIGABRT, exit 134): flush and leave without running them.
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
        raise
