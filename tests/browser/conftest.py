"""Playwright drives Debian's Chromium (package `chromium`); no browser is downloaded."""

import os
import shutil
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in the test thread; the ORM calls around it
# (fixtures, database teardown) stay synchronous. tests/test_deploy_check.py drops it again.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(
    os.environ.get("MABENCH_TEST_ARTIFACTS", Path(__file__).resolve().parents[2] / "var" / "test-artifacts")
)


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """Where browser tests leave screenshots for people to look at (var/test-artifacts unless told)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not os.path.exists(CHROMIUM):
        pytest.fail("browser tests need Debian's Chromium: sudo apt-get install chromium fonts-liberation")
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    }


@pytest.fixture
def log_in(page, live_server):
    def log_in_as(user, password="pw-for-tests-1"):
        page.goto(live_server.url + "/")
        page.get_by_label("Username").fill(user.username)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Log in").click()
        return page

    return log_in_as


@pytest.fixture(autouse=True)
def no_content_security_policy_violations(request):
    """Every browser test fails if a page it opened broke the Content-Security-Policy (an inline script
    or style, eval, a foreign origin): Chromium reports each refusal on the console."""
    if "page" not in request.fixturenames:
        yield
        return
    page = request.getfixturevalue("page")
    refused: list[str] = []
    page.on(
        "console", lambda message: refused.append(message.text) if "Content Security Policy" in message.text else None
    )
    yield refused
    assert refused == [], f"the page broke the Content-Security-Policy: {refused}"
