"""A real Celery worker (`celery -A wsgi.celery worker`, a subprocess) against the Redis on
127.0.0.1:6379 (database 2, a queue of its own per test); skipped when Redis is not running.

- A registration's confirmation e-mail goes through the broker and the worker to a local SMTP
  server.
- A worker killed with SIGKILL in the middle of sending: the task is redelivered to the next
  worker (acks_late; the broker's visibility timeout is 3 s here) and the e-mail arrives once.

The worker and this test share a SQLite file. Waiting for other processes is polled with a
deadline (there is no clock to inject into a subprocess).
"""
from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import subprocess
import sys
import threading
import uuid
from pathlib import Path

import pytest
import redis
from aiosmtpd.controller import Controller
from sqlalchemy import select

from lms import clock, create_app
from lms.auth import services as accounts
from lms.extensions import db
from lms.mail import OutboxMessage
from tests.auth.test_mail_smtp import Inbox, free_port
from tests.auth.test_production import BROKER_URL as BROKER
from tests.auth.test_production import (
    REPO,
    production_env,
    purge_queue,
    redis_client,
    stop_process,
    wait_for,
)


class StallingInbox(Inbox):
    """Keeps messages; with `stall` set, holds the first one mid-DATA until `release`."""

    def __init__(self, stall: bool = False) -> None:
        super().__init__()
        self.stall = stall
        self.attempts = 0
        self.entered = threading.Event()
        self.release = threading.Event()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        self.attempts += 1
        if self.stall and self.attempts == 1:
            self.entered.set()
            await asyncio.get_running_loop().run_in_executor(None, self.release.wait, 30)
            return "451 4.3.0 The sender went away"  # never accepted: the client was killed
        return await super().handle_DATA(server, session, envelope)


class Stack:
    """The settings shared by this process and its workers, and the workers started."""

    def __init__(self, tmp_path: Path, inbox: StallingInbox, smtp_port: int):
        self.tmp = tmp_path
        self.inbox = inbox
        self.queue = f"lms-test-{uuid.uuid4().hex[:10]}"
        self.env = production_env(
            DATABASE_URL="sqlite:///" + str(tmp_path / "worker.sqlite3"),
            LMS_INSTANCE_PATH=str(tmp_path / "instance"), SECRET_KEY=uuid.uuid4().hex,
            CELERY_BROKER_URL=BROKER, CELERY_QUEUE=self.queue, CELERY_VISIBILITY_TIMEOUT="3",
            MAIL_SERVER="127.0.0.1", MAIL_PORT=str(smtp_port), MAIL_TIMEOUT="2")
        self.workers: list[subprocess.Popen] = []

    def start_worker(self, name: str) -> tuple[subprocess.Popen, Path]:
        log_path = self.tmp / f"{name}.log"
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "wsgi.celery", "worker", "--pool", "solo",
                 "--loglevel", "INFO", "--without-gossip", "--without-mingle",
                 "--without-heartbeat", "--hostname", f"{name}@%h"],
                cwd=REPO, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True)
        self.workers.append(process)
        wait_for(lambda: " ready." in log_path.read_text() or process.poll() is not None,
                   60, f"worker {name} to start")
        assert process.poll() is None, log_path.read_text()
        return process, log_path

    def stop(self) -> None:
        for process in self.workers:
            stop_process(process)

    def drained(self) -> bool:
        """Nothing of this test's queue is waiting or held unacknowledged in Redis."""
        store = redis.Redis.from_url(BROKER)
        if store.llen(self.queue):
            return False
        held = [json.loads(v) for v in store.hvals("unacked")]
        return not any(routing_key == self.queue for _, _, routing_key in held)


@pytest.fixture
def stack_factory(tmp_path, monkeypatch):
    redis_client()  # skips the test when Redis is not reachable
    made: list[tuple[Stack, Controller]] = []

    def make(stall: bool = False):
        inbox = StallingInbox(stall)
        port = free_port()
        controller = Controller(inbox, hostname="127.0.0.1", port=port)
        controller.start()
        stack = Stack(tmp_path, inbox, port)
        made.append((stack, controller))
        for key in [k for k in os.environ if k not in stack.env]:
            monkeypatch.delenv(key)
        for key, value in stack.env.items():
            monkeypatch.setenv(key, value)
        app = create_app()
        with app.app_context():
            db.create_all()
        return stack, app

    yield make
    for stack, controller in made:
        stack.stop()
        stack.inbox.release.set()
        controller.stop()
        purge_queue(stack.queue)


def register(app, email: str) -> None:
    with app.test_request_context():
        accounts.register(accounts.Registration("Kwame Mensah", email, "a-long-password"),
                          clock.now())


def outbox(app) -> list[OutboxMessage]:
    with app.app_context():
        return list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def test_a_queued_email_is_delivered_by_the_worker(stack_factory):
    stack, app = stack_factory()
    stack.start_worker("mailer")
    register(app, "kwame@example.org")

    wait_for(lambda: stack.inbox.envelopes, 30, "the e-mail at the SMTP server")
    (message,) = stack.inbox.messages()
    assert message["To"] == "kwame@example.org"
    assert "/account/confirm/" in message.get_content()
    wait_for(lambda: outbox(app)[0].delivered, 10, "the outbox to say delivered")


def test_a_task_whose_worker_is_killed_mid_run_is_redelivered_and_applied_once(stack_factory):
    stack, app = stack_factory(stall=True)
    first, first_log = stack.start_worker("doomed")
    register(app, "grace@example.org")
    assert stack.inbox.entered.wait(30), "the worker never reached the SMTP server"

    os.killpg(first.pid, signal.SIGKILL)  # mid-DATA: the message was not accepted
    first.wait()
    stack.inbox.release.set()
    (held,) = outbox(app)
    assert not held.delivered and held.sending_until is not None  # the dead worker's claim
    task_id = re.search(r"lms\.mail\.deliver\[([0-9a-f-]+)\] received",
                        first_log.read_text()).group(1)

    _, second_log = stack.start_worker("survivor")
    wait_for(lambda: outbox(app)[0].delivered, 60, "the redelivered task to send the e-mail")
    wait_for(stack.drained, 60, "the queue to drain")
    assert f"lms.mail.deliver[{task_id}] received" in second_log.read_text(), \
        "the killed worker's task was not redelivered"
    stack.stop()  # nothing left that could send it again

    assert stack.inbox.attempts >= 2
    (message,) = stack.inbox.messages()  # accepted once
    assert message["To"] == "grace@example.org"
