"""Our own exception types. They are raised where a fact is known and rendered once, at the
top (cli.main), as one line: what is wrong, where, and how to fix it."""

from __future__ import annotations


class CsMetricsError(Exception):
    """Base class: `message` says what and where, `hint` says how to fix it."""

    exit_code = 1

    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message}. {self.hint}" if self.hint else self.message


class UsageError(CsMetricsError):
    """Bad command line: unknown option value, bad period, bad --by column (exit 2)."""

    exit_code = 2


class ConfigError(UsageError):
    """Invalid YAML or config value (exit 2). Message style: `key.path: problem. Got X.`"""


class DataError(CsMetricsError):
    """Missing or unreadable file, missing column, rejected rows under --strict (exit 3)."""

    exit_code = 3

    def __init__(
        self,
        message: str,
        hint: str | None = None,
        *,
        file: str | None = None,
        line: int | None = None,
        column: str | None = None,
        value: str | None = None,
    ):
        super().__init__(message, hint)
        self.file = file
        self.line = line
        self.column = column
        self.value = value
