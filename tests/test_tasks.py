"""Background tasks in-process (no broker, as in `make run` and the tests): the e-mail task is
idempotent (a run repeated, or racing another run, sends once), a failure leaves the message
queued for the retry sweep, the schedule is declared once, and /healthz reports the broker.

The same tasks on a real Celery worker and Redis: tests/test_tasks_worker.py.
"""
from __future__ import annotations

import socket
from datetime import timedelta

import pytest
from celery.exceptions import Retry
from celery.schedules import crontab
from celery.schedules import schedule as celery_schedule
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from lms import mail, tasks
from lms.extensions import db
from lms.mail import OutboxMessage
from lms.quizzes import services as quizzes
from lms.quizzes import tasks as quiz_tasks
from lms.quizzes.models import Attempt
from tests.auth import test_mail_smtp
from tests.auth.test_mail_smtp import free_port
from tests.builders import choice_questions, install, quiz_md

smtp_server = test_mail_smtp.smtp_server  # the fixture: (inbox, port) of a local SMTP server


def outbox() -> list[OutboxMessage]:
    db.session.expire_all()
    return list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def queued_message(app, now, recipient="kwame@example.org") -> OutboxMessage:
    """A message in the outbox that was only logged (no mail server when it was queued)."""
    assert not app.config["MAIL_SERVER"]
    with app.test_request_context():
        mail.queue(recipient, "Your reminder", "Hello,\n\nsee /account/reset/abc.def here\n",
                   now)
        db.session.commit()
    (msg,) = outbox()
    assert msg.delivered is False
    return msg


def run_deliver(message_id: int):
    return tasks.enqueue(mail.deliver_task, message_id).get()


def test_without_a_broker_tasks_run_in_process(app):
    assert app.config["CELERY_BROKER_URL"] is None
    assert tasks.is_eager()
    conf = tasks.celery_for().conf
    assert conf.task_acks_late and conf.task_reject_on_worker_lost


def test_schedule_is_declared_once_and_names_real_tasks(app):
    schedule = tasks.celery_for().conf.beat_schedule
    assert schedule["quizzes: close expired attempts"] == {
        "task": "lms.quizzes.close_expired", "schedule": 60.0}
    assert schedule["mail: retry undelivered"]["task"] == "lms.mail.retry_undelivered"
    assert schedule["auth: purge expired sessions"]["task"] == "lms.auth.purge_expired_sessions"
    registered = tasks.celery_for().tasks
    for entry in schedule.values():
        assert entry["task"] in registered
        every = entry["schedule"]
        assert isinstance(every, crontab) or celery_schedule(every).run_every.total_seconds() > 0
    assert schedule["ce: daily sweep"]["task"] == "lms.credits.sweep"
    assert schedule["ce: daily sweep"]["schedule"] == crontab(hour=2, minute=0)


def test_a_feature_registers_its_periodic_task_in_one_place():
    @tasks.periodic("test: nightly", 86400.0)
    class FakeTask:  # what @shared_task returns: an object with a name
        name = "lms.test.nightly"

    try:
        assert tasks.SCHEDULE["test: nightly"] == ("lms.test.nightly", 86400.0)
    finally:
        del tasks.SCHEDULE["test: nightly"]


def test_the_registration_mail_is_sent_by_the_task_after_commit(app, client, smtp_server):
    inbox, port = smtp_server
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
    client.post("/account/register", data={"name": "Nadia", "email": "nadia@example.org",
                                           "password": "correct-horse-battery",
                                           "confirm": "correct-horse-battery"})
    (message,) = inbox.messages()
    (kept,) = outbox()
    assert kept.delivered and kept.sending_until is None
    assert message["Message-ID"].startswith(f"<outbox-{kept.id}.")


def test_a_rolled_back_transaction_sends_nothing(app, now, smtp_server, caplog):
    inbox, port = smtp_server
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
    with app.test_request_context():
        mail.queue("nadia@example.org", "Never", "This change was undone.", now)
        db.session.rollback()
        db.session.commit()  # a later commit in the same session does not send it either
    assert inbox.envelopes == [] and outbox() == []


def test_running_the_task_twice_sends_once(app, now, smtp_server):
    inbox, port = smtp_server
    msg = queued_message(app, now)
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port)

    assert run_deliver(msg.id) == "sent"
    assert run_deliver(msg.id) == "already delivered"
    assert len(inbox.envelopes) == 1
    (kept,) = outbox()
    assert kept.delivered
    assert "/account/reset/[link sent by e-mail, not kept]" in kept.body
    assert "abc.def" in inbox.messages()[0].get_content()


