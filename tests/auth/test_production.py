"""The app as deployed: gunicorn with two workers, settings from the environment, sign-in rate
limits kept in Redis (RATELIMIT_STORAGE_URI=redis://127.0.0.1:6379), CSRF on, behind a proxy.

The database is made with `flask db upgrade` and the account with `flask users create`, as
docs/operations.md says. It is a fresh SQLite file, or a throwaway PostgreSQL schema when
LMS_TEST_DATABASE_URL is set. Skipped when Redis is not reachable.

With two workers and in-memory limits each worker would count on its own; the eleventh attempt
is refused only because both count in Redis. Each run signs in from its own (forwarded) client
address, so runs never share a count.
"""
from __future__ import annotations

import http.cookiejar
import json
import os
import random
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from lms.config import normalise_database_url

REPO = Path(__file__).resolve().parents[2]
REDIS_URL = "redis://127.0.0.1:6379"
PG_URL = os.environ.get("LMS_TEST_DATABASE_URL")
PASSWORD = "a-production-password"


def redis_client():
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1, socket_timeout=2)
    try:
        client.ping()
    except redis.exceptions.RedisError:
        pytest.skip(f"Redis is not reachable at {REDIS_URL}")
    return client


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("production")


@pytest.fixture(scope="module")
def database_url(workdir) -> Iterator[str]:
    """A fresh SQLite file, or a new schema of the PostgreSQL test database."""
    if not PG_URL:
        yield "sqlite:///" + str(workdir / "production.sqlite3")
        return
    schema = f"prodtest_{uuid.uuid4().hex[:12]}"
    base = normalise_database_url(PG_URL)
    engine = create_engine(base)
    with engine.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        url = make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
        yield url.render_as_string(hide_password=False)
    finally:
        with engine.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        engine.dispose()


@pytest.fixture(scope="module")
def server(workdir, database_url) -> Iterator[str]:
    """Base URL of gunicorn serving wsgi:app with production settings."""
    redis_client()
    pytest.importorskip("gunicorn")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LMS_", "MAIL_"))}
    env.update(DATABASE_URL=database_url, LMS_INSTANCE_PATH=str(workdir / "instance"),
               SECRET_KEY=uuid.uuid4().hex, RATELIMIT_STORAGE_URI=REDIS_URL, PROXY_COUNT="1")
    env.pop("SIGNIN_RATE_LIMIT", None)
    env["SIGNIN_LOCK_AFTER"] = "100"  # the per-client limit is tested here, not the per-account one

    def flask(*args: str) -> None:
        done = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", *args], cwd=REPO,
                              env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stdout + done.stderr

    flask("db", "upgrade")
    flask("users", "create", "maya@example.org", "--name", "Maya Okafor", "--password", PASSWORD)

    port = free_port()
    log = (workdir / "gunicorn.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--workers", "2", "--bind", f"127.0.0.1:{port}",
         "--access-logfile", "-", "wsgi:app"], cwd=REPO, env=env, stdout=log,
        stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(url + "/healthz", timeout=2):  # noqa: S310
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    log.flush()
                    pytest.fail("gunicorn did not start:\n"
                                + (workdir / "gunicorn.log").read_text())
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=20)
        log.close()


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Visitor:
    """A browser-like client: keeps cookies, reads CSRF tokens, comes from `address`."""

    def __init__(self, base: str, address: str):
        self.base = base
        self.address = address
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), NoRedirect())

    def request(self, path: str, data: dict | None = None) -> tuple[int, dict, str]:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        req = urllib.request.Request(self.base + path, data=body,  # noqa: S310 - local http
                                     headers={"X-Forwarded-For": self.address})
        try:
            with self.opener.open(req, timeout=10) as response:
                return response.status, dict(response.headers), response.read().decode()
        except urllib.error.HTTPError as err:
            return err.code, dict(err.headers), err.read().decode()

    def sign_in(self, password: str) -> tuple[int, dict, str]:
        _, _, page = self.request("/account/signin")
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        return self.request("/account/signin", {"email": "maya@example.org",
                                                "password": password, "csrf_token": token})


def random_address() -> str:
    return "10.{}.{}.{}".format(*(random.randrange(1, 255) for _ in range(3)))


def test_sign_in_limit_is_shared_by_workers_through_redis(server):
    store = redis_client()
    address = random_address()
    visitor = Visitor(server, address)
    try:
        for attempt in range(10):
            status, _, page = visitor.sign_in("wrong-password")
            assert status == 401, f"attempt {attempt + 1}: {status}"
            assert "Wrong e-mail address or password." in page
        status, headers, page = visitor.sign_in(PASSWORD)
        assert status == 429
        assert "You have tried too many times" in page
        assert "Retry-After" in headers
        assert store.keys(f"*{address}*"), "the limit must be counted in Redis"

        other = Visitor(server, random_address())  # someone else is not affected
        status, headers, _ = other.sign_in(PASSWORD)
        assert status == 302 and headers["Location"].endswith("/dashboard")
        status, _, page = other.request("/dashboard")
        assert status == 200 and "Welcome, Maya Okafor" in page
    finally:
        for key in store.keys(f"*{address}*"):
            store.delete(key)


def test_health_check_and_csrf_in_production(server):
    with urllib.request.urlopen(server + "/healthz", timeout=5) as response:  # noqa: S310
        assert response.status == 200
        assert json.loads(response.read()) == {"status": "ok", "database": "ok"}
    visitor = Visitor(server, random_address())
    status, _, page = visitor.request("/account/signin", {"email": "maya@example.org",
                                                         "password": PASSWORD})
    assert status == 400 and "missing its security token" in page
