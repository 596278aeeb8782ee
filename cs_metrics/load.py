"""Compatibility name for cs_metrics.sources (the loader): import from there."""

from cs_metrics.sources import *  # noqa: F401,F403
from cs_metrics.sources import __all__  # noqa: F401
from cs_metrics.sources.table import read_table  # noqa: F401  (tests patch this name)
