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
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import boto3
import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from lms.config import normalise_database_url
from tests.auth.test_mail_smtp import Inbox

REPO = Path(__file__).resolve().parents[2]
REDIS_URL = "redis://127.0.0.1:6379"
PG_URL = os.environ.get("LMS_TEST_DATABASE_URL")
PASSWORD = "a-production-password"


def redis_client(url: str = REDIS_URL):
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=2)
    try:
        client.ping()
    except redis.exceptions.RedisError:
        pytest.skip(f"Redis is not reachable at {url}")
    return client


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("production")


@contextmanager
def fresh_database(workdir: Path, name: str = "production") -> Iterator[str]:
    """A fresh SQLite file, or a new schema of the PostgreSQL test database."""
    if not PG_URL:
        yield "sqlite:///" + str(workdir / f"{name}.sqlite3")
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
def database_url(workdir) -> Iterator[str]:
    with fresh_database(workdir) as url:
        yield url


def production_env(**settings: str) -> dict[str, str]:
    """This process's environment without test or deployment settings, plus `settings`."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("LMS_", "MAIL_", "CELERY_", "STORAGE_", "AWS_"))}
    env.pop("SIGNIN_RATE_LIMIT", None)
    env["PYTHONUNBUFFERED"] = "1"  # logs reach the files as they are written
    env.update(settings)
    return env


def flask_command(env: dict[str, str], *args: str, stdin: str | None = None) -> str:
    done = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", *args], cwd=REPO,
                          env=env, capture_output=True, text=True, timeout=120, input=stdin)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


@contextmanager
def running(command: list[str], env: dict[str, str], log_path: Path,
            ready: Callable[[], bool], what: str) -> Iterator[subprocess.Popen]:
    """Run `command` (logging to log_path) until the block ends; wait for `ready()` first."""
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, cwd=REPO, env=env, stdout=log,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while not ready():
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"{what} did not start:\n" + log_path.read_text())
            time.sleep(0.1)
        yield process
    finally:
        stop_process(process)


def stop_process(process: subprocess.Popen) -> None:
    """SIGTERM its process group (a graceful stop), SIGKILL if that takes over 20 s."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2):  # noqa: S310 - local http
            return True
    except OSError:
        return False


@contextmanager
def gunicorn(env: dict[str, str], workdir: Path, port: int) -> Iterator[str]:
    """gunicorn with two workers serving wsgi:app; the access log names each request's pid."""
    url = f"http://127.0.0.1:{port}"
    with running([sys.executable, "-m", "gunicorn", "--workers", "2", "--bind",
                  f"127.0.0.1:{port}", "--access-logfile", "-",
                  "--access-logformat", 'pid=%(p)s "%(r)s" %(s)s', "--no-control-socket",
                  "wsgi:app"],
                 env, workdir / "gunicorn.log", lambda: answers(url + "/healthz"), "gunicorn"):
        yield url


@pytest.fixture(scope="module")
def server(workdir, database_url) -> Iterator[str]:
    """Base URL of gunicorn serving wsgi:app with production settings."""
    redis_client()
    pytest.importorskip("gunicorn")
    env = production_env(DATABASE_URL=database_url, LMS_INSTANCE_PATH=str(workdir / "instance"),
                         SECRET_KEY=uuid.uuid4().hex, RATELIMIT_STORAGE_URI=REDIS_URL,
                         PROXY_COUNT="1",
                         # the per-client limit is tested here, not the per-account one
                         SIGNIN_LOCK_AFTER="100")
    flask_command(env, "db", "upgrade")
    flask_command(env, "users", "create", "maya@example.org", "--name", "Maya Okafor",
                  "--password", PASSWORD)
    with gunicorn(env, workdir, free_port()) as url:
        yield url


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


# ---------------------------------------------------------------- the whole recipe
#
# gunicorn (2 workers) + `celery worker` + `celery beat` + PostgreSQL + Redis (broker db 2,
# results db 3) + S3 (moto's server) + an SMTP server, all on loopback, configured only through
# the environment as docs/operations.md says.

