"""Rotating the Open Badges issuer key: the old public key stays in the JWKS, badges signed
before the rotation still verify (through the published JWKS and through the API), new ones
are signed with the new key, and nothing private is ever published."""
from __future__ import annotations

import json

import pytest
from joserfc import jwt
from joserfc.jwk import ECKey, KeySet

from lms.verify import keys


@pytest.fixture
def key_files(app, tmp_path):
    """The issuer key and the retired keys in a folder of the test's own."""
    app.config["OB_ISSUER_KEY_FILE"] = str(tmp_path / "issuer.jwk")
    app.config["OB_RETIRED_KEYS_FILE"] = str(tmp_path / "retired.jwks")
    app.extensions.pop("lms.verify.issuer_key", None)
    yield tmp_path
    app.extensions.pop("lms.verify.issuer_key", None)


def _badge(client, sign_in, user, credential_id: str) -> str:
    sign_in(client, user)
    r = client.get(f"/verify/{credential_id}/open-badge.jwt")
    assert r.status_code == 200
    return r.get_data(as_text=True)


def _published_keys() -> list[dict]:
    return keys.public_jwks()["keys"]


def _rotate(app) -> tuple[str, str]:
    result = app.test_cli_runner().invoke(args=["verify", "rotate-key", "--yes"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("retired key ") and lines[1].startswith("signing key ")
    return lines[0].split()[2], lines[1].split()[2]


def test_badges_signed_before_a_rotation_still_verify(app, client, holder, sign_in, today_is,
                                                      key_files):
    user, credential = holder()
    before = _badge(client, sign_in, user, credential.credential_id)
    anonymous = app.test_client()
    first = anonymous.get("/api/v1/ob/jwks.json")
    old_jwks, old_etag = first.get_json(), first.headers["ETag"]
    assert len(old_jwks["keys"]) == 1
    old_kid = old_jwks["keys"][0]["kid"]

    retired_kid, new_kid = _rotate(app)
    assert retired_kid == old_kid and new_kid != old_kid

    jwks = anonymous.get("/api/v1/ob/jwks.json")
    assert jwks.status_code == 200
    published = jwks.get_json()["keys"]
    assert [k["kid"] for k in published] == [new_kid, old_kid]  # the signing key first
    assert all("d" not in k and k["alg"] == "ES256" and k["use"] == "sig" for k in published)
    assert jwks.headers["ETag"] != old_etag  # caches see a new document
    # the old badge verifies with the JWKS as published now (by its kid) ...
    decoded = jwt.decode(before, KeySet.import_key_set(jwks.get_json()), algorithms=["ES256"])
    assert decoded.header["kid"] == old_kid
    # ... and through the API
    body = anonymous.post("/api/v1/ob/verify", data=before,
                          content_type="application/vc+jwt").get_json()
    assert body["signature_valid"] and body["issuer_matches"] and body["status"] == "active"
    assert body["credential_id"] == credential.credential_id and body["problems"] == []

    after = _badge(client, sign_in, user, credential.credential_id)
    assert jwt.decode(after, KeySet.import_key_set(jwks.get_json()),
                      algorithms=["ES256"]).header["kid"] == new_kid
    assert anonymous.post("/api/v1/ob/verify", json={"credential": after}).get_json()[
        "signature_valid"]
    # a status list is signed with the current key
    token = anonymous.get(
        f"/api/v1/ob/status/{credential.credential_id.rsplit('-', 2)[0]}/revocation")
    assert token.status_code == 200
    assert jwt.decode(token.get_data(as_text=True), KeySet.import_key_set(jwks.get_json()),
                      algorithms=["ES256"]).header["kid"] == new_kid


def test_a_second_rotation_keeps_every_earlier_key(app, client, holder, sign_in, today_is,
                                                   key_files):
    user, credential = holder()
    first = _badge(client, sign_in, user, credential.credential_id)
    kid_one, kid_two = _rotate(app)
    second = _badge(client, sign_in, user, credential.credential_id)
    again, kid_three = _rotate(app)
    assert again == kid_two
    assert [k["kid"] for k in _published_keys()] == [kid_three, kid_two, kid_one]
    api = app.test_client()
    for token in (first, second, _badge(client, sign_in, user, credential.credential_id)):
        body = api.post("/api/v1/ob/verify", json={"credential": token}).get_json()
        assert body["signature_valid"] and body["status"] == "active", body
    # files: the signing key private and owner-only, the retired keys public halves only
    assert (key_files / "issuer.jwk").stat().st_mode & 0o077 == 0
    retired = json.loads((key_files / "retired.jwks").read_text())
    assert [k["kid"] for k in retired["keys"]] == [kid_two, kid_one]
    assert all("d" not in k for k in retired["keys"])
    assert not list(key_files.glob(".*"))  # no temporary file left behind


def test_a_badge_of_a_key_never_published_does_not_verify(app, client, holder, sign_in,
                                                          today_is, key_files):
    user, credential = holder()
    token = _badge(client, sign_in, user, credential.credential_id)
    _rotate(app)
    # the retired keys file is edited by hand to drop the old key (a compromised key)
    (key_files / "retired.jwks").write_text(json.dumps({"keys": []}))
    body = app.test_client().post("/api/v1/ob/verify", json={"credential": token}).get_json()
    assert not body["signature_valid"] and body["status"] is None


def test_retired_keys_file_publishes_public_halves_only(app, key_files):
    private = ECKey.generate_key("P-256", private=True)
    (key_files / "retired.jwks").write_text(json.dumps(
        {"keys": [private.as_dict(private=True)]}))
    with app.app_context():
        published = _published_keys()
    assert len(published) == 2
    assert all("d" not in k for k in published)
    assert published[1]["kid"] == private.thumbprint()


def test_rotation_needs_confirmation_and_reports_unwritable_files(app, key_files):
    with app.app_context():
        kid = keys.issuer_key().kid
    runner = app.test_cli_runner()
    declined = runner.invoke(args=["verify", "rotate-key"], input="n\n")
    assert declined.exit_code != 0
    with app.app_context():
        app.extensions.pop("lms.verify.issuer_key", None)
        assert keys.issuer_key().kid == kid  # unchanged
    app.config["OB_RETIRED_KEYS_FILE"] = str(key_files / "missing-dir" / "x" / "retired.jwks")
    (key_files / "missing-dir").write_text("a file, not a folder")
    failed = runner.invoke(args=["verify", "rotate-key", "--yes"])
    assert failed.exit_code == 1 and "not rotated" in failed.output
    with app.app_context():
        app.extensions.pop("lms.verify.issuer_key", None)
        assert keys.issuer_key().kid == kid  # the signing key is untouched
