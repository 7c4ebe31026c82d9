"""The public pages: /verify (look up by ID or name, check a PDF) and /verify/<ID>."""
from __future__ import annotations

import io
from datetime import date

import pytest

from lms.auth.services import update_profile
from lms.credentials import services as credentials
from lms.credentials.ids import format_id, parse_id
from tests.verify.conftest import TODAY, at


def _text(response) -> str:
    return response.get_data(as_text=True)


def test_lookup_by_id_opens_the_credential_page(client, holder, today_is):
    user, credential = holder(earned_on=date(2026, 1, 10), legal_name="Ada Lovelace-Okafor")
    r = client.get("/verify", query_string={"id": credential.credential_id.lower()})
    assert r.status_code == 302
    assert r.headers["Location"].endswith(f"/verify/{credential.credential_id}")
    page = client.get(f"/verify/{credential.credential_id}")
    html = _text(page)
    assert page.status_code == 200
    assert "Active" in html and "Ada Lovelace-Okafor" in html
    assert "10 January 2026" in html and "09 January 2028" in html
    assert "<svg" in html and "QR code of this page" in html
    assert user.email not in html and "Add to LinkedIn" not in html  # not the holder
    assert "open-badge.jwt" not in html


def test_credential_page_redirects_typed_forms_to_one_address(client, holder, today_is):
    _, credential = holder()
    typed = credential.credential_id.lower()
    r = client.get(f"/verify/{typed}")
    assert r.status_code == 301 and r.headers["Location"].endswith(credential.credential_id)


def test_a_one_character_slip_suggests_the_issued_id(client, holder, today_is):
    _, credential = holder()
    parsed = parse_id(credential.credential_id)
    wrong_check = next(c for c in "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ" if c != parsed.check)
    typo = f"{parsed.prefix}-{parsed.year}-{parsed.serial:06d}-{wrong_check}"
    r = client.get("/verify", query_string={"id": typo})
    html = _text(r)
    assert r.status_code == 404
    assert "This ID is not valid." in html and "Did you mean" in html
    assert credential.credential_id in html


@pytest.mark.parametrize("bad", ["x" * 10_000, "<b>bold</b>", "JCAP-2026-999999-Q", "٣٣٣",
                                 "JCAP-2026-000000-0", "'; drop table credentials; --"])
def test_odd_ids_get_a_clear_message_and_the_same_404(client, holder, today_is, bad):
    holder()
    r = client.get("/verify", query_string={"id": bad})
    assert r.status_code in (404, 422)
    html = _text(r)
    assert "No credential has this ID" in html or "At most 64 characters" in html
    assert "<b>bold</b>" not in html
    page = client.get(f"/verify/{bad}")
    unknown = client.get(f"/verify/{format_id('JCAP', 2026, 777_777)}")
    assert page.status_code == unknown.status_code == 404
    assert "No credential has this ID." in _text(page)


def test_each_status_shows_its_banner_and_public_reason(client, holder, today_is):
    _, active = holder(earned_on=date(2026, 1, 10))
    _, grace = holder(earned_on=date(2024, 6, 1))
    _, expired = holder(earned_on=date(2022, 1, 1))
    _, suspended = holder(earned_on=date(2026, 1, 10))
    _, revoked = holder(earned_on=date(2026, 1, 10))
    credentials.change_state(suspended, "suspend", "Under review after a complaint", None,
                             at(TODAY))
    credentials.change_state(revoked, "revoke", "Exam misconduct", None, at(TODAY))
    expected = {active: ("Active", None), grace: ("In grace", None),
                expired: ("Expired", None),
                suspended: ("Suspended", "Reason: Under review after a complaint"),
                revoked: ("Revoked", "Reason: Exam misconduct")}
    for credential, (label, reason) in expected.items():
        html = _text(client.get(f"/verify/{credential.credential_id}"))
        assert f"verify-status-{label.lower().replace('in ', '')}" in html
        assert f"<strong>{label}</strong>" in html
        if reason:
            assert reason in html


def test_status_follows_ce_and_credential_state_day_by_day(client, holder, today_is):
    """Earned 10 Jan 2024: the cycle's last day is 9 Jan 2026, grace 6 months, then expired
    (reinstatable); a suspension and a revocation override; the API agrees with the page."""
    _, credential = holder(earned_on=date(2024, 1, 10))
    url = f"/api/v1/verify/{credential.credential_id}"

    def status_on(day: date) -> str:
        today_is(day)
        api = client.get(url).get_json()["status"]
        page = _text(client.get(f"/verify/{credential.credential_id}"))
        assert f"verify-status-{api}" in page
        return api

    assert status_on(date(2025, 6, 1)) == "active"
    assert status_on(date(2026, 1, 9)) == "active"
    assert status_on(date(2026, 1, 10)) == "grace"
    assert status_on(date(2026, 7, 9)) == "grace"
    assert status_on(date(2026, 7, 11)) == "expired"
    credentials.change_state(credential, "suspend", "Audit", None, at(date(2026, 7, 11)))
    assert status_on(date(2026, 7, 11)) == "suspended"
    credentials.change_state(credential, "revoke", "Audit failed", None, at(date(2026, 7, 12)))
    assert status_on(date(2026, 7, 12)) == "revoked"


