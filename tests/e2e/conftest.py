"""Browser tests: a live server for the app and Playwright driving the system Chromium.

The live server is a separate app (CSRF on, like production) on the same test database as the
`app` fixture, served by werkzeug on 127.0.0.1 and a free port in a daemon thread, once per
database backend. E2E tests also request `app`, so the tables are emptied after each test and
test data can be made with the shared factories (`make_user`) in the test's own process.

Every test in this folder is marked `e2e`; without /usr/bin/chromium they are all skipped with
the reason below.
"""
from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from werkzeug.serving import make_server

CHROMIUM = Path("/usr/bin/chromium")
NO_CHROMIUM = "Chromium not installed at /usr/bin/chromium (apt-get install chromium)"
E2E_DIR = Path(__file__).resolve().parent
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.hookimpl(tryfirst=True)  # before `-m e2e` / `-m "not e2e"` selects
def pytest_collection_modifyitems(config, items) -> None:
    """Mark every test of this folder `e2e`; skip them all when Chromium is missing."""
    skip = pytest.mark.skip(reason=NO_CHROMIUM)
    # pytest-playwright's fallback `base_url` fixture triggers this pytest deprecation warning.
    quiet = pytest.mark.filterwarnings("ignore:Session-scoped fixtures defined as instance")
    for item in items:
        if E2E_DIR not in Path(str(item.path)).resolve().parents:
            continue
        item.add_marker(pytest.mark.e2e)
        item.add_marker(quiet)
        if not CHROMIUM.exists():
            item.add_marker(skip)


def _shared_conftest(config):
    """The module tests/conftest.py as pytest loaded it (it holds `make_test_app`)."""
    wanted = E2E_DIR.parent / "conftest.py"
    for plugin in config.pluginmanager.get_plugins():
        path = getattr(plugin, "__file__", None)
        if path and Path(path).resolve() == wanted:
            return plugin
    raise RuntimeError(f"{wanted} is not loaded")  # pragma: no cover - pytest always loads it


@dataclass
class LiveServer:
    """A running server: `url` has no trailing slash; `app` is the served Flask app."""

    url: str
    app: object


@pytest.fixture(scope="session")
def live_server(backend, pytestconfig) -> Iterator[LiveServer]:
    """Serve a CSRF-enabled app on the session's test database in a background thread."""
    make_test_app = _shared_conftest(pytestconfig).make_test_app
    app = make_test_app(backend["instance"], backend["url"], WTF_CSRF_ENABLED=True)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(url=f"http://127.0.0.1:{server.server_port}", app=app)
    finally:
        server.shutdown()
        thread.join(timeout=5)
        with app.app_context():
            from lms.extensions import db

            db.engine.dispose()


@pytest.fixture(scope="session", autouse=True)
def _expect_timeout() -> None:
    """Fail an assertion after 10 s rather than Playwright's 5 s default on a slow CI machine."""
    from playwright.sync_api import expect

    expect.set_options(timeout=10_000)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    """pytest-playwright's launch options, pointed at the system Chromium, headless."""
    return {**browser_type_launch_args, "executable_path": str(CHROMIUM), "headless": True,
            "args": LAUNCH_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict, live_server: LiveServer) -> dict:
    """Every page's relative URLs (`page.goto("/account/signin")`) go to the live server."""
    return {**browser_context_args, "base_url": live_server.url, "locale": "en-GB"}


@pytest.fixture
def browser_sign_in() -> Callable:
    """browser_sign_in(page, email, password): sign in through the form and wait for the result."""
    from playwright.sync_api import expect

    def do(page, email: str, password: str) -> None:
        page.goto("/account/signin")
        page.get_by_label(re.compile(r"^E-mail address( \*)?$")).fill(email)
        page.get_by_label(re.compile(r"^Password( \*)?$")).fill(password)
        page.get_by_role("button", name="Sign in").click()
        # attached, not visible: on a phone it is behind the Menu button
        expect(page.get_by_role("button", name="Sign out", include_hidden=True)).to_be_attached()

    return do


@pytest.fixture
def live_clock(live_server):
    """The live server's config, for FROZEN_NOW; the previous value is restored afterwards."""
    config = live_server.app.config
    missing = object()
    saved = config.get("FROZEN_NOW", missing)
    try:
        yield config
    finally:
        if saved is missing:
            config.pop("FROZEN_NOW", None)
        else:
            config["FROZEN_NOW"] = saved
