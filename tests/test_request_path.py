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


def test_links_once_built_are_remembered_and_the_same_as_flasks(app):
    """LmsFlask keeps the paths url_for built: each is what Flask builds, per script root and
    value type; external, relative and anchored links and debug mode are built each time."""
    from flask import Flask

    app._urls.clear()
    cases = [("courses.catalogue", {}), ("courses.course", {"code": "JC-101"}),
             ("community.thread", {"thread_id": 5001}), ("community.thread", {"thread_id": "5001"}),
             ("static", {"filename": "css/site.css"}), ("courses.catalogue", {"q": "equity"}),
             ("courses.catalogue", {"q": None})]
    for script_root in ("", "/lms"):
        with app.test_request_context("/", base_url=f"http://localhost{script_root}"):
            for endpoint, values in cases:
                built = Flask.url_for(app, endpoint, **values)
                assert app.url_for(endpoint, **values) == built  # built, then kept
                assert app.url_for(endpoint, **values) == built  # kept
                assert built.startswith(f"{script_root}/")
            assert app.url_for("courses.catalogue", q=["a", "b"]) == Flask.url_for(
                app, "courses.catalogue", q=["a", "b"])  # cannot be a key: built each time
            assert app.url_for("courses.catalogue", _external=True).startswith("http://")
            assert app.url_for("courses.catalogue", _anchor="top").endswith("#top")
    assert len(app._urls) == 2 * len(cases)
    for n in range(app.URL_CACHE_MAX + 5):  # bounded
        with app.test_request_context("/"):
            app.url_for("community.thread", thread_id=n)
    assert len(app._urls) <= app.URL_CACHE_MAX
