"""Account journeys in a real browser: register and confirm, sign in and out, reset a forgotten
password, edit the profile, change the password, admin roles and deactivation, a phone-sized
screen and keyboard use.

Links sent by e-mail are read the way a demo user reads them: from the admin outbox page.
"""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from lms.auth.models import User
from lms.extensions import db

pytestmark = pytest.mark.e2e

PASSWORD = "correct-horse-battery"  # the shared make_user default
NEW_PASSWORD = "a-much-longer-passphrase"


def _admin_page(new_context, browser_sign_in, make_user) -> Page:
    """A second browser (its own cookies) signed in as a fresh admin."""
    admin = make_user("admin", name="Alex Admin")
    page = new_context().new_page()
    browser_sign_in(page, admin.email, PASSWORD)
    return page


def _link_from_outbox(admin: Page, recipient: str, subject: str) -> str:
    """The first link of the newest outbox message to `recipient` with `subject`."""
    admin.goto("/admin/outbox")
    message = (admin.locator("article.outbox-message")
               .filter(has_text=recipient).filter(has_text=subject).first)
    expect(message).to_be_visible()
    href = message.locator("pre.mail-body a").first.get_attribute("href")
    assert href and href.startswith("http://127.0.0.1:"), href
    return href


def field(page: Page, label: str):
    """The form control labelled `label` (required fields add an aria-hidden " *")."""
    return page.get_by_label(re.compile(rf"^\s*{re.escape(label)}( \*)?\s*$"))


def _flash(page: Page):
    return page.locator(".flash")


def _user(email: str) -> User:
    db.session.expire_all()
    return db.session.scalar(select(User).where(User.email == email))


