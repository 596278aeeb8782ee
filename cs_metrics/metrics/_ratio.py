"""The one place where metrics divide: an undefined ratio is None with a reason, never 0."""

from __future__ import annotations

from cs_metrics.i18n import T


def safe_ratio(numerator: float, denominator: float, *, scale: float = 1.0, what: str = T("the ratio")):
    """Return (value, None), or (None, reason) when the denominator is zero.

    >>> safe_ratio(64, 1000, scale=100)
    (6.4, None)
    >>> safe_ratio(1, 0, what="churn")[1]
    'churn is undefined: its denominator is 0'
    """
    if denominator == 0:
        return None, T("{what} is undefined: its denominator is 0", what=what)
    return numerator * scale / denominator, None


def fmt_money(x: float | None) -> str:
    return "n/a" if x is None else f"{x:,.2f}"


def fmt_num(x: float | None, digits: int = 1) -> str:
    return "n/a" if x is None else f"{x:,.{digits}f}"


SMALL_SAMPLE = 30


def wilson(successes: float, n: float, z: float = 1.96) -> tuple[float, float] | None:
    """95 % Wilson score interval of a proportion, in percent; None when n is 0.

    >>> [round(x, 1) for x in wilson(64, 1000)]
    [5.0, 8.1]
    """
    if n <= 0 or not 0 <= successes <= n:
        return None
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * ((p * (1 - p) / n + z * z / (4 * n * n)) ** 0.5) / denom
    return max(0.0, centre - half) * 100, min(1.0, centre + half) * 100


def rate(numerator: float, denominator: float, *, what: str, population: str = T("customers")):
    """A percentage of a count with its 95 % Wilson interval and a low-sample warning.

    Returns (value or None, details {ci95_low, ci95_high}, warnings)."""
    value, why = safe_ratio(numerator, denominator, scale=100, what=what)
    interval = wilson(numerator, denominator)
    details = {"ci95_low": interval[0] if interval else None, "ci95_high": interval[1] if interval else None}
    warnings = [why] if why else []
    if interval and denominator < SMALL_SAMPLE:
        warnings.append(
            T(
                "{what} rests on only {n} {population}: the 95 % interval is {low:.1f} %..{high:.1f} %",
                what=what, n=int(denominator), population=population, low=interval[0], high=interval[1],
            )
        )
    return value, details, warnings
