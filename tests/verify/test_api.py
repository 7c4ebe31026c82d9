"""The verification API: lookups, batch, PDF, problem+json errors, caching, CORS, limits."""
from __future__ import annotations

from datetime import date

import pytest

from lms.credentials import services as credentials
from lms.credentials.ids import format_id
from tests.verify.conftest import TODAY, at

PROBLEM = "application/problem+json"
FIELDS = {"credential_id", "holder_name", "credential", "status", "status_label",
          "status_reason", "issued_on", "valid_until", "verify_url"}


def test_get_one_credential(client, holder, today_is):
    user, credential = holder(earned_on=date(2026, 1, 10), legal_name="Ada Lovelace-Okafor")
    r = client.get(f"/api/v1/verify/{credential.credential_id}")
    assert r.status_code == 200 and r.mimetype == "application/json"
    body = r.get_json()
    assert set(body) == FIELDS
    assert body["credential_id"] == credential.credential_id
    assert body["holder_name"] == "Ada Lovelace-Okafor"
    assert body["credential"] == "Just Communities Accredited Practitioner"
    assert (body["status"], body["issued_on"], body["valid_until"]) == (
        "active", "2026-01-10", "2028-01-09")
    assert body["verify_url"].endswith(f"/verify/{credential.credential_id}")
    text = r.get_data(as_text=True)
    assert user.email not in text and f'"id": {user.id}' not in text
    # cacheable: ETag + Cache-Control, 304 on If-None-Match; readable from any origin
    assert r.headers["ETag"] and "max-age" in r.headers["Cache-Control"]
    assert r.headers["Access-Control-Allow-Origin"] == "*"
    again = client.get(f"/api/v1/verify/{credential.credential_id}",
                       headers={"If-None-Match": r.headers["ETag"]})
    assert again.status_code == 304 and again.get_data() == b""
    typed = client.get(f"/api/v1/verify/{credential.credential_id.lower()}")
    assert typed.get_json()["credential_id"] == credential.credential_id


@pytest.mark.parametrize("bad", [
    "unknown", "JCAP-2026-999999-%s", "JCAP-2026-000001-0", "x" * 10_000, "<script>",
    "JCAP–2026–000001", "ÄÖÜ-٣٣٣٣", "..", "JCAP 2026", "JCAP-2026-OOOOO1-Z",
    "a/b", "<b>x</b>"])
def test_malformed_and_unknown_ids_get_the_same_404(client, holder, today_is, bad):
    holder()
    if "%s" in bad:
        bad = format_id("JCAP", 2026, 999_999)
    unknown = client.get(f"/api/v1/verify/{format_id('JCAP', 2026, 424_242)}")
    r = client.get(f"/api/v1/verify/{bad}")
    assert r.status_code == 404 and r.mimetype == PROBLEM
    body = r.get_json()
    assert body == {"type": "about:blank", "title": "Not Found", "status": 404,
                    "detail": "No credential has this ID."}
    assert body == unknown.get_json()


def test_api_errors_are_problem_json(client, app):
    for method, url, code in [("get", "/api/v1/nothing-here", 404),
                              ("put", "/api/v1/verify/batch", 405),
                              ("delete", "/api/v1/openapi.json", 405),
                              ("post", "/api/v1/verify/batch", 400)]:
        r = getattr(client, method)(url)
        assert r.status_code == code, url
        assert r.mimetype == PROBLEM
        assert r.get_json()["status"] == code and r.get_json()["title"]
    app.config["MAX_CONTENT_LENGTH"] = 1000
    r = client.post("/api/v1/verify/pdf", data={"file": (__import__("io").BytesIO(b"x" * 5000),
                                                         "a.pdf")})
    assert r.status_code == 413 and r.mimetype == PROBLEM


def test_batch_answers_in_order_with_duplicates_and_non_strings(client, holder, today_is):
    _, one = holder()
    _, two = holder()
    services_revoked = holder()[1]
    credentials.change_state(services_revoked, "revoke", "Exam misconduct", None, at(TODAY))
    ids = [two.credential_id, "garbage", one.credential_id.lower(), 42, None,
           one.credential_id, services_revoked.credential_id, {"id": 1}, "x" * 10_000]
    r = client.post("/api/v1/verify/batch", json={"ids": ids})
    assert r.status_code == 200
    results = r.get_json()["results"]
    assert [x["index"] for x in results] == list(range(len(ids)))
    assert [x["found"] for x in results] == [True, False, True, False, False, True, True, False,
                                             False]
    assert results[0]["credential"]["credential_id"] == two.credential_id
    assert results[2]["credential"]["credential_id"] == one.credential_id
    assert results[5]["duplicate_of"] == 2 and "duplicate_of" not in results[2]
    assert results[1]["error"] == "No credential has this ID."
    assert "not a string" in results[3]["error"] and results[3]["input"] is None
    assert results[6]["credential"]["status"] == "revoked"
    assert results[6]["credential"]["status_reason"] == "Exam misconduct"
    assert len(results[8]["input"]) == 100


