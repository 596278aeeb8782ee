"""The one place where metrics divide: an undefined ratio is None with a reason, never 0."""

from __future__ import annotations


def safe_ratio(numerator: float, denominator: float, *, scale: float = 1.0, what: str = "the ratio"):
    """Return (value, None), or (None, reason) when the denominator is zero.

    >>> safe_ratio(64, 1000, scale=100)
    (6.4, None)
    >>> safe_ratio(1, 0, what="churn")[1]
    'churn is undefined: its denominator is 0'
    """
    if denominator == 0:
        return None, f"{what} is undefined: its denominator is 0"
    return numerator * scale / denominator, None


def fmt_money(x: float | None) -> str:
    return "n/a" if x is None else f"{x:,.2f}"


def fmt_num(x: float | None, digits: int = 1) -> str:
    return "n/a" if x is None else f"{x:,.{digits}f}"