def test_a_run_does_not_send_a_message_another_run_is_sending(app, now, smtp_server):
    inbox, port = smtp_server
    msg = queued_message(app, now)
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
    # another worker claimed it a moment ago and is talking to the mail server
    msg.sending_until = now + timedelta(seconds=mail.claim_seconds())
    db.session.commit()

    assert mail.send(msg.id, now) == "busy"
    assert inbox.envelopes == []
    # that worker died: its claim lapses and the next run sends it, once
    later = now + timedelta(seconds=mail.claim_seconds() + 1)
    assert mail.send(msg.id, later) == "sent"
    assert mail.send(msg.id, later) == "already delivered"
    assert len(inbox.envelopes) == 1


def test_a_missing_message_is_a_no_op(app, now):
    assert mail.send(12345, now) == "missing"


def test_a_failed_delivery_stays_queued_and_the_sweep_sends_it(app, now, smtp_server, caplog):
    inbox, port = smtp_server
    msg = queued_message(app, now)
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port())  # server down
    assert run_deliver(msg.id) == "left queued"
    (kept,) = outbox()
    assert not kept.delivered and kept.sending_until is None  # claim released
    assert "could not deliver e-mail" in caplog.text

    app.config.update(MAIL_PORT=port)  # the server is back
    app.config["FROZEN_NOW"] = now + timedelta(minutes=1)
    assert tasks.enqueue(mail.retry_undelivered).get() == 0  # its own task may still retry
    app.config["FROZEN_NOW"] = now + mail.SWEEP_AFTER + timedelta(seconds=1)
    assert tasks.enqueue(mail.retry_undelivered).get() == 1
    assert len(inbox.envelopes) == 1 and outbox()[0].delivered
    assert tasks.enqueue(mail.retry_undelivered).get() == 0


def test_the_sweep_skips_claimed_delivered_and_expired_messages(app, now):
    def add(minutes_ago: int, **state) -> int:
        msg = OutboxMessage(recipient="x@example.org", subject="s", body="b",
                            created_at=now - timedelta(minutes=minutes_ago), **state)
        db.session.add(msg)
        db.session.flush()
        return msg.id

    due = add(10)
    add(10, delivered=True)
    add(10, sending_until=now + timedelta(seconds=20))
    lapsed = add(11, sending_until=now - timedelta(seconds=1))
    add(1)  # just queued: its own task has it
    add(int(mail.RETRY_FOR.total_seconds() // 60) + 1)  # given up on, kept for the admin
    db.session.commit()
    assert mail.undelivered(now) == [lapsed, due]


def test_the_sweep_does_nothing_without_a_mail_server(app, now):
    queued_message(app, now)
    app.config["FROZEN_NOW"] = now + timedelta(hours=1)
    assert tasks.enqueue(mail.retry_undelivered).get() == 0


@given(st.integers(min_value=0, max_value=50))
def test_back_off_doubles_and_stays_under_the_visibility_timeout(retries):
    delay = mail.retry_delay(retries)
    assert mail.RETRY_BASE_SECONDS <= delay <= mail.RETRY_MAX_SECONDS < 3600
    if retries:
        assert delay == min(2 * mail.retry_delay(retries - 1), mail.RETRY_MAX_SECONDS)


def test_with_a_broker_a_failed_send_is_retried_with_back_off(backend, tmp_path, now):
    """On a worker (not in-process) the task asks Celery to run it again later."""
    from tests.conftest import make_test_app

    broker_app = make_test_app(str(tmp_path), backend["url"], CELERY_BROKER_URL="memory://",
                               MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port())
    with broker_app.app_context():
        assert not tasks.is_eager()
        msg = OutboxMessage(recipient="x@example.org", subject="s", body="b", created_at=now)
        db.session.add(msg)
        db.session.commit()
        task = tasks.celery_for().tasks["lms.mail.deliver"]
        try:
            task.push_request(retries=2, is_eager=False, called_directly=False,
                              args=[msg.id], kwargs={})
            with pytest.raises(Retry) as retry:
                task.run(msg.id)
            assert retry.value.when == mail.retry_delay(2) == 120
            task.pop_request()
            task.push_request(retries=mail.MAX_RETRIES, is_eager=False, called_directly=False)
            assert task.run(msg.id) == "left queued"  # the sweep takes it from here
        finally:
            task.pop_request()
            db.session.delete(db.session.get(OutboxMessage, msg.id))
            db.session.commit()
            db.session.remove()


def test_close_expired_task_calls_the_quiz_service(app, tmp_path, now, make_user):
    from lms.courses import services as courses

    quiz = install(tmp_path, now, quiz_md(choice_questions(2), time_limit=5))
    learner = make_user()
    attempt = quizzes.start_attempt(quiz, learner, courses.enrol(learner, quiz.item.course, now),
                                    now)
    app.config["FROZEN_NOW"] = now + timedelta(minutes=6)
    assert tasks.enqueue(quiz_tasks.close_expired_attempts).get() == 1
    assert tasks.enqueue(quiz_tasks.close_expired_attempts).get() == 0  # run twice: applied once
    db.session.expire_all()
    assert db.session.get(Attempt, attempt.id).auto_submitted


# ---------------------------------------------------------------- health check


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"redis://127.0.0.1:{port}/2"


def test_health_without_a_broker_does_not_mention_one(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}


def test_health_with_the_broker_down_is_degraded_not_failing(backend, tmp_path):
    from tests.conftest import make_test_app

    app = make_test_app(str(tmp_path), backend["url"], CELERY_BROKER_URL=closed_port_url())
    response = app.test_client().get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "degraded", "database": "ok",
                                   "broker": "unreachable"}


def test_health_with_the_database_down_fails(tmp_path):
    from tests.conftest import make_test_app

    app = make_test_app(str(tmp_path), "sqlite:///" + str(tmp_path / "no" / "such" / "x.db"),
                        CELERY_BROKER_URL=closed_port_url())
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "error", "database": "unreachable",
                                   "broker": "unreachable"}


