"""The app's own request path (lms.web.LmsFlask): what it skips or remembers must not change
what a request gets."""
from __future__ import annotations

from lms.web import LmsFlask


def test_the_app_is_an_lms_flask(app):
    assert isinstance(app, LmsFlask)


def test_the_coroutine_check_is_remembered_for_a_bounded_number_of_callables(app):
    """LmsFlask caches Flask's per-hook `ensure_sync`; a callable made per request (an
    `after_this_request` closure) must not grow the cache without end."""
    app._sync.clear()
    app.ensure_sync(len)
    assert len in app._sync
    for n in range(app.SYNC_CACHE_MAX + 10):
        app.ensure_sync(lambda n=n: n)
    assert len(app._sync) == app.SYNC_CACHE_MAX
    assert app.ensure_sync(len) is len


def test_a_request_without_cookies_gets_an_empty_session_and_no_cookie(client):
    response = client.get("/healthz")
    assert response.status_code in (200, 503)
    assert "Set-Cookie" not in response.headers
    assert "Cache-Control" not in response.headers or \
        "no-store" not in response.headers["Cache-Control"]
