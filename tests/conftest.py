"""Shared fixtures.

The database: tables are made once per backend per session; every test starts with empty
tables (rows deleted after each test). Tests run on SQLite and, when LMS_TEST_DATABASE_URL is
set, on PostgreSQL too: the `backend` fixture is parametrised, so each database test runs
once per backend.
"""
from __future__ import annotations

import os
import re
from datetime import UTC, datetime

import pytest
from flask.testing import FlaskClient
from sqlalchemy import text

from lms import cache as lms_cache
from lms import create_app, register_item_kinds
from lms.config import TestConfig, normalise_database_url
from lms.extensions import db, engines, limiter

# Parser tests run without an app: register the item kinds as create_app does.
register_item_kinds()

#: The load and fault test (tests/load) starts a whole stack and runs for minutes: only
#: `make test-load` (which sets LMS_LOAD_TESTS=1) collects it, never `make test`.
collect_ignore = [] if os.environ.get("LMS_LOAD_TESTS") == "1" else ["load"]

PG_URL = os.environ.get("LMS_TEST_DATABASE_URL")
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])
#: "gw0", "gw1", ... under pytest-xdist; each worker gets a database of its own.
XDIST_WORKER = os.environ.get("PYTEST_XDIST_WORKER")
DEFAULT_PASSWORD = "correct-horse-battery"
FIXED_NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def make_test_app(instance_path: str, url: str, **overrides):
    config = TestConfig(instance_path, database_url=url)
    config.WTF_CSRF_ENABLED = overrides.pop("WTF_CSRF_ENABLED", False)
    for key, value in overrides.items():
        setattr(config, key, value)
    return create_app(config)


def worker_database(url: str) -> str:
    """`url` itself, or under xdist a sibling database `<name>_<worker>` (made if missing)."""
    if not XDIST_WORKER:
        return url
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    base = make_url(url)
    name = f"{base.database}_{XDIST_WORKER}"
    engine = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"),
                                  {"n": name}).scalar()
            if not exists:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        engine.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session", autouse=True)
def _test_engines():
    """Test databases are throwaway: SQLite need not wait for the disk on every commit; and
    every INSERT is noted so that the tables to empty after a test are known."""
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    def pragmas(dbapi_connection, _record):
        if type(dbapi_connection).__module__.startswith("sqlite3"):
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA synchronous=OFF")
            cursor.close()

    event.listen(Engine, "connect", pragmas)
    event.listen(Engine, "before_cursor_execute", _note_insert)
    yield
    event.remove(Engine, "before_cursor_execute", _note_insert)
    event.remove(Engine, "connect", pragmas)


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request, tmp_path_factory):
    """(name, url) of the database for this part of the session; tables made fresh."""
    if request.param == "sqlite":
        url = "sqlite:///" + str(tmp_path_factory.mktemp("db") / "test.sqlite3")
    else:
        url = worker_database(normalise_database_url(PG_URL))
    instance = str(tmp_path_factory.mktemp("instance"))
    app = make_test_app(instance, url)
    with app.app_context():
        db.drop_all()
        if request.param == "postgresql":
            db.session.execute(text("DROP TABLE IF EXISTS alembic_version"))
            db.session.commit()
        db.create_all()
        db.engine.dispose()
    return {"name": request.param, "url": url, "instance": instance}


class FreshContextClient(FlaskClient):
    """Each request runs in its own app context, as in production: its own `g` (so its own
    signed-in user) and its own database session. The test's session commits first (so the
    request sees the test's data) and is expired after (so the test sees the request's)."""

    def open(self, *args, **kwargs):
        db.session.commit()
        with self.application.app_context():
            response = super().open(*args, **kwargs)
        db.session.expire_all()
        return response


@pytest.fixture(scope="session")
def _session_app(backend):
    app = make_test_app(backend["instance"], backend["url"])
    app.test_client_class = FreshContextClient
    return app


#: Tables that received rows since they were last emptied, by any engine in this process (the
#: test's own, the live server's): after each test only these are emptied, not every table.
_WRITTEN: set[str] = set()
_INSERT_INTO = re.compile(r'^\s*INSERT\s+INTO\s+"?([A-Za-z0-9_]+)"?', re.IGNORECASE)


def _note_insert(conn, cursor, statement, *args) -> None:
    match = _INSERT_INTO.match(statement)
    if match:
        _WRITTEN.add(match.group(1))


def _clean_tables(app) -> None:
    written = {name for name in _WRITTEN}
    _WRITTEN.difference_update(written)
    with app.app_context():
        db.session.remove()
        tables = [t for t in reversed(db.metadata.sorted_tables) if t.name in written]
        if not tables:
            return
        with db.engine.begin() as conn:
            # The CE ledger and the credentials' audit history refuse DELETE unless the
            # transaction first unlocks them.
            unlock = db.metadata.tables.get("ce_ledger_unlock")
            unlocked = unlock is not None and bool(
                written & {"ce_ledger_entries", "credential_events"})
            if unlocked:
                conn.execute(unlock.insert().values(reason="test clean-up"))
            for table in tables:
                conn.execute(table.delete())
            if unlocked:
                conn.execute(unlock.delete())
        _WRITTEN.discard("ce_ledger_unlock")  # emptied again above


