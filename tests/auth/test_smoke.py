def test_healthz(client):
    r = client.get("/healthz")
    assert r.status_code == 200
    assert r.get_json() == {"status": "ok", "database": "ok"}


def test_signin_and_dashboard(client, make_user, sign_in):
    user = make_user()
    sign_in(client, user)
    r = client.get("/dashboard")
    assert r.status_code == 200
    assert user.name in r.get_data(as_text=True)


def test_info_messages_such_as_logged_mail_reach_the_console(app):
    import logging

    assert app.logger.getEffectiveLevel() <= logging.INFO
