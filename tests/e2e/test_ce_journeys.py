"""CE journeys in a real browser: completing a course puts its hours on the CE page; a reported
activity goes to the registrar, who asks for more information, the holder answers, the
registrar approves and the progress bar moves; a holder who has met the requirements renews.

The live server runs on the real clock, so every date here is relative to today.
"""
from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from lms.credentials import services as credentials
from lms.credits.models import LedgerEntry
from lms.extensions import db
from tests.e2e import journey_helpers as jh

pytestmark = pytest.mark.e2e

TODAY = datetime.now(UTC).date()


def _holder(make_user, role="learner", earned_days_ago=300, **kw):
    user = make_user(role, **kw)
    now = datetime.now(UTC)
    credentials.issue(user, TODAY - timedelta(days=earned_days_ago), "passed the AP exam",
                      None, now)
    return user


def _sign_out(page: Page) -> None:
    page.get_by_role("button", name="Sign out").click()


def test_completing_a_course_puts_its_hours_on_the_ce_page(page: Page, app, tmp_path, now,
                                                           make_user, browser_sign_in):
    root = tmp_path / "courses"
    jh.write_course(root, "JC-CE1", "Heat and Health", {
        "01-heat.md": jh.lesson_md("Heat islands", "## Shade\n\nTrees cool a block.\n"),
        "02-cool.md": jh.lesson_md("Cooling centres", "## Open late\n\nLibraries help.\n"),
    }, ce_category="climate-resilience", ce_hours=3)
    jh.import_tree(root, now)
    holder = _holder(make_user)
    browser_sign_in(page, holder.email, jh.PASSWORD)
    page.goto("/ce")
    expect(page.locator("#ce-total")).to_have_text("0 of 30")
    page.goto("/courses/JC-CE1")
    page.get_by_role("button", name="Enrol in this course").click()
    page.get_by_role("region", name="Contents").get_by_role("link", name="Heat islands").click()
    page.get_by_role("button", name="Mark as complete and continue").click()
    page.get_by_role("button", name="Mark as complete", exact=True).click()
    expect(jh.flash(page)).to_contain_text("Congratulations")
    page.get_by_role("link", name="My CE").click()
    expect(page.locator("#ce-total")).to_have_text("3 of 30")
    expect(page.locator("#ce-ledger")).to_contain_text("Heat and Health")
    expect(page.locator("#ce-missing")).to_contain_text("27 more hours, 2 of them Racial Equity")


def test_report_more_information_answer_approve(page: Page, app, make_user, browser_sign_in,
                                                tmp_path):
    holder = _holder(make_user, email="holder@example.org")
    registrar = make_user("registrar", email="registrar@example.org")
    evidence = tmp_path / "certificate.pdf"
    evidence.write_bytes(b"%PDF-1.4\n% certificate\n%%EOF\n")

    browser_sign_in(page, holder.email, jh.PASSWORD)
    page.goto("/ce")
    expect(page.locator("#ce-total-bar")).to_have_attribute("value", "0")
    page.get_by_role("link", name="Report an activity").click()
    page.get_by_label(re.compile("^Title")).fill("Equity circle on displacement")
    page.get_by_label(re.compile("^Provider")).fill("PSE")
    page.get_by_label(re.compile("^Date")).fill((TODAY - timedelta(days=10)).isoformat())
    page.get_by_label(re.compile("^Hours")).fill("6")
    page.get_by_label(re.compile("^CE category")).select_option("racial-equity")
    page.get_by_label(re.compile("^Type of activity")).select_option("convening")
    page.get_by_label(re.compile("^Evidence file")).set_input_files(str(evidence))
    page.get_by_role("button", name="Send for approval").click()
    expect(jh.flash(page)).to_contain_text("a registrar will review it")
    expect(page.get_by_text("6 hours wait for a registrar.")).to_be_visible()
    _sign_out(page)

    browser_sign_in(page, registrar.email, jh.PASSWORD)
    page.goto("/admin/ce")
    page.locator("#approval-queue").get_by_role("link", name="Review").click()
    page.get_by_label("Decision").select_option("info")
    page.get_by_label(re.compile("^Reason or question")).fill("Which circle was it?")
    page.get_by_role("button", name="Record decision").click()
    expect(jh.flash(page)).to_contain_text("Question sent")
    _sign_out(page)

    browser_sign_in(page, holder.email, jh.PASSWORD)
    page.goto("/ce")
    expect(page.get_by_text("Which circle was it?")).to_be_visible()
    page.get_by_label(re.compile("^Your answer")).fill("The October circle in Eastside.")
    page.get_by_role("button", name="Send answer").click()
    expect(jh.flash(page)).to_contain_text("back with the registrar")
    _sign_out(page)

    browser_sign_in(page, registrar.email, jh.PASSWORD)
    page.goto("/admin/ce")
    expect(page.locator("#approval-queue")).to_contain_text("(answered)")
    page.locator("#approval-queue").get_by_role("link", name="Review").click()
    expect(page.get_by_text("The October circle in Eastside.")).to_be_visible()
    page.get_by_label("Decision").select_option("approve")
    page.get_by_role("button", name="Record decision").click()
    expect(jh.flash(page)).to_contain_text("Approved")
    _sign_out(page)

    browser_sign_in(page, holder.email, jh.PASSWORD)
    page.goto("/ce")
    expect(page.locator("#ce-total-bar")).to_have_attribute("value", "20")
    expect(page.locator("#ce-total")).to_have_text("6 of 30")


def test_renew_once_the_requirements_are_met(page: Page, app, make_user, browser_sign_in):
    holder = _holder(make_user, earned_days_ago=500)
    for n, (hours, category) in enumerate(((24, "practice"), (6, "racial-equity"))):
        db.session.add(LedgerEntry(user_id=holder.id, kind="roster", source=f"r{n}",
                                   earned_on=TODAY - timedelta(days=100 + n),
                                   hours=Decimal(hours), category=category,
                                   activity_type="convening", title=f"Academy {n}",
                                   created_at=datetime.now(UTC)))
    db.session.commit()
    browser_sign_in(page, holder.email, jh.PASSWORD)
    page.goto("/ce")
    expect(page.locator("#ce-missing")).to_have_text("Requirements met for this cycle.")
    page.get_by_role("button", name="Renew my credential").click()
    expect(jh.flash(page)).to_contain_text("Tick the box")
    page.get_by_label(re.compile("I attest")).check()
    page.get_by_role("button", name="Renew my credential").click()
    expect(jh.flash(page)).to_contain_text("Renewal recorded")
    expect(page.locator("#ce-total")).to_have_text("0 of 30")
    expect(page.get_by_role("button", name="Renew my credential")).to_have_count(0)
