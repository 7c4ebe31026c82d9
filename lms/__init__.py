"""The Just Communities AP learning platform: the application factory."""
from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from flask import Flask

from lms.config import Config

#: The features' background-task modules (each registers its tasks and periodic schedule).
FEATURE_TASK_MODULES: tuple[str, ...] = (
    "lms.auth.tasks", "lms.quizzes.tasks", "lms.assignments.services", "lms.credits.tasks",
    "lms.credentials.tasks", "lms.community.digest")


def create_app(config: Any = None) -> Flask:
    """Build the app. `config` is a Config-like object or a dict of overrides."""
    from lms.web import LmsFlask

    app = LmsFlask(__name__, instance_path=os.environ.get("LMS_INSTANCE_PATH")
                   or str(Path.cwd() / "instance"))
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    if config is None or isinstance(config, dict):
        app.config.from_object(Config(app.instance_path))
        if config:
            app.config.update(config)
    else:
        app.config.from_object(config)

    if app.logger.level == logging.NOTSET:
        # Info messages (e-mails logged when no mail server is set) reach the console too.
        app.logger.setLevel(logging.INFO)
    from lms.web import DbIntConverter

    app.url_map.converters["int"] = DbIntConverter  # before any route is added (see web.py)
    _init_extensions(app)
    register_item_kinds()
    from lms.credits import services as credits

    credits.connect_signals()
    _connect_focus_areas(app)
    from lms.credentials import services as credentials

    credentials.connect_signals()
    from lms import storage, tasks

    tasks.init_app(app, FEATURE_TASK_MODULES)
    storage.init_app(app)
    _register_blueprints(app)
    _register_cli(app)

    from lms import web

    web.init_app(app)
    return app


def _connect_focus_areas(app: Flask) -> None:
    """The profile (auth, at the bottom) offers the programme's Pillars and Commitments."""
    from lms.auth import services as auth
    from lms.programme import programme_for

    def source() -> list[tuple[str, str]]:
        areas = programme_for(app.config["COURSES_DIR"]).focus_areas
        return [(key, area.name) for key, area in areas.items()]

    auth.set_focus_area_source(source)


def _init_extensions(app: Flask) -> None:
    from lms import cache
    from lms.extensions import csrf, db, limiter, login_manager, migrate

    db.init_app(app)
    cache.init_app(app)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        _enable_sqlite_foreign_keys(app)
    migrate.init_app(app, db, directory=str(Path(__file__).resolve().parent.parent / "migrations"),
                     render_as_batch=True, compare_type=True)
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.signin"
    login_manager.login_message = "Please sign in to see that page."
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"

    import lms.models  # noqa: F401  (registers every model with the metadata)

    @login_manager.user_loader
    def load_user(identity: str):
        # Checked on every request (session cookie and remember-me cookie alike): the session
        # must still exist on the server, be within its lifetime and belong to an active user.
        from lms import clock
        from lms.auth.services import user_for_session

        return user_for_session(identity, clock.now())


def _enable_sqlite_foreign_keys(app: Flask) -> None:
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    @event.listens_for(Engine, "connect")
    def _fk_pragma(dbapi_connection, _record):  # pragma: no cover - trivial
        if type(dbapi_connection).__module__.startswith("sqlite3"):
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()


def register_item_kinds() -> None:
    """Register every item kind beyond the lesson with courses' registry (idempotent)."""
    from lms.assignments import kind as assignment_kind
    from lms.quizzes import kind as quiz_kind

    quiz_kind.register()
    assignment_kind.register()


def _register_blueprints(app: Flask) -> None:
    from lms.admin.views import bp as admin_bp
    from lms.assignments.views import bp as assignments_bp
    from lms.auth.views import bp as auth_bp
    from lms.cohorts.views import bp as cohorts_bp
    from lms.community import views as community_views
    from lms.community.directory_views import bp as directory_bp
    from lms.community.notification_views import bp as notifications_bp
    from lms.courses.views import bp as courses_bp
    from lms.credentials.views import bp as credentials_bp
    from lms.credits.views import bp as credits_bp
    from lms.main.views import bp as main_bp
    from lms.quizzes.views import bp as quizzes_bp
    from lms.verify.api import bp as verify_api_bp
    from lms.verify.views import bp as verify_bp

    app.register_blueprint(main_bp)
    app.register_blueprint(auth_bp, url_prefix="/account")
    app.register_blueprint(admin_bp, url_prefix="/admin")
    app.register_blueprint(courses_bp)
    app.register_blueprint(quizzes_bp)
    app.register_blueprint(cohorts_bp)
    app.register_blueprint(assignments_bp)
    app.register_blueprint(credits_bp)
    app.register_blueprint(verify_bp)
    app.register_blueprint(verify_api_bp, url_prefix="/api")
    app.register_blueprint(credentials_bp)
    app.register_blueprint(notifications_bp)
    app.register_blueprint(directory_bp)
    community_views.init_app(app)


def _register_cli(app: Flask) -> None:
    from lms.auth.cli import users_cli
    from lms.community.notification_cli import community_cli
    from lms.courses.cli import courses_cli
    from lms.credentials.cli import credentials_cli
    from lms.credits.cli import ce_cli
    from lms.demo import demo_command
    from lms.quizzes.cli import quizzes_cli

    app.cli.add_command(users_cli)
    app.cli.add_command(courses_cli)
    app.cli.add_command(quizzes_cli)
    app.cli.add_command(demo_command)
    app.cli.add_command(ce_cli)
    app.cli.add_command(credentials_cli)
    app.cli.add_command(community_cli)
