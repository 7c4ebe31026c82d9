"""Verification in a real browser: an anonymous visitor verifies an ID, then uploads the
certificate PDF; a registrar revokes the credential; the page now shows Revoked with the
reason, and the same (still validly signed) PDF reports Revoked.

The live server runs on the real clock, so dates are relative to today.
"""
from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Page, expect

from lms.auth.models import User
from lms.credentials import services as credentials
from lms.credentials.certificates import certificate_pdf
from lms.extensions import db
from tests.e2e import journey_helpers as jh

pytestmark = pytest.mark.e2e


def _in_thread(app, work):
    """Run work() in an app context of its own thread: pyHanko signs certificates with
    asyncio.run(), which cannot run inside Playwright's event loop."""
    def run():
        with app.app_context():
            return work()

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(run).result()


def test_visitor_verifies_an_id_and_a_pdf_then_sees_the_revocation(page: Page, app, tmp_path,
                                                                   make_user, browser_sign_in):
    holder = make_user(legal_name="Amara Lindqvist Okafor")
    registrar = make_user("registrar")
    holder_id, registrar_email = holder.id, registrar.email
    db.session.commit()

    def issue():
        now = datetime.now(UTC)
        user = db.session.get(User, holder_id)
        credential = credentials.issue(user, now.date() - timedelta(days=100),
                                       "passed the AP exam", None, now)
        return credential.credential_id, credential.id, certificate_pdf(credential, now)

    credential_id, credential_pk, pdf_bytes = _in_thread(app, issue)
    pdf = tmp_path / "certificate.pdf"
    pdf.write_bytes(pdf_bytes)

    page.goto("/verify")
    page.get_by_label("Credential ID").fill(credential_id.lower())
    page.get_by_role("button", name="Look up").click()
    expect(page).to_have_url(re.compile(rf"/verify/{credential_id}$"))
    expect(page.locator(".verify-status")).to_contain_text("Active")
    expect(page.locator("#holder-name")).to_have_text("Amara Lindqvist Okafor")
    expect(page.locator(".verify-qr svg")).to_be_visible()

    page.get_by_role("link", name="← Verify another").click()
    page.locator("input#file").set_input_files(str(pdf))
    page.get_by_role("button", name="Check the PDF").click()
    result = page.locator("#pdf-result")
    expect(result).to_contain_text("Signature: valid")
    expect(result).to_contain_text(credential_id)
    expect(page.locator(".verify-status")).to_contain_text("Active")

    # The registrar revokes on the credential's page, then signs out.
    browser_sign_in(page, registrar_email, jh.PASSWORD)
    page.goto(f"/registrar/credentials/{credential_pk}")
    page.get_by_label("Action").select_option("revoke")
    page.get_by_label("Reason").fill("Exam misconduct")
    page.locator("#state-form").get_by_role("button").click()
    expect(page.locator("#credential-status")).to_contain_text("Exam misconduct")
    page.get_by_role("button", name="Sign out", include_hidden=True).evaluate("b => b.click()")
    # The sign-out lands before the next navigation (else the one aborts the other).
    expect(page.get_by_role("link", name="Sign in", exact=True)).to_be_attached()

    page.goto(f"/verify/{credential_id}")
    expect(page.locator(".verify-status")).to_contain_text("Revoked")
    expect(page.locator(".verify-status")).to_contain_text("Reason: Exam misconduct")

    page.get_by_role("link", name="← Verify another").click()
    page.locator("input#file").set_input_files(str(pdf))
    page.get_by_role("button", name="Check the PDF").click()
    expect(page.locator("#pdf-result")).to_contain_text("Signature: valid")
    expect(page.locator(".verify-status")).to_contain_text("Revoked")
    expect(page.get_by_text("The certificate is genuine, but the credential is revoked."))\
        .to_be_visible()
