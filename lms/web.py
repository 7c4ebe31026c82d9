"""Cross-cutting web concerns: error pages, template helpers, security headers, static files."""
from __future__ import annotations

import gzip
import hashlib
from pathlib import Path
from typing import Any

from flask import (
    Flask,
    Request,
    Response,
    abort,
    g,
    has_request_context,
    jsonify,
    render_template,
    request,
)
from flask.globals import request_ctx
from flask.sessions import SecureCookieSessionInterface
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy import create_engine
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from lms.cache import keep
from lms.dbtypes import DB_INT_MAX
from lms.extensions import READ_ENGINE, READS, db, engines
from lms.markdown import render as render_markdown
from lms.markdown import render_inline

ERROR_TEXT = {
    400: ("Bad request", "The request could not be understood."),
    403: ("Not allowed", "Your account does not have access to this page."),
    404: ("Page not found", "There is no page at this address. It may have moved."),
    405: ("Not allowed", "That action is not possible on this page."),
    413: ("Too large", "The upload is larger than allowed."),
    422: ("Cannot process", "The request was well formed but could not be processed."),
    429: ("Too many requests", "You have tried too many times. Wait a minute, then try again."),
    500: ("Something went wrong", "An unexpected error happened on our side. It has been logged; "
          "please try again later."),
}


class DbIntConverter(IntegerConverter):
    """`<int:...>` in every route: ASCII digits only, at most the database's integer range.

    Werkzeug's own converter takes any Unicode digit and any length, so "/users/٣" or a
    5,000-digit id reached a view (and the database, or Python's int limit) and gave a 500.
    Anything else is simply no such page (404)."""

    regex = r"[0-9]{1,10}"

    def __init__(self, map, fixed_digits=0, min=None, max=None, signed=False):  # noqa: A002
        super().__init__(map, fixed_digits=fixed_digits, min=min,
                         max=DB_INT_MAX if max is None else max, signed=False)


def db_int(value: str) -> int:
    """`type=` for numeric query and form values (`request.args.get("page", type=int)`):
    ASCII digits with an optional minus sign. Out of the database's integer range is a 400;
    other text raises ValueError, which `.get(type=...)` turns into the default."""
    text = value.strip()
    digits = text[1:] if text.startswith("-") else text
    if not (digits.isascii() and digits.isdigit()):
        raise ValueError(value)
    if len(digits) > 10 or abs(int(text)) > DB_INT_MAX:
        abort(400, "That number is out of range.")
    return int(text)


class DbIntMultiDict(ImmutableMultiDict):
    """Query-string and form values whose `get(..., type=int)` goes through `db_int`."""

    def get(self, key, default=None, type=None):  # noqa: A002 - werkzeug's signature
        return super().get(key, default, db_int if type is int else type)


class LmsRequest(Request):
    parameter_storage_class = DbIntMultiDict


class CookieSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, without building a signer for a request that carries
    no session cookie (most public requests: the verification API, static files)."""

    def open_session(self, app: Flask, request: Request):
        if app.secret_key and self.get_cookie_name(app) not in request.cookies:
            return self.session_class()
        return super().open_session(app, request)


class LmsFlask(Flask):
    """Flask with the per-request costs that do not depend on the request paid once."""

    request_class = LmsRequest
    session_interface = CookieSessions()

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._sync: dict[object, object] = {}
        self._urls: dict[tuple, str] = {}

    #: At most this many URLs remembered (then the memory starts again).
    URL_CACHE_MAX = 8192

    def url_for(self, /, endpoint: str, *, _anchor: str | None = None,
                _method: str | None = None, _scheme: str | None = None,
                _external: bool | None = None, **values: Any) -> str:
        # A page builds tens of links, each the same on every request (werkzeug's builder:
        # ~8 µs each). Outside debug the result depends only on the endpoint, the values and
        # the script root (the one URL default, the static files' content version, changes
        # only on deploy), so a path once built is kept; external, relative (".name") and
        # anchored URLs are built each time.
        if (_anchor is not None or _method is not None or _scheme is not None or _external
                or endpoint[:1] == "." or self.debug or not has_request_context()):
            return super().url_for(endpoint, _anchor=_anchor, _method=_method,
                                   _scheme=_scheme, _external=_external, **values)
        try:
            key = (request_ctx.request.script_root, endpoint,
                   *((name, value.__class__, value) for name, value in values.items()))
            return self._urls[key]
        except KeyError:
            url = super().url_for(endpoint, **values)
        except TypeError:  # a value that cannot be a key (a list of query values)
            return super().url_for(endpoint, **values)
        keep(self._urls, key, url, self.URL_CACHE_MAX)
        return url

    #: At most this many callables remembered (hooks and views are a few hundred; a callable
    #: made afresh per request, such as an `after_this_request` closure, must not grow it).
    SYNC_CACHE_MAX = 4096

    def ensure_sync(self, func):
        # Flask asks, for every hook of every request, whether it is a coroutine function
        # (inspect, ~3 µs each, ten hooks a request); the answer never changes.
        try:
            return self._sync[func]
        except KeyError:
            wrapped = super().ensure_sync(func)
            if len(self._sync) < self.SYNC_CACHE_MAX:
                self._sync[func] = wrapped
            return wrapped
        except TypeError:  # an unhashable callable
            return super().ensure_sync(func)


def _wants_json() -> bool:
    return request.path.startswith("/api/") or (
        request.accept_mimetypes.best == "application/json")


def render_error(code: int, detail: str | None = None):
    title, text = ERROR_TEXT.get(code, ("Error", "Something went wrong."))
    if request.path.startswith("/api/"):
        from lms.verify.problems import problem

        return problem(code, detail or text)
    if _wants_json():
        return jsonify({"error": title, "detail": detail or text}), code
    if request_ctx.url_adapter is None:  # e.g. a Host not in TRUSTED_HOSTS: no URLs to build
        return Response(f"{title}\n\n{detail or text}\n", code, mimetype="text/plain")
    return render_template("errors/error.html", code=code, title=title,
                           text=detail or text), code


#: Sent with every response unless it set its own.
SECURITY_HEADERS = (
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "strict-origin-when-cross-origin"),
    ("Content-Security-Policy",
     "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
     "frame-ancestors 'none'; form-action 'self'; base-uri 'self'"),
)
#: Over HTTPS (ProxyFix trusts the proxy's X-Forwarded-Proto) browsers are also told to keep it.
SECURITY_HEADERS_HTTPS = (*SECURITY_HEADERS,
                          ("Strict-Transport-Security", "max-age=31536000; includeSubDomains"))

# (endpoint, label, minimum role or None for everyone); features add theirs. Endpoints the app
# does not have are skipped, so a feature can list its links before its blueprint lands.
NAV_ITEMS: list[tuple[str, str, str | None]] = [
    ("courses.catalogue", "Courses", None),
    ("verify.index", "Verify", None),
    ("main.dashboard", "My learning", "learner"),
    ("credentials.mine", "My credential", "learner"),
    ("credits.my_ce", "My CE", "learner"),
    ("directory.index", "Directory", None),
    ("community.index", "Boards", "learner"),
    ("courses.teaching", "Teaching", "instructor"),
    ("assignments.queue", "Grading", "instructor"),
    ("credits.programme", "CE programme", "registrar"),
    ("credentials.register", "Credentials", "registrar"),
    ("admin.index", "Admin", "registrar"),
]


def init_app(app: Flask) -> None:
    # No input reaches the database as an integer it cannot hold (DbIntConverter is installed
    # by create_app before the routes; db_int serves `.get(..., type=int)` through LmsFlask's
    # request class).
    proxies = int(app.config.get("PROXY_COUNT") or 0)
    if proxies:  # behind nginx & co.: the visitor's address and scheme come from the proxy
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)

    @app.context_processor
    def navigation():
        def nav_items():
            user = current_user
            for endpoint, label, role in NAV_ITEMS:
                if endpoint not in app.view_functions:
                    continue
                if role and not (user.is_authenticated and user.has_role(role)):
                    continue
                yield endpoint, label, role

        return {"nav_items": nav_items}

    def handler(err):
        code = getattr(err, "code", 500) or 500
        if code >= 500:
            # The failed request may have left the session mid-transaction: rendering the page
            # (which loads the signed-in user) must not run into it.
            from lms.extensions import db

            db.session.rollback()
        custom = getattr(err, "description", None)
        if custom == getattr(type(err), "description", None) or code >= 500 or code == 429:
            custom = None  # werkzeug's stock text (or Flask-Limiter's "10 per 1 minute"): ours
        return render_error(code, custom)

    for code in ERROR_TEXT:
        app.register_error_handler(code, handler)

    @app.errorhandler(CSRFError)
    def csrf_error(err):
        return render_error(400, "The form had expired or was missing its security token. "
                                 "Reload the page and try again; nothing was changed.")

    @app.before_request
    def refuse_nul_characters():
        # No text anyone types contains NUL, and PostgreSQL refuses it in any string (a 500):
        # in the path it is no such page, in a query string or form a bad request.
        if "\x00" in request.path:
            abort(404)
        reads = request.method in ("GET", "HEAD")  # no body: nothing to parse
        for values in (request.args,) if reads else (request.args, request.form):
            if any("\x00" in key or any("\x00" in v for v in vals)
                   for key, vals in values.lists()):
                abort(400, "The request contained a character that is not allowed.")
        if not reads and request.is_json and any(nul in request.get_data(cache=True)
                                   for nul in (b"\x00", b"\\u0000")):
            abort(400, "The request contained a character that is not allowed.")

    if app.config.get("DATABASE_READ_AUTOCOMMIT", True):
        with app.app_context():
            if db.engine.dialect.name == "postgresql":
                app.extensions[READ_ENGINE] = create_engine(
                    db.engine.url, isolation_level="AUTOCOMMIT",
                    **app.config.get("SQLALCHEMY_ENGINE_OPTIONS", {}))

    @app.before_request
    def reads_without_a_transaction():
        # A GET or HEAD only reads ("no writes on GET"). On PostgreSQL it reads through an
        # engine whose connections are in autocommit (lms.extensions.Session): each statement
        # sees what is committed, as it would inside READ COMMITTED anyway, and the request
        # saves the BEGIN and ROLLBACK round trips. A write during the request (a throttled
        # visit record) goes back to a transaction on the main engine.
        reads = app.extensions.get(READ_ENGINE)
        if reads is not None:
            if (request.method not in ("GET", "HEAD") or request.endpoint == "static"
                    or not app.config.get("DATABASE_READ_AUTOCOMMIT", True)):
                reads = None
            setattr(g, READS, reads)  # a new session takes it on its first statement, so a
            if db.session.registry.has():  # request that never queries makes none
                db.session().info[READS] = reads

    @app.after_request
    def private_pages(response):
        # A signed-in user's pages are theirs: no shared cache or back button after sign-out
        # may show them. Static files are the same for everyone; responses that chose their
        # own caching (course assets) keep it.
        if (request.cookies and request.endpoint != "static"  # no cookie: nobody signed in
                and "Cache-Control" not in response.headers and current_user.is_authenticated):
            response.headers["Cache-Control"] = "private, no-store"
            response.vary.add("Cookie")
        return response

    @app.after_request
    def security_headers(response):
        # Each one unless the response chose its own (one pass over the headers, not five).
        headers = response.headers
        present = {name.lower() for name in headers.keys()}
        wanted = SECURITY_HEADERS_HTTPS if request.is_secure else SECURITY_HEADERS
        headers.extend([(name, value) for name, value in wanted if name.lower() not in present])
        return response

    _init_static_files(app)
    if app.config.get("BENCH_QUERY_HEADER"):
        _count_queries_per_request(app)

    app.jinja_env.filters["markdown"] = render_markdown
    app.jinja_env.filters["markdown_inline"] = render_inline

    @app.template_filter("datetime")
    def format_datetime(value, fmt: str = "%d %b %Y, %H:%M UTC"):
        return value.strftime(fmt) if value else ""

    @app.template_filter("date")
    def format_date(value, fmt: str = "%d %b %Y"):
        return value.strftime(fmt) if value else ""


def _count_queries_per_request(app: Flask) -> None:
    """X-Query-Count on every response: the SQL statements the request ran (benchmark only)."""
    from sqlalchemy import event

    def count(*_args) -> None:
        if has_request_context():
            g.query_count = g.get("query_count", 0) + 1

    with app.app_context():
        for engine in engines():
            event.listen(engine, "before_cursor_execute", count)

    @app.after_request
    def query_count_header(response):
        response.headers["X-Query-Count"] = str(g.get("query_count", 0))
        return response


#: Static files worth compressing (images other than SVG are compressed already).
COMPRESSIBLE = ("text/css", "text/javascript", "application/javascript", "image/svg+xml")
#: A versioned static URL never changes content: browsers and proxies keep it for a year.
STATIC_MAX_AGE = 365 * 24 * 3600


def _init_static_files(app: Flask) -> None:
    """Static files: content hashes in their URLs, far-future caching, gzip.

    Every `url_for('static', filename=...)` gets `?v=<first 12 hex of the file's sha256>`, so a
    deploy that changes a file changes its URL; such versioned responses are cached for a year
    (`immutable`). Browsers that accept gzip get CSS, JS and SVG compressed once per file and
    kept in memory (the files are few and small). Hashes are remembered per worker (files
    change only on deploy) except in debug mode, where an edited file shows at once.
    """
    folder = Path(app.static_folder or "static")
    versions: dict[str, str | None] = {}
    compressed: dict[str, bytes] = {}

    def file_bytes(filename: str) -> bytes | None:
        path = (folder / filename).resolve()
        if folder.resolve() not in path.parents or not path.is_file():
            return None
        return path.read_bytes()

    def version(filename: str) -> str | None:
        if filename not in versions or app.debug:
            data = file_bytes(filename)
            versions[filename] = hashlib.sha256(data).hexdigest()[:12] if data else None
        return versions[filename]

    @app.url_defaults
    def static_version(endpoint: str, values: dict) -> None:
        if endpoint == "static" and "filename" in values and "v" not in values:
            found = version(values["filename"])
            if found:
                values["v"] = found

    @app.after_request
    def static_caching(response: Response) -> Response:
        if request.endpoint != "static" or response.status_code != 200:
            return response
        filename = (request.view_args or {}).get("filename", "")
        current = version(filename)
        if current and request.args.get("v") == current:
            response.cache_control.public = True
            response.cache_control.max_age = STATIC_MAX_AGE
            response.cache_control.immutable = True
        if (response.mimetype in COMPRESSIBLE and "Range" not in request.headers
                and "gzip" in request.headers.get("Accept-Encoding", "")):
            key = f"{filename}?{current}"
            body = None if app.debug else compressed.get(key)
            if body is None:
                data = file_bytes(filename)
                if data is None:
                    return response
                body = compressed[key] = gzip.compress(data, 9, mtime=0)
            response.direct_passthrough = False
            response.set_data(body)
            response.headers["Content-Encoding"] = "gzip"
            etag, weak = response.get_etag()
            if etag:
                response.set_etag(f"{etag}-gzip", weak)
        response.vary.add("Accept-Encoding")
        return response
