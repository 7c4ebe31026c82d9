"""GET and HEAD requests read without a transaction on PostgreSQL (lms/web.py): no BEGIN and
no ROLLBACK round trips. Everything else, and every connection after such a request, keeps
its transactions, so a state change is still one transaction."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from lms.auth.models import User
from lms.extensions import db

PASSWORD = "correct-horse-battery"


def test_a_get_reads_in_autocommit_and_a_post_in_a_transaction(app, client, make_user,
                                                              autocommit_statements):
    statements = autocommit_statements
    user = make_user(email="reader@example.org", password=PASSWORD)
    statements.clear()
    assert client.get("/healthz").status_code == 200
    assert statements and all(autocommit for _, autocommit in statements), statements
    statements.clear()
    client.post("/account/signin", data={"email": user.email, "password": "wrong"})
    assert statements and not any(autocommit for _, autocommit in statements), statements
    # the pooled connection the GET used is back to transactions for whoever takes it next
    with db.engine.connect() as conn:
        assert conn.connection.dbapi_connection.autocommit is False


@pytest.mark.usefixtures("autocommit_statements")  # PostgreSQL only
def test_signed_in_pages_see_what_was_just_committed(app, client, make_user):
    user = make_user(email="reader@example.org", password=PASSWORD, name="Before Name")
    client.post("/account/signin", data={"email": user.email, "password": PASSWORD})
    assert "Before Name" in client.get("/account/profile").get_data(as_text=True)
    db.session.execute(db.update(User).where(User.id == user.id).values(name="After Name"))
    db.session.commit()
    assert "After Name" in client.get("/account/profile").get_data(as_text=True)
    assert db.session.scalar(select(User.name).where(User.id == user.id)) == "After Name"


def test_the_switch_turns_it_off(app, client, autocommit_statements):
    statements = autocommit_statements
    app.config["DATABASE_READ_AUTOCOMMIT"] = False
    assert client.get("/healthz").status_code == 200
    assert statements and not any(autocommit for _, autocommit in statements)