def test_name_search_finds_only_opted_in_holders_and_at_most_20(client, holder, today_is):
    listed, _ = holder(legal_name="Rosa Parkes")
    unlisted, _ = holder(legal_name="Rosa Hidden")
    update_profile(listed, {"directory_opt_in": True})
    html = _text(client.get("/verify", query_string={"name": "rosa"}))
    assert "Rosa Parkes" in html and "Rosa Hidden" not in html
    for n in range(22):
        user, _ = holder(legal_name=f"Sam Same {n:02d}")
        update_profile(user, {"directory_opt_in": True})
    html = _text(client.get("/verify", query_string={"name": "sam same"}))
    assert html.count("Sam Same") == 20 and "Showing the first 20" in html


def test_page_query_counts_are_constant(client, holder, today_is, count_queries):
    made = [holder()[1].credential_id for _ in range(3)]
    client.get("/verify")
    with count_queries() as first:
        client.get(f"/verify/{made[0]}")
    for _ in range(10):
        holder()
    with count_queries() as later:
        client.get(f"/verify/{made[2]}")
    assert first.count == later.count == 1
    with count_queries() as index:
        assert client.get("/verify").status_code == 200
    assert index.count == 0


def test_pdf_upload_gives_clear_messages(client, holder, today_is, genuine_pdf, foreign_pdf,
                                         unsigned_pdf):
    _, credential = holder()
    pdf = genuine_pdf(credential)

    def upload(data: bytes, name: str = "certificate.pdf"):
        r = client.post("/verify/pdf", data={"file": (io.BytesIO(data), name)},
                        content_type="multipart/form-data")
        assert r.status_code in (200, 422)
        return _text(r)

    html = upload(pdf)
    assert "<strong>valid</strong>" in html and credential.credential_id in html
    assert "verify-status-active" in html
    credentials.change_state(credential, "revoke", "Exam misconduct", None, at(TODAY))
    html = upload(pdf)
    assert "<strong>valid</strong>" in html and "verify-status-revoked" in html
    assert "The certificate is genuine, but the credential is revoked." in html
    assert "Reason: Exam misconduct" in html
    assert "not this programme" in upload(foreign_pdf(credential.credential_id))
    assert "no digital signature" in upload(unsigned_pdf)
    assert "<strong>valid</strong>" not in upload(pdf[: len(pdf) // 2])
    assert "not a PDF" in upload(b"GIF89a not a pdf", "certificate.pdf")
    assert "The file is empty" in upload(b"")
    r = client.post("/verify/pdf", data={}, content_type="multipart/form-data")
    assert r.status_code == 422 and "Choose the PDF to check." in _text(r)


def test_holder_sees_linkedin_and_badge_links(client, holder, sign_in, today_is):
    from urllib.parse import parse_qs, urlsplit

    user, credential = holder(earned_on=date(2026, 3, 15))
    sign_in(client, user)
    html = _text(client.get(f"/verify/{credential.credential_id}"))
    assert "Add to LinkedIn profile" in html and "open-badge.jwt" in html
    start = html.index("https://www.linkedin.com/profile/add?")
    link = html[start:html.index('"', start)].replace("&amp;", "&")
    query = parse_qs(urlsplit(link).query)
    assert query["startTask"] == ["CERTIFICATION_NAME"]
    assert query["name"] == ["Just Communities Accredited Practitioner"]
    assert query["organizationName"] == ["Just Communities"]
    assert (query["issueYear"], query["issueMonth"]) == (["2026"], ["3"])
    assert (query["expirationYear"], query["expirationMonth"]) == (["2028"], ["3"])
    assert query["certId"] == [credential.credential_id]
    assert query["certUrl"][0].endswith(f"/verify/{credential.credential_id}")


def test_pages_are_in_the_nav_and_printable(client):
    html = _text(client.get("/verify"))
    assert 'href="/verify"' in html and 'role="search"' in html
    assert 'enctype="multipart/form-data"' in html and "csrf_token" not in html.split(
        'role="search"')[1].split("</form>")[0]


def test_holders_credential_page_links_linkedin_and_the_open_badge(client, holder, sign_in,
                                                                   today_is):
    from lms.credentials.certificates import HOLDER_PATH

    user, credential = holder(earned_on=date(2026, 3, 15))
    sign_in(client, user)
    html = _text(client.get(HOLDER_PATH))
    assert "https://www.linkedin.com/profile/add?startTask=CERTIFICATION_NAME" in html
    assert f"certId={credential.credential_id}" in html
    assert f"/verify/{credential.credential_id}/open-badge.jwt" in html
    credentials.change_state(credential, "revoke", "Exam misconduct", None, at(TODAY))
    assert "linkedin.com" not in _text(client.get(HOLDER_PATH))
