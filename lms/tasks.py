"""Background tasks on Celery, made in the app factory (Flask's documented pattern).

- With `CELERY_BROKER_URL` set (Redis in production) tasks go to the broker and run in
  `celery -A wsgi.celery worker`; `celery -A wsgi.celery beat` sends the periodic ones.
- Without it (`make run`, the tests) tasks run eagerly in the calling process, so a fresh clone
  needs nothing but Python.

Every task runs inside an app context (its own database session). Delivery is at least once
(`acks_late`: a task whose worker dies mid-run is delivered again), so every task must be
idempotent: it carries a key (an outbox message id, an attempt id, a date) and a conditional
UPDATE or a unique constraint decides which run applies it. Call tasks through `enqueue`,
after the transaction that made their input has committed.

The periodic schedule is declared once, here: a feature registers its periodic task with
`@periodic(entry, schedule)` above `@shared_task` in its own `tasks.py`, and the app factory
lists that module in FEATURE_TASK_MODULES (lms/__init__.py), since this module sits below every
feature and knows none of them. What is
registered today: expired quiz attempts (every minute) and the undelivered-mail sweep (every
five minutes, lms/mail.py). The continuing-education sweep (daily, `crontab(hour=2, minute=0)`)
and the digest e-mails (daily and weekly) register here the same way when their features land.
"""
from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from celery import Celery, Task
from flask import Flask, current_app, has_app_context
from sqlalchemy.exc import DBAPIError

#: Modules that define tasks; imported before the schedule is built. Features add theirs.
TASK_MODULES: list[str] = ["lms.tasks", "lms.mail"]  # the infrastructure's own

#: A task that lost its database connection runs again after this long, at most so many times.
DISCONNECT_RETRY_SECONDS = 2
DISCONNECT_RETRIES = 5

#: The beat schedule: entry name -> (task name, schedule in seconds or a celery schedule).
SCHEDULE: dict[str, tuple[str, Any]] = {}


def periodic(entry: str, schedule: Any) -> Callable[[Any], Any]:
    """Register the decorated task to run on `schedule` (seconds, or `celery.schedules`)."""

    def register(task):
        SCHEDULE[entry] = (task.name, schedule)
        return task

    return register


class FlaskTask(Task):
    """A task that runs inside an app context, so it has config, `db.session` and logging.

    Eager tasks (no broker) use the caller's app but a fresh app context, hence their own
    database session, as they would in a worker.
    """

    def __call__(self, *args, **kwargs):
        app = current_app._get_current_object() if has_app_context() else self.app.flask_app
        with app.app_context():
            try:
                return self.run(*args, **kwargs)
            except DBAPIError as err:
                # The database dropped the connection (a restart, a failover): SQLAlchemy has
                # renewed the pool, so run again shortly rather than wait for a sweep. Safe:
                # every task is idempotent (see above).
                if not err.connection_invalidated or self.request.is_eager:
                    raise
                raise self.retry(exc=err, countdown=DISCONNECT_RETRY_SECONDS,
                                 max_retries=DISCONNECT_RETRIES) from err


def restore_interval(visibility_timeout: int) -> int:
    """Seconds between scans for messages a dead worker left unacknowledged."""
    return max(1, min(10, visibility_timeout // 10))


def init_app(app: Flask, feature_modules: list[str] | tuple[str, ...] = ()) -> Celery:
    """Make the app's Celery; `feature_modules` are the features' task modules to load."""
    for module in [*TASK_MODULES, *feature_modules]:
        importlib.import_module(module)
    broker = app.config.get("CELERY_BROKER_URL") or None
    backend = app.config.get("CELERY_RESULT_BACKEND") or None
    visibility = int(app.config.get("CELERY_VISIBILITY_TIMEOUT") or 3600)
    celery_app = Celery(app.import_name, task_cls=FlaskTask)
    celery_app.flask_app = app
    celery_app.conf.update(
        broker_url=broker or "memory://",
        result_backend=backend,
        task_ignore_result=backend is None,
        task_always_eager=broker is None,
        # Tests see a task's exception; `make run` logs it like any other error.
        task_eager_propagates=bool(app.testing),
        # At-least-once: acknowledge after the task ran; a killed worker's task is redelivered.
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_default_queue=app.config.get("CELERY_QUEUE") or "lms",
        # Redis redelivers a task nobody acknowledged within this many seconds; it must exceed
        # the longest task and the longest retry countdown (mail backs off at most 30 minutes).
        broker_transport_options={
            "visibility_timeout": visibility,
            "unacked_restore_interval": restore_interval(visibility),
            "unacked_restore_throttle": 1,
        },
        broker_connection_timeout=3,
        broker_connection_retry_on_startup=True,
        # A web request that enqueues while the broker is down must not hang.
        task_publish_retry_policy={"max_retries": 2, "interval_start": 0,
                                   "interval_step": 0.5, "interval_max": 1},
        timezone="UTC",
        enable_utc=True,
        beat_schedule={entry: {"task": name, "schedule": schedule}
                       for entry, (name, schedule) in SCHEDULE.items()},
        beat_schedule_filename=str(Path(app.instance_path) / "celerybeat-schedule"),
        worker_hijack_root_logger=False,
    )
    celery_app.set_default()
    app.extensions["celery"] = celery_app
    return celery_app


def celery_for(app: Flask | None = None) -> Celery:
    return (app or current_app).extensions["celery"]


def is_eager(app: Flask | None = None) -> bool:
    return bool(celery_for(app).conf.task_always_eager)


def enqueue(task: Any, *args, **kwargs):
    """Run `task` in the background (now, in this process, when no broker is configured).

    Call it after the commit that made the task's input. With a broker, a failure to publish
    (broker down) is logged and does not fail the caller, whose change is already committed:
    a feature whose work must not be lost keeps it in the database and has a periodic sweep
    (as mail does with the outbox).
    """
    celery_app = celery_for()
    name = task if isinstance(task, str) else task.name
    bound = celery_app.tasks[name]
    if celery_app.conf.task_always_eager:
        return bound.apply(args, kwargs)
    try:
        return bound.apply_async(args, kwargs)
    except Exception:  # noqa: BLE001 - kombu raises several kinds; all mean "not published"
        current_app.logger.exception("could not queue task %s%r", name, args)
        return None


def broker_status() -> str | None:
    """'ok' or 'unreachable' for the configured broker; None when tasks run in-process."""
    celery_app = celery_for()
    if celery_app.conf.task_always_eager:
        return None
    try:
        with celery_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0,
                                   timeout=2)
    except Exception:  # noqa: BLE001 - any failure to reach the broker
        return "unreachable"
    return "ok"