def test_register_confirm_from_outbox_sign_in_and_out(page: Page, app, new_context, make_user,
                                                      browser_sign_in):
    page.goto("/")
    page.get_by_role("navigation", name="Main").get_by_role("button", name="Register").click()
    expect(page).to_have_title(re.compile("Create an account"))
    field(page, "Name").fill("Nadia Visitor")
    field(page, "E-mail address").fill("Nadia@Example.org")
    field(page, "Password").fill(PASSWORD)
    field(page, "Repeat password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(_flash(page)).to_contain_text("We have sent an e-mail to that address")
    expect(page).to_have_url(re.compile(r"/account/signin$"))

    # Not confirmed yet: signing in is refused with a clear message.
    field(page, "E-mail address").fill("nadia@example.org")
    field(page, "Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(_flash(page)).to_contain_text("Confirm your e-mail address first")
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)

    admin = _admin_page(new_context, browser_sign_in, make_user)
    link = _link_from_outbox(admin, "nadia@example.org", "Confirm your e-mail address")
    page.goto(link)
    expect(_flash(page)).to_contain_text("your e-mail address is confirmed")
    assert _user("nadia@example.org").confirmed

    browser_sign_in(page, "nadia@example.org", PASSWORD)
    expect(page).to_have_url(re.compile(r"/dashboard$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome, Nadia Visitor")

    page.get_by_role("button", name="Sign out").click()
    expect(_flash(page)).to_contain_text("You are signed out")
    expect(page.get_by_role("link", name="Sign in", exact=True)).to_be_visible()
    page.goto("/dashboard")
    expect(page).to_have_url(re.compile(r"/account/signin\?next="))


def test_reset_forgotten_password_once(page: Page, app, new_context, make_user,
                                       browser_sign_in):
    user = make_user(email="forgetful@example.org", name="Fern Forgetful")
    page.goto("/account/signin")
    page.get_by_role("link", name="Forgotten your password?").click()
    field(page, "E-mail address").fill(user.email)
    page.get_by_role("button", name="Send link").click()
    expect(_flash(page)).to_contain_text("If an account exists for that address")

    admin = _admin_page(new_context, browser_sign_in, make_user)
    link = _link_from_outbox(admin, user.email, "Reset your password")
    page.goto(link)
    field(page, "New password").fill(NEW_PASSWORD)
    field(page, "Repeat new password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Set password").click()
    expect(_flash(page)).to_contain_text("Your password has been changed")

    browser_sign_in(page, user.email, NEW_PASSWORD)
    page.get_by_role("button", name="Sign out").click()

    page.goto(link)  # the link works once
    expect(_flash(page)).to_contain_text("already been used")
    expect(page.get_by_role("link", name="Ask for a new link")).to_be_visible()


def test_edit_profile_and_change_password(page: Page, app, make_user, browser_sign_in):
    user = make_user(email="maya@example.org", name="Maya")
    browser_sign_in(page, user.email, PASSWORD)
    page.get_by_role("link", name="Maya", exact=True).click()
    expect(page.get_by_role("heading", name="Your profile")).to_be_visible()

    field(page, "Display name").fill("Maya Okafor")
    field(page, "Legal name (as printed on certificates)").fill("Maya A. Okafor")
    field(page, "Organisation").fill("Eastside Residents Alliance")
    field(page, "City").fill("Marlow Bay")
    field(page, "Country").fill("United States")
    field(page, "Short bio").fill("Resident leader working on *flood-safe* housing.")
    field(page, "List me in the public practitioner directory").check()
    page.get_by_role("button", name="Save profile").click()
    expect(_flash(page)).to_contain_text("Profile saved")

    page.reload()
    expect(field(page, "Legal name (as printed on certificates)")).to_have_value("Maya A. Okafor")
    expect(field(page, "List me in the public practitioner directory")).to_be_checked()
    expect(page.locator(".prose em")).to_have_text("flood-safe")
    expect(page.get_by_role("link", name="Maya Okafor", exact=True)).to_be_visible()
    saved = _user(user.email)
    assert (saved.name, saved.legal_name, saved.organisation, saved.city, saved.country) == (
        "Maya Okafor", "Maya A. Okafor", "Eastside Residents Alliance", "Marlow Bay",
        "United States")
    assert saved.directory_opt_in is True

    page.get_by_role("link", name="Change your password").click()
    field(page, "Current password").fill(PASSWORD)
    field(page, "New password").fill(NEW_PASSWORD)
    field(page, "Repeat new password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Change password").click()
    expect(_flash(page)).to_contain_text("Password changed")
    page.goto("/dashboard")  # still signed in with the new session identity
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome, Maya Okafor")
    page.get_by_role("button", name="Sign out").click()
    browser_sign_in(page, user.email, NEW_PASSWORD)


def test_admin_changes_role_and_deactivates(page: Page, app, make_user, browser_sign_in):
    admin = make_user("admin", name="Alex Admin")
    target = make_user(email="daniel@example.org", name="Daniel Reyes")
    make_user(email="someone@example.org", name="Someone Else")
    browser_sign_in(page, admin.email, PASSWORD)

    page.get_by_role("link", name="Admin", exact=True).click()
    page.get_by_role("link", name="Users and roles").click()
    field(page, "Search by name, e-mail or organisation").fill("daniel")
    page.get_by_role("button", name="Search").click()
    rows = page.locator("table tbody tr")
    expect(rows).to_have_count(1)
    rows.get_by_role("link", name="Daniel Reyes").click()

    field(page, "Role").select_option("instructor")
    page.get_by_role("button", name="Change role").click()
    expect(_flash(page)).to_contain_text("Daniel Reyes is now Instructor")
    assert _user(target.email).role == "instructor"

    # Deactivating asks first: dismissing changes nothing, accepting deactivates.
    asked = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    page.get_by_role("button", name="Deactivate account").click()
    expect(page.get_by_role("button", name="Deactivate account")).to_be_visible()
    assert asked and "Deactivate Daniel Reyes?" in asked[0]
    assert _user(target.email).active is True
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Deactivate account").click()
    expect(_flash(page)).to_contain_text("deactivated")
    expect(page.get_by_role("button", name="Reactivate account")).to_be_visible()
    assert _user(target.email).active is False

    page.get_by_role("button", name="Sign out").click()
    page.goto("/account/signin")
    field(page, "E-mail address").fill(target.email)
    field(page, "Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(_flash(page)).to_contain_text("This account has been deactivated")


def test_phone_viewport_nav_and_sign_in_are_usable(app, new_context, make_user,
                                                   browser_sign_in):
    user = make_user(email="phone@example.org", name="Pat Phone")
    page = new_context(viewport={"width": 390, "height": 844}, is_mobile=True,
                       has_touch=True).new_page()
    page.goto("/account/signin")

    def fits(locator) -> None:
        expect(locator).to_be_visible()
        # Right after a navigation an element can be visible before the stylesheets apply;
        # measure the styled layout.
        page.wait_for_load_state("load")
        box = locator.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390, box

    nav = page.get_by_role("navigation", name="Main")
    menu = nav.get_by_role("button", name="Menu")
    fits(menu)  # on a phone the links fold behind a menu button
    expect(nav.get_by_role("link", name="Courses", exact=True)).to_be_hidden()
    menu.tap()
    for link in (nav.get_by_role("link", name="Courses", exact=True),
                 nav.get_by_role("link", name="Sign in", exact=True),
                 nav.get_by_role("button", name="Register", exact=True)):
        fits(link)
    for control in (field(page, "E-mail address"), field(page, "Password"),
                    page.get_by_role("button", name="Sign in")):
        fits(control)
    page.wait_for_load_state("load")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    field(page, "E-mail address").tap()
    field(page, "E-mail address").fill(user.email)
    field(page, "Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").tap()
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome, Pat Phone")
    page.get_by_role("navigation", name="Main").get_by_role("button", name="Menu").tap()
    fits(page.get_by_role("button", name="Sign out"))
    fits(page.get_by_role("navigation", name="Main").get_by_role("link", name="My learning"))
    page.wait_for_load_state("load")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


@pytest.mark.parametrize("path", ["/", "/account/signin", "/account/register"])
def test_keyboard_tab_reaches_skip_link_first(page: Page, app, path: str):
    page.goto(path)
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    box = skip.bounding_box()
    assert box is not None and box["x"] >= 0, "the focused skip link must be on screen"
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"#main$"))
    expect(page.locator("main#main")).to_be_focused()


def test_phone_menu_works_by_keyboard_and_desktop_shows_the_links(app, new_context, make_user):
    page = new_context(viewport={"width": 390, "height": 844}).new_page()
    page.goto("/account/signin")
    page.wait_for_load_state("load")
    nav = page.get_by_role("navigation", name="Main")
    menu = nav.get_by_role("button", name="Menu")
    courses = nav.get_by_role("link", name="Courses", exact=True)
    expect(menu).to_have_attribute("aria-expanded", "false")
    expect(courses).to_be_hidden()
    menu.focus()
    page.keyboard.press("Enter")
    expect(menu).to_have_attribute("aria-expanded", "true")
    expect(courses).to_be_visible()
    page.keyboard.press("Tab")
    expect(courses).to_be_focused()  # the links follow the button in the tab order
    page.keyboard.press("Escape")
    expect(menu).to_have_attribute("aria-expanded", "false")
    expect(menu).to_be_focused()
    expect(courses).to_be_hidden()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    page.set_viewport_size({"width": 1280, "height": 800})
    expect(menu).to_be_hidden()
    expect(courses).to_be_visible()


def test_phone_without_javascript_shows_every_link(app, new_context):
    page = new_context(viewport={"width": 390, "height": 844}, java_script_enabled=False).new_page()
    page.goto("/account/signin")
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Courses", exact=True)).to_be_visible()
    expect(nav.get_by_role("button", name="Menu")).to_be_hidden()


def test_users_table_is_stacked_cards_on_a_phone(app, new_context, make_user, browser_sign_in):
    admin = make_user("admin", email="ada@example.org", name="Ada Admin")
    for n in range(3):
        make_user(email=f"a-very-long-address-number-{n}@an-organisation.example.org",
                  name=f"Person With A Long Name {n}", organisation="Neighbourhood Trust")
    page = new_context(viewport={"width": 390, "height": 844}).new_page()
    browser_sign_in(page, admin.email, PASSWORD)
    page.goto("/admin/users")
    page.wait_for_load_state("load")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    first = page.locator("table tbody tr").first
    box = first.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390, box
    expect(first.locator("td").nth(1)).to_be_visible()
