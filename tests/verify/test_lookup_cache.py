"""Verification lookups kept in each process while nothing they read changes (lms.cache.Watched,
with Redis as the cache): read once per process and token, and a change made through another
worker, the CLI or raw SQL shows on the very next lookup, without waiting.

Two apps made by create_app() against the test database stand for two gunicorn workers; they
share Redis (database 7 at 127.0.0.1:6379; skipped when it is not running), under a key prefix
of the test's own, removed afterwards.
"""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import text

from lms import cache as lms_cache
from lms.auth import services as auth
from lms.auth.models import User
from lms.credentials import services as credentials
from lms.credentials.public import LOOKUP_CACHE_SECONDS
from lms.extensions import db
from tests.conftest import DEFAULT_PASSWORD, FreshContextClient, make_test_app
from tests.verify.conftest import TODAY, at


@pytest.fixture
def workers(programme_dir, today_is, shared_cache_workers):
    """(reader, writer, redis client): two workers sharing Redis (tests/conftest.py)."""
    return shared_cache_workers()


def api(client, credential_id: str) -> dict:
    response = client.get(f"/api/v1/verify/{credential_id}")
    assert response.status_code == 200
    return response.get_json()


def test_a_lookup_is_read_once_per_process_until_its_tables_change(workers, holder,
                                                                    count_queries):
    reader, writer, _ = workers
    user, credential = holder(earned_on=date(2026, 1, 10), legal_name="Ada Okafor")
    client = reader.test_client()
    with count_queries(of=reader) as first:
        assert api(client, credential.credential_id)["status"] == "active"
    assert first.count, "the first lookup reads the database"
    with count_queries(of=reader) as again:
        for _ in range(3):
            body = api(client, credential.credential_id)
        page = client.get(f"/verify/{credential.credential_id}").get_data(as_text=True)
    assert again.count == 0  # the API and the page alike, from the process's copy
    assert body["holder_name"] == "Ada Okafor" and "Ada Okafor" in page
    # A read, and a write the lookup does not read (the holder signs in: their sign-in time
    # and a session), keep the copy.
    with writer.app_context():
        db.session.execute(text("SELECT 1"))
        db.session.commit()
        auth.sign_in(user.email, DEFAULT_PASSWORD, at(TODAY))
    with count_queries(of=reader) as unrelated:
        api(client, credential.credential_id)
    assert unrelated.count == 0


def test_a_revocation_through_another_worker_shows_on_the_next_lookup(workers, holder):
    reader, writer, _ = workers
    _, credential = holder(earned_on=date(2026, 1, 10))
    client = reader.test_client()
    other = writer.test_client()
    assert api(client, credential.credential_id)["status"] == "active"
    assert api(other, credential.credential_id)["status"] == "active"
    before = client.get(f"/verify/{credential.credential_id}").get_data(as_text=True)
    assert "Active" in before and "Revoked" not in before  # an anonymous page, kept
    with writer.app_context():
        credentials.change_state(credentials.get_credential(credential.credential_id),
                                 "revoke", "Exam misconduct", None, at(TODAY))
    for seen_by in (client, other):
        body = api(seen_by, credential.credential_id)
        assert (body["status"], body["status_reason"]) == ("revoked", "Exam misconduct")
    page = client.get(f"/verify/{credential.credential_id}").get_data(as_text=True)
    assert "Revoked" in page and "Exam misconduct" in page


def test_the_cli_and_raw_sql_are_seen_too(workers, holder):
    reader, writer, _ = workers
    user, credential = holder(earned_on=date(2026, 1, 10), legal_name="Ada Okafor")
    client = reader.test_client()
    assert api(client, credential.credential_id)["status"] == "active"
    with writer.app_context():  # the command's own process: the writer's app
        result = writer.test_cli_runner().invoke(args=[
            "credentials", "suspend", credential.credential_id, "--reason", "Audit"])
    assert result.exit_code == 0, result.output
    assert api(client, credential.credential_id)["status"] == "suspended"
    with writer.app_context():
        db.session.execute(text("UPDATE users SET legal_name = :name WHERE id = :id"),
                           {"name": "Ada Okafor-Mensah", "id": user.id})
        db.session.commit()
    assert api(client, credential.credential_id)["holder_name"] == "Ada Okafor-Mensah"
    with writer.app_context():  # the ORM's unit of work
        db.session.get(User, user.id).legal_name = "Ada Mensah"
        db.session.commit()
    assert api(client, credential.credential_id)["holder_name"] == "Ada Mensah"
    with writer.app_context():  # raw SQL with a comment in front is a write too
        db.session.execute(text("/* fix */ UPDATE users SET legal_name = 'Ada M.' WHERE id = :id"),
                           {"id": user.id})
        db.session.commit()
    assert api(client, credential.credential_id)["holder_name"] == "Ada M."


