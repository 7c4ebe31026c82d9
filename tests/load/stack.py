"""The real stack on loopback for the load and fault test, started from Python.

- PostgreSQL: a private cluster (`initdb` into the test's folder, its own port) so that it can
  really be restarted (`pg_ctl restart -m fast`) without touching anyone else's databases on
  the machine's shared server. Run as the `postgres` account when the test runs as root.
- Redis: a private `redis-server` (its own port, append-only file on, as production keeps its
  queue across restarts), used as db 5 (broker, rate limits, cache).
- S3: moto's server; SMTP: aiosmtpd (tests/test_tasks_worker.py's StallingInbox, armed on
  demand so the Celery fault catches the worker mid-task).
- gunicorn with 4 workers serving wsgi:app, a Celery worker (prefork, 2 processes) and beat,
  configured only through the environment as docs/operations.md says.

Process helpers (`running`, `stop_process`, `production_env`, `flask_command`, `answers`,
`wait_for`) are tests/auth/test_production.py's; moto's start is tests/test_storage.py's.
"""
from __future__ import annotations

import glob
import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import ExitStack
from pathlib import Path

import boto3
import pytest
import redis
from aiosmtpd.controller import Controller

from tests.auth.test_mail_smtp import free_port
from tests.auth.test_production import (
    REPO,
    answers,
    flask_command,
    production_env,
    stop_process,
)
from tests.auth.test_production import wait_for as wait
from tests.test_storage import S3_ENV, start_moto
from tests.test_tasks_worker import StallingInbox
from tests.test_tasks_worker import pool_processes as children

REDIS_DB = 5
DATABASE = "test_load_run"


