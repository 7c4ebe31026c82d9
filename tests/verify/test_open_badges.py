"""Open Badges 3.0 through the app: the holder's signed badge verifies with the published
JWKS and expands offline; the issuer profile; status lists report revocation and suspension;
the API verifies a posted badge."""
from __future__ import annotations

from datetime import date

from joserfc import jwt
from joserfc.jwk import KeySet

from lms.credentials import services as credentials
from lms.credentials.ids import parse_id
from lms.verify import badges
from tests.verify.conftest import TODAY, at


def _badge(client, sign_in, user, credential_id: str) -> str:
    sign_in(client, user)
    r = client.get(f"/verify/{credential_id}/open-badge.jwt")
    assert r.status_code == 200 and r.mimetype == "application/vc+jwt"
    assert "attachment" in r.headers["Content-Disposition"]
    return r.get_data(as_text=True)


def test_holder_badge_verifies_with_published_jwks_and_expands_offline(
        app, client, holder, sign_in, today_is):
    user, credential = holder(earned_on=date(2026, 1, 10), legal_name="Ada Okafor")
    token = _badge(client, sign_in, user, credential.credential_id)
    anonymous = app.test_client()
    jwks = anonymous.get("/api/v1/ob/jwks.json")
    assert jwks.status_code == 200 and jwks.headers["ETag"]
    assert all("d" not in key for key in jwks.get_json()["keys"])  # public halves only
    decoded = jwt.decode(token, KeySet.import_key_set(jwks.get_json()), algorithms=["ES256"])
    assert decoded.header["typ"] == "vc+jwt" and decoded.header["alg"] == "ES256"
    claims = decoded.claims
    assert claims["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert claims["@context"] == [badges.VC_CONTEXT, badges.OB_CONTEXT]
    assert claims["credentialSubject"]["identifier"][0]["identityHash"] == "Ada Okafor"
    assert claims["validFrom"] == "2026-01-10T00:00:00Z"
    assert claims["validUntil"] == "2028-01-09T23:59:59Z"
    assert user.email not in token and user.email not in str(claims)
    credential_only = {k: v for k, v in claims.items() if k not in ("iss", "jti", "nbf", "exp")}
    [expanded] = badges.expand(credential_only)  # bundled contexts only: no network
    assert "https://purl.imsglobal.org/spec/vc/ob/vocab.html#OpenBadgeCredential" in \
        expanded["@type"]
    issuer = anonymous.get(claims["iss"].replace("http://localhost", ""))
    assert issuer.status_code == 200 and issuer.get_json()["type"] == ["Profile"]
    assert issuer.get_json()["name"] == "Just Communities"
    badges.expand(issuer.get_json())
    achievement = anonymous.get("/api/v1/ob/achievement").get_json()
    badges.expand(achievement)


def test_only_the_holder_or_a_registrar_downloads_the_badge(app, client, holder, make_user,
                                                            sign_in, today_is):
    _, credential = holder()
    url = f"/verify/{credential.credential_id}/open-badge.jwt"
    assert app.test_client().get(url).status_code == 302  # sign in first
    other = app.test_client()
    sign_in(other, make_user())
    assert other.get(url).status_code == 404
    registrar = app.test_client()
    sign_in(registrar, make_user("registrar"))
    assert registrar.get(url).status_code == 200


def _status_bit(client, entry: dict) -> bool:
    path = entry["statusListCredential"].replace("http://localhost", "")
    r = client.get(path)
    assert r.status_code == 200 and r.mimetype == "application/vc+jwt" and r.headers["ETag"]
    keys = KeySet.import_key_set(client.get("/api/v1/ob/jwks.json").get_json())
    claims = jwt.decode(r.get_data(as_text=True), keys, algorithms=["ES256"]).claims
    assert claims["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
    subject = claims["credentialSubject"]
    assert subject["statusPurpose"] == entry["statusPurpose"]
    return badges.bit_is_set(subject["encodedList"], int(entry["statusListIndex"]))


def test_revoked_and_suspended_show_in_the_status_lists(app, client, holder, sign_in,
                                                        today_is):
    user, credential = holder(earned_on=date(2026, 1, 10))
    _, neighbour = holder(earned_on=date(2026, 2, 1))
    token = _badge(client, sign_in, user, credential.credential_id)
    claims = jwt.decode(token, KeySet.import_key_set(
        client.get("/api/v1/ob/jwks.json").get_json()), algorithms=["ES256"]).claims
    revocation, suspension = claims["credentialStatus"]
    assert revocation["statusListIndex"] == str(parse_id(credential.credential_id).serial)
    anonymous = app.test_client()
    assert not _status_bit(anonymous, revocation) and not _status_bit(anonymous, suspension)
    credentials.change_state(credential, "suspend", "Under review", None, at(TODAY))
    assert _status_bit(anonymous, suspension) and not _status_bit(anonymous, revocation)
    credentials.change_state(credential, "revoke", "Exam misconduct", None, at(TODAY))
    assert _status_bit(anonymous, revocation) and not _status_bit(anonymous, suspension)
    neighbour_entry = dict(revocation, statusListIndex=str(
        parse_id(neighbour.credential_id).serial))
    assert not _status_bit(anonymous, neighbour_entry)
    for bad in ("/api/v1/ob/status/JCAP-2026/other", "/api/v1/ob/status/nope/revocation",
                "/api/v1/ob/status/JCAP-0999/revocation", "/api/v1/ob/status/JCAP-2026",
                "/api/v1/ob/status/" + "A" * 5000 + "-2026/revocation"):
        r = anonymous.get(bad)
        assert r.status_code == 404 and r.mimetype == "application/problem+json", bad


def test_api_verifies_a_posted_badge(app, client, holder, sign_in, today_is):
    user, credential = holder()
    token = _badge(client, sign_in, user, credential.credential_id)
    api = app.test_client()
    body = api.post("/api/v1/ob/verify", data=token,
                    content_type="application/vc+jwt").get_json()
    assert body["signature_valid"] and body["issuer_matches"] and body["json_ld_valid"]
    assert body["credential_id"] == credential.credential_id and body["status"] == "active"
    assert body["problems"] == []
    credentials.change_state(credential, "revoke", "Exam misconduct", None, at(TODAY))
    body = api.post("/api/v1/ob/verify", json={"credential": token}).get_json()
    assert body["signature_valid"] and body["status"] == "revoked"
    assert "The credential is revoked." in body["problems"]
    head, payload, sig = token.split(".")
    forged = api.post("/api/v1/ob/verify", json={"credential": f"{head}.{payload}x.{sig}"})
    assert forged.status_code == 200 and not forged.get_json()["signature_valid"]
    for junk in ("", "not a jwt", "a.b.c"):
        r = api.post("/api/v1/ob/verify", data=junk, content_type="application/vc+jwt")
        assert r.status_code in (200, 400) and not (r.get_json().get("signature_valid"))
    assert api.post("/api/v1/ob/verify", json={"x": 1}).status_code == 400


def test_issuer_key_is_made_once_and_kept(app, tmp_path):
    from lms.verify import keys

    app.config["OB_ISSUER_KEY_FILE"] = str(tmp_path / "issuer.jwk")
    app.extensions.pop("lms.verify.issuer_key", None)
    try:
        first = keys.issuer_key()
        assert (tmp_path / "issuer.jwk").stat().st_mode & 0o077 == 0
        app.extensions.pop("lms.verify.issuer_key", None)
        assert keys.issuer_key().kid == first.kid
    finally:
        app.extensions.pop("lms.verify.issuer_key", None)