def test_batch_limits_and_shape(client):
    over = client.post("/api/v1/verify/batch", json={"ids": ["x"] * 501})
    assert over.status_code == 413 and over.mimetype == PROBLEM
    assert "500" in over.get_json()["detail"] and over.get_json()["max_ids"] == 500
    exactly = client.post("/api/v1/verify/batch", json={"ids": ["x"] * 500})
    assert exactly.status_code == 200 and len(exactly.get_json()["results"]) == 500
    for body in ({"ids": "JCAP"}, {"nope": []}, [1, 2], "text", None):
        r = client.post("/api/v1/verify/batch", json=body)
        assert r.status_code == 400 and r.mimetype == PROBLEM
    r = client.post("/api/v1/verify/batch", data="{not json", content_type="application/json")
    assert r.status_code == 400 and r.mimetype == PROBLEM


def test_batch_of_500_takes_constant_queries(client, holder, today_is, count_queries):
    made = [holder()[1].credential_id for _ in range(4)]
    client.get("/api/v1/openapi.json")  # the test's own session is committed and expired
    few = made[:2]
    many = (made * 125)[:500]
    with count_queries() as small:
        assert client.post("/api/v1/verify/batch", json={"ids": few}).status_code == 200
    with count_queries() as large:
        r = client.post("/api/v1/verify/batch", json={"ids": many})
    assert r.status_code == 200 and all(x["found"] for x in r.get_json()["results"])
    assert large.count == small.count
    assert large.count == 1  # credentials joined with holders, CE records and renewals


def test_get_one_takes_constant_queries(client, holder, today_is, count_queries):
    _, credential = holder()
    url = f"/api/v1/verify/{credential.credential_id}"
    client.get("/api/v1/openapi.json")  # the test's own session is committed and expired
    with count_queries() as counter:
        assert client.get(url).status_code == 200
    assert counter.count == 1  # credentials joined with holders, CE records and renewals


def test_pdf_check_reports_signature_and_current_status(client, holder, today_is, genuine_pdf,
                                                        foreign_pdf, unsigned_pdf):
    import io

    _, credential = holder()
    pdf = genuine_pdf(credential)

    def post(data: bytes, name: str = "certificate.pdf"):
        return client.post("/api/v1/verify/pdf", data={"file": (io.BytesIO(data), name)},
                           content_type="multipart/form-data")

    body = post(pdf).get_json()
    assert body["signature_valid"] and not body["modified_after_signing"]
    assert body["credential_id"] == credential.credential_id and body["status"] == "active"
    credentials.change_state(credential, "revoke", "Exam misconduct", None, at(TODAY))
    body = post(pdf).get_json()
    assert body["signature_valid"] and body["status"] == "revoked"
    assert body["credential"]["status_reason"] == "Exam misconduct"

    foreign = post(foreign_pdf(credential.credential_id)).get_json()
    assert foreign["signed"] and not foreign["signature_valid"] and not foreign["trusted"]
    unsigned = post(unsigned_pdf).get_json()
    assert unsigned["is_pdf"] and not unsigned["signed"] and not unsigned["signature_valid"]
    truncated = post(pdf[: len(pdf) // 2]).get_json()
    assert not truncated["signature_valid"] and truncated["message"]
    not_pdf = post(b"PK\x03\x04 a zip file", "certificate.pdf").get_json()
    assert not not_pdf["is_pdf"] and "not a PDF" in not_pdf["message"]
    empty = post(b"")
    assert empty.status_code == 400 and empty.mimetype == PROBLEM
    missing = client.post("/api/v1/verify/pdf", data={}, content_type="multipart/form-data")
    assert missing.status_code == 400 and missing.mimetype == PROBLEM


def test_public_lookups_are_rate_limited_per_client(client, app, holder, today_is):
    app.config["VERIFY_RATE_LIMIT"] = "3 per minute"
    _, credential = holder()
    codes = [client.get(f"/api/v1/verify/{credential.credential_id}").status_code
             for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    limited = client.get(f"/api/v1/verify/{credential.credential_id}")
    assert limited.mimetype == PROBLEM and limited.get_json()["status"] == 429
    other = client.get(f"/api/v1/verify/{credential.credential_id}",
                       environ_overrides={"REMOTE_ADDR": "198.51.100.7"})
    assert other.status_code == 200
    page = client.get(f"/verify/{credential.credential_id}")
    assert page.status_code == 429  # the page counts against the same client


def test_cors_allows_get_from_any_origin_only(client):
    r = client.get("/api/v1/openapi.json", headers={"Origin": "https://employer.example"})
    assert r.headers["Access-Control-Allow-Origin"] == "*"
    assert r.headers["Access-Control-Allow-Methods"] == "GET, HEAD"
    assert "Origin" in r.headers["Vary"]