@pytest.fixture
def app(_session_app):
    """The app, with empty tables, fresh rate limits and the config restored after the test."""
    saved = dict(_session_app.config)
    ctx = _session_app.app_context()
    ctx.push()
    limiter.reset()
    lms_cache.clear()  # ids and revision numbers start again in the emptied tables
    try:
        yield _session_app
    finally:
        db.session.rollback()
        db.session.remove()
        ctx.pop()
        _session_app.config.clear()
        _session_app.config.update(saved)
        _clean_tables(_session_app)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def now():
    return FIXED_NOW


@pytest.fixture
def make_user(app):
    """Factory: make_user(role="learner", email=None, password=DEFAULT_PASSWORD, **profile)."""
    from lms.auth import services
    from lms.auth.models import User

    counter = {"n": 0}

    def factory(role: str = "learner", email: str | None = None,
                password: str = DEFAULT_PASSWORD, confirmed: bool = True, **profile) -> User:
        counter["n"] += 1
        email = email or f"{role}{counter['n']}@example.org"
        name = profile.pop("name", f"{role.title()} {counter['n']}")
        user = services.create_user(email, name, role, password, FIXED_NOW, confirmed=confirmed)
        if profile:
            services.update_profile(user, profile)
        return user

    return factory


@pytest.fixture
def sign_in():
    """sign_in(client, user, password=DEFAULT_PASSWORD): signs in through the real form."""

    def do(client, user, password: str = DEFAULT_PASSWORD):
        response = client.post("/account/signin", data={"email": user.email,
                                                        "password": password})
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return response

    return do


@pytest.fixture
def autocommit_statements(app, backend):
    """(first word of each SQL statement, whether its connection was in autocommit), on
    every engine; PostgreSQL only (SQLite runs every request in a transaction)."""
    from sqlalchemy import event

    if backend["name"] != "postgresql":
        pytest.skip("SQLite runs every request in a transaction")
    seen: list[tuple[str, bool]] = []

    def note(conn, cursor, statement, *args):
        seen.append((statement.split()[0].upper(), conn.connection.dbapi_connection.autocommit))

    watched = engines()
    for engine in watched:
        event.listen(engine, "before_cursor_execute", note)
    yield seen
    for engine in watched:
        event.remove(engine, "before_cursor_execute", note)


@pytest.fixture
def count_queries(app):
    """with count_queries() as counter: ...; counter.count is the number of SQL statements
    (count_queries(of=other_app): the statements of another app made in the test)."""
    from contextlib import contextmanager

    from sqlalchemy import event

    @contextmanager
    def counting(of=None):
        class Counter:
            count = 0
            statements: list[str] = []

        counter = Counter()
        counter.statements = []

        def before(conn, cursor, statement, *args):
            counter.count += 1
            counter.statements.append(statement)

        if of is None:
            watched = engines()  # the main engine and the one GET requests read through
        else:
            with of.app_context():
                watched = engines()
        for engine in watched:
            event.listen(engine, "before_cursor_execute", before)
        try:
            yield counter
        finally:
            for engine in watched:
                event.remove(engine, "before_cursor_execute", before)

    return counting


#: Redis for the tests of what is kept per process (database 7; those tests skip without it).
SHARED_CACHE_URL = "redis://127.0.0.1:6379/7"


@pytest.fixture
def shared_cache_workers(app, tmp_path):
    """shared_cache_workers() -> (reader, writer, redis client): two apps made by
    create_app() on the test database, standing for two gunicorn workers that share Redis as
    their cache, under a key prefix of the test's own (removed after). Skips without Redis."""
    import uuid

    from tests.auth.test_production import redis_client

    made: list = []
    prefix = f"lms-test-{uuid.uuid4().hex}:"
    client = redis_client(SHARED_CACHE_URL)

    def make():  # called by the test's own fixture, once its clock and files are set
        extra = {"FROZEN_NOW": app.config["FROZEN_NOW"],
                 "COURSES_DIR": app.config["COURSES_DIR"],
                 "CACHE_REDIS_URL": SHARED_CACHE_URL, "CACHE_KEY_PREFIX": prefix}
        url = app.config["SQLALCHEMY_DATABASE_URI"]
        pair = [make_test_app(str(tmp_path / f"{name}{len(made)}"), url, **extra)
                for name in ("reader", "writer")]
        for one in pair:
            one.test_client_class = FreshContextClient
        made.extend(pair)
        return pair[0], pair[1], client

    yield make
    for one in made:
        listener = one.extensions.get(lms_cache.LISTENER)
        if isinstance(listener, lms_cache._Listener):
            listener.close()
        with one.app_context():
            db.engine.dispose()
    for key in client.scan_iter(f"{prefix}*"):
        client.delete(key)
