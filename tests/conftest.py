"""Test-wide settings: the parsed-table cache lives in a folder of this test session, never in the
home folder of whoever runs the tests."""

import os
import tempfile

os.environ.setdefault("CS_METRICS_CACHE", tempfile.mkdtemp(prefix="cs-metrics-test-cache-"))
