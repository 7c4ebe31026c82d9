"""The boards in a real browser: two learners of a cohort discuss on its private board,
mention each other (the autocomplete suggests only the cohort), see what is new since their
last visit, one flags a post, the cohort's facilitator hides it from the moderation queue and
the author sees it hidden. The page works on a phone without sideways scrolling.
"""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from lms.auth.models import User
from lms.cohorts.models import CohortMember
from lms.community.visibility import viewer_for
from lms.extensions import db
from tests.community.conftest import make_cohort
from tests.e2e import journey_helpers as jh

pytestmark = pytest.mark.e2e


def sign_out(page: Page) -> None:
    page.set_viewport_size({"width": 1280, "height": 800})
    page.get_by_role("button", name="Sign out").click()


def test_two_learners_discuss_mention_flag_and_a_facilitator_hides(
        page: Page, now, make_user, browser_sign_in, live_clock):
    live_clock["FROZEN_NOW"] = now
    ana = make_user(email="ana@example.org", name="Ana Lopez")
    ben = make_user(email="ben@example.org", name="Ben Okafor")
    make_user(email="bea@example.org", name="Bea Outsider")  # in another cohort: never suggested
    fay = make_user(email="fay@example.org", name="Fay Facilitator")
    cohort = make_cohort("Riverside cohort", [ana, ben], now)
    bea = db.session.scalar(select(User).where(User.email == "bea@example.org"))
    make_cohort("Other cohort", [bea], now)
    db.session.add(CohortMember(cohort_id=cohort.id, user_id=fay.id, added_at=now,
                                role="facilitator"))
    db.session.commit()
    assert cohort.id in viewer_for(fay).facilitating

    # Ana starts a thread on the cohort's private board and mentions Ben through the suggestions.
    browser_sign_in(page, ana.email, jh.PASSWORD)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Boards").click()
    page.get_by_role("link", name="Riverside cohort").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Riverside cohort")
    page.get_by_label(re.compile(r"^Title")).fill("Flood map walk on Saturday")
    message = page.get_by_label(re.compile(r"^Message"))
    message.fill("Who can join the walk? ")
    message.press_sequentially("@Be")
    suggestions = page.get_by_role("listbox", name="People you can mention")
    expect(suggestions.get_by_role("option")).to_have_count(1)
    suggestions.get_by_role("option", name=re.compile("Ben Okafor")).click()
    expect(message).to_have_value(re.compile(r"@ben-okafor-\d+ $"))
    page.get_by_role("button", name="Start the thread").click()
    expect(jh.flash(page)).to_contain_text("Thread started.")
    expect(page.locator(".post-body strong")).to_have_text("@Ben Okafor")
    sign_out(page)

    # Ben sees the unread thread, replies and mentions Ana back.
    live_clock["FROZEN_NOW"] = now + timedelta(hours=1)
    browser_sign_in(page, ben.email, jh.PASSWORD)
    page.goto("/community/")
    expect(page.get_by_role("listitem").filter(has_text="Riverside cohort")).to_contain_text(
        "1 unread")
    page.get_by_role("link", name="Riverside cohort").click()
    expect(page.locator(".thread-row.unread")).to_contain_text("Flood map walk on Saturday")
    page.get_by_role("link", name="Flood map walk on Saturday").click()
    page.get_by_label(re.compile(r"^Your reply")).fill(
        f"Count me in, @ana-lopez-{ana.id}. Bring boots.")
    page.get_by_role("button", name="Post reply").click()
    expect(page.locator(".post-body").last).to_contain_text("Count me in, @Ana Lopez")
    sign_out(page)

    # Ana comes back: Ben's reply is marked new. Her next reply is unkind; Ben flags it.
    live_clock["FROZEN_NOW"] = now + timedelta(hours=2)
    browser_sign_in(page, ana.email, jh.PASSWORD)
    page.goto("/community/")
    page.get_by_role("link", name="Riverside cohort").click()
    page.get_by_role("link", name="Flood map walk on Saturday").click()
    expect(page.locator(".new-marker")).to_have_text("New since your last visit")
    expect(page.locator(".new-since")).to_contain_text("1 new post")
    page.get_by_label(re.compile(r"^Your reply")).fill("Boots are for people with money.")
    page.get_by_role("button", name="Post reply").click()
    sign_out(page)

    live_clock["FROZEN_NOW"] = now + timedelta(hours=3)
    browser_sign_in(page, ben.email, jh.PASSWORD)
    page.goto("/community/")
    page.get_by_role("link", name="Riverside cohort").click()
    page.get_by_role("link", name="Flood map walk on Saturday").click()
    page.locator(".post").last.get_by_role("link", name="Flag").click()
    page.get_by_label(re.compile("Why should a moderator")).fill("Unkind; let's keep it kind.")
    page.get_by_role("button", name="Flag for moderators").click()
    expect(jh.flash(page)).to_contain_text("the moderators will look at this post")
    sign_out(page)

    # The facilitator hides it from the queue.
    browser_sign_in(page, fay.email, jh.PASSWORD)
    page.goto("/community/moderation")
    entry = page.locator(".queue-entry")
    expect(entry).to_have_count(1)
    expect(entry).to_contain_text("Unkind; let's keep it kind.")
    entry.get_by_role("button", name="Hide").click()
    expect(jh.flash(page)).to_contain_text("Post hidden.")
    expect(page.locator(".queue-entry")).to_have_count(0)
    sign_out(page)

    # The author sees it hidden; the thread stays readable (on a phone too).
    browser_sign_in(page, ana.email, jh.PASSWORD)
    page.goto("/community/")
    page.get_by_role("link", name="Riverside cohort").click()
    page.get_by_role("link", name="Flood map walk on Saturday").click()
    expect(page.locator(".placeholder")).to_have_text("This post was hidden by a moderator.")
    expect(page.get_by_text("Boots are for people with money.")).to_have_count(0)
    expect(page.locator(".post-body").first).to_contain_text("Who can join the walk?")
    page.set_viewport_size(jh.PHONE)
    assert jh.page_width(page) <= jh.PHONE["width"] + 1