def _as_postgres(command: list[str]) -> list[str]:
    """initdb and postgres refuse to run as root: run them as the `postgres` account then."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *command]
    return command


def _pg_bindir() -> Path | None:
    """The newest packaged PostgreSQL's programs (Debian's layout), else initdb on PATH."""
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                      key=lambda p: int(Path(p).parts[-3]))
    if versions:
        return Path(versions[-1]).parent
    found = shutil.which("initdb")
    return Path(found).parent if found else None


class Postgres:
    """A private PostgreSQL cluster in a folder of its own (one the `postgres` account can
    enter when the test runs as root) on a free loopback port."""

    def __init__(self):
        bindir = _pg_bindir()
        if bindir is None:
            pytest.skip("the load test needs PostgreSQL's initdb and pg_ctl")
        self.bin = bindir
        self.folder = Path(tempfile.mkdtemp(prefix="lms-load-pg-"))
        self.data = self.folder / "data"
        self.port = free_port()
        if os.geteuid() == 0:
            self.folder.chmod(0o755)
            shutil.chown(self.folder, "postgres", "postgres")
        done = subprocess.run(_as_postgres([str(bindir / "initdb"), "-D", str(self.data),
                                            "-A", "trust", "-U", "postgres", "--no-sync"]),
                              capture_output=True, text=True)
        assert done.returncode == 0, done.stdout + done.stderr
        self.start()
        url = self.url("postgres").replace("+psycopg", "")
        subprocess.run(["psql", url, "-qc", f"CREATE DATABASE {DATABASE}"], check=True,
                       capture_output=True)

    def url(self, database: str = DATABASE) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def _ctl(self, *args: str) -> None:
        options = (f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 "
                   "-c max_connections=200 -c fsync=off")
        subprocess.run(_as_postgres([str(self.bin / "pg_ctl"), "-D", str(self.data), "-w",
                                     "-l", str(self.folder / "server.log"), "-o", options,
                                     *args]), check=True, capture_output=True)

    def start(self) -> None:
        self._ctl("start")

    def restart(self) -> None:
        """A real restart: every connection is closed, the server is down, then up again."""
        self._ctl("-m", "fast", "restart")

    def stop(self) -> None:
        self._ctl("-m", "fast", "stop")
        shutil.rmtree(self.folder, ignore_errors=True)


class Redis:
    """A private redis-server; its append-only file keeps the Celery queue across restarts."""

    def __init__(self, folder: Path):
        if shutil.which("redis-server") is None:
            pytest.skip("the load test needs redis-server")
        folder.mkdir(parents=True)
        self.folder = folder
        self.port = free_port()
        self.process: subprocess.Popen | None = None
        self.start()

    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/{REDIS_DB}"

    def client(self) -> redis.Redis:
        return redis.Redis.from_url(self.url(), socket_timeout=5)

    def start(self) -> None:
        log = (self.folder / "redis.log").open("ab")
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--dir",
             str(self.folder), "--appendonly", "yes", "--appendfsync", "always", "--save", "",
             "--daemonize", "no"], stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True)
        log.close()
        deadline = time.monotonic() + 30
        while True:
            try:
                if self.client().ping():
                    return
            except redis.RedisError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def restart(self) -> None:
        """SHUTDOWN (the append-only file is written), then a new server on the same port."""
        assert self.process is not None
        try:
            self.client().shutdown(nosave=False)
        except redis.RedisError:
            pass  # the server closes the connection as it goes
        self.process.wait(30)
        self.start()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(30)


class Stack:
    """Everything running; `env` is what every process of the app is configured with."""

    def __init__(self, workdir: Path, stack: ExitStack):
        self.workdir = workdir
        self.exits = stack
        self.pg = Postgres()
        stack.callback(self.pg.stop)
        self.redis = Redis(workdir / "redis")
        stack.callback(self.redis.stop)
        self.inbox = StallingInbox(stall=False)
        self.smtp_port = free_port()
        smtp = Controller(self.inbox, hostname="127.0.0.1", port=self.smtp_port)
        smtp.start()
        stack.callback(smtp.stop)
        stack.callback(self.inbox.release.set)
        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # moto's request log
        moto, endpoint = start_moto()
        stack.callback(moto.stop)
        self.bucket = f"lms-load-{uuid.uuid4().hex[:8]}"
        boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                     aws_access_key_id="testing",
                     aws_secret_access_key="testing").create_bucket(Bucket=self.bucket)  # noqa: S106
        self.s3_endpoint = endpoint
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        unlimited = "1000000 per minute"  # one address sends everything: limits tested elsewhere
        self.env = production_env(
            DATABASE_URL=self.pg.url(), LMS_INSTANCE_PATH=str(workdir / "instance"),
            SECRET_KEY=uuid.uuid4().hex, BASE_URL=self.base,
            REDIS_URL=self.redis.url(), RATELIMIT_STORAGE_URI=self.redis.url(),
            SIGNIN_RATE_LIMIT=unlimited, ACCOUNT_RATE_LIMIT=unlimited,
            VERIFY_RATE_LIMIT=unlimited, VERIFY_BATCH_RATE_LIMIT=unlimited,
            CELERY_BROKER_URL=self.redis.url(), CELERY_QUEUE="lms-load",
            # a dead worker's task is handed out again after 5 s (production: an hour)
            CELERY_VISIBILITY_TIMEOUT="5",
            MAIL_SERVER="127.0.0.1", MAIL_PORT=str(self.smtp_port), MAIL_TIMEOUT="5",
            STORAGE_URL=f"s3://{self.bucket}/uploads", STORAGE_ENDPOINT_URL=endpoint,
            COMMUNITY_NEW_ACCOUNT_DAYS="0", **S3_ENV)
        self.gunicorn: subprocess.Popen | None = None
        self.worker: subprocess.Popen | None = None
        self.worker_logs: list[Path] = []
        self.beat: subprocess.Popen | None = None

    # ------------------------------------------------------------------ the app's processes

    def migrate_and_import(self) -> None:
        flask_command(self.env, "db", "upgrade")
        flask_command(self.env, "courses", "import", "courses")

    def _spawn(self, command: list[str], log_name: str) -> tuple[subprocess.Popen, Path]:
        log_path = self.workdir / log_name
        with log_path.open("ab") as log:
            process = subprocess.Popen(command, cwd=REPO, env=self.env, stdout=log,
                                       stderr=subprocess.STDOUT, start_new_session=True)
        self.exits.callback(stop_process, process)
        return process, log_path

    def start_web(self) -> None:
        self.gunicorn, log = self._spawn(
            [sys.executable, "-m", "gunicorn", "--workers", "4", "--bind",
             f"127.0.0.1:{self.port}", "--timeout", "30", "--graceful-timeout", "5",
             "--no-control-socket", "wsgi:app"], "gunicorn.log")
        wait(lambda: answers(self.base + "/healthz") and len(self.web_workers()) == 4, 60,
             "gunicorn", log)

    def web_workers(self) -> list[int]:
        assert self.gunicorn is not None
        return children(self.gunicorn.pid)

    def busy_web_workers(self) -> list[int]:
        """Workers holding an accepted client connection: serving a request right now (a sync
        worker closes the connection when its answer is sent)."""
        port = f"{self.port:04X}"
        sockets = set()
        for table in ("/proc/net/tcp", "/proc/net/tcp6"):
            with open(table) as lines:
                for line in list(lines)[1:]:
                    fields = line.split()
                    if fields[1].endswith(":" + port) and fields[3] == "01":  # ESTABLISHED
                        sockets.add(f"socket:[{fields[9]}]")
        busy = []
        for pid in self.web_workers():
            try:
                fds = os.listdir(f"/proc/{pid}/fd")
                links = {os.readlink(f"/proc/{pid}/fd/{fd}") for fd in fds}
            except OSError:
                continue
            if links & sockets:
                busy.append(pid)
        return busy

    def start_worker(self) -> Path:
        name = f"worker{len(self.worker_logs) + 1}"
        self.worker, log = self._spawn(
            [sys.executable, "-m", "celery", "-A", "wsgi.celery", "worker", "--pool",
             "prefork", "--concurrency", "2", "--loglevel", "INFO", "--without-gossip",
             "--without-mingle", "--hostname", f"{name}@%h"], f"{name}.log")
        self.worker_logs.append(log)
        wait(lambda: " ready." in log.read_text(), 60, f"celery {name}", log)
        return log

    def kill_worker(self) -> None:
        """kill -9 of the worker and its pool processes (the whole process group)."""
        assert self.worker is not None
        os.killpg(self.worker.pid, signal.SIGKILL)
        self.worker.wait()

    def start_beat(self) -> None:
        self.beat, log = self._spawn(
            [sys.executable, "-m", "celery", "-A", "wsgi.celery", "beat", "--loglevel", "INFO",
             "--schedule", str(self.workdir / "celerybeat-schedule")], "beat.log")
        wait(lambda: "beat: Starting" in log.read_text(), 60, "celery beat", log)

