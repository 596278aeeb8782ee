"""The tests read English unless they ask for another language: the machine's locale does not leak in."""

import pytest


@pytest.fixture(autouse=True)
def _english_locale(monkeypatch):
    for var in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(var, raising=False)
