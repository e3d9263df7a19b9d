"""Headless Chromium for the browser tests, through Playwright.

Debian's Chromium (/usr/bin/chromium; `.ci/run` installs it when missing). When the browser
cannot start these tests skip on a developer machine, with the reason, but FAIL when the
environment variable CI is set, so CI never passes without having looked at the pages.

Every test's page leaves a screenshot of its last state in the screenshot folder (a temporary
one, or $OPTSWEEP_SCREENSHOTS), passed or failed: the first thing to look at when one fails.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from tests.browser import mlflow_ui

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")  # tests make no outside calls


def _unavailable(reason: str):
    if os.environ.get("CI"):
        pytest.fail(f"{reason}; CI must run the browser tests", pytrace=False)
    pytest.skip(f"{reason} (set CI=1 to make this a failure)")


@pytest.fixture(scope="session")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("playwright is not installed (pip install -e '.[dev]')")
    pw = sync_playwright().start()
    try:
        browser = mlflow_ui.launch(pw)
    except Exception as e:  # a missing binary, a missing library, a crash at start
        pw.stop()
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        _unavailable(f"headless Chromium cannot start: {first}")
    yield browser
    browser.close()
    pw.stop()


@pytest.fixture(scope="session")
def screenshots(tmp_path_factory) -> Path:
    folder = os.environ.get("OPTSWEEP_SCREENSHOTS")
    if folder:
        path = Path(folder).resolve()
        path.mkdir(parents=True, exist_ok=True)
        return path
    return tmp_path_factory.mktemp("screenshots")


@pytest.fixture(scope="module")
def context(browser):
    """One browser context per module: its HTTP cache keeps MLflow's scripts (megabytes of
    JavaScript) between the tests' pages."""
    context = mlflow_ui.new_context(browser)
    yield context
    context.close()


@pytest.fixture
def page(context, screenshots, request):
    page = context.new_page()
    page.set_default_timeout(mlflow_ui.TIMEOUT_MS)
    yield page
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
    try:
        page.screenshot(path=screenshots / f"last-{name}.png")
    finally:
        page.close()