def test_savepoints_neither_hide_nor_announce_early(workers, holder):
    """A savepoint rolled back keeps what the transaction wrote before it; a savepoint released
    announces nothing until the transaction's own COMMIT."""
    reader, writer, _ = workers
    user, credential = holder(earned_on=date(2026, 1, 10), legal_name="Ada Okafor")
    client = reader.test_client()
    assert api(client, credential.credential_id)["holder_name"] == "Ada Okafor"
    with writer.app_context():
        db.session.get(User, user.id).legal_name = "Ada Mensah"
        db.session.flush()
        savepoint = db.session.begin_nested()
        db.session.execute(text("SELECT 1"))
        savepoint.rollback()  # (as the services' IntegrityError paths do)
        db.session.commit()
    assert api(client, credential.credential_id)["holder_name"] == "Ada Mensah"
    with writer.app_context():
        with db.session.begin_nested():  # released here: not committed yet
            db.session.get(User, user.id).legal_name = "Ada Okafor-Mensah"
        # a lookup now reads the committed name and must not keep it past the COMMIT (the
        # test apps share SQLite's one connection, so only PostgreSQL can show this)
        plain = FlaskClient(reader, reader.response_class)  # (the test's client would commit)
        seen = api(plain, credential.credential_id)["holder_name"]
        if db.engine.dialect.name == "postgresql":
            assert seen == "Ada Mensah"
        db.session.commit()
    assert api(client, credential.credential_id)["holder_name"] == "Ada Okafor-Mensah"


def test_a_rolled_back_write_keeps_the_copy_and_a_new_day_reads_again(workers, holder,
                                                                     count_queries):
    reader, writer, _ = workers
    user, credential = holder(earned_on=TODAY - timedelta(days=729))  # valid until TODAY
    client = reader.test_client()
    assert api(client, credential.credential_id)["status"] == "active"
    with writer.app_context():
        db.session.get(User, user.id).legal_name = "Never Saved"
        db.session.flush()
        db.session.rollback()
    with count_queries(of=reader) as after_rollback:
        assert api(client, credential.credential_id)["holder_name"] != "Never Saved"
    assert after_rollback.count == 0
    # The CE cycle ends today: tomorrow the status follows the day, not the copy.
    reader.config["FROZEN_NOW"] = at(TODAY + timedelta(days=1))
    assert api(client, credential.credential_id)["status"] == "grace"


def test_a_change_made_outside_the_app_shows_within_the_max_age(workers, holder,
                                                                monkeypatch):
    reader, writer, _ = workers
    user, credential = holder(earned_on=date(2026, 1, 10), legal_name="Ada Okafor")
    client = reader.test_client()
    assert api(client, credential.credential_id)["holder_name"] == "Ada Okafor"
    with writer.app_context(), db.engine.begin() as conn:  # as psql would: nothing announces it
        conn.execute(text("UPDATE users SET legal_name = 'Ada Mensah' WHERE id = :id"),
                     {"id": user.id})
    assert api(client, credential.credential_id)["holder_name"] == "Ada Okafor"
    later = lms_cache._seconds() + LOOKUP_CACHE_SECONDS + 1
    monkeypatch.setattr(lms_cache, "_seconds", lambda: later)
    assert api(client, credential.credential_id)["holder_name"] == "Ada Mensah"


def test_a_lost_subscription_is_noticed(workers, holder):
    reader, writer, redis_client = workers
    _, credential = holder(earned_on=date(2026, 1, 10))
    client = reader.test_client()
    assert api(client, credential.credential_id)["status"] == "active"
    redis_client.client_kill_filter(_type="pubsub")  # the reader's subscription drops ...
    with writer.app_context():  # ... and misses this announcement
        credentials.change_state(credentials.get_credential(credential.credential_id),
                                 "suspend", "Audit", None, at(TODAY))
    assert api(client, credential.credential_id)["status"] == "suspended"
    with writer.app_context():  # subscribed again: announcements arrive again
        credentials.change_state(credentials.get_credential(credential.credential_id),
                                 "reinstate", "Audit passed", None, at(TODAY))
    assert api(client, credential.credential_id)["status"] == "active"


def test_without_redis_every_lookup_reads_the_database(app, programme_dir, holder, today_is,
                                                        tmp_path, count_queries):
    _, credential = holder(earned_on=date(2026, 1, 10))
    down = make_test_app(str(tmp_path / "down"), app.config["SQLALCHEMY_DATABASE_URI"],
                         FROZEN_NOW=app.config["FROZEN_NOW"],
                         COURSES_DIR=app.config["COURSES_DIR"],
                         CACHE_REDIS_URL="redis://127.0.0.1:9/0")  # nothing listens there
    down.test_client_class = FreshContextClient
    client = down.test_client()
    for _ in range(2):
        with count_queries(of=down) as seen:
            assert api(client, credential.credential_id)["status"] == "active"
        assert seen.count  # no copy: read each time, and no error
    with down.app_context():
        db.engine.dispose()


@pytest.mark.parametrize(("written", "changed"), [
    ({"users"}, True), ({"users.legal_name"}, True), ({"users.name", "users.last_login_at"}, True),
    ({"users.last_login_at"}, False), ({"user_sessions"}, False), ({"credentials.state"}, True),
    ({"credentials"}, True), ({"*"}, True), (set(), False), ({"courses.title"}, False)])
def test_what_a_watched_value_depends_on(written, changed):
    watched = lms_cache.Watched("unit", {"users", "credentials"}, max_age=1,
                                columns={"users": {"legal_name", "name"}})
    try:
        assert watched.changed_by(written) is changed
    finally:
        lms_cache._watches.remove(watched)
