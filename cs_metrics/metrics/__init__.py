"""The metric registry: name -> spec. Importing this module does not import pandas, so the CLI
can build its commands and --help from it; a metric's code is imported only when it runs."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Callable


@dataclass(frozen=True)
class Input:
    """A table a metric reads, with the columns it must have and the ones it uses when present."""

    table: str
    required: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()
    if_present: bool = False  # read only when the file exists (the metric copes without it)


@dataclass(frozen=True)
class Option:
    """A metric's own command-line option, passed to its function as a keyword argument."""

    flag: str  # "--kind"
    param: str  # "kind"
    default: object
    help: str
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class MetricSpec:
    name: str
    target: str  # "module:function", imported on first use
    unit: str
    summary: str  # one line, for --help and the README
    higher_is_better: bool | None
    # (config, exists(table) -> bool) -> the tables and columns this run reads
    inputs: Callable[..., list[Input]]
    aliases: tuple[str, ...] = ()
    options: tuple[Option, ...] = ()

    def function(self):
        module, _, func = self.target.partition(":")
        return getattr(importlib.import_module(module), func)


_SUBS_MRR = Input("subscriptions", ("customer_id", "started_at", "mrr"), ("ended_at", "is_trial"))


def _churn_inputs(cfg, exists) -> list[Input]:
    source = cfg.metrics.churn.source
    if source == "subscriptions" or (source == "auto" and exists("subscriptions")):
        return [_SUBS_MRR]
    return [Input("customers", ("customer_id", "churned_at"), ("created_at",))]


REGISTRY: dict[str, MetricSpec] = {
    spec.name: spec
    for spec in (
        MetricSpec(
            "mrr",
            "cs_metrics.metrics.revenue:mrr",
            "money",
            "Closing MRR, ARR and the MRR movements (new, expansion, contraction, churn, reactivation).",
            True,
            lambda cfg, exists: [_SUBS_MRR],
        ),
        MetricSpec(
            "churn",
            "cs_metrics.metrics.retention:churn",
            "percent",
            "Customer churn: share of customers paying at the start of the period not paying at its end.",
            False,
            _churn_inputs,
        ),
        MetricSpec(
            "nps",
            "cs_metrics.metrics.voice:nps",
            "score",
            "Net Promoter Score: % promoters (9-10) minus % detractors (0-6), with its margin of error.",
            True,
            lambda cfg, exists: [Input("surveys", ("responded_at", "survey", "score"), ("customer_id",))],
        ),
    )
}

ALIASES = {alias: spec.name for spec in REGISTRY.values() for alias in spec.aliases}


def get(name: str) -> MetricSpec:
    return REGISTRY[ALIASES.get(name, name)]
