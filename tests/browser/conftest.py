"""A real browser for the approval page: Debian's chromium, driven by Playwright.

``make test`` installs chromium (apt) and Playwright (pip); Playwright's own browser download
is never used (``executable_path``). Without chromium the tests are skipped on a developer's
machine but fail in CI (``CI=true``), so a broken install cannot pass unnoticed.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from typing import Any

import pytest

from tests.workflow.conftest import runtime, start_runtime  # noqa: F401 - the same runtime

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    chromium = shutil.which("chromium")
    if chromium is None:
        message = "Debian's chromium is not installed (make test installs it)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright  # noqa: PLC0415 - only with chromium

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