def test_health_with_redis_reports_the_broker_ok(backend, tmp_path):
    from tests.auth.test_production import redis_client
    from tests.conftest import make_test_app

    redis_client()  # skips when Redis is not running
    app = make_test_app(str(tmp_path), backend["url"],
                        CELERY_BROKER_URL="redis://127.0.0.1:6379/2")
    response = app.test_client().get("/healthz")
    assert response.get_json() == {"status": "ok", "database": "ok", "broker": "ok"}


def test_the_admin_outbox_says_which_messages_wait_for_a_retry(app, client, make_user, sign_in,
                                                             now):
    queued_message(app, now)
    sign_in(client, make_user("admin"))
    assert "· logged" in client.get("/admin/outbox").get_data(as_text=True)
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port())
    page = client.get("/admin/outbox").get_data(as_text=True)
    assert "waiting to be sent (retried automatically)" in page


def _flaky_task(app, invalidated: bool):
    """A task whose body fails as a database restart makes it fail (or another DB error)."""
    from celery import shared_task
    from sqlalchemy.exc import OperationalError

    calls = []

    @shared_task(name=f"tests.flaky_{invalidated}_{id(calls)}", bind=True)  # one per app
    def flaky(self):
        calls.append(1)
        raise OperationalError("SELECT 1", {}, Exception("server closed the connection"),
                               connection_invalidated=invalidated)

    return tasks.celery_for(app).tasks[flaky.name], calls


@pytest.mark.parametrize("invalidated", [True, False])
def test_a_task_that_lost_its_database_connection_runs_again(app, invalidated):
    """On a worker (not eager), a dropped connection means a retry shortly (the pool is
    renewed); any other database error is the task's own failure."""
    from sqlalchemy.exc import OperationalError

    task, calls = _flaky_task(app, invalidated)
    retries = []

    def retry(**kwargs):  # Celery's own would publish to the broker
        retries.append(kwargs)
        return Retry(when=kwargs["countdown"])

    task.retry = retry
    task.push_request(is_eager=False, retries=0, called_directly=False, id="t-1")
    try:
        with pytest.raises(Retry if invalidated else OperationalError):
            task()
    finally:
        task.pop_request()
        del task.retry
    assert calls == [1]
    if invalidated:
        (asked,) = retries
        assert asked["countdown"] == tasks.DISCONNECT_RETRY_SECONDS
        assert asked["max_retries"] == tasks.DISCONNECT_RETRIES
    else:
        assert not retries
