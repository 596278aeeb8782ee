"""Test-wide settings: the parsed-table cache lives in a folder of this test session, never in the
home folder of whoever runs the tests; the tests read English unless they ask for another language
(the machine's locale does not leak in)."""

import os
import tempfile

import pytest

os.environ.setdefault("CS_METRICS_CACHE", tempfile.mkdtemp(prefix="cs-metrics-test-cache-"))


@pytest.fixture(autouse=True)
def _english_locale(monkeypatch):
    for var in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(var, raising=False)
