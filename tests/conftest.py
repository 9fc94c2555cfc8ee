import os

import pytest

pytest_plugins = [
    # web before database, which builds on it: each is imported once, as pytest rewrites it.
    "tests.fixtures.web",
    "tests.fixtures.database",
    "tests.fixtures.builders",
    "tests.fixtures.world",
]


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """In CI a skipped test is a failed test: browsers and servers must be there."""
    outcome = yield
    report = outcome.get_result()
    if os.environ.get("CI") and report.skipped:
        report.outcome = "failed"
        report.longrepr = f"skipped in CI: {report.longrepr}"
