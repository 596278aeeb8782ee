"""cs-metrics: customer-success and revenue KPIs from CSV exports."""

__version__ = "0.1.0"