BROKER_URL = "redis://127.0.0.1:6379/2"
RESULTS_URL = "redis://127.0.0.1:6379/3"


@dataclass
class Recipe:
    url: str
    env: dict[str, str]
    inbox: Inbox
    workdir: Path


@pytest.fixture(scope="module")
def recipe(tmp_path_factory) -> Iterator[Recipe]:
    if not PG_URL:
        pytest.skip("the production recipe runs on PostgreSQL: set LMS_TEST_DATABASE_URL")
    redis_client()
    from tests.test_storage import S3_ENV, start_moto

    workdir = tmp_path_factory.mktemp("recipe")
    inbox = Inbox()
    smtp_port = free_port()
    with ExitStack() as stack:
        database_url = stack.enter_context(fresh_database(workdir, "recipe"))
        smtp = Controller(inbox, hostname="127.0.0.1", port=smtp_port)
        smtp.start()
        stack.callback(smtp.stop)
        moto, endpoint = start_moto()
        stack.callback(moto.stop)
        bucket = f"lms-{uuid.uuid4().hex[:12]}"
        boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                     aws_access_key_id="testing",
                     aws_secret_access_key="testing").create_bucket(Bucket=bucket)  # noqa: S106
        port = free_port()
        queue = f"recipe-{uuid.uuid4().hex[:10]}"
        env = production_env(
            DATABASE_URL=database_url, LMS_INSTANCE_PATH=str(workdir / "instance"),
            SECRET_KEY=uuid.uuid4().hex, RATELIMIT_STORAGE_URI=REDIS_URL,
            BASE_URL=f"http://127.0.0.1:{port}",
            CELERY_BROKER_URL=BROKER_URL, CELERY_RESULT_BACKEND=RESULTS_URL,
            CELERY_QUEUE=queue, MAIL_SERVER="127.0.0.1", MAIL_PORT=str(smtp_port),
            STORAGE_URL=f"s3://{bucket}/uploads", STORAGE_ENDPOINT_URL=endpoint, **S3_ENV)
        stack.callback(purge_queue, queue)
        flask_command(env, "db", "upgrade")
        url = stack.enter_context(gunicorn(env, workdir, port))
        worker_log = workdir / "worker.log"
        stack.enter_context(running(
            [sys.executable, "-m", "celery", "-A", "wsgi.celery", "worker", "--concurrency",
             "2", "--loglevel", "INFO", "--hostname", f"{queue}@%h"],
            env, worker_log, lambda: " ready." in worker_log.read_text(), "celery worker"))
        beat_log = workdir / "beat.log"
        stack.enter_context(running(
            [sys.executable, "-m", "celery", "-A", "wsgi.celery", "beat", "--loglevel", "INFO"],
            env, beat_log, lambda: "beat: Starting" in beat_log.read_text(), "celery beat"))
        yield Recipe(url, env, inbox, workdir)


def purge_queue(queue: str) -> None:
    """Drop a test's Celery queue from the broker, with what a killed worker left unacked."""
    import redis

    store = redis.Redis.from_url(BROKER_URL)
    store.delete(queue)
    for tag, value in store.hgetall("unacked").items():
        if json.loads(value)[2] == queue:
            store.hdel("unacked", tag)
            store.zrem("unacked_index", tag)


def wait_for(condition: Callable[[], object], seconds: float, what: str, log: Path | None = None):
    deadline = time.monotonic() + seconds
    while not (value := condition()):
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {seconds:g} s waiting for {what}"
                        + ("\n" + log.read_text()[-4000:] if log else ""))
        time.sleep(0.2)
    return value


def form_token(page: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)


def test_recipe_health_reports_database_and_broker(recipe):
    with urllib.request.urlopen(recipe.url + "/healthz", timeout=5) as response:  # noqa: S310
        assert json.loads(response.read()) == {"status": "ok", "database": "ok",
                                               "broker": "ok"}


