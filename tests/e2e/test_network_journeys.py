"""Network journeys in a real browser: a learner joins a cohort through an invitation link
(signing in on the way) and finds it on the dashboard; a member finds a peer in the
practitioner directory by country and focus area."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from lms.auth import services as auth
from lms.cohorts import services as cohorts
from tests.e2e import journey_helpers as jh

pytestmark = pytest.mark.e2e


def test_learner_joins_a_cohort_by_invitation_link(page: Page, now, make_user, live_clock):
    live_clock["FROZEN_NOW"] = now
    make_user("instructor", email="ian@example.org", name="Ian Facilitator")
    learner = make_user(email="lee@example.org", name="Lee Learner")
    cohort = cohorts.create_cohort("Atlanta circle", "Neighbourhood leaders meeting monthly.",
                                   actor=None, now=now,
                                   details=cohorts.CohortDetails(region="Atlanta metro"))
    cohorts.add_members(cohort, "ian@example.org", now=now, role="facilitator")
    invite = cohorts.create_invite(cohort, actor=None, now=now, days=7)

    page.goto(f"/cohorts/join/{invite.token}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Join Atlanta circle")
    page.get_by_role("button", name="Sign in to join").click()
    page.get_by_label(re.compile(r"^E-mail address")).fill(learner.email)
    page.get_by_label(re.compile(r"^Password")).fill(jh.PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    # back on the invitation, now signed in
    page.get_by_role("button", name="Join Atlanta circle").click()
    expect(jh.flash(page)).to_contain_text("You joined")
    cohorts_section = page.get_by_role("region", name="My cohorts")
    expect(cohorts_section).to_contain_text("Atlanta circle")
    expect(cohorts_section).to_contain_text("Atlanta metro")
    expect(cohorts_section).to_contain_text("Ian Facilitator")

    cohorts.revoke_invite(cohort, invite.id, now)
    page.goto(f"/cohorts/join/{invite.token}")
    expect(page.get_by_role("alert")).to_contain_text("was withdrawn")


def test_member_finds_a_peer_by_country_and_focus(page: Page, now, make_user,
                                                  browser_sign_in):
    def listed(name, country, focus, org):
        user = make_user(name=name, country=country, organisation=org, directory_opt_in=True)
        auth.update_profile(user, {"focus_areas": focus})

    listed("Kwame Mensah", "Ghana", ["mobility", "belonging"], "Accra Urban Futures")
    listed("Ama Owusu", "Ghana", ["environment"], "Kumasi Green Belt")
    listed("Sofia Martins", "Brazil", ["mobility"], "Instituto Bairro Vivo")
    me = make_user(name="Maya Okafor")
    browser_sign_in(page, me.email, jh.PASSWORD)

    page.get_by_role("navigation", name="Main").get_by_role(
        "link", name="Directory", include_hidden=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Practitioner directory")
    page.locator("#country").select_option("Ghana")
    page.locator("#focus").select_option("mobility")
    page.get_by_role("button", name="Search").click()
    results = page.get_by_role("region", name=re.compile("practitioner"))
    expect(results.get_by_role("heading", level=2)).to_have_text("1 practitioner")
    expect(results).to_contain_text("Kwame Mensah")
    expect(results).to_contain_text("Accra Urban Futures")
    expect(results).not_to_contain_text("Sofia Martins")
    expect(results).not_to_contain_text("@example.org")
    page.set_viewport_size(jh.PHONE)
    assert jh.page_width(page) <= jh.PHONE["width"] + 1