def test_recipe_confirmation_email_arrives_through_the_worker(recipe):
    visitor = Visitor(recipe.url, random_address())
    _, _, page = visitor.request("/account/register")
    status, _, _ = visitor.request("/account/register", {
        "name": "Nadia Visitor", "email": "nadia@example.org", "password": PASSWORD,
        "confirm": PASSWORD, "csrf_token": form_token(page)})
    assert status == 302

    wait_for(lambda: recipe.inbox.envelopes, 30, "the confirmation e-mail",
             recipe.workdir / "worker.log")
    (message,) = recipe.inbox.messages()
    assert message["To"] == "nadia@example.org"
    link = re.search(re.escape(recipe.url) + r"(/account/confirm/\S+)", message.get_content())
    assert link, message.get_content()
    status, headers, _ = visitor.request(link.group(1))
    assert status == 302 and headers["Location"].endswith("/account/signin")
    worker_log = (recipe.workdir / "worker.log").read_text()
    assert re.search(r"lms\.mail\.deliver\[[0-9a-f-]+\] succeeded in [\d.]+s: 'sent'",
                     worker_log)


def raw_get(base: str, path: str) -> tuple[socket.socket, bytes]:
    """Open a connection and send all of a GET but its final blank line (a worker takes it and
    waits for the rest)."""
    host, port = base.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=10)
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\n".encode())
    return sock, b"Connection: close\r\n\r\n"


def read_response(sock: socket.socket) -> tuple[int, dict[str, str]]:
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    sock.close()
    head = data.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in head[1:])
    return int(head[0].split()[1]), headers


def test_recipe_file_is_stored_in_s3_and_downloaded_through_each_worker(recipe):
    content = os.urandom(300_000)
    (recipe.workdir / "upload.bin").write_bytes(content)
    # Another process of the same deployment (a worker, a command) stores the file...
    printed = subprocess.run([sys.executable, "-c", (
        "import sys\n"
        "from lms import storage\n"
        "from wsgi import app\n"
        "with app.test_request_context(), open(sys.argv[1], 'rb') as f:\n"
        "    key = storage.put(f, 'application/pdf', max_bytes=10 * 2**20, filename='a.pdf')\n"
        "    print(storage.url_for_download(key, 'Évaluation.pdf'))\n"),
        str(recipe.workdir / "upload.bin")],
        cwd=REPO, env=recipe.env, capture_output=True, text=True, timeout=60)
    assert printed.returncode == 0, printed.stderr
    path = printed.stdout.strip().splitlines()[-1]

    # ...and each gunicorn worker serves it: one worker is kept busy reading an unfinished
    # request, so the other must take the second; then the first finishes its own.
    held, rest = raw_get(recipe.url, path)
    try:
        status, headers, _ = Visitor(recipe.url, random_address()).request(path)
        held.sendall(rest)
        held_status, held_headers = read_response(held)
    finally:
        held.close()
    for got_status, got in ((status, headers), (held_status, held_headers)):
        assert got_status == 302
        assert "X-Amz-Signature=" in got["Location"]
        with urllib.request.urlopen(got["Location"], timeout=10) as direct:  # noqa: S310
            assert direct.read() == content
            assert direct.headers["Content-Disposition"].startswith("attachment;")
            assert direct.headers["Content-Type"] == "application/pdf"

    def served() -> list[str]:
        return re.findall(r"pid=<?(\d+)>? \"GET /files/",
                          (recipe.workdir / "gunicorn.log").read_text())

    wait_for(lambda: len(served()) == 2, 10, "the access log", recipe.workdir / "gunicorn.log")
    assert len(set(served())) == 2, served()  # two different workers


def test_recipe_beat_sends_the_expired_attempts_sweep_to_the_worker(recipe):
    """Beat sends the every-minute entry once its first minute is up; the worker runs it."""
    wait_for(lambda: re.search(r"lms\.quizzes\.close_expired\[[0-9a-f-]+\] succeeded",
                               (recipe.workdir / "worker.log").read_text()),
             90, "beat to send quizzes: close expired attempts", recipe.workdir / "beat.log")
    assert "Sending due task quizzes: close expired attempts" in (
        recipe.workdir / "beat.log").read_text()
